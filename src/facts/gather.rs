//! Asks the host what the planner needs, with as few and as narrow commands as possible.
//!
//! A start on a host with thousands of jails must not list every interface: vimage lists only
//! interfaces outside its own group (`ifconfig -a -G vimage`: uplinks, other tools' bridges),
//! the jail's own interfaces, and the few of its own objects its records name. A full scan of
//! group `vimage` happens only when the records cannot be trusted (first run after a boot,
//! lost records, a marker that does not match).

use super::rebuild::Rebuilt;
use super::{HostView, JailInfo, KernelFacts, RcConfFacts, RouteFact};
use crate::error::Result;
use crate::host::Host;
use crate::mac;
use crate::model::addr::Gateway;
use crate::model::{JailName, JailNet, Mac, ModeKind, NicMode, Uplink, Userland, ng_ifname};
use crate::naming as ngplan;
use crate::naming::{epair_owner, vimage_bridge_uplink};
use crate::parse::ifconfig::IfStatus;
use crate::paths::Paths;
use crate::state::{Attachment, BridgeRec, StateDb};

pub use super::query::{
    all_jails, default_if, default_route, group, iface, ip_forwarding, jail, jail_ifaces, jail_route, jail_route_j,
    kernel, module_loaded, modules_loaded, ng_nodes_alive, ng_uplink, ngctl_lines, query,
};

/// The jail's rc.conf: `rcconf=` (CBSD: `<data>/etc/rc.conf`), else `<jail path>/etc/rc.conf`;
/// like every host path, under `VIMAGE_ROOT`.
pub fn rcconf(paths: &Paths, net: &JailNet, info: &JailInfo) -> Result<RcConfFacts> {
    let shown = match &net.addressing.rcconf {
        Some(p) => p.display().to_string(),
        None => format!("{}/etc/rc.conf", info.path.trim_end_matches('/')),
    };
    let path = paths.host(&shown);
    let text = super::devfs::read_file(&path)?;
    Ok(RcConfFacts { path, shown, text })
}

/// What bringing the records in line with this boot takes, or `None` when they are of this
/// boot already. Reads only: the caller writes it ([`StateDb::resync`]) in its own apply
/// stage. After a reboot nothing vimage made survives, so the records are forgotten (vimage's
/// bridges re-learnt from one scan of group `vimage`); when there are no records to go by (a
/// lost or new database), or vimage's epairs exist although the records are of another boot
/// (a restored copy), they are rebuilt from the kernel's markers ([`super::rebuild`]). The
/// notes say what the admin should know: what was rebuilt, and what could not be.
pub fn resync_facts(host: &mut dyn Host, db: &StateDb, k: &KernelFacts, paths: &Paths) -> Result<Option<Rebuilt>> {
    let synced = db.synced_boottime()?;
    if synced == Some(k.boottime) {
        return Ok(None);
    }
    let ours = group(host, true)?;
    let lost = synced.is_none() || ours.iter().any(|s| epair_owner(s).is_some());
    if !lost {
        let bridges: Vec<BridgeRec> = ours
            .iter()
            .filter_map(|s| vimage_bridge_uplink(s).map(|u| BridgeRec::if_bridge(&s.name, &u, true, k.boottime)))
            .collect();
        return Ok(Some(Rebuilt { bridges, ..Rebuilt::default() }));
    }
    super::rebuild::rebuild(host, k, &ours, paths).map(Some)
}

