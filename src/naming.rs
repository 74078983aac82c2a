//! The names and markers vimage gives kernel objects, and how it reads them back.
//!
//! These are the ownership rules every layer shares: the planner writes the markers
//! (`vimage:<jail>:<nic>` descriptions, group `vimage`, `vimage_<uplink>` ng_bridges, `ng<i>_<jail>`
//! eifaces), and `facts` (rebuilding lost records), `status`, `gc` and crash recovery read them.
//! They depend on nothing but the model and the parsers, so this module sits below both the
//! planner and the fact gathering, and neither has to import the other to agree on a name.

use crate::model::{IfName, JailName};
use crate::parse::ifconfig::IfStatus;

/// `epair7a` → `epair7b`: the kernel names the b-end after the a-end (if_epair.c).
pub fn epair_peer(a: &str) -> String {
    match a.strip_suffix('a') {
        Some(stem) => format!("{stem}b"),
        None => format!("{a}b"),
    }
}

/// The description vimage puts on an epair's host end: the ownership marker that teardown,
/// `status` and `gc` look for (`vimage:<jail>:<nic>`).
pub fn epair_marker(jail: &JailName, nic: &IfName) -> String {
    format!("vimage:{jail}:{nic}")
}

/// The description vimage puts on a bridge it created for `uplink`.
pub fn bridge_marker(uplink: &str) -> String {
    format!("vimage:{uplink}")
}

/// The description vimage puts on a vlan(4) uplink it created (`vimage:vlan/em0.100`): no
/// second `:` (so it is never read as an epair's `vimage:<jail>:<nic>`) and never equal to a
/// bridge's `vimage:<uplink>` (interface names hold no `/`).
pub fn vlan_marker(name: &str) -> String {
    format!("vimage:vlan/{name}")
}

/// True when `st` is a vlan(4) vimage created: its own [`vlan_marker`] and group `vimage`.
/// Only such a vlan is ever destroyed by vimage.
pub fn is_own_vlan(st: &IfStatus) -> bool {
    st.in_group(GROUP) && st.description.as_deref() == Some(vlan_marker(&st.name).as_str())
}

/// The interface group that holds every host-side object vimage created.
pub const GROUP: &str = "vimage";

/// Reads a description written by [`epair_marker`]. Jail names may contain `:`, interface
/// names may not, so the NIC is what follows the last colon.
pub fn parse_epair_marker(descr: &str) -> Option<(String, String)> {
    let rest = descr.strip_prefix("vimage:")?;
    let (jail, nic) = rest.rsplit_once(':')?;
    if jail.is_empty() || nic.is_empty() {
        return None;
    }
    Some((jail.to_string(), nic.to_string()))
}

/// CBSD's description of the host end of the epair its `cbsd jstart` made for NIC `index` of
/// `jail` (sudoexec/jstart l.601: `ifconfig ${myepair}a description ${jname}-eth${eth_seq}`).
/// CBSD's jstop finds its epairs by it (`get_my_device epair ${jname}-eth${eth_seq}`, before
/// any hook runs) and jcleanup destroys every epair whose description starts with
/// `${jname}-eth`, so vimage never changes it.
pub fn cbsd_epair_descr(jail: &JailName, index: u32) -> String {
    format!("{jail}-eth{index}")
}

/// Reads a description written by CBSD's jstart ([`cbsd_epair_descr`]): the jail and the NIC
/// index. Jail names may contain `-`, so the split is at the last `-eth`.
pub fn parse_cbsd_epair_descr(descr: &str) -> Option<(String, u32)> {
    let (jail, n) = descr.rsplit_once("-eth")?;
    if jail.is_empty() || n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) || n.len() > 5 {
        return None;
    }
    Some((jail.to_string(), n.parse().ok()?))
}

