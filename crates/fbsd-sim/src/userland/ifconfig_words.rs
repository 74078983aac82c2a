//! The parameter words ifconfig knows (the `DEF_CMD*` tables of sbin/ifconfig/ifconfig.c,
//! ifclone.c, ifbridge.c, ifgroup.c, af_inet6.c, ifvlan.c, iflagg.c) and what each one does.

use crate::kernel::bridge_cfg::{VlanOp, ifbif, ifbrf};
use crate::kernel::ifnet::{iff, nd6};

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
    /// `pcp N` / `-pcp` (SIOCSLANPCP).
    Pcp(bool),
    /// vlan(4): `vlan N` (a clone parameter too).
    VlanTag,
    /// `vlandev IF` (a clone parameter too).
    VlanDev,
    /// `vlanproto 802.1q|802.1ad` (a clone parameter too).
    VlanProto,
    /// `vlanpcp N`.
    VlanPcp,
    /// `-vlandev [IF]`.
    UnVlanDev,
    /// lagg(4): `laggport IF`.
    LaggPort,
    /// `-laggport IF`.
    UnLaggPort,
    /// `laggproto NAME`.
    LaggProto,
    /// `lagghash l2,l3,l4`.
    LaggHash,
    /// if_bridge member flags: `stp IF`, `-private IF`, … (`do_bridgeflag`).
    BrFlag(u32, bool),
    /// `span IF` / `-span IF`.
    Span(bool),
    /// `static IF MAC [vlan N]`.
    Static,
    /// `deladdr MAC [vlan N]`.
    Deladdr,
    /// `addr`: prints the address cache.
    BrAddr,
    /// `flush` / `flushall`.
    Flush(bool),
    /// 15.x: `ifuntagged IF N`.
    IfUntagged,
    /// 15.x: `-ifuntagged IF`.
    UnIfUntagged,
    /// 15.x: `iftagged IF SET`, `+iftagged`, `-iftagged`.
    IfTagged(VlanOp),
    /// 15.x: `vlanfilter`, `defqinq` and their `-` forms (BRDGSFLAGS).
    BrFlags(u32, bool),
    /// 15.x: `defuntagged N`.
    DefUntagged,
    /// 15.x: `-defuntagged`.
    UnDefUntagged,
}

/// How many words after it a parameter takes (`DEF_CMD`, `_ARG`, `_ARG2`, `_OPTARG`,
/// `_VARG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    None,
    One,
    Two,
    /// The next word if there is one.
    Optional,
    /// As many as the function takes (addm, static, deladdr).
    Var,
}

impl Act {
    /// The word's arity.
    pub(crate) fn arity(self, bridge_15: bool) -> Arity {
        match self {
            Act::Descr
            | Act::Mtu
            | Act::Name
            | Act::Group
            | Act::Ungroup
            | Act::Vnet
            | Act::Unvnet
            | Act::Deletem
            | Act::Netmask
            | Act::Broadcast
            | Act::Metric
            | Act::Prefixlen
            | Act::Pcp(true)
            | Act::VlanTag
            | Act::VlanDev
            | Act::VlanProto
            | Act::VlanPcp
            | Act::LaggPort
            | Act::UnLaggPort
            | Act::LaggProto
            | Act::LaggHash
            | Act::BrFlag(..)
            | Act::Span(_)
            | Act::UnIfUntagged
            | Act::DefUntagged => Arity::One,
            Act::Addm if bridge_15 => Arity::Var,
            Act::Addm => Arity::One,
            Act::Static if bridge_15 => Arity::Var,
            Act::Static => Arity::Two,
            Act::Deladdr if bridge_15 => Arity::Var,
            Act::Deladdr => Arity::One,
            Act::IfUntagged | Act::IfTagged(_) => Arity::Two,
            Act::UnVlanDev => Arity::Optional,
            _ => Arity::None,
        }
    }
}

