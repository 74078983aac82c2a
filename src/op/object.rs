//! What each op acts on, as an error names it: the executor puts it in the [`Object`] of a
//! failed step's error, so `--json` says which interface, bridge, node, jail or ruleset it was.

use super::{Bindings, IfRef, Op};
use crate::error::{Object, ObjectKind};

impl Op {
    /// The object this op changes, with names the kernel chose filled from `b` (a name not yet
    /// chosen is its `$slot`). `None` for a netgraph batch, whose object is its failing line's
    /// node ([`super::ngscript::line_node`]).
    pub fn object(&self, b: &Bindings) -> Option<Object> {
        use ObjectKind::*;
        Some(match self {
            Op::CreateBridge { slot, .. } | Op::CreateNetBridge { slot, .. } => {
                Object::new(Bridge, IfRef::Created(slot.clone()).display(b))
            }
            Op::BridgeAddr { bridge, .. } => Object::new(Bridge, bridge.display(b)),
            Op::CreateEpair { slot, .. } => Object::new(Interface, IfRef::Created(slot.clone()).display(b)),
            Op::AddMember { bridge, .. } => Object::new(Bridge, bridge.display(b)),
            Op::MoveToJail { iface, .. }
            | Op::RenameInJail { iface, .. }
            | Op::ConfigureInJail { iface, .. }
            | Op::Destroy { iface }
            | Op::AddrAdd { iface, .. }
            | Op::AddrDel { iface, .. } => Object::new(Interface, iface.display(b)),
            Op::Adopt { iface, .. }
            | Op::Unadopt { iface, .. }
            | Op::Reclaim { iface, .. }
            | Op::Vnet { iface, .. }
            | Op::Unvnet { iface, .. }
            | Op::UpInJail { iface, .. }
            | Op::Promisc { iface, .. } => Object::new(Interface, iface),
            Op::MemberFlags { bridge, .. } => Object::new(Bridge, bridge.display(b)),
            Op::Offload { iface, .. } => Object::new(Interface, iface.display(b)),
            Op::RenameBackInJail { from, .. } => Object::new(Interface, from),
            Op::Slaac { iface, .. } | Op::Dhclient { iface, .. } => Object::new(Interface, iface),
            Op::CreateJail { jail, .. }
            | Op::RemoveJail { jail }
            | Op::ExecInJail { jail, .. }
            | Op::JailSetDevfs { jail, .. }
            | Op::CbsdJset { jail, .. } => Object::new(Jail, jail),
            Op::DevfsRuleAdd { set, .. } | Op::DevfsDelset { set } => Object::new(Ruleset, set),
            Op::DevfsUse { mount, .. } | Op::DevfsApply { mount, .. } => Object::new(Mount, mount),
            Op::RouteDefault { v6, .. } | Op::RouteDelete { v6, .. } => {
                Object::new(Route, if *v6 { "default -inet6" } else { "default" })
            }
            Op::NgShutdown { name, .. } => Object::new(Node, name),
            Op::KldLoad { module } => Object::new(Module, module),
            Op::CreateVlan { name, .. } | Op::MarkVlan { name } => Object::new(Interface, name),
            Op::VlanFilter { bridge } | Op::MemberVlans { bridge, .. } | Op::UplinkTagged { bridge, .. } => {
                Object::new(Bridge, bridge.display(b))
            }
            Op::PfLoadAnchor { anchor, .. } | Op::PfFlushAnchor { anchor, .. } => Object::new(Anchor, anchor),
            Op::SysctlSet { name, .. } => Object::new(Sysctl, name),
            Op::PfCheckConf { path } | Op::PfLoadConf { path } => Object::new(File, path),
            Op::NgScript { .. } | Op::NgUndo { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Slot;

    #[test]
    fn an_op_names_its_object_with_the_kernel_s_name_once_known() {
        let s = Slot("eth0_a".into());
        let op = Op::Destroy { iface: IfRef::Created(s.clone()) };
        assert_eq!(op.object(&Bindings::new()), Some(Object::new(ObjectKind::Interface, "$eth0_a")));
        let b: Bindings = [(s, "epair3a".to_string())].into();
        assert_eq!(op.object(&b), Some(Object::new(ObjectKind::Interface, "epair3a")));
        let br = Op::CreateBridge { slot: Slot("bridge_em0".into()), uplink: "em0".into() };
        assert_eq!(br.object(&b).map(|o| (o.kind, o.name)), Some((ObjectKind::Bridge, "$bridge_em0".into())));
        let kld = Op::KldLoad { module: "ng_ether".into() };
        assert_eq!(kld.object(&b), Some(Object::new(ObjectKind::Module, "ng_ether")));
    }
}
