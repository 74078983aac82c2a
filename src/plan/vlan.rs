//! Planning a NIC's VLANs ([`crate::model::vlan::NicVlan`]).
//!
//! - **vlan(4) uplinks** (`vlan=N`, `interface=em0.100`, CBSD `nic_parent=em0.100`, and before
//!   FreeBSD 15 `vlan_untagged=N`): the NIC's uplink is `<uplink>.<N>`. An existing one is used
//!   as it is and never changed or destroyed. A missing one whose parent exists is created by
//!   name and marked vimage's (epair NICs only; a netgraph NIC needs its ng_ether node before
//!   the batch is planned):
//!   ```text
//!   kldload -n if_vlan
//!   ifconfig em0.100 create
//!   ifconfig em0.100 description vimage:vlan/em0.100 group vimage up
//!   ```
//!   It goes when vimage's bridge on it goes (unbridge, gc, service stop: see
//!   [`super::unbridge`]), i.e. with its last jail.
//! - **FreeBSD 15 bridge VLAN filtering** (`vlan_untagged=N`, `vlan_tagged=LIST`, CBSD 15.x's
//!   `nic_vlan_untagged`/`nic_vlan_tagged`): the host end joins the uplink's bridge as untagged
//!   member of N and tagged member of LIST; the uplink member carries all of them tagged.
//!   `vlanfilter` is turned on only on a bridge this run creates; a bridge that does not filter
//!   and is not new is refused before any change, with the command that would make it filter.
//!   ```text
//!   ifconfig bridge create description vimage:em0 group vimage addm em0 up
//!   ifconfig $bridge_em0 vlanfilter
//!   ifconfig $bridge_em0 +iftagged em0 100,200
//!   ifconfig epair create …
//!   ifconfig $bridge_em0 addm $eth0_a
//!   ifconfig $bridge_em0 ifuntagged $eth0_a 100 iftagged $eth0_a 200
//!   ```

use super::planner::Planner;
use crate::error::{Kind, Result};
use crate::model::vlan::{format_vid_list, split_vlan_ifname, vlan_ifname};
use crate::model::{ModeKind, NicSpec};
use crate::op::{IfRef, Op};
use crate::parse::ifconfig::IfStatus;
use std::collections::BTreeSet;

/// FreeBSD 15.0's `kern.osreldate`: if_bridge VLAN filtering (`vlanfilter`, `ifuntagged`,
/// `iftagged`) appeared in 15.0 (sys/net/if_bridge.c `BRDGSFLAGS`, sbin/ifconfig/ifbridge.c).
pub const VLANFILTER_OSRELDATE: u32 = 1_500_000;

impl<'a> Planner<'a> {
    /// True when this kernel has FreeBSD 15's bridge VLAN filtering.
    pub fn has_vlanfilter(&self) -> bool {
        self.v.kernel.osreldate >= VLANFILTER_OSRELDATE
    }

    /// True when this NIC's `vlan_untagged`/`vlan_tagged` are done by bridge VLAN filtering
    /// (an epair NIC on a 15.x kernel); otherwise `vlan_untagged` picks a vlan(4) uplink.
    pub fn filters_vlans(&self, nic: &NicSpec) -> bool {
        nic.vlan.filters() && nic.mode.kind() == ModeKind::Epair && self.has_vlanfilter()
    }

