//! Netgraph in [`crate::Snapshot`]: what `ngctl` could tell about the graph, without the
//! node IDs (bookkeeping: they are never reused, so a graph rebuilt after a rollback has new
//! ones) and without the short-lived ngctl socket nodes.

use super::graph::{Graph, Node, NodeKind};
use crate::kernel::Kernel;
use crate::kernel::types::VnetId;
use serde::{Deserialize, Serialize};

/// One node as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeSnap {
    /// `host` or the jail whose vnet holds the node.
    pub vnet: String,
    /// The node's name, or `<unnamed>`.
    pub name: String,
    /// `ether`, `bridge`, `eiface`.
    pub type_name: String,
    /// For ether and eiface nodes: the ifnet's current name.
    pub ifname: Option<String>,
    /// (hook, peer node label, peer hook), sorted; the peer label is its name or `<type>`.
    pub hooks: Vec<(String, String, String)>,
    /// ng_ether: (promisc, autosrc).
    pub ether_flags: Option<(bool, bool)>,
    /// ng_bridge: persistent.
    pub persistent: Option<bool>,
}

fn label(n: &Node) -> String {
    n.name.clone().unwrap_or_else(|| format!("<{}>", n.kind.type_name()))
}

impl Kernel {
    fn node_snap(&self, vnet: &str, g: &Graph, n: &Node) -> NodeSnap {
        let ifp = match &n.kind {
            NodeKind::Ether { ifp, .. } | NodeKind::Eiface { ifp, .. } => Some(*ifp),
            _ => None,
        };
        let mut hooks: Vec<(String, String, String)> = n
            .hooks
            .iter()
            .map(|(h, k)| (h.clone(), g.node(k.peer).map(label).unwrap_or_default(), k.peer_hook.clone()))
            .collect();
        hooks.sort();
        NodeSnap {
            vnet: vnet.to_string(),
            name: n.name.clone().unwrap_or_else(|| "<unnamed>".to_string()),
            type_name: n.kind.type_name().to_string(),
            ifname: ifp.and_then(|i| self.ifp(i)).map(|i| i.name.clone()),
            hooks,
            ether_flags: match n.kind {
                NodeKind::Ether { promisc, autosrc, .. } => Some((promisc, autosrc)),
                _ => None,
            },
            persistent: match &n.kind {
                NodeKind::Bridge(b) => Some(b.persistent),
                _ => None,
            },
        }
    }

    /// Every node of every vnet but ngctl's sockets, sorted.
    pub fn ng_snapshot(&self) -> Vec<NodeSnap> {
        let mut out = Vec::new();
        for (&v, vn) in &self.vnets {
            let l = self.vnet_label(v);
            for n in vn.netgraph.nodes.values().filter(|n| !matches!(n.kind, NodeKind::Socket)) {
                out.push(self.node_snap(&l, &vn.netgraph, n));
            }
        }
        out.sort();
        out
    }

    /// A node of the host's graph by name (tests).
    pub fn ng_host_node(&self, name: &str) -> Option<NodeSnap> {
        let g = self.graph(VnetId::HOST)?;
        let n = g.node(g.by_name(name)?)?;
        Some(self.node_snap("host", g, n))
    }

    /// How many hooks a host node has, and the lowest `link<N>` a bridge has free (tests).
    pub fn ng_host_bridge_links(&self, name: &str) -> Option<(usize, u32)> {
        let g = self.graph(VnetId::HOST)?;
        let n = g.node(g.by_name(name)?)?;
        match &n.kind {
            NodeKind::Bridge(b) => Some((n.hooks.len(), b.links.lowest_free())),
            _ => None,
        }
    }
}
