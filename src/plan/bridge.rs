//! Planning `vimage bridge`: the checks every NIC shares (the jail, the NIC list, MACs, what
//! vimage already set up), then each mode's own steps: [`super::epair`], [`super::netgraph`],
//! [`super::passthrough`]. Steps come in NIC order by mode: epair NICs, the one netgraph batch
//! and its NICs' moves, then passed-through interfaces.

use super::netgraph::NgPlan;
use super::{Effect, Plan, Step, Verb};
use crate::error::{Error, Kind, Result};
use crate::facts::{HostView, JailInfo};
use crate::mac;
use crate::model::{IfName, JailName, JailNet, Mac, NicMode, NicSpec, Uplink};
use crate::naming::epair_mark;
use crate::op::{IfRef, Op};
use crate::parse::ifconfig::IfStatus;
use crate::state::Attachment;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Plans the changes that give `net.jail` the NICs in `net`, or refuses with the reason.
pub fn plan_bridge(net: &JailNet, v: &HostView) -> Result<Plan> {
    let jail = &net.jail;
    let info = check_jail(jail, v)?;
    check_nics(jail, &net.nics)?;
    super::userland::check(net, v)?;
    let mut p = Planner {
        jail,
        info,
        v,
        plan: Plan::new(jail.clone(), Verb::Bridge),
        new_bridges: BTreeMap::new(),
        macs: HashSet::new(),
        ng: NgPlan::default(),
        stale: Vec::new(),
        force: net.force,
    };
    p.plan.notes.extend(v.userland.note(jail));
    if net.wants_devfs() {
        super::devfs::plan_use(&mut p.plan, jail, info, v, net.addressing.devfs_ruleset)?;
    }
    for nic in net.nics.iter().filter(|n| matches!(n.mode, NicMode::Epair { .. })) {
        p.epair_nic(nic)?;
    }
    let ng: Vec<&NicSpec> = net.nics.iter().filter(|n| matches!(n.mode, NicMode::Netgraph { .. })).collect();
    for (ordinal, nic) in ng.into_iter().enumerate() {
        p.netgraph_nic(nic, ordinal as u32)?;
    }
    p.finish_netgraph();
    for nic in net.nics.iter().filter(|n| matches!(n.mode, NicMode::Passthrough { .. })) {
        p.passthrough_nic(nic, net)?;
    }
    // What stale records left goes first, so no new interface meets an old one's name.
    let stale = std::mem::take(&mut p.stale);
    p.plan.steps.splice(0..0, stale);
    let (named, states) = nic_states(net, v, &p.plan);
    super::addr::plan_addresses(&mut p.plan, &named, info, v, &states)?;
    Ok(p.plan)
}

/// Refusals that concern the jail as a whole.
fn check_jail<'a>(jail: &JailName, v: &'a HostView) -> Result<&'a JailInfo> {
    if !v.kernel.vimage {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            "this kernel has no VIMAGE (sysctl kern.features.vimage is missing), so jails cannot have their own network stack",
        )
        .detail("GENERIC has had options VIMAGE since FreeBSD 12.0; boot a kernel built with it"));
    }
    let Some(info) = v.jail.as_ref() else {
        return Err(Error::jail(Kind::Unavailable, jail, "is not running: jls knows no jail of that name")
            .detail("vimage configures the network of a running vnet jail; start it first"));
    };
    if info.dying {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("is dying (jid {}); wait until `jls -d` no longer lists it", info.jid),
        ));
    }
    if !info.vnet {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            format!("runs without its own network stack (jid {}, vnet=inherit)", info.jid),
        )
        .detail("restart it with the jail parameter vnet (CBSD: vnet=1) to give it one"));
    }
    Ok(info)
}

/// Refusals that concern the NIC list.
fn check_nics(jail: &JailName, nics: &[NicSpec]) -> Result<()> {
    if nics.is_empty() {
        return Err(Error::jail(Kind::Data, jail, "has no NICs to configure"));
    }
    let mut names = BTreeSet::new();
    let mut idx = BTreeSet::new();
    for n in nics {
        if !names.insert(n.name.as_str()) {
            return Err(Error::jail(Kind::Data, jail, format!("names two NICs {}", n.name)));
        }
        if !idx.insert(n.index) {
            return Err(Error::jail(Kind::Data, jail, format!("has two NICs with index {}", n.index)));
        }
    }
    Ok(())
}