/// vimage's records for a verb that changes nothing (`status`, dry runs): the database opened
/// read-only (never created, never written, so a read-only file system is no obstacle), or,
/// when its records must be rebuilt or its schema is older, a private copy in memory that is
/// never saved (the only records gathering ever writes, and only to that copy). Returns the notes saying what such a verb could not check or record.
pub fn records_for_reading(host: &mut dyn Host, paths: &Paths, k: &KernelFacts) -> Result<(StateDb, Vec<String>)> {
    let path = &paths.state_db();
    let mut notes = Vec::new();
    let db = match StateDb::open_readonly(path)? {
        Some(db) => {
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(path) {
                notes.push(format!(
                    "the state database {} cannot be written ({e}): nothing can be recorded, so commands that change \
                     something refuse until it can",
                    path.display()
                ));
            }
            if db.needs_migration()? || db.synced_boottime()? != Some(k.boottime) { db.to_memory()? } else { db }
        }
        None => StateDb::open_in_memory()?,
    };
    // Only ever written to the private copy in memory: a database of this boot needs none.
    let rebuilt = match resync_facts(host, &db, k, paths)? {
        Some(r) => {
            db.resync(k.boottime, &r.attachments, &r.bridges, &r.macs)?;
            r.notes
        }
        None => Vec::new(),
    };
    if !rebuilt.is_empty() {
        notes.extend(rebuilt);
        notes.push(format!(
            "{}: this command changes nothing, so the rebuilt records were not saved; the next one that changes \
             something saves them",
            path.display()
        ));
    }
    let open = db.unfinished_runs()?;
    if !open.is_empty() {
        let which: Vec<String> = open.iter().map(|r| format!("jail {}: {} (run {})", r.jail, r.verb, r.id)).collect();
        notes.push(format!(
            "the journal has {} interrupted run(s) not repaired yet ({}); the next command that changes something \
             repairs them",
            open.len(),
            which.join(", ")
        ));
    }
    Ok((db, notes))
}

/// What `status` and `gc` judge from ([`crate::plan::inventory`]): one `jls`, one scan of
/// group `vimage`, vimage's records, and one `ngctl` batch asking after this boot's eiface
/// nodes.
#[derive(Debug, Clone, Default)]
pub struct InventoryFacts {
    /// Every jail, dying ones included.
    pub jails: Vec<JailInfo>,
    /// Every interface in group `vimage`.
    pub scan: Vec<IfStatus>,
    /// Every NIC record.
    pub atts: Vec<Attachment>,
    /// Every bridge record.
    pub bridges: Vec<BridgeRec>,
    /// The eiface node IDs that answered, with their interface's name now.
    pub ng_alive: std::collections::BTreeMap<u32, String>,
}

/// Gathers [`InventoryFacts`]. With `only`, just that jail's eiface nodes are asked after
/// (`status jname=`, which reports nothing of other jails).
pub fn inventory(host: &mut dyn Host, db: &StateDb, k: &KernelFacts, only: Option<&str>) -> Result<InventoryFacts> {
    let jails = all_jails(host)?;
    let scan = group(host, true)?;
    let atts = db.all_attachments()?;
    let ids: Vec<u32> = atts
        .iter()
        .filter(|a| a.mode == ModeKind::Netgraph && a.boottime == k.boottime && only.is_none_or(|o| o == a.jail))
        .filter_map(|a| a.ng_node)
        .collect();
    let ng_alive = ng_nodes_alive(host, &ids)?;
    let bridges = db.all_bridges()?;
    Ok(InventoryFacts { jails, scan, atts, bridges, ng_alive })
}

/// Under CBSD, an uplink `vpc-NAME` is CBSD's VPC NAME: whether its database is readable
/// (see [`crate::cbsd::vpc`]). Its bridge, not in group `vimage`, is among the host's
/// interfaces already.
fn vpc_fact(paths: &Paths, uplink: &str, v: &mut HostView) {
    let (Some(wd), Some(name)) = (crate::cbsd::Workdir::from_paths(paths), crate::cbsd::vpc::vpc_name(uplink)) else {
        return;
    };
    let db = crate::cbsd::vpc::db_path(&wd, name);
    let readable = std::fs::File::open(&db).is_ok_and(|f| f.metadata().is_ok_and(|m| m.is_file()));
    v.vpcs.insert(uplink.to_string(), crate::cbsd::vpc::VpcFact { db, readable });
}

