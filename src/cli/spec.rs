//! The command table: every verb, its keys and their documentation, in one place.
//!
//! Parsing (clap's commands, `super::command`), `--help`, `--desc`, `--args`, the man page and
//! the shell completions are all generated from this table, so they cannot drift apart.

/// How a key takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `key=value` or `--key value`.
    Value,
    /// `--key`, or `key=1` / `key=0` (CBSD passes everything as key=value).
    Flag,
}

/// One key a verb accepts.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// The key as CBSD spells it (`key=value`); `--key` accepts it with `-` for `_`.
    pub name: &'static str,
    /// Whether it takes a value or is a flag, which decides how argv is read.
    pub kind: KeyKind,
    /// A missing required key is a usage error before anything runs.
    pub required: bool,
    /// Placeholder for the value in usage lines.
    pub value: &'static str,
    /// The sentence `--help` and the man page show for it.
    pub doc: &'static str,
}

/// One verb.
#[derive(Debug, Clone, Copy)]
pub struct VerbSpec {
    /// The verb as typed after `vimage` (or in `vimage-<verb>`), which dispatches it.
    pub name: &'static str,
    /// The one line `--desc` prints and `cbsd help` shows.
    pub desc: &'static str,
    /// Longer help: what it does and what it never does.
    pub about: &'static str,
    /// Every key the verb accepts; any other key is refused with a suggestion.
    pub keys: &'static [KeySpec],
    /// Examples, one per line.
    pub examples: &'static [&'static str],
}

const fn key(name: &'static str, value: &'static str, doc: &'static str) -> KeySpec {
    KeySpec { name, kind: KeyKind::Value, required: false, value, doc }
}

const fn req(name: &'static str, value: &'static str, doc: &'static str) -> KeySpec {
    KeySpec { name, kind: KeyKind::Value, required: true, value, doc }
}

const fn flag(name: &'static str, doc: &'static str) -> KeySpec {
    KeySpec { name, kind: KeyKind::Flag, required: false, value: "", doc }
}

/// The flag of every verb that can change the host: print the plan, change nothing (one
/// spelling for the table and the typed keys, `super::typed`).
pub const DRY_RUN_KEY: &str = "dry-run";
/// The flag asking for one JSON document (one spelling for the table and the typed keys).
pub const JSON_KEY: &str = "json";
const DRY_RUN: KeySpec =
    flag(DRY_RUN_KEY, "print the plan as the exact FreeBSD commands, in order, and change nothing");
const JSON: KeySpec = flag(
    JSON_KEY,
    "print one JSON document (schema 1, keys in docs/json.md) instead of text; a failure prints an error document",
);
/// The key naming the jail (CBSD's `jname`): the one key the parser itself knows (a bare word
/// is the jail, `jname=` may not be empty), spelled here once for the table, the parser and
/// the typed keys (`super::typed`).
pub const JAIL_KEY: &str = "jname";
const JNAME: KeySpec = req(JAIL_KEY, "NAME", "the jail (name as in jls(8); CBSD's jname)");

