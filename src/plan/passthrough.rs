//! Planning a passed-through interface (the original vimage's `vimage_NAME_vnets`): a physical
//! interface moved into the jail as it is, keeping its name and MAC.
//!
//! ```text
//! ifconfig em2 vnet <jid>
//! ifconfig -j <jid> em2 up
//! ```
//!
//! The move takes the interface away from the host, with its addresses (sys/net/if.c
//! `if_vmove`), so vimage refuses, unless `force=1`, to move the interface of the host's default
//! route, an uplink of any bridge (an if_bridge member, a vimage bridge's uplink, or an uplink of
//! this jail's other NICs), or an interface that holds an IP address: each would cut the host
//! or other jails off. The refusal is exit 65 (the request conflicts with the host's setup; it
//! is not something missing).

use super::planner::{Planner, Prelude};
use super::{Effect, NicFx};
use crate::error::{Kind, Result};
use crate::model::{JailNet, Mac, ModeKind, NicMode, NicSpec};
use crate::op::{IfRef, InJail, Op};

impl Planner<'_> {
    /// Plans one passthrough NIC; `net` is the whole jail (its other NICs' uplinks).
    pub fn passthrough_nic(&mut self, nic: &NicSpec, net: &JailNet) -> Result<()> {
        let NicMode::Passthrough { iface } = &nic.mode else { return Ok(()) };
        let name = iface.as_str();
        if let Prelude::InPlace = self.prelude(nic, Some(name), None, None)? {
            return Ok(());
        }
        let Some(st) = self.v.host_iface(name) else {
            return Err(self
                .err(Kind::Unavailable, format!("{name}: there is no interface {name} on the host to pass through"))
                .about(crate::error::Object::interface(name))
                .detail("it may be in another jail already (ifconfig -j <jail> lists a jail's interfaces)"));
        };
        if !self.force
            && let Some(why) = self.passthrough_conflict(name, st, net)
        {
            return Err(self
                .err(Kind::Data, format!("{name}: refusing to move it into the jail: {why}"))
                .about(crate::error::Object::interface(name))
                .detail("moving it would cut the host (or other jails) off; give force=1 if that is what you want"));
        }
        let jid = self.info.jid;
        self.push(Op::Vnet { iface: name.to_string(), jail: self.jail.clone(), jid, was_up: st.up });
        self.push(Op::UpInJail {
            at: InJail { jid, via_jexec: !self.v.kernel.has_ifconfig_j() },
            iface: name.to_string(),
        });
        self.plan.effects.push(Effect::Attach(NicFx {
            nic: nic.index,
            nic_name: name.to_string(),
            mode: ModeKind::Passthrough,
            host_if: IfRef::name(name),
            bridge: None,
            uplink: None,
            mac: st.mac.as_deref().and_then(|m| Mac::parse(m).ok()),
            jid,
            ng_node: None,
            ng_link: None,
            wanted_name: None,
            was_up: Some(st.up),
            jail_if: None,
        }));
        Ok(())
    }

    /// Why moving `name` would hurt, if it would.
    fn passthrough_conflict(&self, name: &str, st: &crate::parse::ifconfig::IfStatus, net: &JailNet) -> Option<String> {
        if self.v.default_if.as_deref() == Some(name) {
            return Some("it holds the host's default route".into());
        }
        if let Some(b) = self.v.host_ifaces.values().find(|b| b.is_bridge() && b.members.iter().any(|m| m == name)) {
            return Some(format!("it is a member of bridge {}", b.name));
        }
        if let Some(b) = self.v.bridges.iter().find(|b| b.uplink == name) {
            return Some(format!("it is the uplink of vimage's bridge {}", b.name));
        }
        let uplinks = net.nics.iter().filter(|n| !matches!(n.mode, NicMode::Passthrough { .. }));
        if uplinks.filter_map(|n| self.resolve_uplink(n).ok()).any(|u| u == name) {
            return Some("it is the uplink of another NIC of this jail".into());
        }
        let addrs: Vec<&String> = st.inet.iter().chain(st.inet6.iter().filter(|a| !a.starts_with("fe80:"))).collect();
        if !addrs.is_empty() {
            let list: Vec<&str> = addrs.iter().map(|a| a.as_str()).collect();
            return Some(format!("it holds address(es) {} on the host", list.join(", ")));
        }
        None
    }
}
