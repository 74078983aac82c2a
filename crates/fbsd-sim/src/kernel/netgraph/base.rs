//! The generic netgraph operations (sys/netgraph/ng_base.c, ng_socket.c): path lookup,
//! `mkpeer`, `connect`, `name`, `rmhook`, `shutdown`, hook disconnection and node removal with
//! the type rules of ng_ether, ng_bridge, ng_eiface and ng_socket, and the listings `ngctl show`
//! and `ngctl list` print.
//!
//! Every command that changes the graph counts one kernel operation (`Kernel::begin_op`) before
//! it touches anything, so fault injection can fail each of them.

use super::graph::{BridgeNode, Graph, NG_NODESIZ, NodeKind, decode_id_name, sanitize_ifname, valid_node_name};
use crate::Errno;
use crate::kernel::Kernel;
use crate::kernel::cred::Ctx;
use crate::kernel::ifnet::IfKind;
use crate::kernel::types::{IfId, Mac, VnetId};

/// `NG_PATHSIZ`: addresses are cut at 511 bytes.
const NG_PATHSIZ: usize = 512;
/// `net.graph.recvspace` default (ng_socket.c `ngpdg_recvspace`): a reply larger than this does
/// not fit the control socket's receive buffer and the request fails with ENOBUFS.
pub const NG_RECVSPACE: usize = 20 * 1024;
/// `sizeof(struct ng_mesg)` header, `struct nodeinfo`, `struct linkinfo` (ng_message.h, amd64).
const NG_MESG_HDR: usize = 56;
const NODEINFO: usize = 72;
const LINKINFO: usize = 136;
/// `new_unrhdr(0, 0xffff)` in ng_eiface.c: eiface units per vnet.
const EIFACE_MAXUNIT: u32 = 0xffff;

/// What `NGM_NODEINFO` / `NGM_LISTNODES` report about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's name; `None` for an unnamed node.
    pub name: Option<String>,
    /// The node type (`ether`, `bridge`, …).
    pub type_name: &'static str,
    /// The node ID, by which `[id]:` addresses it.
    pub id: u32,
    /// How many hooks are connected.
    pub hooks: usize,
}

/// One row of `NGM_LISTHOOKS`: our hook, and the peer node and hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// The hook's name on the listed node.
    pub ourhook: String,
    /// The hook's name on the peer.
    pub peerhook: String,
    /// The peer node.
    pub peer: NodeInfo,
}

/// Node removal in progress, so disconnect handlers of a closing node do not recurse.
#[derive(Default)]
struct Closing(Vec<u32>);

impl Kernel {
    /// The netgraph of vnet `v`.
    pub(crate) fn graph(&self, v: VnetId) -> Option<&Graph> {
        self.vnet(v).map(|vn| &vn.netgraph)
    }

    /// The netgraph of vnet `v`, mutably.
    pub(crate) fn graph_mut(&mut self, v: VnetId) -> Option<&mut Graph> {
        self.vnet_mut(v).map(|vn| &mut vn.netgraph)
    }

    fn ng(&self, v: VnetId) -> Result<&Graph, Errno> {
        self.graph(v).ok_or(Errno::ENXIO)
    }

    fn ng_mut(&mut self, v: VnetId) -> Result<&mut Graph, Errno> {
        self.graph_mut(v).ok_or(Errno::ENXIO)
    }

