//! What planning a NIC on a private network needs: the network's definition (vimage's database,
//! else the host's rc.conf `vimage_net_*`), its bridge if vimage made it already, the leases its
//! pool gave, and for the jail's resolver the host's `nameserver` lines.

use crate::error::{Error, Kind, Result};
use crate::host::Host;
use crate::model::privnet::{NetDef, NetName};
use crate::parse::ifconfig::IfStatus;
use crate::paths::Paths;
use crate::state::{BridgeRec, Lease, StateDb};
use std::path::PathBuf;

/// One network a jail's NIC joins, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetFacts {
    /// Its definition.
    pub def: NetDef,
    /// vimage's bridge for it, when one exists (its status, marker checked).
    pub bridge: Option<IfStatus>,
    /// Every lease its pool gave, this jail's included.
    pub leases: Vec<Lease>,
    /// pf and forwarding, for a network with NAT (`None` for `nat=0`).
    pub nat: Option<super::pf::NatFacts>,
}

/// The `meta` key under which vimage records that it turned `net.inet.ip.forwarding` on:
/// `<value it found> <kern.boottime>`, so the last NAT network's stop puts back exactly that,
/// and a forwarding the admin turned on (no record, or one of an earlier boot) is never
/// turned off.
pub const FORWARDING_META: &str = "ip_forwarding_set_from";

/// The value vimage found before it turned forwarding on, if it did so in this boot.
pub fn forwarding_set_from(db: &StateDb, boottime: i64) -> Result<Option<String>> {
    Ok(db.meta(FORWARDING_META)?.and_then(|v| {
        let (prev, boot) = v.split_once(' ')?;
        (boot.parse::<i64>().ok() == Some(boottime)).then(|| prev.to_string())
    }))
}

/// The NAT facts of network `def` (`None` for `nat=0`): the NAT interface (`nat=auto`: the
/// default route's, one `route -n get default`), pf's readiness (the doctor check), the
/// anchor's rules, forwarding, and whether another NAT network of vimage's has a bridge now
/// (from `bridges`, this boot's records).
pub fn nat_facts(
    host: &mut dyn Host,
    db: &StateDb,
    defs: &[NetDef],
    bridges: &[BridgeRec],
    def: &NetDef,
    boottime: i64,
) -> Result<Option<super::pf::NatFacts>> {
    use crate::model::privnet::Nat;
    let nat_if = match &def.nat {
        Nat::Off => return Ok(None),
        Nat::Iface(i) => Some(i.to_string()),
        Nat::Auto => super::query::default_route(host)?.map(|r| r.interface),
    };
    let pf = super::pf::gather(host);
    let refusal = super::pf::nat_refusal(&pf);
    let anchor =
        if pf.loaded { super::pf::anchor(host, &crate::naming::pf_anchor(def.name.as_str())) } else { String::new() };
    let mut other_nat_bridges: Vec<String> = bridges
        .iter()
        .filter_map(|b| b.uplink.strip_prefix(crate::model::privnet::NET_PREFIX))
        .filter(|n| *n != def.name.as_str() && defs.iter().any(|d| d.name.as_str() == *n && d.nat.is_on()))
        .map(str::to_string)
        .collect();
    other_nat_bridges.sort();
    other_nat_bridges.dedup();
    Ok(Some(super::pf::NatFacts {
        nat_if,
        refusal,
        anchor,
        forwarding: super::pf::forwarding(host),
        forwarding_set_from: forwarding_set_from(db, boottime)?,
        other_nat_bridges,
        forwards: db.forwards(Some(def.name.as_str()))?,
        running: running(db, def, boottime)?,
        leases: db.leases(Some(def.name.as_str()))?,
    }))
}