/// Everything `plan_bridge` needs for `net`.
pub fn for_bridge(
    host: &mut dyn Host,
    db: &StateDb,
    k: &KernelFacts,
    net: &JailNet,
    paths: &Paths,
) -> Result<HostView> {
    let mut v = HostView { kernel: k.clone(), cbsd: paths.workdir.is_some(), ..HostView::default() };
    if !k.vimage {
        return Ok(v);
    }
    v.jail = jail(host, &net.jail)?;
    let Some(info) = v.jail.clone() else {
        return Ok(v);
    };
    if !info.vnet || info.dying {
        return Ok(v);
    }
    v.userland = super::userland::detect(paths, &info.path, net.userland);
    let linux = v.userland.userland == Userland::Linux;
    // Before 14.0 the jail's interfaces are only seen through `jexec <jid> ifconfig`, which a
    // Linux userland does not have: the planner refuses such a jail, with nothing asked.
    if linux && !k.has_ifconfig_j() {
        return Ok(v);
    }
    v.jail_ifaces = jail_ifaces(host, k, info.jid)?;
    for s in group(host, false)? {
        v.host_ifaces.insert(s.name.clone(), s);
    }
    v.attachments = db.attachments(net.jail.as_str())?;
    v.bridges = db.bridges(k.boottime)?;
    let mut wanted: Vec<String> = v
        .attachments
        .iter()
        .filter(|a| a.boottime == k.boottime && a.mode == ModeKind::Epair)
        .map(|a| a.host_if.clone())
        .collect();
    // Passthrough is refused for the default-route interface, so it is needed then too.
    let need_route = net.nics.iter().any(|n| matches!(n.mode, NicMode::Passthrough { .. }));
    let mut host_route: Option<Option<RouteFact>> = None;
    for n in &net.nics {
        match n.uplink() {
            Some(Uplink::Named(u)) => {
                wanted.push(u.to_string());
                vpc_fact(paths, u.as_str(), &mut v);
            }
            Some(Uplink::Auto) | None if host_route.is_none() && (n.uplink().is_some() || need_route) => {
                let r = default_route(host)?;
                v.default_if = r.as_ref().map(|r| r.interface.clone());
                wanted.extend(v.default_if.clone());
                host_route = Some(r);
            }
            _ => {}
        }
    }
    // The vlan(4) uplinks the NICs' VLAN keys may name (`vlan=100` on em0: em0.100). One vimage
    // created is in group vimage, which the listing above leaves out; one that is missing is
    // simply not found.
    for n in &net.nics {
        let base = match n.uplink() {
            Some(Uplink::Named(u)) => Some(u.to_string()),
            _ => v.default_if.clone(),
        };
        if let Some(b) = base {
            wanted.extend(n.vlan.vlan.iter().chain(&n.vlan.untagged).map(|t| crate::model::vlan::vlan_ifname(&b, *t)));
            // 15.x VLAN filtering reads vimage's recorded bridge on the uplink (does it filter,
            // which VLANs its uplink member carries): one `ifconfig bridgeN`, for such NICs only.
            if n.vlan.filters() && k.osreldate >= 1_500_000 {
                let ups = [b.clone()].into_iter().chain(n.vlan.vlan.map(|t| crate::model::vlan::vlan_ifname(&b, t)));
                for u in ups.collect::<Vec<_>>() {
                    wanted
                        .extend(v.bridges.iter().filter(|r| r.uplink == u && !r.is_netgraph()).map(|r| r.name.clone()));
                }
            }
        }
    }
    if net.wants_devfs() {
        v.devfs =
            Some(super::devfs::gather(host, db, paths, &net.addressing.devfs_ruleset.into_iter().collect::<Vec<_>>())?);
    }
    if net.uses_networks() {
        networks(host, db, paths, net, &info, linux, &mut v)?;
    }
    if net.manages_addresses() {
        // A Linux userland never reads a FreeBSD rc.conf: vimage neither reads nor writes one.
        if !linux {
            v.rcconf = Some(rcconf(paths, net, &info)?);
        }
        let gw = &net.addressing.gateway;
        if *gw == Gateway::Auto && host_route.is_none() {
            host_route = Some(default_route(host)?);
        }
        v.host_gateway = host_route.flatten().map(|r| r.gateway);
        let (w4, w6) = match gw {
            Gateway::Unmanaged => (false, false),
            Gateway::Auto => (true, false),
            Gateway::Fixed { v4, v6 } => (v4.is_some(), v6.is_some()),
        };
        // A NIC on a private network gets the network's gateway as the jail's IPv4 router.
        let w4 = w4 || net.uses_networks();
        for (want, v6) in [(w4, false), (w6, true)] {
            if !want || v.route_j == Some(false) {
                continue;
            }
            let r = if linux {
                let (r, has_j) = jail_route_j(host, info.jid, v6)?;
                v.route_j = Some(has_j);
                r
            } else {
                jail_route(host, info.jid, v6)?
            };
            if v6 {
                v.jail_route6 = r;
            } else {
                v.jail_route4 = r;
            }
        }
    }
    for w in wanted {
        if !v.host_ifaces.contains_key(&w)
            && let Some(s) = iface(host, &w)?
        {
            v.host_ifaces.insert(w, s);
        }
    }
    for s in v.host_ifaces.values().chain(&v.jail_ifaces) {
        if let Some(m) = s.mac.as_deref().and_then(|m| Mac::parse(m).ok()) {
            v.taken_macs.entry(m).or_insert_with(|| format!("interface {}", s.name));
        }
    }
    // A jail's own live NICs hold their MACs: not a collision with themselves.
    for a in &v.attachments {
        if let Some(m) = a.mac.as_deref().and_then(|m| Mac::parse(m).ok())
            && v.jail_ifaces.iter().any(|i| i.name == a.in_jail())
        {
            v.taken_macs.remove(&m);
        }
    }
    netgraph_facts(host, db, net, &mut v)?;
    let mut nics = Vec::new();
    for n in net.nics.iter().filter(|n| !matches!(n.mode, NicMode::Passthrough { .. })) {
        if let Some(m) = db.stored_mac(net.jail.as_str(), n.index)? {
            v.stored_macs.insert(n.index, m);
        }
        nics.push((n.index, n.mac.or_else(|| v.stored_macs.get(&n.index).copied())));
    }
    record_macs(db, k, &net.jail, &nics, &mut v.taken_macs)?;
    Ok(v)
}