/// The planner's working state for one jail; each mode's module adds its methods.
pub(super) struct Planner<'a> {
    pub jail: &'a JailName,
    pub info: &'a JailInfo,
    pub v: &'a HostView,
    pub plan: Plan,
    /// if_bridges this plan creates, by uplink, so a second NIC on the same uplink reuses it.
    pub new_bridges: BTreeMap<String, IfRef>,
    /// MACs this plan hands out, so two NICs of one jail never share one.
    pub macs: HashSet<Mac>,
    /// The netgraph batch being assembled.
    pub ng: NgPlan,
    /// Removals of what stale records left; they run before everything else.
    pub stale: Vec<Step>,
    /// `force=1`: pass interfaces through despite the conflicts passthrough refuses.
    pub force: bool,
}

/// What to do with a NIC, given vimage's record of it and the jail's interfaces.
pub(super) enum Prelude {
    /// It is there as wanted: nothing to do (a note says so).
    InPlace,
    /// Set it up (a stale record, if any, has been dealt with).
    Proceed,
}

impl<'a> Planner<'a> {
    pub fn err(&self, kind: Kind, msg: impl Into<String>) -> Error {
        Error::jail(kind, self.jail, msg)
    }

    /// The name the NIC has (or will have) in the jail, when it is known before the kernel
    /// picks one: its own name, or for a NIC that keeps the kernel's name (a Linux userland)
    /// the one its record says it got.
    pub fn name_in_jail(&self, nic: &NicSpec) -> Option<String> {
        if !super::userland::keeps_kernel_name(self.v, nic) {
            return Some(nic.name.to_string());
        }
        self.v.attachments.iter().find(|a| a.nic == nic.index).map(|a| a.in_jail().to_string())
    }

