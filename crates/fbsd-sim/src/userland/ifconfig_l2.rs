//! ifconfig's layer-2 parameters: vlan(4) (sbin/ifconfig/ifvlan.c), lagg(4) (iflagg.c), the
//! if_bridge member and address-cache words and the 15.x VLAN filtering words (ifbridge.c),
//! and `pcp` (ifconfig.c `setifpcp`). Each runs the ioctl its source runs, with its messages.

use super::Exit;
use super::ifconfig_params::Apply;
use super::ifconfig_words::Act;
use crate::Errno;
use crate::kernel::bridge_cfg::VlanOp;
use crate::kernel::ifnet::IfKind;
use crate::kernel::lagg;
use crate::kernel::types::Mac;
use crate::kernel::vlan::{ETHERTYPE_QINQ, ETHERTYPE_VLAN, VlanReq};
use std::collections::BTreeSet;

/// `strtoul(val, &endp, 0)` that must consume everything.
fn strtoul(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// ifbridge.c `get_vlan_id`: 1..4094 (DOT1Q_VID_MIN..DOT1Q_VID_MAX).
fn get_vlan_id(s: &str) -> Option<u16> {
    strtoul(s).filter(|v| (1..=4094).contains(v)).map(|v| v as u16)
}

/// ifbridge.c `parse_vlans`: `none`, `all` (1–4094), or a comma list of IDs and ranges.
pub(crate) fn parse_vlans(s: &str) -> Option<BTreeSet<u16>> {
    match s {
        "none" => return Some(BTreeSet::new()),
        "all" => return Some((1..=4094).collect()),
        _ => {}
    }
    let mut set = BTreeSet::new();
    for tok in s.split(',') {
        let (a, b) = match tok.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (tok, None),
        };
        let dec = |x: &str| -> Option<u16> {
            (!x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())).then(|| x.parse::<u16>().ok()).flatten()
        };
        let first = dec(a).filter(|v| (1..=4094).contains(v))?;
        let last = match b {
            Some(b) => dec(b).filter(|v| (1..=4094).contains(v) && *v >= first)?,
            None => first,
        };
        set.extend(first..=last);
    }
    Some(set)
}

