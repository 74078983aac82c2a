//! Netgraph in the simulated kernel: one graph per vnet (ng_base.c), the node types vimage uses
//! (ng_ether, ng_bridge, ng_eiface, ng_socket) and their control messages.
//!
//! Facts modelled (and the source they come from): node IDs per vnet, never reused
//! (`V_nextID`); names ≤ 31 bytes, no `.`/`:`, not an `[id]`, unique (`ng_name_node`:
//! EINVAL / EADDRINUSE); hooks connect in pairs, a duplicate is EEXIST (`ng_add_hook`),
//! `rmhook` of a missing hook succeeds; `mkpeer` is all or nothing (`ng_mkpeer`). ng_ether: one
//! persistent node per Ethernet ifnet, made at attach or when the module loads, remade in the
//! new vnet on a vnet move (`ether_reassign`), renamed with its ifnet, none when a node of that
//! name exists (an eiface's own); hooks `lower`/`divert`, `upper`, `orphans` (else EINVAL, taken
//! → EISCONN); losing its last hook or a shutdown only resets promiscuous mode. ng_bridge: hooks
//! `link<N>` / `uplink<N>` (N ≥ 1) only, else EINVAL; a loop to itself ELOOP; shuts itself down
//! when its last hook goes unless `setpersistent`; `getstats N` of a free link ENOTCONN.
//! ng_eiface: ifnet `ngeth<unit>` (lowest free unit per vnet), MAC zeros, hook `ether` only
//! (else EPFNOSUPPORT); its shutdown kills the ifnet wherever it is. Replies that do not fit
//! `net.graph.recvspace` (20 KiB) fail with ENOBUFS (`ngctl show` of a bridge with ~150 links).

mod base;
pub(crate) mod graph;
mod msg;
mod snap;

pub use base::NodeInfo;
pub use graph::{Graph, NG_HOOKSIZ, NG_NODESIZ, NG_TYPESIZ};
pub use snap::NodeSnap;

#[cfg(test)]
mod tests;