    /// The checks every mode shares. A record of this NIC for the running jail instance, with
    /// the interface present in the jail under `name` with the recorded MAC, means it is in
    /// place (if mode, uplink and MAC are still what is wanted) or must be replaced. An
    /// interface named `name` in the jail without such a record was made by someone else:
    /// refused. A record from an earlier jail instance is stale: what it left is removed.
    /// `name` is `None` for a NIC that will keep a name the kernel has yet to choose.
    pub fn prelude(
        &mut self,
        nic: &NicSpec,
        name: Option<&str>,
        uplink: Option<&str>,
        mac: Option<Mac>,
    ) -> Result<Prelude> {
        let rec = self.v.attachments.iter().find(|a| a.nic == nic.index);
        let in_jail = name.and_then(|n| self.v.jail_iface(n));
        let live = rec.is_some_and(|r| {
            r.jid == self.info.jid
                && r.boottime == self.v.kernel.boottime
                && Some(r.in_jail()) == name
                && in_jail.is_some_and(|i| i.mac.as_deref() == r.mac.as_deref())
        });
        let name = name.unwrap_or(nic.name.as_str());
        if let Some(rec) = rec.filter(|_| live) {
            let same = rec.mode == nic.mode.as_str()
                && rec.uplink.as_deref() == uplink
                && mac.is_none_or(|m| rec.mac.as_deref() == Some(m.to_string().as_str()));
            if same {
                let how = match rec.mode.as_str() {
                    "passthrough" => "already passed through; nothing to change".to_string(),
                    mode => format!(
                        "already bridged: {} {} on {} (uplink {}), MAC {}; nothing to change",
                        if mode == "netgraph" { "netgraph node" } else { "host end" },
                        rec.host_if,
                        rec.bridge.as_deref().unwrap_or("?"),
                        rec.uplink.as_deref().unwrap_or("?"),
                        rec.mac.as_deref().unwrap_or("?")
                    ),
                };
                self.plan.notes.push(format!("{name}: {how}"));
                return Ok(Prelude::InPlace);
            }
        } else if let Some(i) = in_jail.filter(|_| !self.adoptable(nic).is_some_and(|ad| ad.in_jail && ad.b == name)) {
            // Not ours: a restarted jail's old interface went back to the host, so an
            // interface of this name in the running jail was made by someone else (unless it
            // is the epair CBSD made for this NIC and moved in itself: that one is taken over).
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "already has an interface named {name} that vimage did not create (MAC {})",
                        i.mac.as_deref().unwrap_or("none")
                    ),
                )
                .detail("remove it or give this NIC another name"));
        }
        if let Some(rec) = rec {
            self.remove_stale(rec, live);
        }
        Ok(Prelude::Proceed)
    }

    pub fn push(&mut self, op: Op) {
        self.plan.steps.push(Step::new(op));
    }

    /// The uplink's name: as given, or the default-route interface.
    pub fn resolve_uplink(&self, nic: &NicSpec) -> Result<String> {
        match nic.uplink().unwrap_or(&Uplink::Auto) {
            Uplink::Named(n) => Ok(n.to_string()),
            Uplink::Auto => self.v.default_if.clone().ok_or_else(|| {
                self.err(
                    Kind::Unavailable,
                    format!("{}: the host has no default route to take the uplink from", nic.name),
                )
                .about(crate::error::Object::uplink("auto"))
                .detail("name the uplink explicitly, e.g. interface=em0")
            }),
        }
    }

    /// The NIC's uplink and its status, refusing an uplink that is missing or whose MTU cannot
    /// be read (every NIC copies the uplink's MTU, so planning cannot go on without it).
    pub fn existing_uplink(&self, nic: &NicSpec) -> Result<(String, &'a IfStatus)> {
        let uplink = self.resolve_uplink(nic)?;
        let up = self.v.host_iface(&uplink).ok_or_else(|| {
            self.err(Kind::Unavailable, format!("{}: uplink {uplink} does not exist on the host", nic.name))
                .about(crate::error::Object::uplink(&uplink))
        })?;
        if up.mtu == 0 {
            return Err(self
                .err(Kind::Os, format!("{}: cannot read the MTU of uplink {uplink}", nic.name))
                .about(crate::error::Object::uplink(&uplink)));
        }
        // if_bridge.c bridge_ioctl_add takes only IFT_ETHER and IFT_L2VLAN members (and gif,
        // which carries no Ethernet of its own); ifconfig prints an `ether` line exactly for
        // those and for bridges. Anything else (lo0, tun, wg, gif) is refused here, before any
        // command runs, rather than by BRDGADD after the bridge was made.
        if up.mac.is_none() && !up.is_bridge() {
            return Err(self
                .err(
                    Kind::Data,
                    format!(
                        "{}: uplink {uplink} is not an Ethernet interface (ifconfig shows no ether address), so it cannot be bridged",
                        nic.name
                    ),
                )
                .about(crate::error::Object::uplink(&uplink))
                .detail("give an Ethernet NIC, a VLAN or a bridge as interface= (e.g. the interface of the default route)"));
        }
        Ok((uplink, up))
    }

    /// The NIC's MAC: fixed by the admin, else stored, else a new unique one.
    pub fn decide_mac(&mut self, nic: &NicSpec) -> Result<Mac> {
        // CBSD sets the jail end of the epair it made to nic_hwaddr: holding it is not a clash.
        let adopted_end = self.adoptable(nic).map(|ad| format!("interface {}", ad.b));
        let own = |m: &Mac| {
            self.v.attachments.iter().any(|a| a.nic == nic.index && a.mac.as_deref() == Some(m.to_string().as_str()))
                || adopted_end.is_some() && self.v.taken_macs.get(m) == adopted_end.as_ref()
        };
        let fixed = nic.mac.or_else(|| self.v.stored_macs.get(&nic.index).copied());
        let mac = match mac::decide(
            &self.v.kernel.hostuuid,
            self.jail,
            nic.index,
            fixed,
            &self.v.taken_macs,
            &own,
            &self.macs,
        ) {
            Ok(m) => m,
            Err(mac::Refused::Held { mac: m, by: owner }) => {
                return Err(self
                    .err(Kind::Data, format!("{}: MAC {m} is already used by {owner}", nic.name))
                    .detail("choose another MAC, or let vimage generate one"));
            }
            Err(mac::Refused::Exhausted) => {
                return Err(self.err(
                    Kind::Internal,
                    format!("{}: {} MAC candidates were all taken", nic.name, mac::MAX_CANDIDATES),
                ));
            }
        };
        if !self.macs.insert(mac) {
            return Err(self.err(Kind::Data, format!("{}: MAC {mac} is given to two NICs of this jail", nic.name)));
        }
        Ok(mac)
    }

    /// Removes what a record left that no longer serves this jail instance (the jail was
    /// restarted without `unbridge`, or the NIC's mode, uplink or MAC changed): an epair by its
    /// host end after checking its marker, an eiface node by its ID (same boot only: IDs are
    /// not reused while the kernel runs). A passed-through interface went back to the host
    /// when the old jail died, so there is nothing to run.
    fn remove_stale(&mut self, rec: &Attachment, live: bool) {
        let why = if live { "its mode, uplink or MAC changed" } else { "left from an earlier start of the jail" };
        match rec.mode.as_str() {
            "netgraph" => {
                if let (Some(id), true) = (rec.ng_node, rec.boottime == self.v.kernel.boottime) {
                    self.stale.push(Step::new(Op::NgShutdown { id, name: rec.host_if.clone() }));
                    self.plan.notes.push(format!("{}: replacing netgraph node {} ({why})", rec.nic_name, rec.host_if));
                }
            }
            "passthrough" => {
                if live {
                    let op = Op::Unvnet { iface: rec.host_if.clone(), jid: rec.jid, up: rec.was_up == Some(true) };
                    self.stale.push(Step::new(op));
                }
            }
            _ => {
                let mark = self
                    .v
                    .host_iface(&rec.host_if)
                    .and_then(epair_mark)
                    .filter(|m| m.is_nic(self.jail.as_str(), rec.nic, &rec.nic_name));
                match mark {
                    // CBSD's epair: never destroyed, only given back.
                    Some(m) if m.is_adopted() => {
                        let op = Op::Unadopt { iface: rec.host_if.clone(), description: None };
                        self.stale.push(Step::new(op));
                        self.plan.notes.push(format!("{}: giving {} back to CBSD ({why})", rec.nic_name, rec.host_if));
                    }
                    Some(_) => {
                        self.stale.push(Step::new(Op::Destroy { iface: IfRef::name(&rec.host_if) }));
                        self.plan.notes.push(format!("{}: replacing {} ({why})", rec.nic_name, rec.host_if));
                    }
                    None => {}
                }
            }
        }
        self.plan.effects.push(Effect::Detach { nic: rec.nic });
    }

    /// Remembers a NIC's MAC for good, unless it is already stored.
    pub fn store_mac(&mut self, nic: &NicSpec, mac: Mac) {
        if self.v.stored_macs.get(&nic.index) != Some(&mac) {
            self.plan.effects.push(Effect::Mac { nic: nic.index, mac });
        }
    }
}