/// `epair<unit>a`: the name the kernel gives an epair's host end (CBSD never renames it).
pub fn is_epair_a_end(name: &str) -> bool {
    name.strip_prefix("epair")
        .and_then(|r| r.strip_suffix('a'))
        .is_some_and(|u| !u.is_empty() && u.bytes().all(|c| c.is_ascii_digit()))
}

/// Whose NIC a host-side epair end is, read from vimage's kernel markers alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpairMark {
    /// vimage created it (description `vimage:<jail>:<nic>`): vimage destroys it.
    Created {
        /// The jail named in the marker.
        jail: String,
        /// The NIC's name inside the jail, from the marker.
        nic: String,
    },
    /// The epair CBSD's jstart made for NIC `index` of `jail`, which vimage took over: CBSD's
    /// description `<jail>-eth<index>` is kept and group `vimage` marks vimage's use. It is
    /// CBSD's object: vimage only takes its group marker off, CBSD's jstop destroys it.
    Adopted {
        /// The jail named in CBSD's description.
        jail: String,
        /// The NIC index in CBSD's description (the jailnic row's position).
        index: u32,
    },
}

impl EpairMark {
    /// The jail the marker names.
    pub fn jail(&self) -> &str {
        match self {
            EpairMark::Created { jail, .. } | EpairMark::Adopted { jail, .. } => jail,
        }
    }

    /// Whether this marks NIC number `nic` (named `nic_name` in the jail) of `jail`: a created
    /// epair by the name in its marker, an adopted one by the index in CBSD's description.
    pub fn is_nic(&self, jail: &str, nic: u32, nic_name: &str) -> bool {
        match self {
            EpairMark::Created { jail: j, nic: n } => j == jail && n == nic_name,
            EpairMark::Adopted { jail: j, index } => j == jail && *index == nic,
        }
    }

    /// True for an epair vimage took over from CBSD (and must never destroy).
    pub fn is_adopted(&self) -> bool {
        matches!(self, EpairMark::Adopted { .. })
    }
}

/// The rule by which vimage recognises a host-side epair end as a jail's NIC, from the
/// kernel alone (status, gc, unbridge, and rebuilding lost records all use it):
/// - description `vimage:<jail>:<nic>` (and not a bridge): vimage created it;
/// - an `epair<unit>a` in group `vimage` whose description is CBSD's `<jail>-eth<N>`: CBSD's
///   epair, adopted by vimage for NIC N (the jail end is that jail's NIC N; vimage's records
///   say under which name). Without group `vimage` such an epair is CBSD's alone.
pub fn epair_mark(st: &IfStatus) -> Option<EpairMark> {
    if st.is_bridge() {
        return None;
    }
    let d = st.description.as_deref()?;
    if let Some((jail, nic)) = parse_epair_marker(d) {
        return Some(EpairMark::Created { jail, nic });
    }
    if !st.in_group(GROUP) || !is_epair_a_end(&st.name) {
        return None;
    }
    let (jail, index) = parse_cbsd_epair_descr(d)?;
    Some(EpairMark::Adopted { jail, index })
}

// What makes a kernel object vimage's, one function per kind of object. Rebuilding lost
// records (`facts::rebuild`) asks each object these questions and nothing else, so a new
// kind of marker is recognised everywhere by adding it here.

/// Whose NIC a host interface is, when it is the host end of an epair vimage made or took
/// over: `(jail, NIC name in the jail)`, from its marker ([`epair_mark`]). An epair taken
/// over from CBSD names only its NIC's index (`<jail>-eth<N>`); its name in the jail is
/// taken to be CBSD 14.x's `eth<N>` (a 15.x jailnic name is not in any marker).
pub fn epair_owner(st: &IfStatus) -> Option<(String, String)> {
    Some(match epair_mark(st)? {
        EpairMark::Created { jail, nic } => (jail, nic),
        EpairMark::Adopted { jail, index } => (jail, format!("eth{index}")),
    })
}

