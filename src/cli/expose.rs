//! `vimage expose` and `vimage unexpose`: port forwards into jails on NAT private networks.
//!
//! A forward is stored in vimage's database (`net_forward`, one per protocol and host port,
//! whatever the network, since NAT networks may share their NAT interface) and rendered as an
//! `rdr` rule in the network's anchor (`plan::pf::AnchorSpec`) to the jail's address on the
//! network. The anchor is reloaded now when the jail is on the network
//! ([`crate::ops::Session::reload_nat`], a journalled run), and on every start and stop of a
//! jail there, so only running jails' forwards are loaded.

use super::args::Args;
use super::typed::ExposeKeys;
use super::{Ctx, Out, jail_arg, json_doc};
use crate::error::{Error, Kind, Object, Result};
use crate::model::privnet::NetName;
use crate::ops::Session;
use crate::state::Forward;
use serde_json::json;

fn port(s: Option<&str>, key: &str) -> Result<Option<u16>> {
    let Some(s) = s else { return Ok(None) };
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(Error::new(Kind::Usage, format!("{key}={s:?} is not a port (1-65535)"))),
    }
}

/// Runs `vimage expose` (`add`) or `vimage unexpose`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out, add: bool) -> Result<i32> {
    let k: ExposeKeys = a.keys()?;
    let verb = if add { "expose" } else { "unexpose" };
    let jail = jail_arg(k.jname.as_deref())?;
    let jport = port(k.port.as_deref(), "port")?
        .ok_or_else(|| Error::new(Kind::Usage, format!("vimage {verb}: port= is required")))?;
    let hport = port(k.hostport.as_deref(), "hostport")?;
    let proto = k.proto.clone().unwrap_or_else(|| "tcp".into());
    if proto != "tcp" && proto != "udp" {
        return Err(Error::new(Kind::Usage, format!("proto={proto:?}: use tcp or udp")));
    }
    let want_net = match k.net.as_deref() {
        Some(n) => Some(NetName::parse(n).map_err(|e| Error::new(Kind::Usage, e.0).about(Object::network(n)))?),
        None => None,
    };
    let mut s = Session::open(ctx.host, &ctx.paths, verb, k.dry_run, ctx.lock_timeout)?;
    let all = s.db.forwards(None)?;
    let (changed, fw) = if add {
        let net = jail_network(&s, &ctx.paths, &jail, want_net.as_ref())?;
        let fw = Forward {
            net: net.to_string(),
            jail: jail.to_string(),
            proto: proto.clone(),
            host_port: hport.unwrap_or(jport),
            jail_port: jport,
        };
        match all.iter().find(|f| f.proto == fw.proto && f.host_port == fw.host_port) {
            Some(f) if *f == fw => (false, fw),
            Some(f) => {
                return Err(Error::jail(
                    Kind::Data,
                    &jail,
                    format!(
                        "host port {}/{} is already forwarded to jail {} port {} (network {})",
                        f.proto, f.host_port, f.jail, f.jail_port, f.net
                    ),
                )
                .about(Object::network(&f.net))
                .detail(format!(
                    "choose another hostport=, or first: vimage unexpose jname={} port={}",
                    f.jail, f.jail_port
                ))
                .detail("nothing was changed"));
            }
            None => (true, fw),
        }
    } else {
        let found = all.iter().find(|f| {
            f.jail == jail.as_str()
                && f.jail_port == jport
                && f.proto == proto
                && hport.is_none_or(|h| h == f.host_port)
                && want_net.as_ref().is_none_or(|n| n.as_str() == f.net)
        });
        match found {
            Some(f) => (true, f.clone()),
            None => {
                if k.json {
                    out.print(&json_doc(
                        json!({"dry_run": k.dry_run, "changed": false, "forward": null, "commands": []}),
                    ));
                } else {
                    out.line(format!("jail {jail}: no forward of {proto} port {jport}; nothing to do"));
                }
                return Ok(0);
            }
        }
    };
    if changed && !k.dry_run {
        if add {
            s.db.put_forward(&fw)?;
        } else {
            s.db.delete_forward(&fw.proto, fw.host_port)?;
        }
    }
    let net = NetName::parse(&fw.net).map_err(|e| Error::new(Kind::Internal, e.0))?;
    // A dry run has stored nothing, so its reload would not show the change: say what it would.
    let done = if changed && !k.dry_run { Some(s.reload_nat(&jail, &net)?) } else { None };
    let commands: Vec<String> = done
        .as_ref()
        .map(|d| crate::plan::render::commands(&d.plan).into_iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let desc = format!("{}/{} -> jail {} port {} (network {})", fw.proto, fw.host_port, fw.jail, fw.jail_port, fw.net);
    if k.json {
        out.print(&json_doc(json!({
            "dry_run": k.dry_run,
            "changed": changed && !k.dry_run,
            "forward": {"net": fw.net, "jail": fw.jail, "proto": fw.proto, "host_port": fw.host_port, "jail_port": fw.jail_port},
            "commands": commands,
        })));
        return Ok(0);
    }
    let what = match (add, changed, k.dry_run) {
        (_, false, _) => "already forwarded; nothing to change",
        (true, true, true) => "would forward",
        (true, true, false) => "forwarding",
        (false, _, true) => "would stop forwarding",
        (false, _, false) => "stopped forwarding",
    };
    out.line(format!("{what} {desc}"));
    for c in &commands {
        out.line(format!("ran: {c}"));
    }
    if let Some(d) = &done
        && d.report.is_none()
    {
        for n in &d.plan.notes {
            out.line(n.clone());
        }
    }
    Ok(0)
}