/// The private networks `net`'s NICs join ([`super::privnet`]): definitions, bridges (added to
/// the host interfaces the planner sees), leases; the host's addresses, which no pool hands
/// out; and, for a FreeBSD userland, the jail's resolv.conf with the host's name servers.
fn networks(
    host: &mut dyn Host,
    db: &StateDb,
    paths: &Paths,
    net: &JailNet,
    info: &JailInfo,
    linux: bool,
    v: &mut HostView,
) -> Result<()> {
    let defs = super::privnet::definitions(db, paths)?;
    for n in net.nics.iter().filter_map(|n| n.network()) {
        if v.networks.contains_key(n.as_str()) {
            continue;
        }
        let f = super::privnet::gather(host, db, &defs, &v.bridges, n, v.kernel.boottime)?;
        if let Some(b) = &f.bridge {
            v.host_ifaces.insert(b.name.clone(), b.clone());
        }
        v.networks.insert(n.to_string(), f);
    }
    v.host_addrs = v
        .host_ifaces
        .values()
        .filter(|s| !s.in_group(ngplan::GROUP))
        .flat_map(|s| s.inet_cidr.iter().map(|(a, _)| *a))
        .collect();
    if !linux {
        v.resolv = Some(super::privnet::resolv(paths, &info.path)?);
    }
    Ok(())
}

