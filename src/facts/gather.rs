//! Asks the host what the planner needs, with as few and as narrow commands as possible.
//!
//! A start on a host with thousands of jails must not list every interface: vimage lists only
//! interfaces outside its own group (`ifconfig -a -G vimage`: uplinks, other tools' bridges),
//! the jail's own interfaces, and the few of its own objects its records name. A full scan of
//! group `vimage` happens only when the records cannot be trusted (first run after a boot,
//! lost records, a marker that does not match).

use super::rebuild::Rebuilt;
use super::{HostView, JailInfo, KernelFacts, NgPeer, NgUplink, RcConfFacts, RouteFact};
use crate::error::{Error, Kind, Result};
use crate::host::run_cmd;
use crate::host::{Cmd, Host, Output, Program};
use crate::mac;
use crate::model::addr::Gateway;
use crate::model::{JailName, JailNet, Mac, ModeKind, NicMode, Uplink, Userland, ng_ifname};
use crate::naming as ngplan;
use crate::naming::{GROUP, epair_owner, vimage_bridge_uplink};
use crate::op::{gone, ngscript};
use crate::parse::ifconfig::{IfStatus, parse_status};
use crate::parse::{jls, ngctl, route, sysctl};
use crate::paths::Paths;
use crate::state::{Attachment, BridgeRec, StateDb};

/// Runs a query; a non-zero exit becomes an error naming the command and its stderr.
pub fn query(host: &mut dyn Host, cmd: Cmd) -> Result<Output> {
    let out = run_cmd(host, &cmd);
    if out.ok() {
        Ok(out)
    } else {
        Err(Error::new(Kind::Os, format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim())).command(
            cmd.to_string(),
            out.code,
            &out.stderr,
        ))
    }
}

/// Kernel facts from one `sysctl -i` (unknown OIDs, like `kern.features.vimage` on a kernel
/// without VIMAGE, are simply absent).
pub fn kernel(host: &mut dyn Host) -> Result<KernelFacts> {
    let out = query(
        host,
        Cmd::new(
            Program::Sysctl,
            [
                "-i",
                "kern.features.vimage",
                "kern.hostuuid",
                "kern.osreldate",
                "kern.boottime",
                "net.link.bridge.member_ifaddrs",
            ],
        ),
    )?;
    let m = sysctl::parse(&out.stdout);
    Ok(KernelFacts {
        vimage: m.get("kern.features.vimage").is_some_and(|v| v == "1"),
        hostuuid: m.get("kern.hostuuid").cloned().unwrap_or_default(),
        osreldate: m.get("kern.osreldate").and_then(|v| v.parse().ok()).unwrap_or(0),
        boottime: m.get("kern.boottime").and_then(|v| sysctl::boottime_sec(v)).unwrap_or(0),
        bridge_member_ifaddrs: m.get("net.link.bridge.member_ifaddrs").map(|v| v == "1"),
    })
}

const JLS_PARAMS: [&str; 6] = ["jid", "name", "vnet", "dying", "path", "devfs_ruleset"];

fn jail_info(p: &jls::JailParams) -> Option<JailInfo> {
    Some(JailInfo {
        jid: p.get("jid")?.parse().ok()?,
        name: p.get("name")?.clone(),
        vnet: p.get("vnet").is_some_and(|v| v == "new"),
        dying: p.get("dying").is_some_and(|v| v == "true"),
        path: p.get("path").cloned().unwrap_or_default(),
        devfs_ruleset: p.get("devfs_ruleset").and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

/// The jail named `name`, dying ones included; `None` when jls does not know it.
pub fn jail(host: &mut dyn Host, name: &JailName) -> Result<Option<JailInfo>> {
    let mut args = vec!["-d", "-n", "-q", "-j", name.as_str()];
    args.extend(JLS_PARAMS);
    let cmd = Cmd::new(Program::Jls, args);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if gone::no_such_jail(&out) {
            return Ok(None);
        }
        let msg = format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim());
        return Err(Error::jail(Kind::Os, name, msg).command(cmd.to_string(), out.code, &out.stderr));
    }
    Ok(jls::parse_nameval(&out.stdout).first().and_then(jail_info))
}

/// Every jail, dying ones included.
pub fn all_jails(host: &mut dyn Host) -> Result<Vec<JailInfo>> {
    let mut args = vec!["-d", "-n", "-q"];
    args.extend(JLS_PARAMS);
    let out = query(host, Cmd::new(Program::Jls, args))?;
    Ok(jls::parse_nameval(&out.stdout).iter().filter_map(jail_info).collect())
}

/// The interfaces inside a vnet jail (`ifconfig -j`, or `jexec … ifconfig` before 14.0).
pub fn jail_ifaces(host: &mut dyn Host, k: &KernelFacts, jid: u32) -> Result<Vec<IfStatus>> {
    let jid = jid.to_string();
    let cmd = if k.has_ifconfig_j() {
        Cmd::new(Program::Ifconfig, ["-j", jid.as_str()])
    } else {
        Cmd::new(Program::Jexec, [jid.as_str(), "ifconfig"])
    };
    Ok(parse_status(&query(host, cmd)?.stdout))
}

/// One host interface, or `None` when it does not exist.
pub fn iface(host: &mut dyn Host, name: &str) -> Result<Option<IfStatus>> {
    let cmd = Cmd::new(Program::Ifconfig, [name]);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if gone::no_such_interface(&out) {
            return Ok(None);
        }
        let msg = format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim());
        return Err(Error::new(Kind::Os, msg).command(cmd.to_string(), out.code, &out.stderr));
    }
    Ok(parse_status(&out.stdout).into_iter().find(|s| s.name == name))
}