/// `cmd_lookup`: the parameter words the simulated ifconfig knows; `bridge_15` adds the
/// 15.x if_bridge VLAN words.
pub(crate) fn lookup(word: &str, iscreate: bool, bridge_15: bool) -> Option<Act> {
    if iscreate {
        return match word {
            "create" | "plumb" => Some(Act::Create),
            "vlan" => Some(Act::VlanTag),
            "vlandev" => Some(Act::VlanDev),
            "vlanproto" => Some(Act::VlanProto),
            _ => None,
        };
    }
    if bridge_15 {
        let a = match word {
            "ifuntagged" => Some(Act::IfUntagged),
            "-ifuntagged" => Some(Act::UnIfUntagged),
            "iftagged" => Some(Act::IfTagged(VlanOp::Set)),
            "+iftagged" => Some(Act::IfTagged(VlanOp::Add)),
            "-iftagged" => Some(Act::IfTagged(VlanOp::Del)),
            "vlanfilter" => Some(Act::BrFlags(ifbrf::VLANFILTER, true)),
            "-vlanfilter" => Some(Act::BrFlags(ifbrf::VLANFILTER, false)),
            "defqinq" => Some(Act::BrFlags(ifbrf::DEFQINQ, true)),
            "-defqinq" => Some(Act::BrFlags(ifbrf::DEFQINQ, false)),
            "defuntagged" => Some(Act::DefUntagged),
            "-defuntagged" => Some(Act::UnDefUntagged),
            "qinq" => Some(Act::BrFlag(ifbif::QINQ, true)),
            "-qinq" => Some(Act::BrFlag(ifbif::QINQ, false)),
            _ => None,
        };
        if a.is_some() {
            return a;
        }
    }
    let a = match word {
        "pcp" => Act::Pcp(true),
        "-pcp" => Act::Pcp(false),
        "vlan" => Act::VlanTag,
        "vlandev" => Act::VlanDev,
        "vlanproto" => Act::VlanProto,
        "vlanpcp" => Act::VlanPcp,
        "-vlandev" => Act::UnVlanDev,
        "laggport" => Act::LaggPort,
        "-laggport" => Act::UnLaggPort,
        "laggproto" => Act::LaggProto,
        "lagghash" => Act::LaggHash,
        "discover" => Act::BrFlag(ifbif::DISCOVER, true),
        "-discover" => Act::BrFlag(ifbif::DISCOVER, false),
        "learn" => Act::BrFlag(ifbif::LEARNING, true),
        "-learn" => Act::BrFlag(ifbif::LEARNING, false),
        "sticky" => Act::BrFlag(ifbif::STICKY, true),
        "-sticky" => Act::BrFlag(ifbif::STICKY, false),
        "stp" => Act::BrFlag(ifbif::STP, true),
        "-stp" => Act::BrFlag(ifbif::STP, false),
        "edge" => Act::BrFlag(ifbif::EDGE, true),
        "-edge" => Act::BrFlag(ifbif::EDGE, false),
        "autoedge" => Act::BrFlag(ifbif::AUTOEDGE, true),
        "-autoedge" => Act::BrFlag(ifbif::AUTOEDGE, false),
        "ptp" => Act::BrFlag(ifbif::PTP, true),
        "-ptp" => Act::BrFlag(ifbif::PTP, false),
        "autoptp" => Act::BrFlag(ifbif::AUTOPTP, true),
        "-autoptp" => Act::BrFlag(ifbif::AUTOPTP, false),
        "private" => Act::BrFlag(ifbif::PRIVATE, true),
        "-private" => Act::BrFlag(ifbif::PRIVATE, false),
        "span" => Act::Span(true),
        "-span" => Act::Span(false),
        "static" => Act::Static,
        "deladdr" => Act::Deladdr,
        "addr" => Act::BrAddr,
        "flush" => Act::Flush(false),
        "flushall" => Act::Flush(true),
        _ => return lookup_base(word),
    };
    Some(a)
}

fn lookup_base(word: &str) -> Option<Act> {
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
        // ifconfig.c `cmds`: `rxcsum6` IFCAP_RXCSUM_IPV6, `txcsum6` IFCAP_TXCSUM_IPV6.
        "rxcsum6" => Act::Cap(0x200000, true),
        "-rxcsum6" => Act::Cap(0x200000, false),
        "txcsum6" => Act::Cap(0x400000, true),
        "-txcsum6" => Act::Cap(0x400000, false),
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
