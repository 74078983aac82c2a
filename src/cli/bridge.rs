//! `vimage bridge`: turn the keys into a JailNet, then plan and apply it.

use super::args::Args;
use super::{Ctx, Outcome, jail_arg, list, to_json};
use crate::addr::{Target, parse_ci_gw4, parse_ip4_addr};
use crate::error::{Error, Kind, Result};
use crate::model::{Addressing, IfName, JailName, JailNet, Mac, NicSpec, Uplink};
use crate::ops::{Done, Session};
use crate::plan::op::IfRef;
use crate::plan::{Effect, render};
use serde_json::json;

/// The desired network from `interface=`, `ifname=`, `mac=`, `ip4_addr=`, `ci_gw4=`,
/// `devfs_ruleset=` and `rcconf=`: one NIC per uplink (or per name, when more names than
/// uplinks are given).
pub fn jailnet(jail: JailName, a: &Args) -> Result<JailNet> {
    let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, &jail, e.0);
    let uplinks = list(a.get("interface"));
    let names = list(a.get("ifname"));
    let macs = list(a.get("mac"));
    let n = uplinks.len().max(names.len()).max(macs.len()).max(1);
    if uplinks.len() > 1 && uplinks.len() != n
        || names.len() > 1 && names.len() != n
        || macs.len() > 1 && macs.len() != n
    {
        return Err(Error::jail(
            Kind::Usage,
            &jail,
            format!(
                "interface=, ifname= and mac= list {}, {} and {} NICs; give one value or one per NIC",
                uplinks.len(),
                names.len(),
                macs.len()
            ),
        ));
    }
    let pick = |v: &[String], i: usize| v.get(i).or(if v.len() == 1 { v.first() } else { None }).cloned();
    let mut nics = Vec::with_capacity(n);
    for i in 0..n {
        let uplink = pick(&uplinks, i).map(|u| Uplink::parse(&u)).transpose().map_err(bad)?.unwrap_or(Uplink::Auto);
        let name = match names.get(i) {
            Some(s) => IfName::parse(s).map_err(bad)?,
            None => IfName::parse(&format!("eth{i}")).map_err(bad)?,
        };
        let mac = macs.get(i).map(|m| Mac::parse_assignable(m)).transpose().map_err(bad)?;
        nics.push(NicSpec { index: i as u32, name, uplink, mac, addrs: Default::default() });
    }
    let data = |m: String| Error::jail(Kind::Data, &jail, m);
    let ip = parse_ip4_addr(a.get("ip4_addr").unwrap_or("0")).map_err(data)?;
    for (target, addrs) in ip.nics {
        let i = match &target {
            Target::First => 0,
            Target::Named(n) => nics
                .iter()
                .position(|x| x.name.as_str() == n)
                .or_else(|| {
                    let by_uplink: Vec<usize> = nics
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| matches!(&x.uplink, Uplink::Named(u) if u.as_str() == n))
                        .map(|(i, _)| i)
                        .collect();
                    (by_uplink.len() == 1).then(|| by_uplink[0])
                })
                .ok_or_else(|| {
                    data(format!(
                        "ip4_addr names NIC {n}, but the jail's NICs are {} (uplinks {})",
                        nics.iter().map(|x| x.name.to_string()).collect::<Vec<_>>().join(", "),
                        nics.iter().map(|x| x.uplink.to_string()).collect::<Vec<_>>().join(", ")
                    ))
                })?,
        };
        let name = nics[i].name.clone();
        nics[i].addrs.merge(addrs).map_err(|e| data(format!("NIC {name}: {e}")))?;
    }
    let gateway = parse_ci_gw4(a.get("ci_gw4").unwrap_or("0")).map_err(data)?;
    let devfs_ruleset = match a.get("devfs_ruleset").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            Some(v.parse::<u16>().map_err(|_| data(format!("devfs_ruleset={v}: not a ruleset number (1-65535)")))?)
        }
    };
    let rcconf = a.get("rcconf").filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    if rcconf.as_ref().is_some_and(|p| !p.is_absolute()) {
        return Err(Error::jail(Kind::Usage, &jail, "rcconf= must be an absolute path"));
    }
    Ok(JailNet { jail, nics, addressing: Addressing { gateway, devfs_ruleset, rcconf } })
}