/// Host interfaces outside group `vimage` (or, with `ours`, inside it).
pub fn group(host: &mut dyn Host, ours: bool) -> Result<Vec<IfStatus>> {
    let sel = if ours { "-g" } else { "-G" };
    Ok(parse_status(&query(host, Cmd::new(Program::Ifconfig, ["-a", sel, GROUP]))?.stdout))
}

/// The interface of the default route, `None` when there is none.
pub fn default_if(host: &mut dyn Host) -> Result<Option<String>> {
    Ok(default_route(host)?.map(|r| r.interface))
}

/// The host's default route, `None` when there is none.
pub fn default_route(host: &mut dyn Host) -> Result<Option<RouteFact>> {
    let out = run_cmd(host, &Cmd::new(Program::Route, ["-n", "get", "default"]));
    Ok(route_fact(&out))
}

/// A default route from `route -n get [-inet6] default`, read from the printed block alone:
/// the exit status says nothing (route(8)'s netlink build exits 0 after `route has not been
/// found`, the routing-socket build 1), and a block without a gateway is no default route.
fn route_fact(out: &crate::host::Output) -> Option<RouteFact> {
    let r = route::parse_get(&out.stdout)?;
    Some(RouteFact { gateway: r.gateway?, interface: r.interface })
}

/// A jail's default route of one family through the host's route(8) (`route -j <jid> -n get
/// [-inet6] default`), for a jail without FreeBSD's route inside. `None` for the first value
/// when this route(8) has no `-j` (getopt: `illegal option -- j`, usage, exit 64).
pub fn jail_route_j(host: &mut dyn Host, jid: u32, v6: bool) -> Result<(Option<RouteFact>, bool)> {
    let jid = jid.to_string();
    let mut args = vec!["-j", jid.as_str(), "-n", "get"];
    if v6 {
        args.push("-inet6");
    }
    args.push("default");
    let out = run_cmd(host, &Cmd::new(Program::Route, args));
    if gone::no_route_j_option(&out) {
        return Ok((None, false));
    }
    Ok((route_fact(&out), true))
}

