//! `vimage bridge`: read the keys once, have the resolver (`crate::resolve`) build the JailNet,
//! then plan and apply it.

use super::args::Args;
use super::lines::{self, Lines, Style};
use super::typed::BridgeKeys;
use super::{Ctx, Out, jail_arg, json_doc};
use crate::cbsd::Workdir;
use crate::desired;
use crate::error::Result;
use crate::exec::progress::Note;
use crate::model::{Mac, ModeKind};
use crate::op::IfRef;
use crate::ops::{Done, Session};
use crate::plan::{Effect, NicFx, render};
use crate::resolve::{self, cli::Keys};
use crate::settings::JailSettings;
use crate::state::Attachment;
use serde::Serialize;
use serde_json::json;

/// The keys of `bridge` that describe the jail's network, from its typed keys into the
/// resolver's form (the resolver, below the command line, does not know [`BridgeKeys`]).
pub fn keys(k: &BridgeKeys) -> Keys<'_> {
    Keys {
        interface: k.interface.as_deref(),
        ifname: k.ifname.as_deref(),
        mac: k.mac.as_deref(),
        mode: k.mode.as_deref(),
        bridges: k.bridges.as_deref(),
        vnets: k.vnets.as_deref(),
        vlan: k.vlan.as_deref(),
        vlan_untagged: k.vlan_untagged.as_deref(),
        vlan_tagged: k.vlan_tagged.as_deref(),
        ip4_addr: k.ip4_addr.as_deref(),
        ci_gw4: k.ci_gw4.as_deref(),
        devfs_ruleset: k.devfs_ruleset.as_deref(),
        rcconf: k.rcconf.as_deref(),
        force: k.force,
        mtu: k.mtu.as_deref(),
        flags: k.flags.as_deref(),
        offload: k.offload.as_deref(),
    }
}

/// Runs `vimage bridge`. The NICs come from the command line, else CBSD's inventory of the
/// jail, else `vimage set`, else one `eth0` on the default route's interface (the resolver's
/// precedence, `crate::resolve`).
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: BridgeKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let cli = resolve::cli::partial(&jail, &keys(&k))?;
    let (dry, json) = (k.dry_run, k.json);
    let wd = Workdir::from_paths(&ctx.paths);
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("bridge {jail}"), dry, ctx.lock_timeout)?;
    stream(&mut s, dry, json, out);
    let settings = JailSettings { map: s.db.settings(jail.as_str())? };
    let want = desired::resolve(&jail, &cli, &settings, wd.as_ref(), &ctx.paths)?;
    if want.source == desired::Source::Cbsd {
        let n = Note::info(format!("NICs from CBSD's jailnic table of {jail}"));
        if !json && !dry {
            lines::note(out, Style::Nics, &n);
        }
        s.notes.push(n);
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
        let notes: Vec<Note> =
            crate::cbsd::writeback::write_back_macs(s.host, wd, c, &macs, true)?.into_iter().map(Note::info).collect();
        for n in &notes {
            if !json {
                lines::note(out, Style::Nics, n);
            }
        }
        s.notes.extend(notes);
    }
    let records = s.db.attachments(jail.as_str())?;
    out.print(&render_done(&done, &s.notes, dry, json, &records));
    Ok(0)
}

/// For a real run in text, prints the notes of opening the session and has the session print
/// each later line as it happens (`--json` and dry runs print one document at the end).
pub(super) fn stream(s: &mut Session<'_>, dry: bool, json: bool, out: &Out) {
    if json || dry {
        return;
    }
    for n in &s.notes {
        lines::note(out, Style::Nics, n);
    }
    s.report_to(Lines::boxed(out, Style::Nics));
}

/// One NIC in `--json` (docs/json.md): as vimage's records have it after the command.
#[derive(Debug, Serialize)]
struct NicJson {
    nic: u32,
    name: String,
    mode: ModeKind,
    host_if: String,
    mac: Option<String>,
    bridge: Option<String>,
    uplink: Option<String>,
    jid: u32,
    link: Option<u32>,
    node_id: Option<String>,
    name_wanted: Option<String>,
    /// Its name inside the jail: `name`, except for a Linux userland's NIC, which keeps the
    /// kernel's (`epair3b`).
    in_jail: String,
}

impl NicJson {
    fn recorded(a: &Attachment) -> NicJson {
        NicJson {
            nic: a.nic,
            name: a.nic_name.clone(),
            mode: a.mode,
            host_if: a.host_if.clone(),
            mac: a.mac.clone(),
            bridge: a.bridge.clone(),
            uplink: a.uplink.clone(),
            jid: a.jid,
            link: a.ng_link,
            node_id: a.ng_node.map(|id| format!("[{id:x}]")),
            name_wanted: a.wanted_name.clone(),
            in_jail: a.in_jail().to_string(),
        }
    }