/// Who in vimage's records holds a MAC NIC `index` of `jail` may be given, for each
/// `(index, fixed)`: the fixed MAC's holder, or, for a NIC without one, the holders of every
/// one of its [`mac::candidates`] (a bounded set). Which MAC is given is the planner's
/// decision ([`mac::choose`]); this only reads. The NIC itself holds none of them.
fn record_macs(
    db: &StateDb,
    k: &KernelFacts,
    jail: &JailName,
    nics: &[(u32, Option<Mac>)],
    taken: &mut std::collections::BTreeMap<Mac, String>,
) -> Result<()> {
    for &(index, fixed) in nics {
        let owner_of = |m: &Mac| -> Result<Option<String>> {
            Ok(db
                .mac_owner(m)?
                .filter(|(j, i)| !(j == jail.as_str() && *i == index))
                .map(|(j, i)| format!("NIC {i} of jail {j} (vimage's records)")))
        };
        let wanted: Vec<Mac> = match fixed {
            Some(m) => vec![m],
            None => mac::candidates(&k.hostuuid, jail, index).collect(),
        };
        for m in wanted {
            if let Some(o) = owner_of(&m)? {
                taken.insert(m, o);
            }
        }
    }
    Ok(())
}

/// What `vimage set` needs to give CBSD's NICs their MACs: the jail (running, as CBSD's
/// jstatus sees it) and, when `nics` (index, the admin's MAC or none) is not empty, every MAC
/// held by a host interface outside group `vimage` or by another NIC in vimage's records (the
/// same holders the planner checks).
pub fn for_set(
    host: &mut dyn Host,
    db: &StateDb,
    k: &KernelFacts,
    jail: &JailName,
    nics: &[(u32, Option<Mac>)],
) -> Result<HostView> {
    let mut v = HostView { kernel: k.clone(), ..HostView::default() };
    v.jail = self::jail(host, jail)?;
    if nics.is_empty() {
        return Ok(v);
    }
    for s in group(host, false)? {
        if let Some(m) = s.mac.as_deref().and_then(|m| Mac::parse(m).ok()) {
            v.taken_macs.entry(m).or_insert_with(|| format!("interface {}", s.name));
        }
        v.host_ifaces.insert(s.name.clone(), s);
    }
    record_macs(db, k, jail, nics, &mut v.taken_macs)?;
    Ok(v)
}

/// Everything `vimage devfs` needs: the jail and the devfs facts.
pub fn for_devfs(
    host: &mut dyn Host,
    db: &StateDb,
    k: &KernelFacts,
    jail: &JailName,
    want: Option<u16>,
    paths: &Paths,
) -> Result<HostView> {
    let mut v = HostView { kernel: k.clone(), cbsd: paths.workdir.is_some(), ..HostView::default() };
    v.jail = self::jail(host, jail)?;
    if v.jail.as_ref().is_some_and(|j| !j.dying) {
        v.devfs = Some(super::devfs::gather(host, db, paths, &want.into_iter().collect::<Vec<_>>())?);
    }
    Ok(v)
}