/// Every verb vimage has.
pub const VERBS: &[VerbSpec] = &[
    VerbSpec {
        name: "bridge",
        desc: "give a running vnet jail its network: epair or netgraph interfaces bridged to host uplinks, or NICs passed through",
        about: "epair (default): for each NIC reuses the bridge that already holds the uplink (or creates one, marked as\n\
                vimage's), creates an epair whose host end joins that bridge, sets the jail end's MAC and MTU, moves it\n\
                into the jail and renames it there (eth0, eth1, ...).\n\
                netgraph (mode=netgraph, or bridges=): an ng_bridge on each uplink's ng_ether node (made on first use,\n\
                shared by every jail there), and per entry an ng_eiface on a free link of it, moved into the jail as\n\
                ng<i>_<jail> (shortened to 15 bytes with a hash when longer; status shows the mapping). All netgraph\n\
                changes of a start are one ngctl batch. Needs ng_ether loaded (vimage doctor fix=1).\n\
                passthrough (vnets=): moves physical interfaces into the jail as they are; refuses the default-route\n\
                interface, bridge uplinks and interfaces holding addresses unless force=1 (exit 65).\n\
                Modes mix in one jail; NICs are numbered interface= first, then bridges=, then vnets=.\n\
                Without NIC keys the NICs come from CBSD's jailnic table, else `vimage set`, else one eth0 on the\n\
                default route's interface. ip4_addr= (CBSD's syntax) and ci_gw4= set addresses and default routers\n\
                inside the jail and the matching lines of its rc.conf; REALDHCP runs dhclient there and gives the\n\
                jail's /dev vimage's devfs ruleset, which unhides bpf.\n\
                MACs are locally administered, unique on the host, and stored so they stay the same across restarts.\n\
                A jail with a Linux userland (its /bin/sh is a Linux ELF, or `vimage set userland=linux`) is configured\n\
                from the host only: its NICs keep the kernel's names (epair7b) unless ifname= names them, MAC and UP\n\
                with ifconfig -j, static addresses with ifconfig -j, default routes with route -j (FreeBSD 15; else a\n\
                note names the route the jail must set); nothing runs inside it and no rc.conf is written. REALDHCP\n\
                and SLAAC are refused there (65: the jail's own DHCP client must run), as is any Linux jail before\n\
                FreeBSD 14.0 (69: only jexec <jid> ifconfig exists there).\n\
                Running it again changes nothing. All checks happen before the first change; if a command fails,\n\
                everything done so far is undone.",
        keys: &[
            JNAME,
            key(
                "interface",
                "IF[,IF...]",
                "uplink of each NIC (a NIC, VLAN or bridge); default: the interface of the default route ('auto')",
            ),
            key(
                "ifname",
                "NAME[,NAME...]",
                "names of the NICs inside the jail (default eth0, eth1, ...); at most 15 bytes each",
            ),
            key("mac", "MAC[,MAC...]", "fixed MAC of each NIC (default: generated once, then stored)"),
            key("mode", "epair|netgraph", "how the interface= NICs are made (default epair)"),
            key(
                "bridges",
                "IF[ IF...]",
                "netgraph NICs: one ng_eiface per entry on that uplink's ng_bridge (an uplink may repeat)",
            ),
            key("vnets", "IF[ IF...]", "physical interfaces to move into the jail as they are (passthrough)"),
            key(
                "vlan",
                "N[,N...]",
                "VLAN of each NIC's uplink: the NIC goes on vlan(4) UPLINK.N (created when missing, destroyed with its last jail; 0 = none)",
            ),
            key(
                "vlan_untagged",
                "N[,N...]",
                "FreeBSD 15: each NIC an untagged member of VLAN N on a VLAN-filtering bridge (before 15: uplink UPLINK.N; 0 = none)",
            ),
            key(
                "vlan_tagged",
                "LIST[ LIST...]",
                "FreeBSD 15: VLANs each NIC carries tagged (N,M,A-B; blank separates NICs); refused before 15",
            ),
            flag("force", "pass interfaces through even if that cuts the host off (default route, bridge uplink)"),
            key(
                "ip4_addr",
                "ITEM[,ITEM...]",
                "addresses, CBSD's syntax: A.B.C.D[/N] (default /24), IPv6[/N] (default /64), REALDHCP (dhclient), \
                 SLAAC, nic#ITEM for another NIC (eth1 or its uplink), 0 = leave alone (default)",
            ),
            key(
                "ci_gw4",
                "0|ADDR[,ADDR6]|auto",
                "default router(s) in the jail; auto = the LAN's router (default 0: not managed)",
            ),
            key(
                "devfs_ruleset",
                "N",
                "number of vimage's devfs ruleset (ruleset 5 plus bpf, for DHCP); default 50, or the next free one",
            ),
            key("rcconf", "PATH", "the jail's rc.conf (default: <jail path>/etc/rc.conf)"),
            key(
                "mtu",
                "N",
                "MTU of the jail ends of the epair NICs, at most the bridge's (default: the bridge's, which the host ends always carry)",
            ),
            key(
                "flags",
                "FLAG[,FLAG...]",
                "bridge member flags of the host ends: private, stp, edge, autoedge, ptp, autoptp, learn, discover, sticky (-FLAG clears)",
            ),
            key(
                "offload",
                "on|off",
                "off: -txcsum -txcsum6 -tso -lro on both epair ends (IPsec between hosts; default on)",
            ),
            DRY_RUN,
            JSON,
        ],
        examples: &[
            "vimage bridge jname=web1",
            "vimage bridge jname=web1 interface=em0,em1",
            "vimage bridge jname=web1 ip4_addr=REALDHCP",
            "vimage bridge jname=web1 ip4_addr=10.0.0.5/24,2001:db8::5/64 ci_gw4=10.0.0.1",
            "vimage bridge jname=web1 interface=em0,em1 ip4_addr=10.0.0.5,eth1#10.1.0.5/16",
            "vimage bridge jname=web1 mode=netgraph bridges=\"em0 em1\"",
            "vimage bridge jname=web1 interface=em0 bridges=\"em0 em0\" vnets=em2",
            "vimage-bridge jname=web1 --dry-run",
        ],
    },
    VerbSpec {
        name: "devfs",
        desc: "give a running jail's /dev vimage's devfs ruleset (stock ruleset 5 plus bpf, for DHCP)",
        about: "Writes vimage's section [vimage_vnet_bpf=N] to /etc/devfs.rules (every other line stays as it is),\n\
                loads it into the running kernel (devfs rule -s N add ...), applies it to the jail's /dev\n\
                (devfs -m <path>/dev ruleset N; rule -s N applyset) and, under CBSD, sets the jail's devfs_ruleset.\n\
                N is ruleset=, else vimage's existing number, else 50 or the next free number; a number that\n\
                FreeBSD or another tool uses is refused. `vimage bridge` does this by itself for DHCP jails;\n\
                `vimage unbridge` gives it back, and removes the section when no jail uses it.",
        keys: &[
            JNAME,
            key("ruleset", "N", "the ruleset number (default: vimage's, else 50 or the next free)"),
            DRY_RUN,
            JSON,
        ],
        examples: &["vimage devfs jname=web1", "vimage devfs jname=web1 ruleset=60"],
    },
    VerbSpec {
        name: "unbridge",
        desc: "remove what vimage set up for a jail (its epairs and eifaces, passed-through NICs, unused vimage bridges)",
        about: "Destroys each epair vimage created for the jail from its host end, which also removes the jail end\n\
                wherever it is (so a renamed eth0 never comes back to the host); shuts down each of its ng_eiface\n\
                nodes (by node ID), which removes the interface inside the jail; gives each passed-through interface\n\
                back (ifconfig X -vnet J). A bridge vimage created goes when its last jail leaves (an ng_bridge with\n\
                the uplink's ng_ether flags put back); the uplink and bridges vimage did not create are never changed.\n\
                A jail that used vimage's devfs ruleset gets its old one back; the ruleset goes with its last jail.\n\
                The jail's rc.conf is kept. Run it before the jail is removed. Keeps going past failures and reports\n\
                all of them; running it again is a no-op.",
        keys: &[JNAME, DRY_RUN, JSON],
        examples: &["vimage unbridge jname=web1"],
    },
    VerbSpec {
        name: "status",
        desc: "show each jail's vimage interfaces, bridges and uplinks, and orphans",
        about: "Per jail: mode, host-side and jail-side names, MAC, bridge, uplink and state: up, stale (the jail\n\
                restarted or stopped without unbridge), gone (recorded, not in the kernel) or stored (not attached: the\n\
                MAC vimage keeps for the NIC's next start, for DHCP reservations; shown for jname= and for jails that\n\
                run or have NICs attached). Orphans are vimage-marked objects whose jail is gone; `vimage unbridge` of\n\
                that jail (or `vimage gc`) removes them.",
        keys: &[
            key(JAIL_KEY, "NAME", "only this jail"),
            JSON,
            flag("dot", "print a Graphviz picture of uplinks, bridges, interfaces and jails"),
        ],
        examples: &[
            "vimage status",
            "vimage status jname=web1 --json",
            "vimage status --dot | dot -Tsvg -o vimage.svg",
        ],
    },
    VerbSpec {
        name: "gc",
        desc: "remove vimage's orphans (objects whose jail is gone) and records that describe nothing",
        about: "Scans every object carrying vimage's marker (interface group vimage) and vimage's records:\n\
                host ends whose jail is not running or was restarted since, vimage bridges with no jail left,\n\
                netgraph NICs (eifaces) of jails that are gone or were restarted, found by their node ID,\n\
                and records of objects that no longer exist. Removes them, one journalled run per jail\n\
                (a netgraph NIC as the jail's unbridge would: its ng_bridge goes with the last link).\n\
                A marked host end whose jail is running but that vimage has no record of is reported and left\n\
                alone: it may be carrying traffic. Runs interrupted by a crash are repaired first.",
        keys: &[DRY_RUN, JSON],
        examples: &["vimage gc --dry-run", "vimage gc"],
    },
    VerbSpec {
        name: "set",
        desc: "show or change a jail's vimage settings, its MACs in CBSD, and the CBSD integration",
        about: "Settings CBSD has no column for, kept in vimage's database: the uplinks and names of the jail's\n\
                epair NICs when `vimage bridge` is not told them, and netgraph/passthrough NICs. With CBSD\n\
                (workdir set): nic_hwaddr= writes MACs into the jail's jailnic rows, and enable=1 makes the jail\n\
                a vimage jail: every NIC without a MAC gets vimage's, the jail's exec_poststart runs\n\
                `vimage bridge` right after jail(8) creates it (before CBSD moves its own epairs in and before\n\
                /etc/rc), a master_prestop.d hook runs `vimage unbridge` before the jail is removed, and\n\
                `cbsd jconfig jname=X vimage key=value` reaches this command. enable=0 undoes all of it.\n\
                Every value is checked before anything is written; an empty value clears a setting.",
        keys: &[
            JNAME,
            key(
                "interface",
                "IF[,IF...]",
                "uplinks of the epair NICs, in order (auto = the default route's interface)",
            ),
            key("ifname", "NAME[,NAME...]", "names of the epair NICs inside the jail"),
            key("mode", "epair|netgraph", "how the jail's NICs are made"),
            key("bridges", "IF[,IF...]", "netgraph uplinks, one ng<i>_<jail> interface each"),
            key("vnets", "IF[,IF...]", "physical interfaces to pass through"),
            key(
                "userland",
                "freebsd|linux",
                "what runs in the jail (default: read from its /bin/sh); linux: NICs keep the kernel's names, nothing runs inside",
            ),
            key("vlan", "N[,N...]", "VLAN of each epair NIC's uplink (vlan(4) UPLINK.N; 0 = none)"),
            key(
                "vlan_untagged",
                "N[,N...]",
                "FreeBSD 15: untagged VLAN of each NIC on a VLAN-filtering bridge (0 = none)",
            ),
            key(
                "vlan_tagged",
                "LIST[ LIST...]",
                "FreeBSD 15: tagged VLANs of each NIC (N,M,A-B; blank separates NICs)",
            ),
            key("mtu", "N", "MTU of the jail ends of the epair NICs, at most the bridge's"),
            key(
                "flags",
                "FLAG[,FLAG...]",
                "bridge member flags of the epairs' host ends (private, sticky, -learn, ...)",
            ),
            key("offload", "on|off", "off: -txcsum -txcsum6 -tso -lro on both ends of each epair"),
            key("nic_hwaddr", "MAC[,MAC...]", "MACs of the jail's NICs, written into CBSD's jailnic rows (CBSD only)"),
            key("enable", "1|0", "install (1) or remove (0) the CBSD integration for the jail (CBSD only)"),
            DRY_RUN,
            JSON,
        ],
        examples: &[
            "cbsd vimage-set jname=web1 enable=1",
            "vimage set jname=web1 interface=em1",
            "cbsd jconfig jname=web1 vimage interface=em0,em1",
        ],
    },
    VerbSpec {
        name: "start",
        desc: "start a vimage from rc.conf: create the vnet jail, network it, run its exec_start",
        about: "The standalone service's start (what `service vimage start` runs for each name in vimage_list).\n\
                Reads vimage_NAME_* from /etc/rc.conf, /etc/rc.conf.local and rc.conf.d/vimage; creates the jail\n\
                (jail -c name=NAME path=ROOTDIR host.hostname=HOSTNAME vnet persist ...), gives it one epair NIC per\n\
                uplink in vimage_NAME_epairs (as `vimage bridge` does), then runs vimage_NAME_exec_start inside it.\n\
                If any part fails the jail is removed again: a vimage is started completely or not at all.\n\
                A vimage that is already running only gets its network checked. Only a NAME in vimage_list or with\n\
                a vimage_NAME_* variable is a vimage (any other is refused, exit 64), and vimage_NAME_rootdir is\n\
                required: \"/\" shares the host's root, and then needs vimage_NAME_devfs_enable=NO.",
        keys: &[JNAME, DRY_RUN, JSON],
        examples: &["vimage start web1", "service vimage start web1"],
    },
    VerbSpec {
        name: "stop",
        desc: "stop a vimage: run its exec_stop, take its network back, remove the jail",
        about: "The standalone service's stop. Runs vimage_NAME_exec_stop inside the jail (a failure is reported\n\
                but does not prevent the stop), destroys its interfaces from the host side while the jail still\n\
                exists (so renamed interfaces never come back to the host), then removes the jail (jail -r).\n\
                Only a configured vimage, or a running jail that vimage's records say `vimage start` started, is\n\
                stopped: any other name is refused (exit 64) before anything is touched.",
        keys: &[JNAME, DRY_RUN, JSON],
        examples: &["vimage stop web1", "service vimage stop web1"],
    },
    VerbSpec {
        name: "doctor",
        desc: "check that the kernel can do what vimage needs, and say how to fix what is missing",
        about: "Checks VIMAGE (sysctl kern.features.vimage), the kernel modules of each mode (if_epair, if_bridge;\n\
                netgraph, ng_socket, ng_ether, ng_bridge, ng_eiface), IP forwarding, and pf for private networks\n\
                (loaded, enabled, and the loaded main ruleset referencing nat-anchor, rdr-anchor and anchor\n\
                \"vimage/*\"), each with the exact command or lines that fix it. With fix=1 it loads missing\n\
                modules (kldload -n); with fix=1 pf=1 it also adds the missing anchor lines to /etc/pf.conf (every\n\
                other byte kept), checks it with pfctl -nf and loads it with pfctl -f (the file is put back if\n\
                either fails). It never enables pf (pfctl -e).",
        keys: &[
            flag("fix", "load the missing kernel modules"),
            flag("pf", "with fix=1: add vimage's anchor lines to /etc/pf.conf and load it"),
            DRY_RUN,
            JSON,
        ],
        examples: &["vimage doctor", "vimage doctor fix=1", "vimage doctor fix=1 pf=1 --dry-run"],
    },
    VerbSpec {
        name: "construct",
        desc: "create a vnet jail for CBSD: ask (or take as keys) its name, network and devfs ruleset, write its jconf",
        about: "An interactive wizard, in order: jail name, host name, mode (epair or netgraph), uplink(s) (the\n\
                NICs in CBSD's nc.inventory, or auto), DHCP or static addresses (IPv4 and/or IPv6 with prefix, and\n\
                default routers), devfs ruleset; then a summary and \"create the jail now?\". Defaults come from\n\
                ${workdir}/nc.inventory (domain from nodename, nics, jail_interface). Writes the jconf (from\n\
                vimage's jconf templates) to ${workdir}/tmp/NAME.jconf or out=, then runs `cbsd jcreate jconf=PATH`\n\
                and, for netgraph, `vimage set jname=NAME mode=netgraph bridges=\"...\"` (VIMAGE_CMD_DIR/vimage\n\
                stands in for vimage when present); or, with create=0, prints those commands.\n\
                Every question is also a key. With jname= given, with --yes, or when stdin is not a terminal it\n\
                asks nothing: unanswered keys take their defaults, and a missing jname= is a usage error (64).\n\
                Without a terminal the jail is only created with create=1 or --yes.\n\
                A jail that CBSD already has (${workdir}/jails-system/NAME exists) is refused.",
        keys: &[
            key(JAIL_KEY, "NAME", "the new jail's name (CBSD and jail(8) rules; no dots)"),
            key(
                "host_hostname",
                "FQDN",
                "host name inside the jail (default NAME.DOMAIN, DOMAIN from nc.inventory's nodename)",
            ),
            key("mode", "epair|netgraph", "how vimage builds the NICs (default epair)"),
            key(
                "interface",
                "IF",
                "uplink of the first NIC, or auto (default: nc.inventory's jail_interface, else auto)",
            ),
            key(
                "bridges",
                "IF[,IF...]",
                "netgraph: one uplink per NIC, in order, comma- or blank-separated (default: interface)",
            ),
            key(
                "ip4_addr",
                "REALDHCP|ADDR/PFX[,ADDR/PFX]",
                "REALDHCP (dhclient in the jail; the default) or one IPv4 and/or one IPv6 address with prefix",
            ),
            key(
                "ci_gw4",
                "0|ROUTER[,ROUTER]",
                "default routers, one per address family, inside the subnets (default 0: none)",
            ),
            key(
                "devfs_ruleset",
                "N",
                "devfs ruleset (default 5, devfsrules_jail_vnet, no bpf; DHCP needs vimage's bpf ruleset: vimage devfs)",
            ),
            flag("create", "create=1: run cbsd jcreate; create=0: only write the jconf and print the commands"),
            key(
                "out",
                "PATH",
                "where to write the jconf (default ${workdir}/tmp/NAME.jconf, or ./NAME.jconf without workdir)",
            ),
            flag("yes", "ask nothing: take the defaults for every key not given, and create the jail"),
        ],
        examples: &[
            "vimage construct",
            "vimage construct jname=web3 interface=em0 create=1",
            "vimage construct jname=web4 ip4_addr=192.0.2.14/24,2001:db8::14/64 ci_gw4=192.0.2.1,2001:db8::1 --yes",
            "vimage construct jname=ng1 mode=netgraph bridges=\"em0 em1\" create=0 out=/tmp/ng1.jconf",
        ],
    },
    VerbSpec {
        name: "demo",
        desc: "run bridge, status and unbridge against the built-in simulated FreeBSD host (not in the FreeBSD package)",
        about: "Builds a simulated FreeBSD 14 host with uplink em0 and a running vnet jail web1, then runs\n\
                bridge, bridge again, status, unbridge and unbridge again (epair), then a netgraph bridge with two\n\
                NICs (bridges=\"em0 em0\"), status and unbridge, showing the FreeBSD commands each one runs and the\n\
                simulated kernel's state after it. Touches nothing on this machine. Builds without the `simulator`\n\
                feature (the FreeBSD package) have no simulator: there it says so and exits 69.",
        keys: &[],
        examples: &["vimage demo"],
    },
    VerbSpec {
        name: "net",
        desc: "private jail networks: host-only bridges with a gateway and an address pool",
        about: "vimage net create name=NET cidr=A.B.C.D/P [gateway=G] [nat=auto|IF|0] [cidr6=X::/P] [private=1]\n\
                defines a network, kept in vimage's database; `vimage net list` shows every network (also those\n\
                rc.conf defines with vimage_net_list, which vimage only reads); `vimage net destroy name=NET`\n\
                forgets one (refused while a jail uses it, unless force=1); `vimage net release jname=J` gives a\n\
                jail's pool addresses back. A NIC joins a network with interface=net:NET (CBSD: nic_parent=net:NET):\n\
                its first jail makes the bridge (ifconfig bridge create description vimage:net:NET group vimage up,\n\
                the gateway address on it), its last jail's unbridge destroys it; each NIC gets the lowest free pool\n\
                address (kept across restarts) and the gateway as its router, and a jail without a name server\n\
                the host's nameserver lines. private=1 sets the bridge member flag private on each jail's host end:\n\
                jails reach the gateway but not each other. With nat=auto|IF the first jail loads the network's pf\n\
                anchor (pfctl -a vimage/NET -f -: nat on IF inet from CIDR to any -> (IF)) and turns\n\
                net.inet.ip.forwarding on if it is off; the last jail flushes the anchor and puts forwarding back.\n\
                create with NAT is refused while pf is not loaded or its main ruleset lacks nat-anchor, rdr-anchor\n\
                and anchor \"vimage/*\" (vimage doctor fix=1 pf=1 adds them). persist=1 also writes\n\
                gateway_enable=\"YES\" to /etc/rc.conf so forwarding survives a reboot.",
        keys: &[
            key(
                "action",
                "create|list|destroy|release",
                "what to do; usually the first bare word (vimage net create …)",
            ),
            key("name", "NET", "the network's name: letters, digits and _, starting with a letter"),
            key("cidr", "A.B.C.D/P", "the network's IPv4 CIDR (create)"),
            key("gateway", "A.B.C.D", "the host's address on the network (create; default: the first host address)"),
            key("nat", "auto|IF|0", "NAT out of the default route's interface, IF, or none (create; default auto)"),
            key("cidr6", "X::/P", "an IPv6 network; the bridge gets its first host address (create)"),
            flag("private", "isolate the network's jails from each other (create)"),
            flag(
                "persist",
                "with NAT: gateway_enable=\"YES\" in /etc/rc.conf, so forwarding survives a reboot (create)",
            ),
            flag("force", "destroy a network jails still use (their leases go with it)"),
            key(JAIL_KEY, "NAME", "the jail whose pool addresses go (release)"),
            DRY_RUN,
            JSON,
        ],
        examples: &[
            "vimage net create name=jails cidr=10.77.0.0/24",
            "vimage bridge jname=web1 interface=net:jails",
            "vimage net list --json",
            "vimage net release jname=web1",
            "vimage net destroy name=jails",
        ],
    },
    VerbSpec {
        name: "expose",
        desc: "forward a host port into a jail on a NAT private network (pf rdr in the network's anchor)",
        about: "vimage expose jname=J port=P [hostport=H] [proto=tcp|udp] [net=NET] stores a port forward: the host's\n\
                H (default P) on the network's NAT interface to port P of the jail's address on the network, as\n\
                `rdr on IF inet proto tcp from any to any port H -> ADDR port P` in the anchor vimage/NET. It is\n\
                loaded now if the jail is on the network (pfctl -a vimage/NET -f -, journalled), and again on every\n\
                start. Refused when the protocol and host port are already forwarded (the holder is named), when\n\
                the jail has no NIC on the network, or when the network has nat=0.",
        keys: &[
            key(JAIL_KEY, "NAME", "the jail to forward to"),
            key("port", "PORT", "the port in the jail (1-65535)"),
            key("hostport", "PORT", "the port on the host's NAT interface (default: port)"),
            key("proto", "tcp|udp", "the protocol (default tcp)"),
            key("net", "NET", "the network (default: the jail's only one)"),
            DRY_RUN,
            JSON,
        ],
        examples: &["vimage expose jname=web1 port=80 hostport=8080", "vimage expose jname=dns1 port=53 proto=udp"],
    },
    VerbSpec {
        name: "unexpose",
        desc: "remove a port forward made by vimage expose (and from the loaded anchor)",
        about: "vimage unexpose jname=J port=P [hostport=H] [proto=tcp|udp] [net=NET] forgets the jail's forward of\n\
                port P (or of host port H) and reloads the network's anchor without it when the jail is on the\n\
                network. Nothing to remove is not an error.",
        keys: &[
            key(JAIL_KEY, "NAME", "the jail whose forward goes"),
            key("port", "PORT", "the port in the jail"),
            key("hostport", "PORT", "the host port (default: any of the jail's forwards to port)"),
            key("proto", "tcp|udp", "the protocol (default tcp)"),
            key("net", "NET", "the network (default: any)"),
            DRY_RUN,
            JSON,
        ],
        examples: &["vimage unexpose jname=web1 port=80"],
    },
    VerbSpec {
        name: "version",
        desc: "print the version, the git commit it was built from, and whether the simulator is compiled in",
        about: "The same as `vimage --version`: the version line first, then the commit (\"unknown\" when built\n\
                outside git), the target and whether this build has the simulator (`vimage demo`, `--simulate`).\n\
                The FreeBSD package is built without it. Touches nothing.",
        keys: &[JSON],
        examples: &["vimage version", "vimage version --json"],
    },
];