    /// `ng_path2noderef`: `NODE:` (name, `[id]` or `.`) optionally followed by hooks separated
    /// by dots, each hop going to the peer across that hook; without `NODE:` the path starts at
    /// `here`. Malformed → EINVAL; a node or hook that is not there → ENOENT.
    pub(crate) fn ng_path(&self, v: VnetId, here: u32, address: &str) -> Result<u32, Errno> {
        let g = self.ng(v)?;
        let address: String = address.chars().take(NG_PATHSIZ - 1).collect();
        let (node, path) = match address.split_once(':') {
            Some((n, p)) => {
                if n.is_empty() || (n != "." && n.contains('.')) {
                    return Err(Errno::EINVAL);
                }
                (Some(n), p)
            }
            None => (None, address.as_str()),
        };
        if path.contains(':') || path.contains("..") {
            return Err(Errno::EINVAL);
        }
        let path = path.strip_prefix('.').unwrap_or(path);
        let path = path.strip_suffix('.').unwrap_or(path);
        let mut cur = match node {
            None | Some(".") => here,
            Some(n) => match decode_id_name(n) {
                Some(id) => g.node(id).map(|x| x.id).ok_or(Errno::ENOENT)?,
                None => g.by_name(n).ok_or(Errno::ENOENT)?,
            },
        };
        if !g.nodes.contains_key(&cur) {
            return Err(Errno::ENOENT);
        }
        if path.is_empty() {
            return Ok(cur);
        }
        for seg in path.split('.') {
            let hook = g.node(cur).and_then(|n| n.hooks.get(seg)).ok_or(Errno::ENOENT)?;
            cur = hook.peer;
        }
        Ok(cur)
    }

    /// `NgMkSockNode(name)`: the socket node of one ngctl process, in the caller's vnet. Not a
    /// counted operation: it is gone when the process exits. EPERM in a jail without its own
    /// vnet (`PRIV_NETGRAPH_CONTROL`); the name taken → EADDRINUSE.
    pub(crate) fn ng_socket_open(&mut self, ctx: Ctx, name: &str) -> Result<u32, Errno> {
        self.priv_net(ctx)?;
        if !self.module_loaded("ng_socket") {
            // libnetgraph kldloads ng_socket.ko on EAFNOSUPPORT and tries again.
            self.kld_load(ctx, "ng_socket").map_err(|_| Errno::EAFNOSUPPORT)?;
        }
        let name: String = name.chars().take(NG_NODESIZ - 1).collect();
        let g = self.ng_mut(ctx.vnet)?;
        if !valid_node_name(&name) {
            return Err(Errno::EINVAL);
        }
        if g.by_name(&name).is_some() {
            return Err(Errno::EADDRINUSE);
        }
        let id = g.add_node(NodeKind::Socket);
        g.set_name(id, &name);
        Ok(id)
    }

    /// The socket node goes away with its process.
    pub(crate) fn ng_socket_close(&mut self, v: VnetId, id: u32) {
        if self.graph(v).and_then(|g| g.node(id)).is_some_and(|n| matches!(n.kind, NodeKind::Socket)) {
            self.ng_rmnode(v, id);
        }
    }

    /// `NGM_MKPEER`: a new node of `ty`, connected from hook `ourhook` of the node at `path` to
    /// its hook `peerhook`. The type's module is loaded first if needed (ng_socket.c; a type
    /// that cannot be loaded → ENOENT). All or nothing: a refused hook removes the new node.
    pub(crate) fn ng_mkpeer(
        &mut self,
        ctx: Ctx,
        here: u32,
        path: &str,
        ty: &str,
        ourhook: &str,
        peerhook: &str,
    ) -> Result<(), Errno> {
        let module = format!("ng_{ty}");
        if !self.module_loaded(&module) {
            self.kld_load(ctx, &module)?;
        }
        self.begin_op()?;
        let v = ctx.vnet;
        let a = self.ng_path(v, here, path)?;
        let b = match ty {
            "bridge" => self.ng_mut(v)?.add_node(NodeKind::Bridge(BridgeNode::default())),
            "eiface" => self.ng_eiface_construct(v)?,
            // ng_ether and ng_socket constructors refuse (their nodes come from elsewhere); the
            // node made for them has used up an ID.
            "ether" | "socket" => {
                let g = self.ng_mut(v)?;
                g.next_id = g.next_id.wrapping_add(1).max(1);
                return Err(Errno::EINVAL);
            }
            _ => return Err(Errno::ENXIO),
        };
        if let Err(e) = self.ng_newhook(v, a, ourhook, None) {
            self.ng_rmnode(v, b);
            return Err(e);
        }
        if let Err(e) = self.ng_newhook(v, b, peerhook, None) {
            self.ng_rmnode(v, b);
            return Err(e);
        }
        self.ng_link(v, a, ourhook, b, peerhook);
        Ok(())
    }

