# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vimage_global_optspecs
    string join \n v/verbose q/quiet syslog= h/help desc args man V/version
end

function __fish_vimage_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vimage_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vimage_using_subcommand
    set -l cmd (__fish_vimage_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vimage -n "__fish_vimage_needs_command" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_needs_command" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_needs_command" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_needs_command" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_needs_command" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_needs_command" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_needs_command" -l man -d 'print the manual, vimage(8)'
complete -c vimage -n "__fish_vimage_needs_command" -s V -l version -d 'print the version'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "bridge" -d 'give a running vnet jail its network: epair or netgraph interfaces bridged to host uplinks, or NICs passed through'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "devfs" -d 'give a running jail\'s /dev vimage\'s devfs ruleset (stock ruleset 5 plus bpf, for DHCP)'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "unbridge" -d 'remove what vimage set up for a jail (its epairs and eifaces, passed-through NICs, unused vimage bridges)'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "status" -d 'show each jail\'s vimage interfaces, bridges and uplinks, and orphans'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "gc" -d 'remove vimage\'s orphans (objects whose jail is gone) and records that describe nothing'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "set" -d 'show or change a jail\'s vimage settings, its MACs in CBSD, and the CBSD integration'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "start" -d 'start a vimage from rc.conf: create the vnet jail, network it, run its exec_start'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "stop" -d 'stop a vimage: run its exec_stop, take its network back, remove the jail'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "doctor" -d 'check that the kernel can do what vimage needs, and say how to fix what is missing'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "construct" -d 'create a vnet jail for CBSD: ask (or take as keys) its name, network and devfs ruleset, write its jconf'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "demo" -d 'run bridge, status and unbridge against the built-in simulated FreeBSD host (not in the FreeBSD package)'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "net" -d 'private jail networks: host-only bridges with a gateway and an address pool'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "expose" -d 'forward a host port into a jail on a NAT private network (pf rdr in the network\'s anchor)'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "unexpose" -d 'remove a port forward made by vimage expose (and from the loaded anchor)'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "version" -d 'print the version, the git commit it was built from, and whether the simulator is compiled in'
complete -c vimage -n "__fish_vimage_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l interface -d 'uplink of each NIC (a NIC, VLAN or bridge); default: the interface of the default route (\'auto\')' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l ifname -d 'names of the NICs inside the jail (default eth0, eth1, ...); at most 15 bytes each' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l mac -d 'fixed MAC of each NIC (default: generated once, then stored)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l mode -d 'how the interface= NICs are made (default epair)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l bridges -d 'netgraph NICs: one ng_eiface per entry on that uplink\'s ng_bridge (an uplink may repeat)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l vnets -d 'physical interfaces to move into the jail as they are (passthrough)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l vlan -d 'VLAN of each NIC\'s uplink: the NIC goes on vlan(4) UPLINK.N (created when missing, destroyed with its last jail; 0 = none)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l vlan_untagged -d 'FreeBSD 15: each NIC an untagged member of VLAN N on a VLAN-filtering bridge (before 15: uplink UPLINK.N; 0 = none)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l vlan_tagged -d 'FreeBSD 15: VLANs each NIC carries tagged (N,M,A-B; blank separates NICs); refused before 15' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l force -d 'pass interfaces through even if that cuts the host off (default route, bridge uplink)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l ip4_addr -d 'addresses, CBSD\'s syntax: A.B.C.D[/N] (default /24), IPv6[/N] (default /64), REALDHCP (dhclient), SLAAC, nic#ITEM for another NIC (eth1 or its uplink), 0 = leave alone (default)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l ci_gw4 -d 'default router(s) in the jail; auto = the LAN\'s router (default 0: not managed)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l devfs_ruleset -d 'number of vimage\'s devfs ruleset (ruleset 5 plus bpf, for DHCP); default 50, or the next free one' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l rcconf -d 'the jail\'s rc.conf (default: <jail path>/etc/rc.conf)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l mtu -d 'MTU of the jail ends of the epair NICs, at most the bridge\'s (default: the bridge\'s, which the host ends always carry)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l flags -d 'bridge member flags of the host ends: private, stp, edge, autoedge, ptp, autoptp, learn, discover, sticky (-FLAG clears)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l offload -d 'off: -txcsum -txcsum6 -tso -lro on both epair ends (IPsec between hosts; default on)' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand bridge" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l ruleset -d 'the ruleset number (default: vimage\'s, else 50 or the next free)' -r
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand devfs" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand unbridge" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand status" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand status" -l jname -d 'only this jail' -r
complete -c vimage -n "__fish_vimage_using_subcommand status" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand status" -l dot -d 'print a Graphviz picture of uplinks, bridges, interfaces and jails' -r
complete -c vimage -n "__fish_vimage_using_subcommand status" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand status" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand status" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand status" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand status" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand gc" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand gc" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand gc" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand gc" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand gc" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand gc" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand gc" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand gc" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand set" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l interface -d 'uplinks of the epair NICs, in order (auto = the default route\'s interface)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l ifname -d 'names of the epair NICs inside the jail' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l mode -d 'how the jail\'s NICs are made' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l bridges -d 'netgraph uplinks, one ng<i>_<jail> interface each' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l vnets -d 'physical interfaces to pass through' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l userland -d 'what runs in the jail (default: read from its /bin/sh); linux: NICs keep the kernel\'s names, nothing runs inside' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l vlan -d 'VLAN of each epair NIC\'s uplink (vlan(4) UPLINK.N; 0 = none)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l vlan_untagged -d 'FreeBSD 15: untagged VLAN of each NIC on a VLAN-filtering bridge (0 = none)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l vlan_tagged -d 'FreeBSD 15: tagged VLANs of each NIC (N,M,A-B; blank separates NICs)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l mtu -d 'MTU of the jail ends of the epair NICs, at most the bridge\'s' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l flags -d 'bridge member flags of the epairs\' host ends (private, sticky, -learn, ...)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l offload -d 'off: -txcsum -txcsum6 -tso -lro on both ends of each epair' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l nic_hwaddr -d 'MACs of the jail\'s NICs, written into CBSD\'s jailnic rows (CBSD only)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l enable -d 'install (1) or remove (0) the CBSD integration for the jail (CBSD only)' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand set" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand set" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand set" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand set" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand set" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand start" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand start" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand start" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand start" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand start" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand start" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand start" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand start" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand start" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l jname -d 'the jail (name as in jls(8); CBSD\'s jname)' -r
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand stop" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand stop" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand stop" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand stop" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l fix -d 'load the missing kernel modules' -r
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l pf -d 'with fix=1: add vimage\'s anchor lines to /etc/pf.conf and load it' -r
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand doctor" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l jname -d 'the new jail\'s name (CBSD and jail(8) rules; no dots)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l host_hostname -d 'host name inside the jail (default NAME.DOMAIN, DOMAIN from nc.inventory\'s nodename)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l mode -d 'how vimage builds the NICs (default epair)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l interface -d 'uplink of the first NIC, or auto (default: nc.inventory\'s jail_interface, else auto)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l bridges -d 'netgraph: one uplink per NIC, in order, comma- or blank-separated (default: interface)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l ip4_addr -d 'REALDHCP (dhclient in the jail; the default) or one IPv4 and/or one IPv6 address with prefix' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l ci_gw4 -d 'default routers, one per address family, inside the subnets (default 0: none)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l devfs_ruleset -d 'devfs ruleset (default 5, devfsrules_jail_vnet, no bpf; DHCP needs vimage\'s bpf ruleset: vimage devfs)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l create -d 'create=1: run cbsd jcreate; create=0: only write the jconf and print the commands' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l out -d 'where to write the jconf (default ${workdir}/tmp/NAME.jconf, or ./NAME.jconf without workdir)' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l yes -d 'ask nothing: take the defaults for every key not given, and create the jail' -r
complete -c vimage -n "__fish_vimage_using_subcommand construct" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand construct" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand construct" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand construct" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand demo" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand demo" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand demo" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand demo" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand demo" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand demo" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand net" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l action -d 'what to do; usually the first bare word (vimage net create …)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l name -d 'the network\'s name: letters, digits and _, starting with a letter' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l cidr -d 'the network\'s IPv4 CIDR (create)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l gateway -d 'the host\'s address on the network (create; default: the first host address)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l nat -d 'NAT out of the default route\'s interface, IF, or none (create; default auto)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l cidr6 -d 'an IPv6 network; the bridge gets its first host address (create)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l private -d 'isolate the network\'s jails from each other (create)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l persist -d 'with NAT: gateway_enable="YES" in /etc/rc.conf, so forwarding survives a reboot (create)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l force -d 'destroy a network jails still use (their leases go with it)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l jname -d 'the jail whose pool addresses go (release)' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand net" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand net" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand net" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand net" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand net" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l jname -d 'the jail to forward to' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l port -d 'the port in the jail (1-65535)' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l hostport -d 'the port on the host\'s NAT interface (default: port)' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l proto -d 'the protocol (default tcp)' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l net -d 'the network (default: the jail\'s only one)' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand expose" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand expose" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand expose" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand expose" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l jname -d 'the jail whose forward goes' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l port -d 'the port in the jail' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l hostport -d 'the host port (default: any of the jail\'s forwards to port)' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l proto -d 'the protocol (default tcp)' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l net -d 'the network (default: any)' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l dry-run -d 'print the plan as the exact FreeBSD commands, in order, and change nothing' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand unexpose" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand version" -l syslog -d 'syslog=0: no audit trail in syslog for this run' -r
complete -c vimage -n "__fish_vimage_using_subcommand version" -l json -d 'print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document' -r
complete -c vimage -n "__fish_vimage_using_subcommand version" -s v -l verbose -d 'print each FreeBSD command as it runs (stderr); -vv also why one failed'
complete -c vimage -n "__fish_vimage_using_subcommand version" -s q -l quiet -d 'nothing on stdout when the command succeeds; errors still on stderr'
complete -c vimage -n "__fish_vimage_using_subcommand version" -s h -l help -d 'this help'
complete -c vimage -n "__fish_vimage_using_subcommand version" -l desc -d 'the one-line description CBSD shows'
complete -c vimage -n "__fish_vimage_using_subcommand version" -l args -d 'the keys, one a line'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "bridge" -d 'give a running vnet jail its network: epair or netgraph interfaces bridged to host uplinks, or NICs passed through'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "devfs" -d 'give a running jail\'s /dev vimage\'s devfs ruleset (stock ruleset 5 plus bpf, for DHCP)'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "unbridge" -d 'remove what vimage set up for a jail (its epairs and eifaces, passed-through NICs, unused vimage bridges)'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "status" -d 'show each jail\'s vimage interfaces, bridges and uplinks, and orphans'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "gc" -d 'remove vimage\'s orphans (objects whose jail is gone) and records that describe nothing'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "set" -d 'show or change a jail\'s vimage settings, its MACs in CBSD, and the CBSD integration'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "start" -d 'start a vimage from rc.conf: create the vnet jail, network it, run its exec_start'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "stop" -d 'stop a vimage: run its exec_stop, take its network back, remove the jail'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "doctor" -d 'check that the kernel can do what vimage needs, and say how to fix what is missing'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "construct" -d 'create a vnet jail for CBSD: ask (or take as keys) its name, network and devfs ruleset, write its jconf'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "demo" -d 'run bridge, status and unbridge against the built-in simulated FreeBSD host (not in the FreeBSD package)'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "net" -d 'private jail networks: host-only bridges with a gateway and an address pool'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "expose" -d 'forward a host port into a jail on a NAT private network (pf rdr in the network\'s anchor)'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "unexpose" -d 'remove a port forward made by vimage expose (and from the loaded anchor)'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "version" -d 'print the version, the git commit it was built from, and whether the simulator is compiled in'
complete -c vimage -n "__fish_vimage_using_subcommand help; and not __fish_seen_subcommand_from bridge devfs unbridge status gc set start stop doctor construct demo net expose unexpose version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