/// What netgraph NICs need: the uplinks without a recorded vimage ng_bridge (one `ngctl`
/// query each), the lowest free links of the recorded ones (records only: never a listing of
/// the bridge, whose reply would not even fit ngctl's socket buffer past ~150 links), and the
/// node names other jails already hold.
fn netgraph_facts(host: &mut dyn Host, db: &StateDb, net: &JailNet, v: &mut HostView) -> Result<()> {
    let mut per_bridge: std::collections::BTreeMap<String, usize> = Default::default();
    for (ordinal, n) in net.nics.iter().filter(|n| matches!(n.mode, NicMode::Netgraph { .. })).enumerate() {
        let uplink = match n.uplink() {
            Some(Uplink::Named(u)) => Some(u.to_string()),
            _ => v.default_if.clone(),
        };
        // A netgraph NIC's VLAN is its uplink's (ng_bridge does not filter VLANs).
        let uplink = uplink.map(|u| match n.vlan.vlan.or(n.vlan.untagged) {
            Some(t) if !u.ends_with(&format!(".{t}")) => crate::model::vlan::vlan_ifname(&u, t),
            _ => u,
        });
        if let Some(u) = uplink {
            match v.bridges.iter().find(|b| b.is_netgraph() && b.uplink == u) {
                Some(b) => *per_bridge.entry(b.name.clone()).or_default() += 1,
                None if !v.ng_uplinks.contains_key(&u) => {
                    let st = ng_uplink(host, &u)?;
                    if !st.exists && v.ng_ether_loaded.is_none() {
                        v.ng_ether_loaded = Some(module_loaded(host, "ng_ether")?);
                    }
                    v.ng_uplinks.insert(u, st);
                }
                None => {}
            }
        }
        let rec =
            v.attachments.iter().find(|a| a.nic == n.index && a.mode == ModeKind::Netgraph).map(|a| a.nic_name.clone());
        let mut candidates: Vec<String> = rec.into_iter().collect();
        candidates.extend((0..ngplan::NAME_ATTEMPTS).map(|a| ng_ifname(&net.jail, ordinal as u32, a).to_string()));
        // Which name it gets is the planner's decision (`plan::netgraph`): this reads who
        // holds each candidate, all of them (a bounded set), and decides nothing.
        for c in candidates {
            if let Some(j) = db.ng_name_owner(&c, net.jail.as_str())? {
                v.ng_names_taken.insert(c, j);
            }
        }
    }
    for (b, count) in per_bridge {
        let free = db.ng_free_links(&b, ngplan::FIRST_LINK, count)?;
        v.ng_free_links.insert(b, free);
    }
    Ok(())
}

/// Everything `plan_unbridge` needs for `jail`: its recorded host ends, each checked by name
/// for vimage's marker, and the bridges it may have been the last user of. Falls back to one
/// scan of group `vimage` when a record is missing or does not match. When the jail uses
/// vimage's devfs ruleset, also the jail (is the same instance running?) and devfs facts.
pub fn for_unbridge(
    host: &mut dyn Host,
    db: &StateDb,
    k: &KernelFacts,
    jail: &JailName,
    paths: &Paths,
) -> Result<HostView> {
    let mut v = HostView {
        kernel: k.clone(),
        attachments: db.attachments(jail.as_str())?,
        cbsd: paths.workdir.is_some(),
        ..HostView::default()
    };
    if db.devfs_user(jail.as_str())?.is_some() {
        v.jail = self::jail(host, jail)?;
        v.devfs = Some(super::devfs::gather(host, db, paths, &[])?);
    }
    let mut scan = v.attachments.is_empty();
    if v.attachments.iter().any(|a| a.mode == ModeKind::Passthrough) {
        v.jail = self::jail(host, jail)?;
    }
    let recorded: Vec<BridgeRec> = db.all_bridges()?;
    for a in v.attachments.iter().filter(|a| a.mode == ModeKind::Netgraph) {
        if let Some(b) = a.bridge.as_deref()
            && !v.bridge_users.contains_key(b)
        {
            v.bridge_users.insert(b.to_string(), db.bridge_users(b, jail.as_str())?);
            v.bridges.extend(recorded.iter().filter(|r| r.name == b && r.is_netgraph()).cloned());
        }
    }
    for a in v.attachments.iter().filter(|a| a.mode == ModeKind::Epair) {
        match iface(host, &a.host_if)? {
            Some(s) if HostView::is_ours_for(&s, jail) => {
                v.host_ifaces.insert(s.name.clone(), s);
            }
            _ => scan = true,
        }
    }
    if scan {
        for s in group(host, true)? {
            v.host_ifaces.insert(s.name.clone(), s);
        }
    }
    let mut bridges: Vec<String> =
        v.attachments.iter().filter(|a| a.mode == ModeKind::Epair).filter_map(|a| a.bridge.clone()).collect();
    bridges.sort();
    bridges.dedup();
    for b in bridges {
        if db.bridge_users(&b, jail.as_str())? > 0 {
            continue;
        }
        if !v.host_ifaces.contains_key(&b)
            && let Some(s) = iface(host, &b)?
        {
            v.host_ifaces.insert(b.clone(), s);
        }
        // The last jail of a bridge whose vtnet uplink vimage made promiscuous: the record and
        // the uplink's flags, so the plan can turn promisc off again (see `Effect::UplinkPromisc`).
        if let Some(r) = recorded.iter().find(|r| r.name == b && !r.is_netgraph() && r.ng_promisc == Some(false)) {
            v.bridges.push(r.clone());
            if let Some(s) = iface(host, &r.uplink)? {
                v.host_ifaces.insert(r.uplink.clone(), s);
            }
        }
    }
    // The jail's vlan(4) uplinks (`<parent>.<tag>`, the only kind vimage creates): whether one
    // goes with its bridge is decided by its marker (`plan::unbridge`).
    let mut vlans: Vec<String> = v
        .attachments
        .iter()
        .filter_map(|a| a.uplink.clone())
        .filter(|u| crate::model::vlan::split_vlan_ifname(u).is_some())
        .collect();
    vlans.sort();
    vlans.dedup();
    for u in vlans {
        if !v.host_ifaces.contains_key(&u)
            && let Some(s) = iface(host, &u)?
        {
            v.host_ifaces.insert(u, s);
        }
    }
    unbridge_networks(host, db, k, jail, paths, &mut v)?;
    Ok(v)
}

