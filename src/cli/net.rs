//! `vimage net create|list|destroy|release`: private jail networks as objects (see
//! [`crate::model::privnet`]). Definitions live in vimage's database (or, read-only, in the
//! host's rc.conf `vimage_net_*`); their bridges are made and destroyed by the jails that use
//! them (`interface=net:NAME`), never here.

use super::args::Args;
use super::typed::NetKeys;
use super::{Ctx, Out, jail_arg, json_doc};
use crate::error::{Error, Kind, Object, Result};
use crate::facts::gather;
use crate::model::privnet::{NetDef, NetInput, NetName, NetSource, overlaps};
use crate::ops::Session;
use crate::state::{Lease, StateDb};
use serde_json::json;

/// Runs `vimage net`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: NetKeys = a.keys()?;
    let action = k.action.clone().unwrap_or_default();
    match action.as_str() {
        "create" => create(&k, ctx, out),
        "list" | "" => list(&k, ctx, out),
        "destroy" => destroy(&k, ctx, out),
        "release" => release(&k, ctx, out),
        other => Err(Error::new(Kind::Usage, format!("vimage net: unknown action {other:?}"))
            .detail("use: vimage net create|list|destroy|release (see vimage net --help)")),
    }
}

fn name_arg(k: &NetKeys) -> Result<NetName> {
    let n = k.name.as_deref().ok_or_else(|| Error::new(Kind::Usage, "vimage net: name= is required"))?;
    NetName::parse(n).map_err(|e| Error::new(Kind::Usage, e.0).about(Object::network(n)))
}

/// What NAT network `d`'s pf anchor holds now, as loadable text (`pfctl -a vimage/NAME -s
/// rules|nat`; empty when pf is not loaded); `None` for `nat=0`, which uses no pf at all.
pub fn anchor_now(host: &mut dyn crate::host::Host, d: &NetDef) -> Option<String> {
    d.nat.is_on().then(|| crate::facts::pf::anchor(host, &crate::naming::pf_anchor(d.name.as_str())))
}

/// One network as `list` and `status` show it: its definition, bridge, users and pool, and
/// for a NAT network its anchor and the rules loaded there (`anchor`, from [`anchor_now`]).
pub fn describe(d: &NetDef, db: &StateDb, anchor: Option<&str>) -> Result<serde_json::Value> {
    let uplink = d.name.uplink();
    let bridge = db.all_bridges()?.into_iter().find(|b| b.uplink == uplink).map(|b| b.name);
    let mut jails: Vec<String> =
        db.all_attachments()?.into_iter().filter(|a| a.uplink.as_deref() == Some(&uplink)).map(|a| a.jail).collect();
    jails.dedup();
    let leases = db.leases(Some(d.name.as_str()))?;
    let leases_json: Vec<_> =
        leases.iter().map(|l| json!({"jail": l.jail, "nic": l.nic, "address": l.addr.to_string()})).collect();
    Ok(json!({
        "name": d.name.as_str(),
        "cidr": d.cidr.to_string(),
        "gateway": d.gateway.to_string(),
        "cidr6": d.cidr6.map(|c| c.to_string()),
        "private": d.private,
        "nat": d.nat.to_string(),
        "nat_configured": anchor.is_some_and(|a| !a.is_empty()),
        "nat_anchor": anchor.map(|_| crate::naming::pf_anchor(d.name.as_str())),
        "nat_rules": anchor.map(|a| a.lines().map(str::to_string).collect::<Vec<_>>()).unwrap_or_default(),
        "source": d.source,
        "bridge": bridge,
        "jails": jails,
        "pool": {"size": d.pool_size(), "used": leases.len(), "free": d.pool_size() - leases.len() as u64},
        "leases": leases_json,
        "forwards": db.forwards(Some(d.name.as_str()))?.iter().map(|f| json!({
            "jail": f.jail, "proto": f.proto, "host_port": f.host_port, "jail_port": f.jail_port,
        })).collect::<Vec<_>>(),
    }))
}