/// Looks a verb up by name.
pub fn verb(name: &str) -> Option<&'static VerbSpec> {
    VERBS.iter().find(|v| v.name == name)
}

/// `--desc`: one line, CBSD's `[module] description` shape.
pub fn desc_line(v: &VerbSpec) -> String {
    format!("[vimage] {}", v.desc)
}

/// `--args`: the keys, one per line, as CBSD's `--args` lists them.
pub fn args_text(v: &VerbSpec) -> String {
    v.keys.iter().map(|k| format!("{}\n", k.name)).collect()
}

/// `--help` for one verb.
pub fn help(v: &VerbSpec, invoked_as: &str) -> String {
    let mut s = String::new();
    s.push_str(&format!("{invoked_as}: {}\n\n", v.desc));
    let mut usage = format!("usage: {invoked_as}");
    for k in v.keys {
        let one = match k.kind {
            KeyKind::Value => format!("{}={}", k.name, k.value),
            KeyKind::Flag => format!("--{}", k.name),
        };
        usage.push(' ');
        usage.push_str(&if k.required { one } else { format!("[{one}]") });
    }
    s.push_str(&usage);
    s.push_str("\n\n");
    s.push_str(v.about);
    s.push_str("\n\n");
    if !v.keys.is_empty() {
        s.push_str("keys:\n");
        for k in v.keys {
            let left = match k.kind {
                KeyKind::Value => format!("{}={}", k.name, k.value),
                KeyKind::Flag => format!("--{} | {}=1", k.name, k.name.replace('-', "_")),
            };
            let req = if k.required { " (required)" } else { "" };
            s.push_str(&format!("  {left:<26} {}{req}\n", k.doc));
        }
        s.push('\n');
    }
    s.push_str(COMMON_HELP);
    if !v.examples.is_empty() {
        s.push_str("\nexamples:\n");
        for e in v.examples {
            s.push_str(&format!("  {e}\n"));
        }
    }
    s
}