impl Apply<'_> {
    /// ifvlan.c `vlan_create` (and `vlan_parse_ethervid` for `PARENT.TAG` names): the create
    /// request of a vlan, `None` for other cloners or a bare `vlan create`.
    pub(super) fn vlan_create_params(&mut self) -> Result<Option<VlanReq>, Exit> {
        let name = self.name.clone();
        let dotted = name.contains('.');
        if !dotted && !name.starts_with("vlan") {
            return Ok(None);
        }
        if dotted {
            let (parent, tag) = name.rsplit_once('.').unwrap_or_default();
            let ok = tag.starts_with(|c: char| ('1'..='9').contains(&c)) && tag.bytes().all(|b| b.is_ascii_digit());
            let vid = if ok { tag.parse::<u32>().ok().filter(|v| *v < 0xfff) } else { None };
            let Some(vid) = vid else {
                return Err(self.p.errx(1, "invalid vlan tag"));
            };
            let vid = vid as u16;
            if self.vlan.tag.is_some_and(|t| t != vid) {
                return Err(self.p.errx(1, "ambiguous vlan specification"));
            }
            if !self.vlan.parent.is_empty() && self.vlan.parent != parent {
                return Err(self.p.errx(1, "ambiguous vlan specification"));
            }
            self.vlan.tag = Some(vid);
            self.vlan.parent = parent.to_string();
        }
        if self.vlan.tag.is_none() && self.vlan.parent.is_empty() {
            return Ok(None);
        }
        let Some(tag) = self.vlan.tag else {
            return Err(self.p.errx(1, "must specify a tag for vlan create"));
        };
        if self.vlan.parent.is_empty() {
            return Err(self.p.errx(1, "must specify a parent device for vlan create"));
        }
        Ok(Some(VlanReq { parent: self.vlan.parent.clone(), tag, proto: self.vlan.proto }))
    }

    /// ifvlan.c `vlan_cb`, run after all parameters: one of `vlan`/`vlandev` alone is an error.
    pub(super) fn vlan_callback(&mut self) -> Result<(), Exit> {
        if self.vlan.tag.is_some() == self.vlan.parent.is_empty() {
            return Err(self.p.errx(1, "both vlan and vlandev must be specified"));
        }
        Ok(())
    }

    /// `SIOCGETVLAN` then `vlan_set` as setvlantag/setvlandev/setvlanproto do: on an existing
    /// vlan the current settings fill what was not given, and the kernel is told once both
    /// tag and parent are known.
    fn vlan_param(&mut self, act: Act, arg: &str) -> Result<(), Exit> {
        match act {
            Act::VlanTag => {
                let Some(ul) = strtoul(arg) else {
                    return Err(self.p.errx(1, "invalid value for vlan"));
                };
                let Ok(t) = u16::try_from(ul) else {
                    return Err(self.p.errx(1, "value for vlan out of range"));
                };
                self.vlan.tag = Some(t);
            }
            Act::VlanDev => self.vlan.parent = arg.to_string(),
            _ => {
                let l = arg.to_ascii_lowercase();
                self.vlan.proto = if l.starts_with("802.1q") {
                    ETHERTYPE_VLAN
                } else if l.starts_with("802.1ad") || l.starts_with("qinq") {
                    ETHERTYPE_QINQ
                } else {
                    return Err(self.p.errx(1, "invalid value for vlanproto"));
                };
            }
        }
        let Ok(id) = self.ifid() else { return Ok(()) };
        let Some(IfKind::Vlan(cur)) = self.k.ifp(id).map(|i| i.kind.clone()) else { return Ok(()) };
        // memcpy(&params, &vreq): the current vlanreq with the one field given.
        let cur_parent = cur.parent.and_then(|p| self.k.ifp(p)).map(|p| p.name.clone()).unwrap_or_default();
        match act {
            Act::VlanTag => {
                if self.vlan.parent.is_empty() {
                    self.vlan.parent = cur_parent;
                }
                self.vlan.proto = cur.proto;
            }
            Act::VlanProto => {
                self.vlan.tag = Some(cur.tag);
                self.vlan.parent = cur_parent;
            }
            _ => {}
        }
        if let (Some(tag), false) = (self.vlan.tag, self.vlan.parent.is_empty()) {
            let req = VlanReq { parent: self.vlan.parent.clone(), tag, proto: self.vlan.proto };
            let ctx = self.ctx;
            self.k.vlan_set(ctx, id, &req).map_err(|e| self.p.err(1, "SIOCSETVLAN", e))?;
        }
        Ok(())
    }

    fn bridge_err(&mut self, r: Result<(), Errno>, msg: &str) -> Result<(), Exit> {
        r.map_err(|e| self.p.err(1, msg, e))
    }

    /// The layer-2 words with at most one argument.
    pub(super) fn apply_l2(&mut self, act: Act, word: &str, arg: &str) -> Result<(), Exit> {
        let ctx = self.ctx;
        let id = self.ifid();
        match act {
            Act::Pcp(on) => {
                let v = if on {
                    let Some(ul) = strtoul(arg) else {
                        return Err(self.p.errx(1, "invalid value for pcp"));
                    };
                    if ul > 7 {
                        return Err(self.p.errx(1, "value for pcp out of range"));
                    }
                    Some(ul as u8)
                } else {
                    None
                };
                let r = id.and_then(|id| self.k.if_set_pcp(ctx, id, v));
                self.bridge_err(r, "SIOCSLANPCP")
            }
            Act::VlanTag | Act::VlanDev | Act::VlanProto => self.vlan_param(act, arg),
            Act::VlanPcp => {
                let Some(ul) = strtoul(arg) else {
                    return Err(self.p.errx(1, "invalid value for vlanpcp"));
                };
                if ul > 7 {
                    return Err(self.p.errx(1, "value for vlanpcp out of range"));
                }
                let r = id.and_then(|id| self.k.vlan_set_pcp(ctx, id, ul as u8));
                self.bridge_err(r, "SIOCSVLANPCP")
            }
            Act::UnVlanDev => {
                let is_vlan =
                    id.as_ref().ok().and_then(|i| self.k.ifp(*i)).is_some_and(|i| matches!(i.kind, IfKind::Vlan(_)));
                if !is_vlan {
                    return Err(self.p.err(1, "SIOCGETVLAN", Errno::EINVAL));
                }
                let r = id.and_then(|id| self.k.vlan_set(ctx, id, &VlanReq::default()));
                self.bridge_err(r, "SIOCSETVLAN")
            }
            Act::LaggPort => {
                let r = id.and_then(|id| self.lagg_ioctl(id, |k, id| k.lagg_add_port(ctx, id, arg)));
                match r {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => {
                        // iflagg.c setlaggport: warn and go on, so one bad NIC does not take the
                        // whole lagg down; the exit status is 1.
                        let name = self.name.clone();
                        self.p.warnx(&format!("{name} {arg}: SIOCSLAGGPORT: {}", e.strerror()));
                        self.exit_code = 1;
                    }
                }
                Ok(())
            }
            Act::UnLaggPort => {
                let r = id.and_then(|id| self.lagg_ioctl(id, |k, id| k.lagg_del_port(ctx, id, arg)));
                self.bridge_err(r, "SIOCSLAGGDELPORT")
            }
            Act::LaggProto => {
                let Some((_, p)) = lagg::PROTOS.iter().find(|(n, _)| *n == arg) else {
                    return Err(self.p.errx(1, &format!("Invalid aggregation protocol: {arg}")));
                };
                let r = id.and_then(|id| self.lagg_ioctl(id, |k, id| k.lagg_set_proto(ctx, id, *p)));
                self.bridge_err(r, "SIOCSLAGG")
            }
            Act::LaggHash => {
                let mut h = 0u8;
                for tok in arg.split(',') {
                    h |= match tok {
                        "l2" => 1,
                        "l3" => 2,
                        "l4" => 4,
                        t => return Err(self.p.errx(1, &format!("Invalid lagghash option: {t}"))),
                    };
                }
                let r = id.and_then(|id| self.lagg_ioctl(id, |k, id| k.lagg_set_hash(ctx, id, h)));
                self.bridge_err(r, "SIOCSLAGGHASH")
            }
            Act::BrFlag(flag, on) => {
                let known = id.as_ref().ok().is_some_and(|b| self.is_bridge_member(*b, arg));
                if !known {
                    let e = if self.is_bridge() { Errno::ENOENT } else { Errno::EINVAL };
                    return Err(self.p.err(1, "unable to get bridge flags", e));
                }
                let r = id.and_then(|id| self.k.bridge_member_flag(ctx, id, arg, flag, on));
                self.bridge_err(r, "unable to set bridge flags")
            }
            Act::Span(on) => {
                let r = self.on_bridge(id).and_then(|id| {
                    if on { self.k.bridge_add_span(ctx, id, arg) } else { self.k.bridge_del_span(ctx, id, arg) }
                });
                self.bridge_err(r, &format!("{} {arg}", if on { "BRDGADDS" } else { "BRDGDELS" }))
            }
            Act::BrAddr => {
                let id = self.on_bridge(id).map_err(|e| self.p.err(1, "unable to get address cache", e))?;
                self.print_addresses(id);
                Ok(())
            }
            Act::Flush(all) => {
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_flush(ctx, id, all));
                self.bridge_err(r, "BRDGFLUSH")
            }
            Act::UnIfUntagged => {
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_set_pvid(ctx, id, arg, 0));
                self.bridge_err(r, "BRDGSIFPVID")
            }
            Act::BrFlags(f, on) => {
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_set_flags(ctx, id, f, on));
                self.bridge_err(r, "BRDGSFLAGS")
            }
            Act::DefUntagged => {
                let Some(v) = get_vlan_id(arg) else {
                    return Err(self.p.errx(1, &format!("invalid vlan id: {arg}")));
                };
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_set_defpvid(ctx, id, v));
                self.bridge_err(r, "BRDGSDEFPVID")
            }
            Act::UnDefUntagged => {
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_set_defpvid(ctx, id, 0));
                self.bridge_err(r, "BRDGSDEFPVID")
            }
            Act::Deladdr => self.deladdr(&[arg.to_string()]).map(|_| ()),
            _ => Err(self.p.errx(1, &format!("{word}: not simulated"))),
        }
    }

    /// The two-argument words (`DEF_CMD_ARG2`): `static` (14.x), `ifuntagged`, `iftagged`.
    pub(super) fn apply2(&mut self, act: Act, a: &str, b: &str) -> Result<(), Exit> {
        let ctx = self.ctx;
        let id = self.ifid();
        match act {
            Act::Static => self.static_addr(&[a.to_string(), b.to_string()]).map(|_| ()),
            Act::IfUntagged => {
                let Some(v) = get_vlan_id(b) else {
                    return Err(self.p.errx(1, &format!("invalid VLAN identifier: {b}")));
                };
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_set_pvid(ctx, id, a, v));
                self.bridge_err(r, &format!("BRDGSIFPVID {b}"))
            }
            Act::IfTagged(op) => {
                let Some(set) = parse_vlans(b) else {
                    return Err(self.p.errx(1, &format!("invalid vlan set: {b}")));
                };
                let r = self.on_bridge(id).and_then(|id| self.k.bridge_vlan_set(ctx, id, a, op, &set));
                self.bridge_err(r, &format!("BRDGSIFVLANSET {b}"))
            }
            _ => Ok(()),
        }
    }

    /// The variable-argument words of 15.x (`DEF_CMD_VARG`): `addm IF [untagged N] [tagged
    /// SET]`, `static IF MAC [vlan N]`, `deladdr MAC [vlan N]`. Returns the words taken.
    pub(super) fn apply_varg(&mut self, act: Act, rest: &[String]) -> Result<usize, Exit> {
        match act {
            Act::Addm => self.addm_15(rest),
            Act::Static => self.static_addr(rest),
            _ => self.deladdr(rest),
        }
    }

    fn addm_15(&mut self, rest: &[String]) -> Result<usize, Exit> {
        let Some(member) = rest.first() else {
            return Err(self.p.errx(1, "usage: addm <interface> [opts ...]"));
        };
        let mut pvid = 0u16;
        let mut vlans: Option<BTreeSet<u16>> = None;
        let mut n = 1;
        while let Some(w) = rest.get(n) {
            match w.as_str() {
                "untagged" => {
                    let Some(v) = rest.get(n + 1) else {
                        return Err(self.p.errx(1, "usage: untagged <vlan id>"));
                    };
                    pvid = get_vlan_id(v).ok_or_else(|| self.p.errx(1, &format!("invalid VLAN identifier: {v}")))?;
                    n += 2;
                }
                "tagged" => {
                    let Some(v) = rest.get(n + 1) else {
                        return Err(self.p.errx(1, "usage: tagged <vlan set>"));
                    };
                    vlans = Some(parse_vlans(v).ok_or_else(|| self.p.errx(1, &format!("invalid vlan set: {v}")))?);
                    n += 2;
                }
                _ => break,
            }
        }
        let ctx = self.ctx;
        let r = self.ifid().and_then(|id| self.k.bridge_add(ctx, id, member));
        r.map_err(|e| self.p.err(1, &format!("BRDGADD {member}"), e))?;
        let id = self.ifid().map_err(|e| self.p.err(1, &format!("BRDGADD {member}"), e))?;
        self.k.bridge_member_added(id, member);
        if pvid != 0 {
            let r = self.k.bridge_set_pvid(ctx, id, member, pvid);
            r.map_err(|e| self.p.err(1, &format!("BRDGSIFPVID {member} {pvid}"), e))?;
        }
        if let Some(set) = vlans {
            let r = self.k.bridge_vlan_set(ctx, id, member, VlanOp::Set, &set);
            r.map_err(|e| self.p.err(1, &format!("BRDGSIFVLANSET {member}"), e))?;
        }
        Ok(n)
    }

    /// `static`: 14.x takes exactly IF MAC (VLAN 1, "XXX allow user to specify"); 15.x also
    /// `vlan N`.
    fn static_addr(&mut self, rest: &[String]) -> Result<usize, Exit> {
        let b15 = self.k.bridge_15();
        if rest.len() < 2 {
            return Err(self.p.errx(1, "usage: static <interface> <address> [vlan <id>]"));
        }
        let (ifs, mac) = (rest[0].clone(), rest[1].clone());
        let Some(m) = Mac::parse(&mac) else {
            let msg = if b15 { format!("invalid address: {mac}") } else { format!("{ifs}: invalid address: {mac}") };
            return Err(self.p.errx(1, &msg));
        };
        let mut n = 2;
        let mut vlan = if b15 { 0 } else { 1 };
        if b15 && rest.get(2).map(String::as_str) == Some("vlan") {
            let Some(v) = rest.get(3) else {
                return Err(self.p.errx(1, "usage: static <interface> <address> [vlan <id>]"));
            };
            vlan = get_vlan_id(v).ok_or_else(|| self.p.errx(1, &format!("invalid vlan id: {v}")))?;
            n = 4;
        }
        let ctx = self.ctx;
        let id = self.ifid();
        let r = self.on_bridge(id).and_then(|id| self.k.bridge_static(ctx, id, &ifs, m, vlan));
        let msg = if b15 { "BRDGSADDR".to_string() } else { format!("BRDGSADDR {ifs}") };
        self.bridge_err(r, &msg)?;
        Ok(n)
    }

    /// `deladdr MAC [vlan N]` (the VLAN part on 15.x).
    fn deladdr(&mut self, rest: &[String]) -> Result<usize, Exit> {
        let b15 = self.k.bridge_15();
        let Some(mac) = rest.first().cloned() else {
            return Err(self.p.errx(1, "usage: deladdr <address> [vlan <id>]"));
        };
        let Some(m) = Mac::parse(&mac) else {
            return Err(self.p.errx(1, &format!("invalid address: {mac}")));
        };
        let mut n = 1;
        let mut vlan = if b15 { 0 } else { 1 };
        if b15 && rest.get(1).map(String::as_str) == Some("vlan") {
            let Some(v) = rest.get(2) else {
                return Err(self.p.errx(1, "usage: deladdr <address> [vlan <id>]"));
            };
            vlan = get_vlan_id(v).ok_or_else(|| self.p.errx(1, &format!("invalid vlan id: {v}")))?;
            n = 3;
        }
        let ctx = self.ctx;
        let id = self.ifid();
        let r = self.on_bridge(id).and_then(|id| self.k.bridge_deladdr(ctx, id, m, vlan));
        let msg = if b15 { "BRDGDADDR".to_string() } else { format!("BRDGDADDR {mac}") };
        self.bridge_err(r, &msg)?;
        Ok(n)
    }

    /// ifbridge.c `bridge_addresses`: `MAC Vlan%d IF EXPIRE flags=1<STATIC>`.
    fn print_addresses(&mut self, br: crate::kernel::IfId) {
        let rt = self.k.ifp(br).and_then(|b| b.bridge_state()).map(|s| s.rt.clone()).unwrap_or_default();
        for r in rt {
            let ifname = self.k.ifp(r.ifp).map(|i| i.name.clone()).unwrap_or_default();
            self.p.out.push_str(&format!("{} Vlan{} {ifname} 0 flags=1<STATIC>\n", r.mac, r.vlan));
        }
    }

    fn is_bridge(&self) -> bool {
        self.ifid().ok().and_then(|id| self.k.ifp(id)).is_some_and(|i| matches!(i.kind, IfKind::Bridge(_)))
    }

    fn is_bridge_member(&self, br: crate::kernel::IfId, name: &str) -> bool {
        self.k.bridge_members(br).into_iter().any(|m| self.k.ifp(m).is_some_and(|i| i.name == name))
    }

    /// A bridge's drvspec ioctls on another interface fail in its driver (EINVAL).
    fn on_bridge(&self, id: Result<crate::kernel::IfId, Errno>) -> Result<crate::kernel::IfId, Errno> {
        let id = id?;
        if self.is_bridge() { Ok(id) } else { Err(Errno::EINVAL) }
    }

    /// The lagg ioctls on an interface that is not a lagg fail in its driver (EINVAL).
    fn lagg_ioctl(
        &mut self,
        id: crate::kernel::IfId,
        f: impl FnOnce(&mut crate::kernel::Kernel, crate::kernel::IfId) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        if !self.k.ifp(id).is_some_and(|i| matches!(i.kind, IfKind::Lagg(_))) {
            return Err(Errno::EINVAL);
        }
        f(self.k, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_sets_parse_like_ifbridge_c_parse_vlans() {
        assert_eq!(parse_vlans("100-102,7").unwrap().into_iter().collect::<Vec<_>>(), [7, 100, 101, 102]);
        assert_eq!(parse_vlans("none").unwrap().len(), 0);
        assert_eq!(parse_vlans("all").unwrap().len(), 4094);
        for bad in ["-1", "0", "4096", "4097", "foo", "0-10", "4000-5000", "foo-40", "40-foo", "20-10"] {
            assert!(parse_vlans(bad).is_none(), "{bad}");
        }
        assert_eq!(get_vlan_id("4094"), Some(4094));
        assert_eq!(get_vlan_id("4095"), None);
        assert_eq!(get_vlan_id("0x10"), Some(16));
    }
}