/// The jails with a NIC on network `def` in this boot (from the records).
pub fn running(db: &StateDb, def: &NetDef, boottime: i64) -> Result<Vec<String>> {
    let uplink = def.name.uplink();
    let mut v: Vec<String> = db
        .all_attachments()?
        .into_iter()
        .filter(|a| a.boottime == boottime && a.uplink.as_deref() == Some(uplink.as_str()))
        .map(|a| a.jail)
        .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

/// The jail's `/etc/resolv.conf` and the host's name servers, for a jail on a private network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvFacts {
    /// The jail's file, as vimage opens it (under `VIMAGE_ROOT`).
    pub path: PathBuf,
    /// How messages name it.
    pub shown: String,
    /// Its text; `None` when it does not exist.
    pub text: Option<String>,
    /// The host's `nameserver` lines, exactly as written.
    pub host_lines: Vec<String>,
}

/// The `nameserver` lines of a resolv.conf text, as the resolver reads them: the keyword at
/// the very start of the line followed by a blank or tab (lib/libc/resolv/res_init.c, its
/// `MATCH(buf, "nameserver")`).
pub fn nameserver_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.strip_prefix("nameserver").is_some_and(|r| r.starts_with([' ', '\t'])))
        .map(str::to_string)
        .collect()
}

/// Every network definition: vimage's database first, then rc.conf's `vimage_net_list` (a
/// name both define is the database's; `net create` refuses such a name anyway).
pub fn definitions(db: &StateDb, paths: &Paths) -> Result<Vec<NetDef>> {
    let mut defs = db.networks()?;
    for d in crate::rcd::networks(&crate::rcd::load(paths)?)? {
        if !defs.iter().any(|x| x.name == d.name) {
            defs.push(d);
        }
    }
    Ok(defs)
}

/// The definition of `name`, or the error naming it and what exists.
pub fn definition(defs: &[NetDef], name: &NetName) -> Result<NetDef> {
    defs.iter().find(|d| d.name == *name).cloned().ok_or_else(|| {
        let known: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        let mut e =
            Error::new(Kind::Data, format!("network {name} does not exist")).about(crate::error::Object::network(name));
        e = if known.is_empty() {
            e.detail(format!("create it first: vimage net create name={name} cidr=10.77.0.0/24"))
        } else {
            e.detail(format!("known networks: {}", known.join(", ")))
        };
        e
    })
}

/// vimage's bridge for network `name`: the bridge record of this boot whose uplink is
/// `net:<name>`, if the interface still carries the marker.
pub fn bridge(host: &mut dyn Host, bridges: &[BridgeRec], name: &NetName) -> Result<Option<IfStatus>> {
    let uplink = name.uplink();
    for r in bridges.iter().filter(|b| b.uplink == uplink && !b.is_netgraph()) {
        if let Some(s) = super::query::iface(host, &r.name)?
            && s.description.as_deref() == Some(crate::naming::bridge_marker(&uplink).as_str())
        {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// The facts of network `name` for a start.
pub fn gather(
    host: &mut dyn Host,
    db: &StateDb,
    defs: &[NetDef],
    bridges: &[BridgeRec],
    name: &NetName,
    boottime: i64,
) -> Result<NetFacts> {
    let def = definition(defs, name)?;
    let bridge = bridge(host, bridges, name)?;
    let leases = db.leases(Some(name.as_str()))?;
    let nat = nat_facts(host, db, defs, bridges, &def, boottime)?;
    Ok(NetFacts { def, bridge, leases, nat })
}

/// The resolver facts of a jail rooted at `jail_path`.
pub fn resolv(paths: &Paths, jail_path: &str) -> Result<ResolvFacts> {
    let shown = format!("{}/etc/resolv.conf", jail_path.trim_end_matches('/'));
    let path = paths.host(&shown);
    let text = super::devfs::read_file(&path)?;
    let host_text = super::devfs::read_file(&paths.host("/etc/resolv.conf"))?.unwrap_or_default();
    Ok(ResolvFacts { path, shown, text, host_lines: nameserver_lines(&host_text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameserver_lines_are_those_resolver5_reads() {
        let t = "# nameserver 1.1.1.1\nsearch example.org\nnameserver 192.0.2.53\n nameserver 2001:db8::53\nnameservers x\n";
        assert_eq!(nameserver_lines(t), ["nameserver 192.0.2.53"], "res_init.c MATCH: no leading blank");
    }
}
