//! `vimage bridge`: turn the keys into a JailNet, then plan and apply it.

use super::args::Args;
use super::{Ctx, Outcome, jail_arg, list, to_json};
use crate::cbsd::Workdir;
use crate::desired;
use crate::error::{Error, Kind, Result};
use crate::model::{Addressing, IfName, JailName, JailNet, Mac, NicMode, NicSpec, Uplink};
use crate::ops::{Done, Session};
use crate::plan::op::IfRef;
use crate::plan::{Effect, render};
use crate::settings::JailSettings;
use serde_json::json;

/// The desired network from the keys: `interface=`, `ifname=` and `mac=` give one NIC per uplink
/// (or per name) in the mode `mode=` says (epair by default; one NIC on the default-route
/// interface when none is listed and nothing else is asked for); `bridges=` adds a netgraph NIC
/// per entry (an uplink may repeat: `bridges="em0 em0"`), `vnets=` a passed-through interface
/// per entry. NICs are numbered in that order: the `interface=` ones, then `bridges=`, then
/// `vnets=` (the number is part of each generated MAC, so keep the order). `ip4_addr=`,
/// `ci_gw4=`, `devfs_ruleset=` and `rcconf=` add addressing.
pub fn jailnet(jail: JailName, a: &Args) -> Result<JailNet> {
    let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, &jail, e.0);
    let usage = |m: String| Error::jail(Kind::Usage, &jail, m);
    let netgraph = match a.get("mode").unwrap_or("epair") {
        "epair" => false,
        "netgraph" | "ng" => true,
        other => return Err(usage(format!("mode={other}: use mode=epair or mode=netgraph"))),
    };
    let uplinks = list(a.get("interface"));
    let names = list(a.get("ifname"));
    let macs = list(a.get("mac"));
    let bridges = list(a.get("bridges"));
    let vnets = list(a.get("vnets"));
    if netgraph && !names.is_empty() {
        return Err(usage("ifname= names epair NICs; netgraph NICs are always ng<i>_<jail>".into()));
    }
    let listed = uplinks.len().max(names.len()).max(macs.len());
    let n = if listed == 0 && (!bridges.is_empty() || !vnets.is_empty()) { 0 } else { listed.max(1) };
    if uplinks.len() > 1 && uplinks.len() != n
        || names.len() > 1 && names.len() != n
        || macs.len() > 1 && macs.len() != n
    {
        return Err(usage(format!(
            "interface=, ifname= and mac= list {}, {} and {} NICs; give one value or one per NIC",
            uplinks.len(),
            names.len(),
            macs.len()
        )));
    }
    let pick = |v: &[String], i: usize| v.get(i).or(if v.len() == 1 { v.first() } else { None }).cloned();
    let mut net = JailNet {
        jail: jail.clone(),
        nics: Vec::with_capacity(n),
        addressing: Addressing::default(),
        force: a.flag("force"),
        userland: None,
    };
    let mut ng_uplinks = Vec::new();
    for i in 0..n {
        let uplink = pick(&uplinks, i).map(|u| Uplink::parse(&u)).transpose().map_err(bad)?.unwrap_or(Uplink::Auto);
        if netgraph {
            ng_uplinks.push(uplink);
            continue;
        }
        let name = match names.get(i) {
            Some(s) => IfName::parse(s).map_err(bad)?,
            None => IfName::parse(&format!("eth{i}")).map_err(bad)?,
        };
        let mac = macs.get(i).map(|m| Mac::parse_assignable(m)).transpose().map_err(bad)?;
        net.nics.push(NicSpec {
            index: i as u32,
            name,
            name_given: names.get(i).is_some(),
            mode: NicMode::Epair { uplink },
            mac,
            addrs: Default::default(),
        });
    }
    for b in &bridges {
        ng_uplinks.push(Uplink::parse(b).map_err(bad)?);
    }
    net.add_netgraph(&ng_uplinks);
    if netgraph {
        for (nic, m) in net.nics.iter_mut().zip(&macs) {
            nic.mac = Some(Mac::parse_assignable(m).map_err(bad)?);
        }
    }
    let ifaces = vnets.iter().map(|v| IfName::parse(v).map_err(bad)).collect::<Result<Vec<_>>>()?;
    net.add_passthrough(&ifaces);
    apply_cli_addressing(&mut net, a)?;
    Ok(net)
}