/// Each NIC as the address planner needs it: whether this plan creates it (so it has no
/// address yet) and the if_bridge its host end is on (for `ci_gw4=auto`); and `net` with each
/// NIC under the name it really has in the jail (a netgraph name may have been shortened).
fn nic_states<'v>(
    net: &JailNet,
    v: &'v HostView,
    plan: &Plan,
) -> (JailNet, BTreeMap<String, super::addr::NicState<'v>>) {
    let mut named = net.clone();
    let mut states = BTreeMap::new();
    for nic in &mut named.nics {
        let fx = plan.effects.iter().find_map(|e| match e {
            Effect::Attach(f) if f.nic == nic.index => Some(f),
            _ => None,
        });
        let rec = v.attachments.iter().find(|a| a.nic == nic.index);
        let (created, bridge, name, iface) = match (fx, rec) {
            (Some(f), _) => {
                let bridge = match &f.bridge {
                    Some(IfRef::Name(n)) => Some(n.clone()),
                    _ => None,
                };
                let iface = f.jail_if.clone().unwrap_or_else(|| IfRef::name(&f.nic_name));
                (true, bridge, f.nic_name.clone(), iface)
            }
            (None, Some(r)) => (false, r.bridge.clone(), r.nic_name.clone(), IfRef::name(r.in_jail())),
            (None, None) => (false, None, nic.name.to_string(), IfRef::name(nic.name.as_str())),
        };
        if let Ok(n) = IfName::parse(&name) {
            nic.name = n;
        }
        let bridge = bridge.and_then(|b| v.host_iface(&b));
        let before = rec.filter(|_| created).map(|r| r.in_jail().to_string());
        states.insert(nic.name.to_string(), super::addr::NicState { created, bridge, iface, before });
    }
    (named, states)
}

/// The NIC list most callers mean: `eth0…` on the given uplinks.
pub fn default_nics(jail: &JailName, uplinks: &[Uplink], names: &[IfName]) -> JailNet {
    let mut net = JailNet::epairs(jail.clone(), uplinks);
    for (nic, name) in net.nics.iter_mut().zip(names) {
        nic.name = name.clone();
    }
    net
}
