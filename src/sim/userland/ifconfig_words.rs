//! The parameter words ifconfig knows (the `DEF_CMD*` tables of sbin/ifconfig/ifconfig.c,
//! ifclone.c, ifbridge.c, ifgroup.c, af_inet6.c) and what each one does.

use crate::sim::kernel::ifnet::{iff, nd6};

/// What a parameter word does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Act {
    Create,
    Destroy,
    Up(bool),
    Flag(u32, bool),
    Descr,
    Undescr,
    Mtu,
    Name,
    Group,
    Ungroup,
    Vnet,
    Unvnet,
    Addm,
    Deletem,
    Alias(i32),
    Netmask,
    Broadcast,
    Metric,
    Cap(u32, bool),
    Nd6(u32, bool),
    Prefixlen,
}

impl Act {
    /// True when the word takes the next argument (`DEF_CMD_ARG`).
    pub(crate) fn takes_arg(self) -> bool {
        matches!(
            self,
            Act::Descr
                | Act::Mtu
                | Act::Name
                | Act::Group
                | Act::Ungroup
                | Act::Vnet
                | Act::Unvnet
                | Act::Addm
                | Act::Deletem
                | Act::Netmask
                | Act::Broadcast
                | Act::Metric
                | Act::Prefixlen
        )
    }
}

/// `cmd_lookup`: the parameter words the simulated ifconfig knows.
pub(crate) fn lookup(word: &str, iscreate: bool) -> Option<Act> {
    if iscreate {
        return matches!(word, "create" | "plumb").then_some(Act::Create);
    }
    let a = match word {
        "up" => Act::Up(true),
        "down" => Act::Up(false),
        "arp" => Act::Flag(iff::NOARP, false),
        "-arp" => Act::Flag(iff::NOARP, true),
        "debug" => Act::Flag(iff::DEBUG, true),
        "-debug" => Act::Flag(iff::DEBUG, false),
        "promisc" => Act::Flag(iff::PPROMISC, true),
        "-promisc" => Act::Flag(iff::PPROMISC, false),
        "link0" | "compress" => Act::Flag(iff::LINK0, true),
        "-link0" | "normal" => Act::Flag(iff::LINK0, false),
        "link1" | "noicmp" => Act::Flag(iff::LINK1, true),
        "-link1" => Act::Flag(iff::LINK1, false),
        "link2" => Act::Flag(iff::LINK2, true),
        "-link2" => Act::Flag(iff::LINK2, false),
        "monitor" => Act::Flag(iff::MONITOR, true),
        "-monitor" => Act::Flag(iff::MONITOR, false),
        "staticarp" => Act::Flag(iff::STATICARP, true),
        "-staticarp" => Act::Flag(iff::STATICARP, false),
        "description" | "descr" => Act::Descr,
        "-description" | "-descr" => Act::Undescr,
        "mtu" => Act::Mtu,
        "name" => Act::Name,
        "group" => Act::Group,
        "-group" => Act::Ungroup,
        "vnet" => Act::Vnet,
        "-vnet" => Act::Unvnet,
        "addm" => Act::Addm,
        "deletem" => Act::Deletem,
        "destroy" | "unplumb" => Act::Destroy,
        "add" | "alias" => Act::Alias(1),
        "-alias" | "delete" | "remove" => Act::Alias(-1),
        "netmask" => Act::Netmask,
        "broadcast" => Act::Broadcast,
        "metric" => Act::Metric,
        "prefixlen" => Act::Prefixlen,
        "rxcsum" => Act::Cap(0x1, true),
        "-rxcsum" => Act::Cap(0x1, false),
        "txcsum" => Act::Cap(0x2, true),
        "-txcsum" => Act::Cap(0x2, false),
        "vlanmtu" => Act::Cap(0x8, true),
        "-vlanmtu" => Act::Cap(0x8, false),
        "vlanhwtag" => Act::Cap(0x10, true),
        "-vlanhwtag" => Act::Cap(0x10, false),
        "vlanhwcsum" => Act::Cap(0x80, true),
        "-vlanhwcsum" => Act::Cap(0x80, false),
        "tso4" => Act::Cap(0x100, true),
        "-tso4" => Act::Cap(0x100, false),
        "tso6" => Act::Cap(0x200, true),
        "-tso6" => Act::Cap(0x200, false),
        "tso" => Act::Cap(0x300, true),
        "-tso" => Act::Cap(0x300, false),
        "lro" => Act::Cap(0x400, true),
        "-lro" => Act::Cap(0x400, false),
        "wol_magic" => Act::Cap(0x2000, true),
        "-wol_magic" => Act::Cap(0x2000, false),
        "vlanhwfilter" => Act::Cap(0x10000, true),
        "-vlanhwfilter" => Act::Cap(0x10000, false),
        "nomap" => Act::Cap(0x4000000, true),
        "-nomap" => Act::Cap(0x4000000, false),
        "ifdisabled" => Act::Nd6(nd6::IFDISABLED, true),
        "-ifdisabled" => Act::Nd6(nd6::IFDISABLED, false),
        "auto_linklocal" => Act::Nd6(nd6::AUTO_LINKLOCAL, true),
        "-auto_linklocal" => Act::Nd6(nd6::AUTO_LINKLOCAL, false),
        "accept_rtadv" => Act::Nd6(nd6::ACCEPT_RTADV, true),
        "-accept_rtadv" => Act::Nd6(nd6::ACCEPT_RTADV, false),
        "nud" => Act::Nd6(nd6::PERFORMNUD, true),
        "-nud" => Act::Nd6(nd6::PERFORMNUD, false),
        "no_radr" => Act::Nd6(nd6::NO_RADR, true),
        "-no_radr" => Act::Nd6(nd6::NO_RADR, false),
        "no_dad" => Act::Nd6(nd6::NO_DAD, true),
        "-no_dad" => Act::Nd6(nd6::NO_DAD, false),
        _ => return None,
    };
    Some(a)
}