    /// `NGM_CONNECT`: hook `ourhook` of the node at `path` to hook `peerhook` of the node at
    /// `relpath` (relative to the first). EEXIST when either hook exists; the types may veto.
    pub(crate) fn ng_connect(
        &mut self,
        ctx: Ctx,
        here: u32,
        path: &str,
        relpath: &str,
        ourhook: &str,
        peerhook: &str,
    ) -> Result<(), Errno> {
        self.begin_op()?;
        let v = ctx.vnet;
        let a = self.ng_path(v, here, path)?;
        let b = self.ng_path(v, a, relpath)?;
        let has =
            |k: &Kernel, n: u32, h: &str| k.graph(v).and_then(|g| g.node(n)).is_some_and(|x| x.hooks.contains_key(h));
        if has(self, b, peerhook) || (a == b && ourhook == peerhook) {
            return Err(Errno::EEXIST);
        }
        // ng_add_hook on our node: its peer is still the dead node, so no loop yet.
        self.ng_newhook(v, a, ourhook, None)?;
        self.ng_newhook(v, b, peerhook, Some(a))?;
        self.ng_link(v, a, ourhook, b, peerhook);
        Ok(())
    }

    /// `NGM_NAME` (`ng_name_node`): EINVAL for a bad name, EADDRINUSE when any node (this
    /// one included) already has it.
    pub(crate) fn ng_name(&mut self, ctx: Ctx, here: u32, path: &str, name: &str) -> Result<(), Errno> {
        self.begin_op()?;
        let v = ctx.vnet;
        let a = self.ng_path(v, here, path)?;
        if !valid_node_name(name) {
            return Err(Errno::EINVAL);
        }
        let g = self.ng_mut(v)?;
        if g.by_name(name).is_some() {
            return Err(Errno::EADDRINUSE);
        }
        g.set_name(a, name);
        Ok(())
    }

    /// `NGM_RMHOOK`: disconnects `hook` of the node at `path`; a hook that is not there is no
    /// error (ng_base.c only acts `if ((hook = ng_findhook(...)) != NULL)`).
    pub(crate) fn ng_rmhook(&mut self, ctx: Ctx, here: u32, path: &str, hook: &str) -> Result<(), Errno> {
        self.begin_op()?;
        let v = ctx.vnet;
        let a = self.ng_path(v, here, path)?;
        let mut closing = Closing::default();
        self.ng_destroy_hook(v, a, hook, &mut closing);
        Ok(())
    }

    /// `NGM_SHUTDOWN`: removes the node at `path` (ng_ether only resets itself).
    pub(crate) fn ng_shutdown(&mut self, ctx: Ctx, here: u32, path: &str) -> Result<(), Errno> {
        self.begin_op()?;
        let v = ctx.vnet;
        let a = self.ng_path(v, here, path)?;
        self.ng_rmnode(v, a);
        Ok(())
    }

    /// `NGM_LISTHOOKS` on the node at `path`: its info and hooks, newest first. A reply that
    /// does not fit `net.graph.recvspace` fails with ENOBUFS (a bridge with ~150 links).
    pub(crate) fn ng_listhooks(&self, v: VnetId, here: u32, path: &str) -> Result<(NodeInfo, Vec<LinkInfo>), Errno> {
        let g = self.ng(v)?;
        let id = self.ng_path(v, here, path)?;
        let n = g.node(id).ok_or(Errno::ENOENT)?;
        if NG_MESG_HDR + NODEINFO + n.hooks.len() * LINKINFO > NG_RECVSPACE {
            return Err(Errno::ENOBUFS);
        }
        let links = n
            .hooks_newest_first()
            .filter_map(|(h, hook)| {
                let peer = g.node(hook.peer)?;
                Some(LinkInfo { ourhook: h.to_string(), peerhook: hook.peer_hook.clone(), peer: info(peer) })
            })
            .collect();
        Ok((info(n), links))
    }