/// The network of `jail`'s forward: `want` if the jail has a NIC (a lease or a record) on it,
/// else its only network with NAT. Refused for a jail with no NIC on a (the) network, or a
/// network with `nat=0`.
fn jail_network(
    s: &Session<'_>,
    paths: &crate::paths::Paths,
    jail: &crate::model::JailName,
    want: Option<&NetName>,
) -> Result<NetName> {
    let mut nets: Vec<String> =
        s.db.leases(None)?.into_iter().filter(|l| l.jail == jail.as_str()).map(|l| l.net).collect();
    nets.extend(
        s.db.attachments(jail.as_str())?.into_iter().filter_map(|a| {
            a.uplink.and_then(|u| u.strip_prefix(crate::model::privnet::NET_PREFIX).map(str::to_string))
        }),
    );
    nets.sort();
    nets.dedup();
    let defs = crate::facts::privnet::definitions(&s.db, paths)?;
    let name = match want {
        Some(n) if nets.iter().any(|x| x == n.as_str()) => n.clone(),
        Some(n) => {
            return Err(Error::jail(Kind::Data, jail, format!("has no NIC on network {n}"))
                .about(Object::network(n))
                .detail(format!("give it one first: vimage bridge jname={jail} interface=net:{n}"))
                .detail("nothing was changed"));
        }
        None => {
            let nat: Vec<&String> =
                nets.iter().filter(|n| defs.iter().any(|d| d.name.as_str() == n.as_str() && d.nat.is_on())).collect();
            match nat.as_slice() {
                [one] => NetName::parse(one).map_err(|e| Error::new(Kind::Internal, e.0))?,
                [] => {
                    return Err(Error::jail(Kind::Data, jail, "has no NIC on a private network with NAT")
                        .detail(format!("give it one first: vimage bridge jname={jail} interface=net:NET"))
                        .detail("nothing was changed"));
                }
                _ => {
                    return Err(Error::new(
                        Kind::Usage,
                        format!("jail {jail} is on several NAT networks ({}); say which with net=", nets.join(", ")),
                    ));
                }
            }
        }
    };
    let def = crate::facts::privnet::definition(&defs, &name)?;
    if !def.nat.is_on() {
        return Err(Error::jail(Kind::Data, jail, format!("network {name} has nat=0: port forwards need NAT"))
            .about(Object::network(&name))
            .detail("nothing was changed"));
    }
    Ok(name)
}
