//! Planning netgraph NICs (the original vimage's `vimage_NAME_bridges`, jng's layout): per
//! uplink an ng_bridge hung on the uplink's ng_ether node, shared by every jail there; per NIC an
//! ng_eiface on a free link of that bridge, moved into the jail and named `ng<i>_<jail>` there.
//!
//! All netgraph changes of one start are one `ngctl -f -` batch ([`super::ngscript`]); then
//! each NIC takes two commands, the same as an epair's jail end:
//! ```text
//! ngctl -f - <<'EOF'
//! msg em0: setpromisc 1                     (first jail on em0 only: bridging needs all frames,
//! msg em0: setautosrc 0                      and the jails' source addresses kept)
//! mkpeer em0: bridge lower link0             (the wire)
//! name em0:lower vimage_em0
//! connect em0: vimage_em0: upper link1       (the host's own stack: em0 stays usable)
//! mkpeer vimage_em0: eiface link2 ether      (one NIC)
//! name vimage_em0:link2 ng0_web1
//! msg ng0_web1: getifname                    (prints ngethK: the name the kernel chose)
//! EOF
//! ifconfig $ng0_web1 mtu 1500 vnet <jid>
//! ifconfig -j <jid> $ng0_web1 ether 02:… name ng0_web1 up
//! ```
//!
//! Links are chosen here, from vimage's records, never by asking the kernel: jng probes link
//! after link with `getstats N` (O(jails) commands per start, and racy), and one `ngctl show`
//! of a big bridge does not even fit ngctl's socket buffer (`net.graph.recvspace`, 20 KiB:
//! about 150 links). vimage is the only one to hang links on its `vimage_<uplink>` bridges,
//! under its host lock, so its records are the truth; a link someone else took makes `mkpeer`
//! fail (EEXIST) and the start roll back.
//!
//! The bridge uses the classic layout (`lower`↔`link0`, `upper`↔`link1`, jails from `link2`)
//! rather than jng 9's `uplink1`: in "restrictive" mode (first hook an uplink, ng_bridge.c
//! `ng_bridge_newhook`) links get no unknown-unicast, which can cut the host's own stack off
//! until it has spoken.

use super::planner::{Planner, Prelude};
use super::userland::JailEnd;
use super::{Effect, NicFx, Step};
use crate::error::{Kind, Result};
use crate::model::{IfName, ModeKind, NicSpec, ng_ifname};
use crate::naming::{FIRST_LINK, NAME_ATTEMPTS, bridge_node, safe_node_name};
use crate::op::ngscript::{NgLine, id_slot};
use crate::op::{IfRef, Op, Slot};

