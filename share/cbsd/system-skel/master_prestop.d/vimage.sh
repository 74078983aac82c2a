#!/bin/sh
# vimage(8) CBSD hook, run on the host by `cbsd jstop` (sudoexec/jstop l.365) before
# `jail -r`, after jstop has found the jail's epairs by their description `<jname>-eth<N>`:
# `vimage unbridge` takes vimage's group marker off the epairs it took over from CBSD
# (jstop destroys them after `jail -r`, as it always does), destroys what vimage created
# itself, and undoes its devfs changes. CBSD exports jname.
# Installed by `vimage set jname=NAME enable=1` (or the vimage jail profile's skel).
[ -n "${jname}" ] || exit 0
exec /usr/local/bin/vimage unbridge -q jname="${jname}"