    /// `NGM_LISTNODES` / `NGM_LISTNAMES` for vnet `v`, in ID-hash order (here: by ID). ENOBUFS
    /// when the reply does not fit `net.graph.recvspace` (~280 nodes).
    pub(crate) fn ng_listnodes(&self, v: VnetId, named_only: bool) -> Result<Vec<NodeInfo>, Errno> {
        let g = self.ng(v)?;
        let list: Vec<NodeInfo> = g.nodes.values().filter(|n| !named_only || n.name.is_some()).map(info).collect();
        if NG_MESG_HDR + 4 + list.len() * NODEINFO > NG_RECVSPACE {
            return Err(Errno::ENOBUFS);
        }
        Ok(list)
    }

    /// `NGM_LISTTYPES`: the installed node types, newest first (ng_base.c `ng_newtype` puts a
    /// type at the head of `ng_typelist`), each with its living nodes in every vnet
    /// (`type->refs - 1`; the list is global).
    pub(crate) fn ng_listtypes(&self) -> Vec<(&'static str, usize)> {
        let mut mods: Vec<(u32, &'static str)> = Vec::new();
        for (m, f) in self.kld_files() {
            let t = match m {
                "ng_socket" => "socket",
                "ng_ether" => "ether",
                "ng_bridge" => "bridge",
                "ng_eiface" => "eiface",
                "ng_iface" => "iface",
                _ => continue,
            };
            mods.push((f.fileid, t));
        }
        mods.sort_by_key(|m| std::cmp::Reverse(m.0));
        mods.into_iter()
            .map(|(_, t)| {
                let n = self
                    .vnets
                    .values()
                    .map(|vn| vn.netgraph.nodes.values().filter(|x| x.kind.type_name() == t).count())
                    .sum();
                (t, n)
            })
            .collect()
    }

    /// The type's `newhook` method plus `ng_add_hook`'s duplicate check; `peer` is the node on
    /// the other side when it is already known (ng_bridge refuses a loop to itself).
    fn ng_newhook(&self, v: VnetId, id: u32, name: &str, peer: Option<u32>) -> Result<(), Errno> {
        let n = self.ng(v)?.node(id).ok_or(Errno::ENOENT)?;
        if n.hooks.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        match &n.kind {
            NodeKind::Socket => Ok(()),
            NodeKind::Ether { .. } => {
                let slot = match name {
                    "upper" => "upper",
                    "lower" | "divert" => "lower",
                    "orphans" => "orphans",
                    _ => return Err(Errno::EINVAL),
                };
                let taken = n.hooks.keys().any(|h| h == slot || (slot == "lower" && h == "divert"));
                if taken { Err(Errno::EISCONN) } else { Ok(()) }
            }
            NodeKind::Bridge(_) => {
                bridge_link_number(name)?;
                if peer == Some(id) {
                    return Err(Errno::ELOOP);
                }
                Ok(())
            }
            NodeKind::Eiface { .. } => {
                if name != "ether" {
                    Err(Errno::EPFNOSUPPORT)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Connects two checked hooks and tells the types (eiface link up, bridge link in use).
    fn ng_link(&mut self, v: VnetId, a: u32, ha: &str, b: u32, hb: &str) {
        if let Some(g) = self.graph_mut(v) {
            g.link(a, ha, b, hb);
        }
        for (n, h) in [(a, ha), (b, hb)] {
            self.ng_hook_connected(v, n, h);
        }
    }

    fn ng_hook_connected(&mut self, v: VnetId, id: u32, hook: &str) {
        let Some(kind) = self.graph(v).and_then(|g| g.node(id)).map(|n| n.kind.clone()) else { return };
        match kind {
            NodeKind::Eiface { ifp, .. } => self.set_eiface_link(ifp, true),
            NodeKind::Bridge(_) => {
                if let (Ok(Some(num)), Some(NodeKind::Bridge(b))) =
                    (bridge_link_number(hook), self.graph_mut(v).and_then(|g| g.node_mut(id)).map(|n| &mut n.kind))
                {
                    b.links.take_specific(num);
                }
            }
            _ => {}
        }
    }

    fn set_eiface_link(&mut self, ifp: IfId, up: bool) {
        if let Some(IfKind::Eiface { link, .. }) = self.ifp_mut(ifp).map(|i| &mut i.kind) {
            *link = up;
        }
    }

    /// `ng_destroy_hook`: both ends go, then each node's `disconnect` method runs.
    fn ng_destroy_hook(&mut self, v: VnetId, id: u32, hook: &str, closing: &mut Closing) {
        let Some((peer, peer_hook)) = self.graph_mut(v).and_then(|g| g.unlink(id, hook)) else {
            return;
        };
        self.ng_disconnected(v, id, hook, closing);
        self.ng_disconnected(v, peer, &peer_hook, closing);
    }

    /// The types' `disconnect` methods: a bridge without hooks shuts down unless persistent; an
    /// ether node without hooks resets (promiscuous mode off) and stays; an eiface loses link.
    fn ng_disconnected(&mut self, v: VnetId, id: u32, hook: &str, closing: &mut Closing) {
        let Some(node) = self.graph(v).and_then(|g| g.node(id)) else { return };
        let no_hooks = node.hooks.is_empty();
        match node.kind.clone() {
            NodeKind::Bridge(b) => {
                if let (Ok(Some(num)), Some(NodeKind::Bridge(bm))) =
                    (bridge_link_number(hook), self.graph_mut(v).and_then(|g| g.node_mut(id)).map(|n| &mut n.kind))
                {
                    bm.links.release(num);
                }
                if no_hooks && !b.persistent && !closing.0.contains(&id) {
                    self.ng_rmnode_inner(v, id, false, closing);
                }
            }
            NodeKind::Ether { .. } => {
                if no_hooks && !closing.0.contains(&id) {
                    self.ng_ether_reset(v, id);
                }
            }
            NodeKind::Eiface { ifp, .. } => self.set_eiface_link(ifp, false),
            NodeKind::Socket => {}
        }
    }

    /// `ng_rmnode`: all hooks go, then the type's shutdown method.
    pub(crate) fn ng_rmnode(&mut self, v: VnetId, id: u32) {
        let mut closing = Closing::default();
        self.ng_rmnode_inner(v, id, false, &mut closing);
    }

    fn ng_rmnode_inner(&mut self, v: VnetId, id: u32, really_die: bool, closing: &mut Closing) {
        if closing.0.contains(&id) {
            return;
        }
        let Some(node) = self.graph(v).and_then(|g| g.node(id)) else { return };
        closing.0.push(id);
        let hooks: Vec<String> = node.hooks.keys().cloned().collect();
        for h in hooks {
            self.ng_destroy_hook(v, id, &h, closing);
        }
        let kind = self.graph(v).and_then(|g| g.node(id)).map(|n| n.kind.clone());
        match kind {
            Some(NodeKind::Ether { ifp, .. }) if !really_die => {
                // ng_ether_shutdown: a persistent node; it only resets itself.
                let _ = ifp;
                self.ng_ether_reset(v, id);
            }
            Some(NodeKind::Ether { ifp, .. }) => {
                if let Some(i) = self.ifp_mut(ifp) {
                    i.ng_ether = None;
                    i.ng_promisc = false;
                }
                if let Some(g) = self.graph_mut(v) {
                    g.remove_node(id);
                }
            }
            Some(NodeKind::Eiface { ifp, unit }) => {
                if let Some(g) = self.graph_mut(v) {
                    g.remove_node(id);
                }
                // ng_eiface_rmnode: the ifnet dies in whatever vnet it is now, and the unit is
                // freed in the node's vnet.
                if self.ifp(ifp).is_some() {
                    self.departure(ifp);
                    self.free_ifnet(ifp);
                }
                if let Some(a) = self.vnet_mut(v).and_then(|vn| vn.units.get_mut("ngeth")) {
                    a.release(unit);
                }
            }
            Some(_) => {
                if let Some(g) = self.graph_mut(v) {
                    g.remove_node(id);
                }
            }
            None => {}
        }
    }

    /// ng_ether_shutdown without REALLY_DIE (a `shutdown` message, or ng_ether_disconnect when
    /// the last hook goes): promiscuous mode off (`ifpromisc(ifp, 0)`), and nothing else. The
    /// 12.x-and-later copies of sys/netgraph/ng_ether.c no longer reset `autoSrcAddr` here (the
    /// 2000s copies did: `priv->autoSrcAddr = 1;  /* reset auto-src-addr flag */`).
    fn ng_ether_reset(&mut self, v: VnetId, id: u32) {
        let ifp = match self.graph_mut(v).and_then(|g| g.node_mut(id)).map(|n| &mut n.kind) {
            Some(NodeKind::Ether { ifp, promisc, .. }) => {
                *promisc = false;
                *ifp
            }
            _ => return,
        };
        if let Some(i) = self.ifp_mut(ifp) {
            i.ng_promisc = false;
        }
    }

    /// ng_eiface's constructor: unit `alloc_unr` (lowest free, per vnet), ifnet `ngeth<unit>`
    /// with MAC 00:00:00:00:00:00, MTU 1500, not UP, capabilities VLAN_MTU and JUMBO_MTU; the
    /// node takes the ifnet's name when it can (before the ifnet attaches, so ng_ether makes no
    /// node for it).
    fn ng_eiface_construct(&mut self, v: VnetId) -> Result<u32, Errno> {
        let unit = self
            .vnet_mut(v)
            .ok_or(Errno::ENXIO)?
            .units
            .entry("ngeth".to_string())
            .or_default()
            .alloc_lowest(EIFACE_MAXUNIT, |_| false)
            .ok_or(Errno::ENOSPC)?;
        let ifname = format!("ngeth{unit}");
        let g = self.ng_mut(v)?;
        let id = g.add_node(NodeKind::Eiface { ifp: IfId(u32::MAX), unit });
        if g.by_name(&ifname).is_none() {
            g.set_name(id, &ifname);
        }
        let mut e = Kernel::blank_ifnet(&ifname, "ngeth", IfKind::Eiface { node: id, link: false }, v);
        e.unit = Some(unit);
        e.mac = Some(Mac([0; 6]));
        e.hwaddr = Some(Mac([0; 6]));
        e.caps = 0x28;
        e.caps_supported = 0x28;
        match self.insert_ifnet(e, v) {
            Ok(ifp) => {
                if let Some(NodeKind::Eiface { ifp: slot, .. }) =
                    self.graph_mut(v).and_then(|g| g.node_mut(id)).map(|n| &mut n.kind)
                {
                    *slot = ifp;
                }
                Ok(id)
            }
            Err(e) => {
                if let Some(g) = self.graph_mut(v) {
                    g.remove_node(id);
                }
                if let Some(a) = self.vnet_mut(v).and_then(|vn| vn.units.get_mut("ngeth")) {
                    a.release(unit);
                }
                Err(e)
            }
        }
    }

    /// `ng_ether_attach`: an Ethernet ifnet (physical, epair, eiface) that arrives in a vnet
    /// gets an ether node named like it, unless ng_ether is not loaded or a node of that name
    /// exists there already (an eiface's own node).
    pub(crate) fn ng_ether_attach(&mut self, id: IfId) {
        if !self.module_loaded("ng_ether") {
            return;
        }
        let Some(i) = self.ifp(id) else { return };
        // vnet_ng_ether_init / ether_ifattach: IFT_ETHER and IFT_L2VLAN only.
        let l2 = i.is_ift_ether() || matches!(i.kind, IfKind::Vlan(_));
        if !l2 || i.ng_ether.is_some() {
            return;
        }
        let (v, name) = (i.vnet, sanitize_ifname(&i.name));
        let Some(g) = self.graph_mut(v) else { return };
        if g.by_name(&name).is_some() {
            return;
        }
        // ng_ether.c ng_ether_attach (14.x): the private data is `malloc(..., M_NOWAIT |
        // M_ZERO)` and autoSrcAddr is never set, so a fresh node has promisc 0 and autosrc 0.
        let node = g.add_node(NodeKind::Ether { ifp: id, promisc: false, autosrc: false });
        if valid_node_name(&name) {
            g.set_name(node, &name);
        }
        if let Some(i) = self.ifp_mut(id) {
            i.ng_ether = Some(node);
        }
    }

    /// `ng_ether_detach`: the ifnet leaves (destroyed or moved to another vnet); its node goes,
    /// hooks and all.
    pub(crate) fn ng_ether_detach(&mut self, id: IfId) {
        let Some((node, v)) = self.ifp(id).and_then(|i| i.ng_ether.map(|n| (n, i.vnet))) else { return };
        let mut closing = Closing::default();
        self.ng_rmnode_inner(v, node, true, &mut closing);
        if let Some(i) = self.ifp_mut(id) {
            i.ng_ether = None;
            i.ng_promisc = false;
        }
    }

    /// `ng_ether_ifnet_arrival_event` on a rename: the node follows the new name if it can.
    pub(crate) fn ng_ether_renamed(&mut self, id: IfId) {
        let Some((node, v, name)) =
            self.ifp(id).and_then(|i| i.ng_ether.map(|n| (n, i.vnet, sanitize_ifname(&i.name))))
        else {
            return;
        };
        if let Some(g) = self.graph_mut(v)
            && valid_node_name(&name)
            && g.by_name(&name).is_none()
        {
            g.set_name(node, &name);
        }
    }

    /// `vnet_ng_ether_init` after `kldload ng_ether`: nodes for the Ethernet ifnets that exist.
    pub(crate) fn ng_ether_attach_all(&mut self) {
        let all: Vec<IfId> = self.vnets.values().flat_map(|vn| vn.by_link.values().copied()).collect();
        for id in all {
            self.ng_ether_attach(id);
        }
    }

    /// Removes every ether node (fixture helper for unloading ng_ether).
    pub(crate) fn ng_ether_detach_all(&mut self) {
        let all: Vec<IfId> = self.vnets.values().flat_map(|vn| vn.by_link.values().copied()).collect();
        for id in all {
            self.ng_ether_detach(id);
        }
    }
}

fn info(n: &super::graph::Node) -> NodeInfo {
    NodeInfo { name: n.name.clone(), type_name: n.kind.type_name(), id: n.id, hooks: n.hooks.len() }
}

/// ng_bridge's hook names (`ng_bridge_newhook`): `link<N>` (N ≥ 0) or `uplink<N>` (N ≥ 1),
/// N printed back with `%u` must give the same name (no leading zeros, no sign). Returns the
/// link number for `link<N>`, `None` for an uplink; EINVAL for anything else.
pub fn bridge_link_number(name: &str) -> Result<Option<u32>, Errno> {
    let (uplink, digits) = if let Some(d) = name.strip_prefix("uplink") {
        (true, d)
    } else if let Some(d) = name.strip_prefix("link") {
        (false, d)
    } else {
        return Err(Errno::EINVAL);
    };
    // strtoul parses a prefix; the name must equal "%s%u" of that value.
    let n: u32 = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Errno::EINVAL);
    } else {
        digits.parse().map_err(|_| Errno::EINVAL)?
    };
    if n.to_string() != digits || (uplink && n == 0) {
        return Err(Errno::EINVAL);
    }
    Ok(if uplink { None } else { Some(n) })
}