/// The part of every verb's help that is the same.
pub const COMMON_HELP: &str = "\
Keys are given CBSD-style as key=value (quotes are stripped) or as --key value; as with CBSD,
H_CBSD_<key> in the environment presets a key. Unknown keys are an error (CBSD silently ignores
them; vimage does not, so a typo cannot go unnoticed).
  -v, --verbose   print each FreeBSD command as it runs (stderr); -vv also why one failed,
                  and the run's details (VIMAGE_LOG=FILTER, a tracing filter, instead)
  -q, --quiet     nothing on stdout when the command succeeds; errors still on stderr
  syslog=0        no audit trail: by default every change and failure also goes to syslog
                  (facility daemon, ident vimage; /var/run/log, or VIMAGE_SYSLOG_SOCKET)
Each line is printed as soon as what it says is done. A closed stdout (`| head`) only ends the
output: the command still finishes, with its own exit status.
  -h, --help      this help;  --desc  one-line description;  --args  the keys
environment: workdir (CBSD workdir), VIMAGE_ROOT (prefix for host files, default /),
  VIMAGE_LOCK_TIMEOUT (seconds to wait for the host lock, default 60), VIMAGE_DB_BUSY_TIMEOUT
  (seconds to wait for a busy SQLite database, default 25),
  VIMAGE_CMD_DIR (run ifconfig, jls, ... from this directory instead of /sbin, /usr/sbin)
exit codes: 0 ok, 64 usage, 65 bad data, 69 unavailable (no VIMAGE, jail not running, no uplink),
  70 internal error, 71 a FreeBSD command failed, 73 cannot write state or a host file,
  74 stdout failed (disk full), 75 busy (try again)
";

/// `vimage --help` (no verb).
pub fn main_help() -> String {
    let mut s = String::from(
        "vimage: vnet (VIMAGE) networking for FreeBSD jails\n\n\
         usage: vimage <command> [key=value ...]   (also callable as vimage-<command>)\n\n\
         commands:\n",
    );
    for v in VERBS {
        s.push_str(&format!("  {:<10} {}\n", v.name, v.desc));
    }
    s.push_str("\n`vimage <command> --help` explains a command and its keys.\n\n");
    s.push_str(COMMON_HELP);
    s
}
