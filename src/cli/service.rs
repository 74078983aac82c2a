//! `vimage start NAME` / `vimage stop NAME`: the standalone service's verbs, configured by
//! `vimage_NAME_*` in rc.conf (see `crate::rcd`). The rc.d script only calls these.

use super::args::Args;
use super::lines::{self, Lines, Style};
use super::typed::{StartKeys, StopKeys};
use super::{Ctx, Out, jail_arg, json_doc};
use crate::error::Result;
use crate::exec::progress::Note;
use crate::ops::{Done, Session};
use crate::plan::render;
use crate::rcd;
use serde_json::json;

/// The `--json` document, the dry run, or (every other line having been printed as it
/// happened) the closing line.
fn render(done: &[Done], notes: &[Note], dry: bool, json: bool, what: &str, jail: &str) -> String {
    if json {
        let plans: Vec<_> = done
            .iter()
            .map(|d| {
                let commands: Vec<String> = match &d.report {
                    Some(r) => r.commands.clone(),
                    None => render::commands(&d.plan).iter().map(|c| c.to_string()).collect(),
                };
                json!({"verb": d.plan.verb.as_str(), "commands": commands, "notes": d.plan.notes})
            })
            .collect();
        return json_doc(json!({"jail": jail, "action": what, "dry_run": dry, "notes": notes, "runs": plans}));
    }
    if dry {
        let notes = notes.iter().map(|n| format!("note: {n}\n"));
        return notes.chain(done.iter().map(|d| render::dry_run(&d.plan))).collect();
    }
    format!("jail {jail}: {what}\n")
}

/// Opens the service's session, printing its lines as they happen in a real run in text.
fn session<'h>(dry: bool, json: bool, ctx: &'h mut Ctx<'_>, out: &Out, what: &str) -> Result<Session<'h>> {
    let mut s = Session::open(ctx.host, &ctx.paths, what, dry, ctx.lock_timeout)?;
    if !dry && !json {
        for n in &s.notes {
            lines::note(out, Style::Commands, n);
        }
        s.report_to(Lines::boxed(out, Style::Commands));
    }
    Ok(s)
}

/// Runs `vimage start`.
pub fn start(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: StartKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let conf = rcd::vimage(&rcd::load(&ctx.paths)?, jail.as_str())?;
    let mut s = session(k.dry_run, k.json, ctx, out, &format!("start {jail}"))?;
    let done = s.start(&conf)?;
    out.print(&render(&done, &s.notes, k.dry_run, k.json, "started", jail.as_str()));
    Ok(0)
}

/// Runs `vimage stop`: a configured vimage, or a jail vimage's records say `vimage start`
/// started; any other name is refused before anything is touched.
pub fn stop(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: StopKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let vars = rcd::load(&ctx.paths)?;
    let exec_stop = if rcd::configured(&vars, jail.as_str()) {
        // Only exec_stop is needed: a mistake elsewhere in its variables must not keep a
        // vimage from stopping at shutdown.
        Some(rcd::exec_stop(&vars, jail.as_str()))
    } else if !ctx.paths.state_db().exists() {
        return Err(rcd::not_a_vimage(&vars, jail.as_str()));
    } else {
        None
    };
    let mut s = session(k.dry_run, k.json, ctx, out, &format!("stop {jail}"))?;
    let done = s.stop(&jail, exec_stop.as_deref())?;
    out.print(&render(&done, &s.notes, k.dry_run, k.json, "stopped", jail.as_str()));
    Ok(0)
}
