//! One vnet's netgraph (sys/netgraph/ng_base.c): nodes with IDs and names, and hooks that are
//! always connected in pairs. Only bookkeeping lives here; the rules of the node types and the
//! generic messages are in the sibling modules.

use crate::kernel::types::{IfId, NumAlloc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `NG_NODESIZ` (netgraph/ng_message.h): names are at most 31 bytes plus the NUL.
pub const NG_NODESIZ: usize = 32;
/// `NG_HOOKSIZ`: hook names likewise.
pub const NG_HOOKSIZ: usize = 32;
/// `NG_TYPESIZ`: type names likewise.
pub const NG_TYPESIZ: usize = 32;

/// The netgraph of one vnet (`V_ng_name_hash`, `V_ng_ID_hash`, `V_nextID` in ng_base.c).
///
/// Exists so each vnet has its own node namespace and ID space, as on FreeBSD, with name and ID
/// lookups in O(log n).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// ID → node.
    pub nodes: BTreeMap<u32, Node>,
    /// Name → ID, for named nodes.
    pub names: BTreeMap<String, u32>,
    /// The next ID `ng_make_node_common` hands out; IDs are never reused while the vnet lives.
    pub next_id: u32,
}

impl Default for Graph {
    fn default() -> Graph {
        Graph { nodes: BTreeMap::new(), names: BTreeMap::new(), next_id: 1 }
    }
}

/// One end of a connection: the hook on this node, its peer node and the peer's hook name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// Insertion sequence: listings show the newest hook first (`LIST_INSERT_HEAD`).
    pub seq: u64,
    /// The peer node's ID.
    pub peer: u32,
    /// The peer's hook name, so the pair can be found from either end.
    pub peer_hook: String,
}

/// What a node is; decides its hook rules, messages and shutdown behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    /// ng_socket: one per ngctl process (`ngctl<pid>`).
    Socket,
    /// ng_ether: persistent companion of an Ethernet ifnet.
    Ether {
        /// The ifnet the node is attached to (and named after).
        ifp: IfId,
        /// `setpromisc`: the ifnet is in promiscuous mode, as bridging needs every frame.
        promisc: bool,
        /// `setautosrc`: outgoing frames get the ifnet's own source MAC.
        autosrc: bool,
    },
    /// ng_bridge.
    Bridge(BridgeNode),
    /// ng_eiface: owns the ifnet `ngeth<unit>`.
    Eiface {
        /// The ifnet the node owns, destroyed with it.
        ifp: IfId,
        /// The `ngeth<unit>` number, freed when the node shuts down.
        unit: u32,
    },
}

impl NodeKind {
    /// The type name `ngctl` prints (`NG_*_NODE_TYPE`).
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Socket => "socket",
            NodeKind::Ether { .. } => "ether",
            NodeKind::Bridge(_) => "bridge",
            NodeKind::Eiface { .. } => "eiface",
        }
    }
}

/// `struct ng_bridge_config` defaults (ng_bridge.c constructor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeConf {
    /// `debugLevel`.
    pub debug_level: u8,
    /// `loopTimeout`: seconds a link that looped stays muted.
    pub loop_timeout: u16,
    /// `maxStaleness`: seconds before an unused host entry is forgotten.
    pub max_staleness: u16,
    /// `minStableAge`: seconds a host must stay on a link before a move counts as a loop.
    pub min_stable_age: u16,
}

impl Default for BridgeConf {
    fn default() -> BridgeConf {
        BridgeConf { debug_level: 1, loop_timeout: 60, max_staleness: 15 * 60, min_stable_age: 1 }
    }
}

/// ng_bridge private state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeNode {
    /// `setpersistent`: survive losing the last hook.
    pub persistent: bool,
    /// `link<N>` numbers in use, with O(log n) access to the lowest free one.
    pub links: NumAlloc,
    /// What `getconfig` reports and `setconfig` changes.
    pub conf: BridgeConf,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The node's ID, never reused while the vnet lives.
    pub id: u32,
    /// Its name; `None` until `name` gives it one.
    pub name: Option<String>,
    /// Its type and type-specific state.
    pub kind: NodeKind,
    /// Hook name → connection.
    pub hooks: BTreeMap<String, Hook>,
    /// seq → hook name, for listings in kernel order.
    pub order: BTreeMap<u64, String>,
    /// The sequence number the next hook gets.
    pub next_seq: u64,
}

impl Node {
    /// Hook names, newest first (the order `ngctl show` prints them).
    pub fn hooks_newest_first(&self) -> impl Iterator<Item = (&str, &Hook)> {
        self.order.values().rev().filter_map(|n| self.hooks.get(n).map(|h| (n.as_str(), h)))
    }
}