/// A jail's default route of one family (`jexec <jid> route -n get [-inet6] default`).
pub fn jail_route(host: &mut dyn Host, jid: u32, v6: bool) -> Result<Option<RouteFact>> {
    let jid = jid.to_string();
    let mut args = vec![jid.as_str(), "route", "-n", "get"];
    if v6 {
        args.push("-inet6");
    }
    args.push("default");
    let out = run_cmd(host, &Cmd::new(Program::Jexec, args));
    Ok(route_fact(&out))
}

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
            Some(Uplink::Named(u)) => wanted.push(u.to_string()),
            Some(Uplink::Auto) | None if host_route.is_none() && (n.uplink().is_some() || need_route) => {
                let r = default_route(host)?;
                v.default_if = r.as_ref().map(|r| r.interface.clone());
                wanted.extend(v.default_if.clone());
                host_route = Some(r);
            }
            _ => {}
        }
    }
    if net.wants_devfs() {
        v.devfs =
            Some(super::devfs::gather(host, db, paths, &net.addressing.devfs_ruleset.into_iter().collect::<Vec<_>>())?);
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

/// Whether kernel module `m` is loaded (or compiled in): `kldstat -q -m m` (kldstat.c: exit 0
/// when modfind finds it, 1 when not).
pub fn module_loaded(host: &mut dyn Host, m: &str) -> Result<bool> {
    let cmd = Cmd::new(Program::Kldstat, ["-q", "-m", m]);
    let out = run_cmd(host, &cmd);
    match out.code {
        0 => Ok(true),
        1 => Ok(false),
        c => Err(Error::new(Kind::Os, format!("`{cmd}` failed (exit {c}): {}", out.stderr.trim()))),
    }
}

/// Each of `modules` with whether it is loaded (or compiled in), one `kldstat -q -m` each, as
/// `vimage doctor` reports them: anything but exit 0 counts as not loaded.
pub fn modules_loaded(host: &mut dyn Host, modules: &[&str]) -> Vec<(String, bool)> {
    modules.iter().map(|m| (m.to_string(), run_cmd(host, &Cmd::new(Program::Kldstat, ["-q", "-m", m])).ok())).collect()
}

/// `sysctl -n net.inet.ip.forwarding` is `1` (an unreadable value counts as off).
pub fn ip_forwarding(host: &mut dyn Host) -> bool {
    let out = run_cmd(host, &Cmd::new(Program::Sysctl, ["-n", "net.inet.ip.forwarding"]));
    out.ok() && out.stdout.trim() == "1"
}

/// One `ngctl -f -` query of an uplink's ng_ether node: `show`, `getpromisc`, `getautosrc`.
/// A node that is not there (ng_ether not loaded; not an Ethernet interface) is reported as
/// such, not as an error.
pub fn ng_uplink(host: &mut dyn Host, uplink: &str) -> Result<NgUplink> {
    let node = ngplan::ether_node(uplink);
    let script = format!(
        "show {node}:
msg {node}: getpromisc
msg {node}: getautosrc
"
    );
    let cmd = Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if ngscript::completed(3, &out) == 0 && gone::no_such_file(&out) {
            return Ok(NgUplink { node, ..NgUplink::default() });
        }
        return Err(Error::new(
            Kind::Os,
            format!("`ngctl -f -` (show {node}:) failed (exit {}): {}", out.code, out.stderr.trim()),
        ));
    }
    let shown = node.clone();
    let bad = || Error::new(Kind::Os, format!("cannot read `ngctl show {shown}:` output: {:?}", out.stdout));
    let (_, rows) = ngctl::parse_show(&out.stdout).ok_or_else(bad)?;
    let replies = ngctl::replies(&out.stdout);
    let flag = |cmd: &str| replies.iter().find(|r| r.cmd == cmd).map(|r| r.args.trim() != "0");
    let hooks = rows
        .into_iter()
        .map(|r| {
            let peer = NgPeer {
                name: r.peer_name.unwrap_or_else(|| "<unnamed>".into()),
                type_name: r.peer_type,
                id: r.peer_id,
                peer_hook: r.peer_hook,
            };
            (r.hook, peer)
        })
        .collect();
    Ok(NgUplink {
        node,
        exists: true,
        hooks,
        promisc: flag("getpromisc").ok_or_else(bad)?,
        autosrc: flag("getautosrc").ok_or_else(bad)?,
    })
}

/// Which eiface nodes (by ID) still exist, with their interface's current name: one
/// `ngctl -f -` of `msg [id]: getifname` lines (see [`ngctl_lines`]).
pub fn ng_nodes_alive(host: &mut dyn Host, ids: &[u32]) -> Result<std::collections::BTreeMap<u32, String>> {
    let lines: Vec<String> = ids.iter().map(|id| format!("msg [{id:x}]: getifname")).collect();
    let mut alive = std::collections::BTreeMap::new();
    for (first, done, out) in ngctl_lines(host, &lines)? {
        for (id, r) in ids[first..].iter().zip(ngctl::replies(&out.stdout)).take(done) {
            if let Some(name) = ngctl::unquote(&r.args) {
                alive.insert(*id, name.to_string());
            }
        }
    }
    Ok(alive)
}

/// Runs independent query lines as `ngctl -f -` batches. A batch stops at its first line
/// that fails (a node that is gone), so it is run again from the next line: one invocation,
/// plus one per failing line. Returns, per invocation, the index of its first line, how many
/// lines completed, and its output.
pub fn ngctl_lines(host: &mut dyn Host, lines: &[String]) -> Result<Vec<(usize, usize, Output)>> {
    let mut runs = Vec::new();
    let mut first = 0;
    while first < lines.len() {
        let script: String = lines[first..].iter().map(|l| format!("{l}\n")).collect();
        let out = run_cmd(host, &Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script));
        let done = ngscript::completed(lines.len() - first, &out);
        let ok = out.ok();
        if !ok && ngscript::failed_line(&out).is_none() {
            return Err(Error::new(
                Kind::Os,
                format!("`ngctl -f -` failed (exit {}): {}", out.code, out.stderr.trim()),
            ));
        }
        runs.push((first, done, out));
        if ok {
            break;
        }
        first += done + 1;
    }
    Ok(runs)
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
        if v.host_ifaces.contains_key(&b) || db.bridge_users(&b, jail.as_str())? > 0 {
            continue;
        }
        if let Some(s) = iface(host, &b)? {
            v.host_ifaces.insert(b, s);
        }
    }
    Ok(v)
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