/// For `unbridge`: the NAT networks this jail's NICs are on whose bridge no other jail uses
/// (so this stop is their last): definition and [`super::pf::NatFacts`], so the plan can flush
/// the anchor and put forwarding back. A definition that is gone (`net destroy force=1`) is
/// skipped: its anchor is still flushed by `gc`.
fn unbridge_networks(
    host: &mut dyn Host,
    db: &StateDb,
    k: &KernelFacts,
    jail: &JailName,
    paths: &Paths,
    v: &mut HostView,
) -> Result<()> {
    let mut nets: Vec<(String, Option<String>)> = v
        .attachments
        .iter()
        .filter_map(|a| {
            let n = a.uplink.as_deref()?.strip_prefix(crate::model::privnet::NET_PREFIX)?;
            Some((n.to_string(), a.bridge.clone()))
        })
        .collect();
    if nets.is_empty() {
        return Ok(());
    }
    nets.sort();
    nets.dedup();
    let defs = super::privnet::definitions(db, paths)?;
    let recorded = db.bridges(k.boottime)?;
    for (n, bridge) in nets {
        let Some(def) = defs.iter().find(|d| d.name.as_str() == n).cloned() else { continue };
        if !def.nat.is_on() || v.networks.contains_key(&n) {
            continue;
        }
        // Others stay on the bridge: only a jail with port forwards there changes the anchor.
        if let Some(b) = &bridge
            && db.bridge_users(b, jail.as_str())? > 0
            && !db.forwards(Some(&n))?.iter().any(|f| f.jail == jail.as_str())
        {
            continue;
        }
        let nat = super::privnet::nat_facts(host, db, &defs, &recorded, &def, k.boottime)?;
        let leases = db.leases(Some(&n))?;
        v.networks.insert(n, super::privnet::NetFacts { def, bridge: None, leases, nat });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::SimHost;
    use crate::sim::{Kernel, Sim};

    #[test]
    fn no_default_route_is_none_on_both_route_builds_and_a_route_is_read_whatever_the_status() {
        for osreldate in [1_304_000, 1_402_000, 1_500_000] {
            let mut k = Kernel::demo();
            k.set_osreldate(osreldate);
            let mut h = SimHost::new(Sim::new(k));
            let r = default_route(&mut h).unwrap().expect("the demo host has one");
            assert_eq!((r.gateway.as_str(), r.interface.as_str()), ("192.168.1.1", "em0"), "{osreldate}");
            // web1 has no default route: 13.x exits 1, 14.x/15.x exit 0 with a warning.
            assert_eq!(jail_route(&mut h, 1, false).unwrap(), None, "{osreldate}");
            assert_eq!(jail_route(&mut h, 1, true).unwrap(), None, "{osreldate}");
        }
    }
}