/// Whether the command line says anything about addresses, routers or devfs.
fn addressing_given(a: &Args) -> bool {
    ["ip4_addr", "ci_gw4", "devfs_ruleset", "rcconf"].iter().any(|k| a.get(k).is_some())
}

/// `ip4_addr=`, `ci_gw4=`, `devfs_ruleset=` and `rcconf=` from the command line.
fn apply_cli_addressing(net: &mut JailNet, a: &Args) -> Result<()> {
    let rcconf = a.get("rcconf").filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    if rcconf.as_ref().is_some_and(|p| !p.is_absolute()) {
        return Err(Error::jail(Kind::Usage, &net.jail, "rcconf= must be an absolute path"));
    }
    desired::apply_addressing(
        net,
        a.get("ip4_addr").unwrap_or("0"),
        a.get("ci_gw4").unwrap_or("0"),
        a.get("devfs_ruleset").filter(|v| !v.is_empty()),
        rcconf,
    )
}

/// Lets the command line override, key by key, what CBSD or `vimage set` said about
/// addresses, router, ruleset and rc.conf; keys not given keep the stored values.
fn override_addressing(net: &mut JailNet, a: &Args) -> Result<()> {
    let mut cli = net.clone();
    cli.addressing = Addressing::default();
    for nic in &mut cli.nics {
        nic.addrs = Default::default();
    }
    apply_cli_addressing(&mut cli, a)?;
    if a.get("ip4_addr").is_some() {
        for (nic, from) in net.nics.iter_mut().zip(cli.nics) {
            nic.addrs = from.addrs;
        }
    }
    if a.get("ci_gw4").is_some() {
        net.addressing.gateway = cli.addressing.gateway;
    }
    if a.get("devfs_ruleset").is_some() {
        net.addressing.devfs_ruleset = cli.addressing.devfs_ruleset;
    }
    if a.get("rcconf").is_some() {
        net.addressing.rcconf = cli.addressing.rcconf;
    }
    Ok(())
}