/// The uplink of an if_bridge vimage created: its description is [`bridge_marker`] and it
/// is in group [`GROUP`]. A private network's bridge has the uplink `net:<name>`
/// (`vimage:net:jails`).
pub fn vimage_bridge_uplink(st: &IfStatus) -> Option<String> {
    if !st.is_bridge() || !st.in_group(GROUP) {
        return None;
    }
    let uplink = st.description.as_deref()?.strip_prefix("vimage:")?;
    if let Some(net) = uplink.strip_prefix(crate::model::privnet::NET_PREFIX) {
        return crate::model::privnet::NetName::parse(net).ok().map(|n| n.uplink());
    }
    (!uplink.is_empty() && !uplink.contains(':')).then(|| uplink.to_string())
}

/// Which netgraph NIC of `jail` the interface `ifname` in that jail is, by vimage's naming
/// rule ([`crate::model::ng_ifname`], any of the planner's attempts): its ordinal among the
/// jail's netgraph NICs. The interface name is also the eiface's node name on the host.
pub fn ng_nic_ordinal(jail: &JailName, ifname: &str) -> Option<u32> {
    let rest = ifname.strip_prefix("ng")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || rest.as_bytes().get(digits) != Some(&b'_') {
        return None;
    }
    let i: u32 = rest[..digits].parse().ok()?;
    (0..NAME_ATTEMPTS).any(|a| crate::model::ng_ifname(jail, i, a).as_str() == ifname).then_some(i)
}