    /// A NIC a dry run would attach: names the kernel picks are `$variables`.
    fn planned(f: &NicFx, b: &crate::op::Bindings) -> NicJson {
        NicJson {
            nic: f.nic,
            name: f.nic_name.clone(),
            mode: f.mode,
            host_if: resolve(&f.host_if, b),
            mac: f.mac.map(|m| m.to_string()),
            bridge: f.bridge.as_ref().map(|r| resolve(r, b)),
            uplink: f.uplink.clone(),
            jid: f.jid,
            link: f.ng_link,
            node_id: f.ng_node.as_ref().map(|s| format!("${}", s.0)),
            name_wanted: f.wanted_name.clone(),
            in_jail: f.jail_if.as_ref().map_or_else(|| f.nic_name.clone(), |r| resolve(r, b)),
        }
    }
}

/// Every NIC of the jail after the command: the records as they are now, or, for a dry run,
/// as the plan would leave them.
fn nics_after(done: &Done, dry: bool, records: &[Attachment]) -> Vec<NicJson> {
    let mut by_nic: std::collections::BTreeMap<u32, NicJson> =
        records.iter().map(|r| (r.nic, NicJson::recorded(r))).collect();
    if dry || done.report.is_none() {
        let b = done.report.as_ref().map(|r| r.bindings.clone()).unwrap_or_default();
        for e in &done.plan.effects {
            match e {
                Effect::Attach(f) => {
                    by_nic.insert(f.nic, NicJson::planned(f, &b));
                }
                Effect::Detach { nic } => {
                    by_nic.remove(nic);
                }
                _ => {}
            }
        }
    }
    by_nic.into_values().collect()
}

/// What bridge, unbridge and devfs print once the session is done: the `--json` document,
/// the dry run, or (the rest having been printed as it happened) the closing line.
pub fn render_done(done: &Done, session_notes: &[Note], dry: bool, json: bool, records: &[Attachment]) -> String {
    let plan = &done.plan;
    if json {
        let commands: Vec<String> = match &done.report {
            Some(r) => r.commands.clone(),
            None => render::commands(plan).iter().map(|c| c.to_string()).collect(),
        };
        let files: Vec<String> = plan.files.iter().flat_map(|f| f.describe()).collect();
        return json_doc(json!({
            "jail": plan.jail.as_str(),
            "verb": plan.verb.as_str(),
            "dry_run": dry,
            "changed": done.report.is_some() && !(plan.steps.is_empty() && done.results.is_empty()),
            "commands": commands,
            "notes": plan.notes,
            "repairs": session_notes,
            "nics": nics_after(done, dry, records),
            "files": files,
            "results": done.results,
        }));
    }
    if dry {
        // Nothing ran (a dry run only queries) and nothing is streamed: the header says so,
        // and the session's notes (records rebuilt in memory, an unwritable database) come first.
        let mut out: String = session_notes.iter().map(|n| format!("# note: {n}\n")).collect();
        out.push_str(&format!(
            "# vimage {} jname={} --dry-run: the plan, {} command(s); none was run, nothing was changed\n",
            plan.verb.as_str(),
            plan.jail,
            plan.steps.len()
        ));
        if plan.steps.iter().any(|s| s.op.binds().is_some()) {
            out.push_str("# names the kernel picks when a command runs are shown as $variables\n");
        }
        out.push_str(&render::dry_run(plan));
        for f in plan.files.iter().flat_map(|f| f.describe()) {
            out.push_str(&format!("# then, once every command succeeded, write {f}\n"));
        }
        return out;
    }
    match &done.report {
        Some(_) if plan.steps.is_empty() => {
            format!("jail {}: records updated; no kernel change was needed\n", plan.jail)
        }
        Some(r) => format!("jail {}: done ({} command(s))\n", plan.jail, r.commands.len()),
        None => String::new(),
    }
}

fn resolve(r: &IfRef, b: &crate::op::Bindings) -> String {
    r.display(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::verb;
    use crate::model::{JailName, JailNet, Uplink};
    use crate::resolve::Source;

    /// What the command line alone makes of `args`.
    fn net(args: &[&str]) -> Result<JailNet> {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let a = crate::cli::args::parse(verb("bridge").unwrap(), &argv)?;
        let jail = JailName::parse("web1").unwrap();
        let cli = resolve::cli::partial(&jail, &keys(&a.keys()?))?;
        resolve::layer(&jail, &[(Source::CommandLine, &cli)]).map(|(net, _)| net)
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

    #[test]
    fn more_names_or_macs_than_uplinks_is_a_usage_error() {
        for extra in ["ifname=eth0,eth1", "mac=02:00:00:00:00:01,02:00:00:00:00:02"] {
            let e = net(&["jname=web1", "interface=em0", extra]).unwrap_err();
            assert_eq!(e.exit_code(), 64, "{extra}: {e}");
            assert!(e.message.contains("interface=em0,em0"), "{e}");
        }
        // Without interface=, the names say how many NICs go on the default route's interface.
        assert_eq!(net(&["jname=web1", "ifname=eth0,eth1"]).unwrap().nics.len(), 2);
        assert_eq!(net(&["jname=web1", "interface=em0,em1", "ifname=a"]).unwrap().nics.len(), 2);
    }
}
