//! The per-kind configuration an ifnet carries (`IfKind::Vlan`, `IfKind::Lagg`, a bridge's
//! members and static addresses): data only, with the defaults the kernel gives a new one.
//!
//! It sits below both the ifnet (which holds it) and the drivers that change it (`vlan.rs`,
//! `lagg.rs`, `bridge_cfg.rs`, which re-export it), so neither imports the other: the ifnet
//! does not depend on a driver's behaviour, only on its state. The types are serialised in
//! the simulator's state file, so they keep their shape and field names.

use super::types::{IfId, Mac};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `ETHERTYPE_VLAN` (802.1Q).
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// `ETHERTYPE_QINQ` (802.1ad).
pub const ETHERTYPE_QINQ: u16 = 0x88a8;

/// A vlan's configuration (`struct ifvlan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VlanCfg {
    /// The trunk (`vlandev`); `None` while unconfigured.
    pub parent: Option<IfId>,
    /// The VLAN ID (`vlan N`).
    pub tag: u16,
    /// The tag's ethertype (`vlanproto 802.1q|802.1ad`).
    pub proto: u16,
    /// `vlanpcp N`: the 802.1p priority.
    pub pcp: u8,
}

impl Default for VlanCfg {
    fn default() -> VlanCfg {
        VlanCfg { parent: None, tag: 0, proto: ETHERTYPE_VLAN, pcp: 0 }
    }
}

/// `LAGG_PROTO_DEFAULT`: failover.
pub const PROTO_DEFAULT: u8 = 1;

/// One port: the interface and the MAC it had before it joined (`lp_lladdr`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaggPort {
    /// The port.
    pub ifp: IfId,
    /// Its own MAC, given back when it leaves.
    pub saved_mac: Option<Mac>,
}

/// A lagg's state (`struct lagg_softc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaggCfg {
    /// Ports in the order they joined (the first is the primary).
    pub ports: Vec<LaggPort>,
    /// `sc_proto`.
    pub proto: u8,
    /// `lagghash` flags: l2 1, l3 2, l4 4 (`LAGG_F_HASHL2…`); default all three.
    pub hash: u8,
}

impl Default for LaggCfg {
    fn default() -> LaggCfg {
        LaggCfg { ports: Vec::new(), proto: PROTO_DEFAULT, hash: 7 }
    }
}

/// `IFBIF_*` member flags (net/if_bridgevar.h).
pub mod ifbif {
    /// Learns source addresses on this port.
    pub const LEARNING: u32 = 0x1;
    /// Floods unknown destinations to this port.
    pub const DISCOVER: u32 = 0x2;
    /// Takes part in spanning tree.
    pub const STP: u32 = 0x4;
    /// A span port (read-only through `BRDGSIFFLGS`).
    pub const SPAN: u32 = 0x8;
    /// Learned addresses stick.
    pub const STICKY: u32 = 0x10;
    /// STP: edge port.
    pub const EDGE: u32 = 0x20;
    /// STP: detect edge automatically.
    pub const AUTOEDGE: u32 = 0x40;
    /// STP: point-to-point link.
    pub const PTP: u32 = 0x80;
    /// STP: detect point-to-point automatically.
    pub const AUTOPTP: u32 = 0x100;
    /// Private port: no traffic to or from another private port.
    pub const PRIVATE: u32 = 0x800;
    /// 15.x: the port carries 802.1ad (Q-in-Q) frames (unverified bit value).
    pub const QINQ: u32 = 0x1000;
    /// What `bridge_ioctl_add` and `bstp_create` start a member with, as `BRDGGIFFLGS`
    /// reports it (`flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>`).
    pub const DEFAULT: u32 = LEARNING | DISCOVER | AUTOEDGE | AUTOPTP;
}

/// One member's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCfg {
    /// `IFBIF_*` flags, as `BRDGGIFFLGS` reports them.
    pub flags: u32,
    /// `bif_pvid` (15.x `untagged N`): the VLAN of untagged frames on this port; 0 = none.
    pub pvid: u16,
    /// `bif_vlan_set` (15.x `tagged SET`): the VLANs whose tagged frames this port carries.
    pub vlans: BTreeSet<u16>,
}

impl Default for MemberCfg {
    fn default() -> MemberCfg {
        MemberCfg { flags: ifbif::DEFAULT, pvid: 0, vlans: BTreeSet::new() }
    }
}

/// A static address-cache entry (`IFBAF_STATIC`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtEntry {
    /// The host's MAC.
    pub mac: Mac,
    /// Its VLAN (`Vlan%d` in `ifconfig bridge0 addr`).
    pub vlan: u16,
    /// The member it sits behind.
    pub ifp: IfId,
}
