//! `vimage gc`: remove orphans and dead records.

use super::args::Args;
use super::lines::{self, Lines, Style};
use super::{Ctx, Out, json_doc};
use crate::error::{Error, Kind, Result};
use crate::ops::Session;
use crate::plan::render;
use serde_json::json;

/// Runs `vimage gc`. Exits 71 if any removal failed (the rest is still done); each failure is
/// on stderr.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let dry = a.flag("dry-run");
    let json = a.flag("json");
    let mut s = Session::open(ctx.host, &ctx.paths, "gc", dry, ctx.lock_timeout)?;
    if !json {
        for n in &s.notes {
            lines::note(out, Style::Removed, n);
        }
        if !dry {
            s.report_to(Lines::boxed(out, Style::Removed));
        }
    }
    let g = s.gc()?;
    let code = if g.errors.is_empty() { 0 } else { Kind::Os.exit_code() };
    if json {
        let errors: Vec<String> = g.errors.iter().map(Error::to_string).collect();
        let commands: Vec<String> =
            g.plans.iter().flat_map(|p| render::commands(p).into_iter().map(|c| c.to_string())).collect();
        let dead_records: Vec<_> =
            g.orphans.dead_records.iter().map(|(jail, nic)| json!({"jail": jail, "nic": nic})).collect();
        out.print(&json_doc(json!({
            "dry_run": dry,
            "repairs": s.notes,
            "orphans": g.orphans.objects,
            "dead_records": dead_records,
            "dead_bridges": g.orphans.dead_bridges,
            "commands": commands,
            "errors": errors,
            "failures": s.warnings.docs().into_iter().chain(g.errors.docs()).collect::<Vec<_>>(),
        })));
        for e in &g.errors {
            out.err_line(format!("vimage: gc: {e}"));
        }
        return Ok(code);
    }
    for o in g.orphans.objects.iter().filter(|o| !o.removable) {
        out.line(format!("left alone: {} [{}]: {}", o.object, o.marker, o.reason));
    }
    if g.plans.is_empty() {
        out.line("gc: nothing to collect");
    }
    if dry {
        for p in &g.plans {
            for n in &p.notes {
                out.line(format!("would remove {n}"));
            }
            for c in render::commands(p) {
                out.line(format!("  {c}"));
            }
        }
    }
    let (recs, brs) = (g.orphans.dead_records.len(), g.orphans.dead_bridges.len());
    if recs + brs > 0 {
        let verb = if dry { "would forget" } else { "forgot" };
        out.line(format!("{verb} {recs} NIC record(s) and {brs} bridge record(s) that describe nothing"));
    }
    for e in &g.errors {
        out.err_line(format!("vimage: gc: {e}"));
    }
    Ok(code)
}