/// The port forwards of a network as `list` and `status` print them
/// (`forward tcp/8080 -> web1 port 80`).
pub fn forward_lines(v: &serde_json::Value) -> Vec<String> {
    v["forwards"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "forward {}/{} -> {} port {}",
                f["proto"].as_str().unwrap_or(""),
                f["host_port"],
                f["jail"].as_str().unwrap_or(""),
                f["jail_port"]
            )
        })
        .collect()
}

/// The line `list` and `status` print for a network.
pub fn line(v: &serde_json::Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let nat_if = v["nat_rules"]
        .as_array()
        .and_then(|r| r.iter().filter_map(|l| l.as_str()).find_map(|l| l.strip_prefix("nat on ")))
        .and_then(|l| l.split_whitespace().next());
    let nat = match (s("nat").as_str(), nat_if) {
        ("0", _) => "nat off".to_string(),
        (n, Some(i)) => format!("nat={n} out of {i} (pf anchor {} loaded)", s("nat_anchor")),
        (n, None) => format!("nat={n} (pf anchor {} empty: loaded by its first jail)", s("nat_anchor")),
    };
    let bridge = v["bridge"].as_str().map_or("no bridge (no jail on it)".to_string(), |b| format!("bridge {b}"));
    let private = if v["private"].as_bool() == Some(true) { ", private" } else { "" };
    let from = if v["source"] == "rcconf" { " [rc.conf]" } else { "" };
    format!(
        "{}{from}: {} gateway {}{}{private}, {bridge}, pool {} used / {} free, {nat}",
        s("name"),
        s("cidr"),
        s("gateway"),
        v["cidr6"].as_str().map(|c| format!(" {c}")).unwrap_or_default(),
        v["pool"]["used"],
        v["pool"]["free"],
    )
}

fn list(k: &NetKeys, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let s = Session::open(ctx.host, &ctx.paths, "net list", true, ctx.lock_timeout)?;
    let defs = crate::facts::privnet::definitions(&s.db, &ctx.paths)?;
    let mut docs = Vec::new();
    for d in &defs {
        let a = anchor_now(s.host, d);
        docs.push(describe(d, &s.db, a.as_deref())?);
    }
    if k.json {
        out.print(&json_doc(json!({"networks": docs})));
        return Ok(0);
    }
    if docs.is_empty() {
        out.line("no networks (vimage net create name=NET cidr=A.B.C.D/P makes one)");
    }
    for d in &docs {
        out.line(line(d));
        for l in d["leases"].as_array().into_iter().flatten() {
            out.line(format!(
                "  {} NIC {}: {}",
                l["jail"].as_str().unwrap_or(""),
                l["nic"],
                l["address"].as_str().unwrap_or("")
            ));
        }
        for f in forward_lines(d) {
            out.line(format!("  {f}"));
        }
    }
    Ok(0)
}