    /// The uplink with the NIC's VLAN applied: `<uplink>.<vlan>` for `vlan=`, and for
    /// `vlan_untagged=` where the bridge cannot filter (before FreeBSD 15, or a netgraph NIC).
    /// A tagged list there is refused: a vlan(4) uplink carries one VLAN.
    pub fn vlan_applied(&self, nic: &NicSpec, uplink: String) -> Result<String> {
        let v = &nic.vlan;
        let filtering = self.filters_vlans(nic);
        if !v.tagged.is_empty() && !filtering {
            let why = if nic.mode.kind() == ModeKind::Netgraph {
                "ng_bridge(4) does not filter VLANs".to_string()
            } else {
                format!(
                    "this kernel is kern.osreldate {} (bridge VLAN filtering came with FreeBSD 15.0, {VLANFILTER_OSRELDATE})",
                    self.v.kernel.osreldate
                )
            };
            return Err(self
                .err(
                    Kind::Unavailable,
                    format!(
                        "{}: vlan_tagged={} needs FreeBSD 15's bridge VLAN filtering, and {why}",
                        nic.name,
                        format_vid_list(&v.tagged)
                    ),
                )
                .about(crate::error::Object::uplink(&uplink))
                .detail("drop vlan_tagged (CBSD: nic_vlan_tagged=0), or give the NIC one VLAN with vlan=N or vlan_untagged=N (a vlan(4) uplink)"));
        }
        let untagged = v.untagged.filter(|_| !filtering);
        let tag = match (v.vlan, untagged) {
            (Some(a), Some(b)) if a != b => {
                return Err(self.err(
                    Kind::Data,
                    format!("{}: vlan={a} and vlan_untagged={b} ask for two uplink VLANs; give one", nic.name),
                ));
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => return Ok(uplink),
        };
        // Already that VLAN (`interface=em0.100 vlan=100`): nothing to add.
        let is_it = split_vlan_ifname(&uplink).is_some_and(|(_, t)| t == tag)
            || self.v.host_iface(&uplink).and_then(|s| s.vlan.as_ref()).is_some_and(|(t, _)| *t == tag);
        if is_it {
            return Ok(uplink);
        }
        let name = vlan_ifname(&uplink, tag);
        if name.len() > 15 {
            return Err(self.err(
                Kind::Data,
                format!("{}: the vlan(4) uplink {name} would be longer than 15 bytes (IFNAMSIZ)", nic.name),
            ));
        }
        Ok(name)
    }

    /// The status a vlan(4) uplink will have once vimage creates it, when `uplink` is a
    /// missing `<parent>.<tag>` whose parent exists; `None` when it exists or is no such name.
    /// A netgraph NIC is refused: its ng_ether node must exist when the batch is planned.
    pub fn vlan_to_create(&self, nic: &NicSpec, uplink: &str) -> Result<Option<IfStatus>> {
        if self.v.host_iface(uplink).is_some() {
            return Ok(None);
        }
        let Some((parent, tag)) = split_vlan_ifname(uplink) else { return Ok(None) };
        let Some(p) = self.v.host_iface(parent) else {
            return Err(self
                .err(
                    Kind::Unavailable,
                    format!(
                        "{}: uplink {uplink} does not exist, and neither does {parent}, the parent vimage would create it on",
                        nic.name
                    ),
                )
                .about(crate::error::Object::uplink(uplink)));
        };
        // if_vlan.c vlan_config: the parent must be Ethernet, a vlan (Q-in-Q) or (15.x) a
        // bridge; ifconfig shows an `ether` line for exactly those.
        if (1..=crate::model::vlan::VID_MAX).contains(&tag) && p.mac.is_some() {
            if nic.mode.kind() == ModeKind::Netgraph {
                return Err(self
                    .err(
                        Kind::Unavailable,
                        format!(
                            "{}: uplink {uplink} does not exist; vimage creates vlan uplinks for epair NICs only",
                            nic.name
                        ),
                    )
                    .about(crate::error::Object::uplink(uplink))
                    .detail(format!("create it first: ifconfig {uplink} create up")));
            }
            // if_vlan.c vlan_config: the vlan takes the parent's MAC and MTU, less the tag's 4
            // bytes (ETHER_VLAN_ENCAP_LEN) when the parent lacks IFCAP_VLAN_MTU.
            let vlan_mtu = p.options.iter().any(|o| o == "VLAN_MTU");
            let st = IfStatus {
                name: uplink.to_string(),
                up: true,
                mtu: if vlan_mtu { p.mtu } else { p.mtu.saturating_sub(4) },
                mac: p.mac.clone(),
                groups: vec!["vlan".into(), crate::naming::GROUP.into()],
                vlan: Some((tag, Some(parent.to_string()))),
                ..IfStatus::default()
            };
            return Ok(Some(st));
        }
        Ok(None)
    }

    /// Plans the creation of vlan(4) `name` (once per plan) and says so.
    pub fn create_vlan(&mut self, name: &str) {
        if !self.vlans.created.insert(name.to_string()) {
            return;
        }
        let Some((parent, tag)) = split_vlan_ifname(name) else { return };
        if self.vlans.created.len() == 1 {
            // ifconfig's ifmaybeload loads if_<driver> of the name, never if_vlan for
            // `em0.100` (sbin/ifconfig/ifconfig.c: it strips the digits at the end and asks
            // for `if_em0.`); GENERIC has `device vlan`, where `kldload -n` is a no-op.
            self.push(Op::KldLoad { module: "if_vlan".into() });
        }
        self.push(Op::CreateVlan { name: name.to_string(), parent: parent.to_string(), tag });
        self.push(Op::MarkVlan { name: name.to_string() });
        self.plan.notes.push(format!(
            "creating vlan(4) {name} (VLAN {tag} on {parent}); vimage destroys it when its last jail leaves"
        ));
    }

    /// Checks that `bridge` can carry this NIC's VLANs and plans what it takes on vimage's
    /// bridges: `vlanfilter` on a bridge this run creates, and the VLANs on its uplink member.
    /// Called right after the bridge is chosen, before the epair is made, so a refusal comes
    /// before any change that is not this plan's own.
    pub fn prepare_vlan_bridge(&mut self, nic: &NicSpec, bridge: &IfRef, uplink: &str) -> Result<()> {
        let shown = bridge.display(&Default::default());
        if !self.filters_vlans(nic) {
            // A filtering bridge drops a member's untagged frames unless it has a PVID (its
            // own, or the bridge's `defuntagged`): such a NIC would be cut off without a word.
            let st = self.v.host_iface(&shown);
            let filtering = self.vlans.filtering.contains(&shown) || st.is_some_and(|s| s.vlanfilter);
            if filtering && st.is_none_or(|s| s.defuntagged.is_none()) && nic.mode.kind() == ModeKind::Epair {
                return Err(self
                    .err(
                        Kind::Data,
                        format!(
                            "{}: bridge {shown} (for uplink {uplink}) filters VLANs, so a NIC without a VLAN would pass no traffic",
                            nic.name
                        ),
                    )
                    .about(crate::error::Object::new(crate::error::ObjectKind::Bridge, &shown))
                    .detail("give the NIC its VLAN: vlan_untagged=N (and vlan_tagged=LIST for tagged ones)"));
            }
            return Ok(());
        }
        let new = matches!(bridge, IfRef::Created(_));
        let st = self.v.host_iface(&shown);
        let owned = new || st.is_some_and(|s| s.in_group(crate::naming::GROUP));
        let filtering = self.vlans.filtering.contains(&shown) || st.is_some_and(|s| s.vlanfilter);
        let wanted: BTreeSet<u16> = nic.vlan.untagged.iter().copied().chain(nic.vlan.tagged.iter().copied()).collect();
        let list = format_vid_list(&wanted.iter().copied().collect::<Vec<_>>());
        if !filtering {
            if !new {
                let whose = if owned {
                    "it is vimage's, but other jails' NICs are on it and would lose their untagged traffic"
                } else {
                    "vimage never changes a bridge it did not create"
                };
                return Err(self
                    .err(
                        Kind::Unavailable,
                        format!(
                            "{}: bridge {shown} (for uplink {uplink}) does not filter VLANs, which vlan_untagged/vlan_tagged need; {whose}",
                            nic.name
                        ),
                    )
                    .about(crate::error::Object::new(crate::error::ObjectKind::Bridge, &shown))
                    .detail(format!(
                        "make it filter, giving every member its VLANs: ifconfig {shown} vlanfilter +iftagged {uplink} {list}"
                    ))
                    .detail("(then each other member needs `ifconfig <bridge> ifuntagged <member> <VLAN>`), or drop the VLAN keys"));
            }
            self.push(Op::VlanFilter { bridge: bridge.clone() });
            self.vlans.filtering.insert(shown.clone());
            self.plan.notes.push(format!(
                "{}: enabling VLAN filtering (vlanfilter) on vimage's new bridge for {uplink}",
                nic.name
            ));
        }
        // The uplink member carries every VLAN of the jail tagged. An uplink that is itself a
        // bridge (interface=bridge0) has no such member: its ports are the admin's.
        if self.v.host_iface(uplink).is_some_and(IfStatus::is_bridge) && shown == uplink {
            return Ok(());
        }
        let have: BTreeSet<u16> = st
            .and_then(|s| s.member_vlans.iter().find(|m| m.member == uplink))
            .map(|m| m.tagged.iter().copied().collect())
            .unwrap_or_default();
        let planned = self.vlans.uplink_tagged.entry(shown.clone()).or_default();
        let missing: Vec<u16> = wanted.iter().copied().filter(|v| !have.contains(v) && !planned.contains(v)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        if !owned {
            return Err(self
                .err(
                    Kind::Unavailable,
                    format!(
                        "{}: uplink {uplink} on bridge {shown} does not carry VLAN {} tagged, and vimage never changes a bridge it did not create",
                        nic.name,
                        format_vid_list(&missing)
                    ),
                )
                .about(crate::error::Object::new(crate::error::ObjectKind::Bridge, &shown))
                .detail(format!("add them: ifconfig {shown} +iftagged {uplink} {}", format_vid_list(&missing))));
        }
        planned.extend(missing.iter().copied());
        let op = Op::UplinkTagged { bridge: bridge.clone(), uplink: uplink.to_string(), vlans: missing, add: true };
        self.push(op);
        Ok(())
    }

    /// The host end's VLANs on the bridge (after `addm`): `ifuntagged` and `iftagged`.
    pub fn member_vlans(&mut self, nic: &NicSpec, bridge: &IfRef, member: IfRef) {
        if !self.filters_vlans(nic) {
            return;
        }
        self.push(Op::MemberVlans {
            bridge: bridge.clone(),
            member,
            untagged: nic.vlan.untagged,
            tagged: nic.vlan.tagged.clone(),
        });
        let mut what = Vec::new();
        if let Some(u) = nic.vlan.untagged {
            what.push(format!("untagged member of VLAN {u}"));
        }
        if !nic.vlan.tagged.is_empty() {
            what.push(format!("tagged member of VLAN {}", format_vid_list(&nic.vlan.tagged)));
        }
        self.plan.notes.push(format!("{}: host end is {}", nic.name, what.join(" and ")));
    }
}