/// The jail an eiface on the host was made for, read from its name alone (its jail is gone,
/// so the interface came back to the host): only the unshortened form `ng<i>_<jail>` names
/// its jail. A name ending like a shortened one (`_` and 4 hex digits) could be either, so it
/// is not traced back.
pub fn ng_orphan_jail(ifname: &str) -> Option<(JailName, u32)> {
    let tail = ifname.len().checked_sub(5).and_then(|i| ifname.get(i..))?;
    if tail.starts_with('_') && tail[1..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let rest = ifname.strip_prefix("ng")?;
    let (i, jail) = rest.split_once('_')?;
    let jail = JailName::parse(jail).ok()?;
    let i: u32 = i.parse().ok()?;
    (crate::model::ng_ifname(&jail, i, 0).as_str() == ifname).then_some((jail, i))
}

/// The ng_bridge and `link<N>` an eiface node hangs on, when that bridge is vimage's (named
/// `vimage_<uplink node>`, see [`bridge_node`]): from `ngctl show` of the
/// eiface, whose `ether` hook vimage connected to the bridge's `link<N>`.
pub fn ng_eiface_link(
    node: &crate::parse::ngctl::NodeLine,
    hooks: &[crate::parse::ngctl::HookRow],
) -> Option<(String, u32)> {
    if node.type_name != "eiface" {
        return None;
    }
    let h = hooks.iter().find(|h| h.hook == "ether" && h.peer_type == "bridge")?;
    let bridge = h.peer_name.as_deref().filter(|b| b.starts_with("vimage_") && safe_node_name(b))?;
    let link: u32 = h.peer_hook.strip_prefix("link")?.parse().ok()?;
    Some((bridge.to_string(), link))
}

// Netgraph names: vimage's ng_bridges and the links its eifaces take.

/// The first `link<N>` a jail's eiface takes (0 and 1 are the uplink's lower and upper).
pub const FIRST_LINK: u32 = 2;
/// How many names [`crate::model::ng_ifname`] offers before the planner gives up on a free one.
pub const NAME_ATTEMPTS: u32 = 16;

/// The ng_ether node of an interface: its name with `.` and `:` as `_` (ng_ether.c
/// `ng_ether_sanitize_ifname`), so VLAN `em0.100` is `em0_100:`.
pub fn ether_node(ifname: &str) -> String {
    ifname.chars().map(|c| if c == '.' || c == ':' { '_' } else { c }).collect()
}

/// vimage's ng_bridge for an uplink: `vimage_<node>`, its ownership marker.
pub fn bridge_node(uplink: &str) -> String {
    format!("vimage_{}", ether_node(uplink))
}

/// True for a node name vimage may write into an ngctl batch: 1–31 bytes of letters, digits,
/// `_` and `-`. ngctl splits its lines at white space, so a value read back from the state
/// database is checked with this before it goes into a script, as argv values are.
pub fn safe_node_name(s: &str) -> bool {
    !s.is_empty() && s.len() < 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The main ruleset's lines that make pf evaluate vimage's anchors, in pf.conf(5) order: the
/// translation ones (nat, rdr) and the filter one. Each is how an admin writes it; pfctl lists
/// them back with ` all` appended (`pfctl -s nat`, `pfctl -s rules`). Here, below the facts
/// and the plans, because `doctor`, `net create` and a NAT network's start check them alike.
pub const PF_TRANSLATION_LINES: [&str; 2] = ["nat-anchor \"vimage/*\"", "rdr-anchor \"vimage/*\""];
/// See [`PF_TRANSLATION_LINES`].
pub const PF_FILTER_LINE: &str = "anchor \"vimage/*\"";

/// The pf anchor of private network `net`: `vimage/<net>` (what `vimage/*` in the main
/// ruleset reaches).
pub fn pf_anchor(net: &str) -> String {
    format!("vimage/{net}")
}

/// The OID a NAT network needs set to 1 (sys/netinet/ip_input.c `ipforwarding`, per vnet).
pub const IP_FORWARDING: &str = "net.inet.ip.forwarding";

#[cfg(test)]
mod tests {
    use super::*;

    fn jail() -> JailName {
        JailName::parse("web1").unwrap()
    }

    #[test]
    fn markers_round_trip_even_with_colons_in_jail_names() {
        let j = JailName::parse("a:b").unwrap();
        let m = epair_marker(&j, &IfName::parse("eth1").unwrap());
        assert_eq!(m, "vimage:a:b:eth1");
        assert_eq!(parse_epair_marker(&m), Some(("a:b".into(), "eth1".into())));
        assert_eq!(parse_epair_marker("vimage:em0"), None);
        assert_eq!(parse_epair_marker("web1-eth0"), None);
    }

    #[test]
    fn netgraph_names_are_recognised_with_their_ordinal() {
        let web1 = jail();
        assert_eq!(ng_nic_ordinal(&web1, "ng0_web1"), Some(0));
        assert_eq!(ng_nic_ordinal(&web1, "ng12_web1"), Some(12));
        assert_eq!(ng_nic_ordinal(&web1, "ng0_web2"), None, "another jail's name");
        assert_eq!(ng_nic_ordinal(&web1, "eth0"), None);
        let long = JailName::parse("a-very-long-jail-name").unwrap();
        let short = crate::model::ng_ifname(&long, 1, 0);
        assert_eq!(ng_nic_ordinal(&long, short.as_str()), Some(1), "{short}");
        let retried = crate::model::ng_ifname(&long, 1, 3);
        assert_eq!(ng_nic_ordinal(&long, retried.as_str()), Some(1), "a name from a later attempt: {retried}");
        assert_eq!(ng_orphan_jail("ng2_web1").map(|(j, i)| (j.to_string(), i)), Some(("web1".into(), 2)));
        assert_eq!(ng_orphan_jail(short.as_str()), None, "a shortened name does not say its jail");
    }

    #[test]
    fn only_plain_names_go_into_a_batch() {
        assert!(safe_node_name("vimage_em0") && safe_node_name("ng0_web-1"));
        for bad in ["", "a b", "x\nshutdown em0:", "a:b", "a.b", &"x".repeat(32)] {
            assert!(!safe_node_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn node_names_follow_ng_ether_sanitizing() {
        assert_eq!(ether_node("em0.100"), "em0_100");
        assert_eq!(bridge_node("igb0"), "vimage_igb0");
        assert!(bridge_node("abcdefghijklmno").len() < 32, "fits NG_NODESIZ");
    }
}