fn create(k: &NetKeys, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let name = name_arg(k)?;
    let cidr = k.cidr.as_deref().ok_or_else(|| Error::new(Kind::Usage, "vimage net create: cidr= is required"))?;
    let input = NetInput {
        name: name.as_str(),
        cidr,
        gateway: k.gateway.as_deref().unwrap_or(""),
        nat: k.nat.as_deref().unwrap_or(""),
        cidr6: k.cidr6.as_deref().unwrap_or(""),
        private: k.private,
    };
    let bad = |msg: String| Error::new(Kind::Data, msg).about(Object::network(&name));
    let def = NetDef::from_input(&input, NetSource::Db).map_err(|e| bad(format!("network {name}: {}", e.0)))?;
    let s = Session::open(ctx.host, &ctx.paths, "net create", k.dry_run, ctx.lock_timeout)?;
    let defs = crate::facts::privnet::definitions(&s.db, &ctx.paths)?;
    if let Some(d) = defs.iter().find(|d| d.name == name) {
        let idem = d.cidr == def.cidr && d.gateway == def.gateway && d.nat == def.nat && d.cidr6 == def.cidr6;
        if idem && d.private == def.private && d.source == NetSource::Db {
            report(k, out, &def, false, "already exists as given; nothing to change")?;
            persist(k, &ctx.paths, out, &def)?;
            return Ok(0);
        }
        let where_ =
            if d.source == NetSource::RcConf { "in rc.conf (vimage_net_list)" } else { "in vimage's database" };
        return Err(bad(format!("network {name} already exists {where_}, as {}", d.cidr))
            .detail(format!("vimage net destroy name={name} first, or choose another name")));
    }
    if let Some(d) = defs.iter().find(|d| overlaps(&d.cidr, &def.cidr)) {
        return Err(bad(format!("network {name}: {} overlaps network {} ({})", def.cidr, d.name, d.cidr)));
    }
    for i in gather::group(s.host, false)? {
        if let Some((a, p)) = i.inet_cidr.iter().find(|(a, p)| {
            def.cidr.contains(*a) || overlaps(&def.cidr, &crate::model::addr::Cidr4 { addr: *a, prefix: *p })
        }) {
            return Err(bad(format!("network {name}: {} overlaps {a}/{p} on the host's {}", def.cidr, i.name))
                .detail("choose a range the host does not use"));
        }
    }
    // NAT lives in pf anchors the admin's main ruleset must reference; vimage never edits
    // pf.conf on its own, so it refuses here with the lines (the check `vimage doctor` makes).
    if def.nat.is_on()
        && let Some((why, lines)) = crate::facts::pf::nat_refusal(&crate::facts::pf::gather(s.host))
    {
        return Err(crate::facts::pf::nat_refused(name.as_str(), &def.nat.to_string(), &why, &lines));
    }
    if !k.dry_run {
        s.db.put_network(&def)?;
    }
    report(k, out, &def, true, if k.dry_run { "would create" } else { "created" })?;
    persist(k, &ctx.paths, out, &def)?;
    Ok(0)
}

/// `persist=1` on a NAT network: `gateway_enable="YES"` in the host's rc.conf (under
/// `VIMAGE_ROOT`), so rc.d/routing turns forwarding on at boot; the byte-preserving, atomic,
/// locked rc.conf edit jails' rc.conf get (every other line kept). Without it, the output
/// says a reboot loses the forwarding vimage turns on.
fn persist(k: &NetKeys, paths: &crate::paths::Paths, out: &Out, def: &NetDef) -> Result<()> {
    if !def.nat.is_on() {
        return Ok(());
    }
    const RC: &str = "/etc/rc.conf";
    if !k.persist {
        if !k.json {
            out.line(format!(
                "network {}: its jails turn net.inet.ip.forwarding on until reboot; persist=1 writes gateway_enable=\"YES\" to {RC} to keep it",
                def.name
            ));
        }
        return Ok(());
    }
    let edit = crate::plan::FileEdit::RcConf {
        path: paths.host(RC),
        shown: RC.into(),
        set: vec![("gateway_enable".into(), "YES".into())],
        remove: Vec::new(),
    };
    let changed = if k.dry_run { false } else { crate::fsedit::apply(paths, &edit)? };
    if !k.json {
        let what = match (k.dry_run, changed) {
            (true, _) => "would write gateway_enable=\"YES\"",
            (false, true) => "wrote gateway_enable=\"YES\"",
            (false, false) => "gateway_enable=\"YES\" is already there",
        };
        out.line(format!("{RC}: {what} (forwarding at boot, for network {})", def.name));
    }
    Ok(())
}

