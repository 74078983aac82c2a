//! `vimage start NAME` / `vimage stop NAME`: the standalone service's verbs, configured by
//! `vimage_NAME_*` in rc.conf (see `crate::rcd`). The rc.d script only calls these.

use super::args::Args;
use super::{Ctx, Outcome, jail_arg, to_json};
use crate::error::Result;
use crate::ops::{Done, Session};
use crate::plan::render;
use crate::rcd;
use serde_json::json;

fn render(done: &[Done], notes: &[String], dry: bool, json: bool, what: &str, jail: &str) -> String {
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
        return to_json(&json!({"jail": jail, "action": what, "dry_run": dry, "notes": notes, "runs": plans}));
    }
    let mut out = String::new();
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for d in done {
        if dry {
            out.push_str(&render::dry_run(&d.plan));
            continue;
        }
        for n in &d.plan.notes {
            out.push_str(&format!("jail {jail}: {n}\n"));
        }
        if let Some(r) = &d.report {
            for c in &r.commands {
                out.push_str(&format!("jail {jail}: ran {c}\n"));
            }
        }
    }
    if !dry {
        out.push_str(&format!("jail {jail}: {what}\n"));
    }
    out
}

/// Runs `vimage start`.
pub fn start(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let jail = jail_arg(a)?;
    let conf = rcd::vimage(&rcd::load(&ctx.paths)?, jail.as_str())?;
    let dry = a.flag("dry-run");
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("start {jail}"), dry, ctx.lock_timeout)?;
    let done = s.start(&conf)?;
    Ok(Outcome::ok(render(&done, &s.notes, dry, a.flag("json"), "started", jail.as_str())))
}

/// Runs `vimage stop`: a configured vimage, or a jail vimage's records say `vimage start`
/// started; any other name is refused before anything is touched.
pub fn stop(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let jail = jail_arg(a)?;
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
    let dry = a.flag("dry-run");
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("stop {jail}"), dry, ctx.lock_timeout)?;
    let done = s.stop(&jail, exec_stop.as_deref())?;
    Ok(Outcome::ok(render(&done, &s.notes, dry, a.flag("json"), "stopped", jail.as_str())))
}