/// Runs `vimage bridge`. The NICs come from the command line, else CBSD's inventory of the
/// jail, else `vimage set`, else one `eth0` on the default route's interface.
pub fn run(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let jail = jail_arg(a)?;
    let cli = ["interface", "ifname", "mac", "mode", "bridges", "vnets"]
        .iter()
        .any(|k| a.get(k).is_some())
        .then(|| jailnet(jail.clone(), a))
        .transpose()?;
    let dry = a.flag("dry-run");
    let wd = Workdir::from_paths(&ctx.paths);
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("bridge {jail}"), dry, ctx.lock_timeout)?;
    let settings = JailSettings { map: s.db.settings(jail.as_str())? };
    let mut want = desired::resolve(&jail, cli, &settings, wd.as_ref())?;
    want.net.force |= a.flag("force");
    if want.net.userland.is_none() {
        want.net.userland = crate::rcd::userland_of(&ctx.paths, &jail)?;
    }
    if want.source != desired::Source::CommandLine && addressing_given(a) {
        override_addressing(&mut want.net, a)?;
    }
    if want.source == desired::Source::Cbsd {
        s.notes.push(format!("NICs from CBSD's jailnic table of {jail}"));
    }
    let done = s.bridge(&want.net).map_err(|e| e.in_jail(&jail))?;
    if let (Some(c), Some(wd), Some(_)) = (&want.cbsd, &wd, &done.report) {
        let macs: Vec<(u32, Mac)> = done
            .plan
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Attach(f) => f.mac.map(|m| (f.nic, m)),
                _ => None,
            })
            .collect();
        // The jail runs (bridging needs it), so CBSD's jset would ignore nic_hwaddr.
        let notes = desired::write_back_macs(s.host, wd, c, &macs, true)?;
        s.notes.extend(notes);
    }
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
                Effect::Attach(f) => Some(json!({
                    "nic": f.nic, "name": f.nic_name, "mode": f.mode, "host_if": resolve(&f.host_if, &bindings),
                    "bridge": f.bridge.as_ref().map(|b| resolve(b, &bindings)), "uplink": f.uplink,
                    "mac": f.mac.map(|m| m.to_string()), "jid": f.jid, "link": f.ng_link,
                    "node_id": f.ng_node.as_ref().and_then(|s| bindings.get(s)).map(|h| format!("[{h}]")),
                    "name_wanted": f.wanted_name,
                    "in_jail": f.jail_if.as_ref().map_or_else(|| f.nic_name.clone(), |r| resolve(r, &bindings)),
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
            let Effect::Attach(f) = e else { continue };
            let nic = match &f.jail_if {
                Some(j) => format!("{} (in the jail: {})", f.nic_name, resolve(j, &r.bindings)),
                None => f.nic_name.clone(),
            };
            let line = match f.mode.as_str() {
                "passthrough" => format!("{nic} is up: passed through"),
                mode => format!(
                    "{nic} is up: {} {} on {} (uplink {}), MAC {}",
                    if mode == "netgraph" { "netgraph node" } else { "host end" },
                    resolve(&f.host_if, &r.bindings),
                    f.bridge.as_ref().map(|b| resolve(b, &r.bindings)).unwrap_or_default(),
                    f.uplink.as_deref().unwrap_or("?"),
                    f.mac.map(|m| m.to_string()).unwrap_or_default()
                ),
            };
            out.push_str(&format!("jail {}: {line}\n", plan.jail));
            if let Some(w) = &f.wanted_name {
                out.push_str(&format!("jail {}: {} is {w} shortened to fit 15 bytes\n", plan.jail, f.nic_name));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::verb;

    fn net(args: &[&str]) -> Result<JailNet> {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let a = crate::cli::args::parse(verb("bridge").unwrap(), &argv)?;
        jailnet(JailName::parse("web1").unwrap(), &a)
    }

    fn shape(n: &JailNet) -> Vec<(u32, String, &'static str)> {
        n.nics.iter().map(|x| (x.index, x.name.to_string(), x.mode.as_str())).collect()
    }

    #[test]
    fn keys_make_nics_in_mode_order() {
        let n = net(&["jname=web1", "interface=em0", "bridges=\"em0 em0\"", "vnets=em2"]).unwrap();
        let want: Vec<(u32, String, &str)> = vec![
            (0, "eth0".into(), "epair"),
            (1, "ng0_web1".into(), "netgraph"),
            (2, "ng1_web1".into(), "netgraph"),
            (3, "em2".into(), "passthrough"),
        ];
        assert_eq!(shape(&n), want);
        // bridges= or vnets= alone: no default epair NIC.
        assert_eq!(shape(&net(&["jname=web1", "bridges=em0"]).unwrap()).len(), 1);
        assert_eq!(shape(&net(&["jname=web1", "vnets=em2"]).unwrap())[0].2, "passthrough");
        // mode=netgraph alone: one netgraph NIC on the default-route interface.
        let n = net(&["jname=web1", "mode=netgraph"]).unwrap();
        assert_eq!(shape(&n), [(0, "ng0_web1".to_string(), "netgraph")]);
        assert_eq!(n.nics[0].uplink(), Some(&Uplink::Auto));
        assert!(net(&["jname=web1", "vnets=em2", "force=1"]).unwrap().force);
    }

    #[test]
    fn bad_mode_keys_are_usage_errors() {
        assert_eq!(net(&["jname=web1", "mode=vlan"]).unwrap_err().exit_code(), 64);
        assert_eq!(net(&["jname=web1", "mode=netgraph", "ifname=x0"]).unwrap_err().exit_code(), 64);
        assert_eq!(net(&["jname=web1", "vnets=em-9999999999999999"]).unwrap_err().exit_code(), 65);
    }
}