impl Planner<'_> {
    /// Plans netgraph NIC number `ordinal` (counted among the jail's netgraph NICs).
    pub fn netgraph_nic(&mut self, nic: &NicSpec, ordinal: u32) -> Result<()> {
        let (uplink, up) = self.existing_uplink(nic)?;
        let mtu = up.mtu;
        let name = self.ng_name(nic, ordinal)?;
        let mac = self.decide_mac(nic)?;
        let in_jail = if super::userland::keeps_kernel_name(self.v, nic) {
            self.name_in_jail(nic)
        } else {
            Some(name.to_string())
        };
        if let Prelude::InPlace = self.prelude(nic, in_jail.as_deref(), Some(&uplink), Some(mac))? {
            return Ok(());
        }
        let bridge = self.ng_bridge(&uplink, &nic.name)?;
        let link = self.ng_link(&bridge);
        let slot = Slot(name.to_string());
        self.ng.lines.push(NgLine::undone_by(
            format!("mkpeer {bridge}: eiface link{link} ether"),
            format!("shutdown {bridge}:link{link}"),
        ));
        self.ng.lines.push(NgLine::new(format!("name {bridge}:link{link} {name}")));
        self.ng.lines.push(NgLine::getifname(name.as_str(), slot.clone()));
        self.ng.names.insert(name.to_string());
        let jid = self.info.jid;
        self.ng.after.push(Step::new(Op::MoveToJail {
            iface: IfRef::Created(slot.clone()),
            mtu,
            jail: self.jail.clone(),
            jid,
        }));
        let end = JailEnd { jail: self.jail, jid, iface: IfRef::Created(slot.clone()), mac, name: &name };
        let (end, jail_if) = end.op(self.v, nic);
        self.ng.after.push(Step::new(end));
        let wanted = format!("ng{ordinal}_{}", self.jail);
        self.plan.effects.push(Effect::Attach(NicFx {
            nic: nic.index,
            nic_name: name.to_string(),
            mode: ModeKind::Netgraph,
            host_if: IfRef::name(name.as_str()),
            bridge: Some(IfRef::name(&bridge)),
            uplink: Some(uplink),
            mac: Some(mac),
            jid,
            ng_node: Some(id_slot(&slot)),
            ng_link: Some(link),
            wanted_name: (wanted != name.as_str()).then_some(wanted),
            was_up: None,
            jail_if,
        }));
        self.store_mac(nic, mac);
        Ok(())
    }

    /// Appends the batch and the moves, once every netgraph NIC is planned.
    pub fn finish_netgraph(&mut self) {
        if self.ng.lines.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.ng.lines);
        if self.ng.load_ether {
            self.plan.steps.push(Step::new(Op::KldLoad { module: "ng_ether".into() }));
        }
        self.plan.steps.push(Step::new(Op::NgScript { slot: Slot("ngctl".into()), lines }));
        let after = std::mem::take(&mut self.ng.after);
        self.plan.steps.extend(after);
    }

    /// The NIC's name: the one its record has (names stay put across restarts), else the
    /// first of [`ng_ifname`]'s candidates that no other jail's NIC has in vimage's records.
    fn ng_name(&mut self, nic: &NicSpec, ordinal: u32) -> Result<IfName> {
        let rec = self.v.attachments.iter().find(|a| a.nic == nic.index && a.mode == ModeKind::Netgraph);
        let free = |n: &str| !self.v.ng_names_taken.contains_key(n) && !self.ng.names.contains(n);
        if let Some(r) = rec.filter(|r| free(&r.nic_name))
            && let Ok(n) = IfName::parse(&r.nic_name)
        {
            return Ok(n);
        }
        for attempt in 0..NAME_ATTEMPTS {
            let n = ng_ifname(self.jail, ordinal, attempt);
            if free(n.as_str()) {
                if attempt > 0 {
                    let first = ng_ifname(self.jail, ordinal, 0);
                    let other = self.v.ng_names_taken.get(first.as_str()).map_or("this jail", String::as_str);
                    self.plan.notes.push(format!("{}: named {n}, as {first} belongs to jail {other}", nic.name));
                }
                return Ok(n);
            }
        }
        Err(self.err(Kind::Internal, format!("{}: {NAME_ATTEMPTS} netgraph names were all taken", nic.name)))
    }

    /// The ng_bridge for `uplink`: vimage's recorded one, one this plan creates, or a new one.
    /// Refuses an uplink without an ng_ether node, or whose node another tool already uses.
    fn ng_bridge(&mut self, uplink: &str, nic: &IfName) -> Result<String> {
        let recorded = self.v.bridges.iter().find(|b| b.is_netgraph() && b.uplink == uplink);
        if let Some(b) = recorded.filter(|b| !safe_node_name(&b.name)) {
            return Err(self.err(
                Kind::Data,
                format!("{nic}: the record of bridge {:?} is not a node name; refusing to use it", b.name),
            ));
        }
        if let Some(b) = recorded {
            let line = format!("using netgraph bridge {} for uplink {uplink}", b.name);
            if !self.plan.notes.contains(&line) {
                self.plan.notes.push(line);
            }
            return Ok(b.name.clone());
        }
        if let Some(b) = self.ng.new_bridges.get(uplink) {
            return Ok(b.clone());
        }
        let Some(st) = self.v.ng_uplinks.get(uplink) else {
            return Err(self.err(Kind::Internal, format!("{nic}: the netgraph state of {uplink} was not gathered")));
        };
        let node = st.node.clone();
        let bridge = bridge_node(uplink);
        let mut st = st.clone();
        if !st.exists {
            let ethernet = self.v.host_iface(uplink).is_some_and(|i| i.mac.is_some() && !i.is_bridge());
            match self.v.ng_ether_loaded {
                // Loading ng_ether gives a node to every Ethernet and VLAN interface there is
                // (ng_ether.c ng_ether_mod_event MOD_LOAD), with promisc 0 and autosrc 0
                // (14.x ng_ether_attach: M_ZERO, autoSrcAddr never set): plan on that node,
                // and load the module first.
                Some(false) if ethernet => {
                    if !self.ng.load_ether {
                        self.ng.load_ether = true;
                        self.plan.notes.push(
                            "netgraph: loading ng_ether (kldload -n ng_ether), which netgraph mode needs and FreeBSD \
                             never loads on demand; it stays loaded, also if this start is rolled back \
                             (sysrc kld_list+=ng_ether loads it at boot)"
                                .into(),
                        );
                    }
                    st = crate::facts::NgUplink {
                        node: node.clone(),
                        exists: true,
                        promisc: false,
                        autosrc: false,
                        ..st
                    };
                }
                Some(loaded) => {
                    let why = if loaded { "ng_ether is loaded, and" } else { "loading ng_ether would not help:" };
                    return Err(self
                        .err(
                            Kind::Unavailable,
                            format!("{nic}: uplink {uplink} has no ng_ether netgraph node {node}: ({why} it gives nodes only to Ethernet and VLAN interfaces)"),
                        )
                        .about(crate::error::Object::uplink(uplink))
                        .detail("netgraph mode hangs its ng_bridge on the uplink's ng_ether node: name an Ethernet or VLAN uplink,")
                        .detail("or use mode=epair for a bridge"));
                }
                _ => {
                    return Err(self
                        .err(Kind::Unavailable, format!("{nic}: uplink {uplink} has no ng_ether netgraph node {node}:"))
                        .about(crate::error::Object::uplink(uplink))
                        .detail("netgraph mode needs the ng_ether module, which FreeBSD never loads on demand,")
                        .detail(
                            "and an Ethernet uplink: run `vimage doctor fix=1` (or kldload ng_ether; sysrc kld_list+=ng_ether)",
                        ));
                }
            }
        }
        let st = &st;
        if let Some((hook, peer)) = st.hooks.iter().find(|(h, _)| ["lower", "divert", "upper"].contains(&h.as_str())) {
            let mut e = self.err(
                Kind::Unavailable,
                format!(
                    "{nic}: the ng_ether node of uplink {uplink} is in use: its hook {hook} goes to {} (type {}, hook {})",
                    peer.name, peer.type_name, peer.peer_hook
                ),
            )
            .about(crate::error::Object::node(&node));
            e = if peer.name == bridge {
                e.detail("that is vimage's bridge, but vimage has no record of it (was its state database removed?);")
                    .detail(format!("once no jail uses it: ngctl shutdown {bridge}:"))
            } else {
                e.detail(
                    "another tool (jng, ngbuddy, a netgraph script) bridges this uplink; vimage will not take it over",
                )
            };
            return Err(e);
        }
        let (p, a) = (u8::from(st.promisc), u8::from(st.autosrc));
        self.ng
            .lines
            .push(NgLine::undone_by(format!("msg {node}: setpromisc 1"), format!("msg {node}: setpromisc {p}")));
        self.ng
            .lines
            .push(NgLine::undone_by(format!("msg {node}: setautosrc 0"), format!("msg {node}: setautosrc {a}")));
        self.ng
            .lines
            .push(NgLine::undone_by(format!("mkpeer {node}: bridge lower link0"), format!("rmhook {node}: lower")));
        self.ng.lines.push(NgLine::new(format!("name {node}:lower {bridge}")));
        self.ng
            .lines
            .push(NgLine::undone_by(format!("connect {node}: {bridge}: upper link1"), format!("rmhook {node}: upper")));
        self.plan.effects.push(Effect::NgBridge {
            name: bridge.clone(),
            uplink: uplink.to_string(),
            promisc: st.promisc,
            autosrc: st.autosrc,
        });
        self.plan.notes.push(format!(
            "creating netgraph bridge {bridge} on {node} (lower and upper hooks; promisc on, autosrc off, restored when it goes)"
        ));
        self.ng.new_bridges.insert(uplink.to_string(), bridge.clone());
        Ok(bridge)
    }

    /// The lowest link of `bridge` that is free in the records and not yet given out by this
    /// plan.
    fn ng_link(&mut self, bridge: &str) -> u32 {
        let taken = self.ng.taken.entry(bridge.to_string()).or_default();
        let recorded = self.v.ng_free_links.get(bridge).map(Vec::as_slice).unwrap_or_default();
        let link = match recorded.iter().find(|l| !taken.contains(l)) {
            Some(l) => *l,
            // A new bridge (no records) or more NICs than gathered candidates: count up past
            // everything known.
            None => {
                let floor = recorded.iter().chain(taken.iter()).max().map_or(FIRST_LINK, |m| m + 1);
                (floor..).find(|l| !taken.contains(l)).unwrap_or(floor)
            }
        };
        taken.insert(link);
        link
    }
}