impl Graph {
    /// `ng_make_node_common`: a new unnamed node with the next ID.
    pub fn add_node(&mut self, kind: NodeKind) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.nodes
            .insert(id, Node { id, name: None, kind, hooks: BTreeMap::new(), order: BTreeMap::new(), next_seq: 0 });
        id
    }

    /// A node by ID.
    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// A node by ID, mutably.
    pub fn node_mut(&mut self, id: u32) -> Option<&mut Node> {
        self.nodes.get_mut(&id)
    }

    /// The node named `name`.
    pub fn by_name(&self, name: &str) -> Option<u32> {
        self.names.get(name).copied()
    }

    /// Sets a node's name (the caller checked it), replacing its old one.
    pub fn set_name(&mut self, id: u32, name: &str) {
        let Some(n) = self.nodes.get_mut(&id) else { return };
        if let Some(old) = n.name.take() {
            self.names.remove(&old);
        }
        n.name = Some(name.to_string());
        self.names.insert(name.to_string(), id);
    }

    /// Forgets a node (its hooks must be gone already).
    pub fn remove_node(&mut self, id: u32) -> Option<Node> {
        let n = self.nodes.remove(&id)?;
        if let Some(name) = &n.name {
            self.names.remove(name);
        }
        Some(n)
    }

    /// Links hook `ha` of node `a` with hook `hb` of node `b` (both checked by the caller).
    pub fn link(&mut self, a: u32, ha: &str, b: u32, hb: &str) {
        for (x, hx, y, hy) in [(a, ha, b, hb), (b, hb, a, ha)] {
            if let Some(n) = self.nodes.get_mut(&x) {
                let seq = n.next_seq;
                n.next_seq += 1;
                n.order.insert(seq, hx.to_string());
                n.hooks.insert(hx.to_string(), Hook { seq, peer: y, peer_hook: hy.to_string() });
            }
        }
    }

    /// Removes hook `h` of node `id` and its peer hook; returns the peer (node, hook).
    pub fn unlink(&mut self, id: u32, h: &str) -> Option<(u32, String)> {
        let hook = self.nodes.get_mut(&id)?.hooks.remove(h)?;
        if let Some(n) = self.nodes.get_mut(&id) {
            n.order.remove(&hook.seq);
        }
        if let Some(p) = self.nodes.get_mut(&hook.peer)
            && let Some(ph) = p.hooks.remove(&hook.peer_hook)
        {
            p.order.remove(&ph.seq);
        }
        Some((hook.peer, hook.peer_hook))
    }
}

/// `ng_name_node`'s validity check: 1–31 bytes, no `.` or `:`, and not something that reads
/// as a node ID (`[1f]`).
pub fn valid_node_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < NG_NODESIZ
        && !name.contains(['.', ':'])
        && !name.contains('\0')
        && decode_id_name(name).is_none()
}

/// `ng_decodeidname`: `[hex]` with a nonzero value → the ID.
pub fn decode_id_name(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() || !inner.as_bytes()[0].is_ascii_hexdigit() || !inner.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(inner, 16).ok().filter(|v| *v != 0)
}

/// `ng_ether_sanitize_ifname`: `.` and `:` become `_` (a VLAN `em0.100` has node `em0_100`).
pub fn sanitize_ifname(ifname: &str) -> String {
    ifname.chars().map(|c| if c == '.' || c == ':' { '_' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ng_name_node() {
        assert!(valid_node_name("vimage_em0"));
        assert!(!valid_node_name(""));
        assert!(!valid_node_name("a.b"));
        assert!(!valid_node_name("a:b"));
        assert!(!valid_node_name(&"x".repeat(32)));
        assert!(valid_node_name(&"x".repeat(31)));
        assert!(!valid_node_name("[1f]"), "looks like an ID");
        assert!(valid_node_name("[0]"), "ID 0 is not an ID");
        assert!(valid_node_name("[xyz]"));
        assert_eq!(decode_id_name("[0000001f]"), Some(31));
        assert_eq!(sanitize_ifname("em0.100"), "em0_100");
    }

    #[test]
    fn hooks_link_in_pairs_and_list_newest_first() {
        let mut g = Graph::default();
        let a = g.add_node(NodeKind::Socket);
        let b = g.add_node(NodeKind::Socket);
        assert_eq!((a, b), (1, 2));
        g.link(a, "x", b, "y");
        g.link(a, "z", b, "w");
        let names: Vec<&str> = g.node(a).unwrap().hooks_newest_first().map(|(n, _)| n).collect();
        assert_eq!(names, ["z", "x"]);
        assert_eq!(g.unlink(b, "y"), Some((a, "x".to_string())));
        assert!(!g.node(a).unwrap().hooks.contains_key("x"));
        assert_eq!(g.unlink(b, "y"), None);
    }
}
