#!/bin/sh
# vimage(8) CBSD hook, run on the host by `cbsd jstop` before the jail is removed:
# destroys the jail's vimage interfaces from the host side while the jail still exists, so
# an interface renamed inside it (eth0) never comes back to the host. CBSD exports jname.
# Installed by `vimage set jname=NAME enable=1` (or the vimage jail profile's skel).
[ -n "${jname}" ] || exit 0
exec /usr/local/bin/vimage unbridge -q jname="${jname}"
