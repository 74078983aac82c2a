//! `vimage gc`: remove orphans and dead records.

use super::args::Args;
use super::{Ctx, Outcome, to_json};
use crate::error::{Error, Kind, Result};
use crate::ops::Session;
use crate::plan::render;
use serde_json::json;

/// Runs `vimage gc`. Exits 71 if any removal failed (the rest is still done).
pub fn run(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let dry = a.flag("dry-run");
    let mut s = Session::open(ctx.host, &ctx.paths, "gc", dry, ctx.lock_timeout)?;
    let g = s.gc()?;
    let code = if g.errors.is_empty() { 0 } else { Kind::Os.exit_code() };
    if a.flag("json") {
        let errors: Vec<String> = g.errors.iter().map(Error::to_string).collect();
        let commands: Vec<String> =
            g.plans.iter().flat_map(|p| render::commands(p).into_iter().map(|c| c.to_string())).collect();
        let out = json!({
            "dry_run": dry,
            "repairs": s.notes,
            "orphans": g.orphans.objects,
            "dead_records": g.orphans.dead_records,
            "dead_bridges": g.orphans.dead_bridges,
            "commands": commands,
            "errors": errors,
        });
        return Ok(Outcome { stdout: to_json(&out), code });
    }
    let mut out = String::new();
    for n in &s.notes {
        out.push_str(&format!("repaired: {n}\n"));
    }
    for o in g.orphans.objects.iter().filter(|o| !o.removable) {
        out.push_str(&format!("left alone: {} [{}]: {}\n", o.object, o.marker, o.reason));
    }
    if g.plans.is_empty() {
        out.push_str("gc: nothing to collect\n");
    }
    for p in &g.plans {
        for n in &p.notes {
            out.push_str(&format!("{}{}\n", if dry { "would remove " } else { "removed " }, n));
        }
        if dry {
            for c in render::commands(p) {
                out.push_str(&format!("  {c}\n"));
            }
        }
    }
    let (recs, brs) = (g.orphans.dead_records.len(), g.orphans.dead_bridges.len());
    if recs + brs > 0 {
        let verb = if dry { "would forget" } else { "forgot" };
        out.push_str(&format!("{verb} {recs} NIC record(s) and {brs} bridge record(s) that describe nothing\n"));
    }
    for e in &g.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    Ok(Outcome { stdout: out, code })
}