/// Runs `vimage bridge`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let jail = jail_arg(a)?;
    let net = jailnet(jail.clone(), a)?;
    let dry = a.flag("dry-run");
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("bridge {jail}"), dry, ctx.lock_timeout)?;
    let done = s.bridge(&net).map_err(|e| e.in_jail(&jail))?;
    Ok(Outcome::ok(render_done(&done, &s.notes, dry, a)))
}

/// The text (or JSON) both bridge and unbridge print.
pub fn render_done(done: &Done, session_notes: &[String], dry: bool, a: &Args) -> String {
    let plan = &done.plan;
    if a.flag("json") {
        let commands: Vec<String> = match &done.report {
            Some(r) => r.commands.clone(),
            None => render::commands(plan).iter().map(|c| c.to_string()).collect(),
        };
        let bindings = done.report.as_ref().map(|r| r.bindings.clone()).unwrap_or_default();
        let nics: Vec<_> = plan
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Attach { nic, nic_name, host_if, bridge, uplink, mac, jid } => Some(json!({
                    "nic": nic, "name": nic_name, "host_if": resolve(host_if, &bindings), "bridge": resolve(bridge, &bindings),
                    "uplink": uplink, "mac": mac.to_string(), "jid": jid,
                })),
                _ => None,
            })
            .collect();
        let files: Vec<String> = plan.files.iter().flat_map(|f| f.describe()).collect();
        return to_json(&json!({
            "jail": plan.jail.as_str(),
            "verb": plan.verb.as_str(),
            "dry_run": dry,
            "changed": done.report.is_some() && !(plan.steps.is_empty() && done.results.is_empty()),
            "commands": commands,
            "notes": plan.notes,
            "repairs": session_notes,
            "nics": nics,
            "files": files,
            "results": done.results,
        }));
    }
    if dry {
        let mut out = format!(
            "# vimage {} jname={} --dry-run: {} command(s); nothing was changed\n",
            plan.verb.as_str(),
            plan.jail,
            plan.steps.len()
        );
        if plan.steps.iter().any(|s| s.op.binds().is_some()) {
            out.push_str("# names the kernel picks when a command runs are shown as $variables\n");
        }
        out.push_str(&render::dry_run(plan));
        for f in plan.files.iter().flat_map(|f| f.describe()) {
            out.push_str(&format!("# then, once every command succeeded, write {f}\n"));
        }
        return out;
    }
    let mut out = String::new();
    for n in session_notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for n in &plan.notes {
        out.push_str(&format!("jail {}: {n}\n", plan.jail));
    }
    if let Some(r) = &done.report {
        for e in &plan.effects {
            if let Effect::Attach { nic_name, host_if, bridge, uplink, mac, .. } = e {
                out.push_str(&format!(
                    "jail {}: {nic_name} is up: host end {} on {} (uplink {uplink}), MAC {mac}\n",
                    plan.jail,
                    resolve(host_if, &r.bindings),
                    resolve(bridge, &r.bindings)
                ));
            }
        }
        for r in &done.results {
            out.push_str(&format!("jail {}: {r}\n", plan.jail));
        }
        if plan.steps.is_empty() {
            out.push_str(&format!("jail {}: records updated; no kernel change was needed\n", plan.jail));
        } else {
            out.push_str(&format!("jail {}: done ({} command(s))\n", plan.jail, r.commands.len()));
        }
    }
    out
}

fn resolve(r: &IfRef, b: &crate::plan::op::Bindings) -> String {
    r.display(b)
}