fn report(k: &NetKeys, out: &Out, def: &NetDef, changed: bool, what: &str) -> Result<i32> {
    if k.json {
        out.print(&json_doc(json!({
            "dry_run": k.dry_run,
            "changed": changed && !k.dry_run,
            "network": {
                "name": def.name.as_str(), "cidr": def.cidr.to_string(), "gateway": def.gateway.to_string(),
                "nat": def.nat.to_string(), "cidr6": def.cidr6.map(|c| c.to_string()), "private": def.private,
            },
        })));
        return Ok(0);
    }
    out.line(format!(
        "network {}: {what} ({} gateway {}, nat={}{}{}); its bridge is made by its first jail (interface=net:{})",
        def.name,
        def.cidr,
        def.gateway,
        def.nat,
        def.cidr6.map(|c| format!(", {c}")).unwrap_or_default(),
        if def.private { ", private" } else { "" },
        def.name,
    ));
    Ok(0)
}

fn destroy(k: &NetKeys, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let name = name_arg(k)?;
    let s = Session::open(ctx.host, &ctx.paths, "net destroy", k.dry_run, ctx.lock_timeout)?;
    let defs = crate::facts::privnet::definitions(&s.db, &ctx.paths)?;
    let def = crate::facts::privnet::definition(&defs, &name)?;
    let bad = |msg: String| Error::new(Kind::Data, msg).about(Object::network(&name));
    if def.source == NetSource::RcConf {
        return Err(bad(format!("network {name} is defined in rc.conf (vimage_net_list); vimage does not edit it"))
            .detail(format!("remove {name} from vimage_net_list and its vimage_net_{name}_* lines")));
    }
    let uplink = name.uplink();
    let mut users: Vec<String> =
        s.db.all_attachments()?.into_iter().filter(|a| a.uplink.as_deref() == Some(&uplink)).map(|a| a.jail).collect();
    users.dedup();
    if !users.is_empty() && !k.force {
        return Err(bad(format!("network {name} is in use by jail(s) {}", users.join(", ")))
            .detail("unbridge them first, or give force=1 (their bridge stays until their unbridge)"));
    }
    let leases = s.db.leases(Some(name.as_str()))?;
    if !k.dry_run {
        s.db.delete_network(name.as_str())?;
    }
    if k.json {
        out.print(&json_doc(
            json!({"dry_run": k.dry_run, "destroyed": name.as_str(), "leases_released": leases.len()}),
        ));
        return Ok(0);
    }
    let verb = if k.dry_run { "would forget" } else { "forgot" };
    out.line(format!("network {name}: {verb} its definition and {} lease(s)", leases.len()));
    Ok(0)
}

fn release(k: &NetKeys, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let jail = jail_arg(k.jname.as_deref())?;
    let s = Session::open(ctx.host, &ctx.paths, "net release", k.dry_run, ctx.lock_timeout)?;
    let mine: Vec<Lease> = s.db.leases(None)?.into_iter().filter(|l| l.jail == jail.as_str()).collect();
    let attached: Vec<String> =
        s.db.attachments(jail.as_str())?
            .into_iter()
            .filter(|a| a.uplink.as_deref().is_some_and(|u| u.starts_with(crate::model::privnet::NET_PREFIX)))
            .map(|a| a.nic_name)
            .collect();
    if !attached.is_empty() {
        return Err(Error::jail(
            Kind::Data,
            &jail,
            format!("NIC(s) {} still use their pool address on a network", attached.join(", ")),
        )
        .detail(format!("vimage unbridge jname={jail} first")));
    }
    if !k.dry_run {
        s.db.release_leases(jail.as_str())?;
    }
    if k.json {
        let l: Vec<_> =
            mine.iter().map(|l| json!({"net": l.net, "nic": l.nic, "address": l.addr.to_string()})).collect();
        out.print(&json_doc(json!({"dry_run": k.dry_run, "jail": jail.as_str(), "released": l})));
        return Ok(0);
    }
    if mine.is_empty() {
        out.line(format!("jail {jail}: holds no pool address; nothing to release"));
    }
    for l in &mine {
        let verb = if k.dry_run { "would release" } else { "released" };
        out.line(format!("jail {jail}: {verb} {} (network {}, NIC {})", l.addr, l.net, l.nic));
    }
    Ok(0)
}
