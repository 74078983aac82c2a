#!/bin/sh
# vimage(8) CBSD hook of the vimage jail profile's skeleton, run on the host by
# `cbsd jstart` (sudoexec/jstart l.716) before tools/makejconf reads the jail's row (l.750).
# A jail made with the profile in `cbsd jconstruct-tui` has exec_poststart "0" (the wizard
# reads the profile before the jail has a name), so vimage would never run at its start:
# this writes vimage's command into that column, as `vimage set jname=NAME enable=1` does,
# in time for this start; with the jail already enabled it changes nothing. CBSD exports
# jname. `vimage set jname=NAME enable=0` removes this file with the rest.
[ -n "${jname}" ] || exit 0
exec /usr/local/bin/vimage set -q jname="${jname}" enable=1
