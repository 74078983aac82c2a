//! `vimage gc`: remove orphans and dead records.

use super::args::Args;
use super::lines::{self, Lines, Style};
use super::typed::GcKeys;
use super::{Ctx, Out, json_doc};
use crate::error::{Error, Kind, Result};
use crate::ops::Session;
use crate::plan::render;
use serde_json::json;

/// Runs `vimage gc`. Exits 71 if any removal failed (the rest is still done); each failure is
/// on stderr.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: GcKeys = a.keys()?;
    let (dry, json) = (k.dry_run, k.json);
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

#[cfg(test)]
mod tests {
    use crate::cli::{Ctx, Out, run_to};
    use crate::host::SimHost;
    use crate::paths::Paths;
    use crate::sim::{Errno, Kernel, Sim};
    use std::time::Duration;

    fn vimage(host: &mut SimHost, root: &std::path::Path, args: &[&str]) -> (i32, Out) {
        let mut ctx = Ctx { paths: Paths::rooted(root), host, lock_timeout: Duration::from_secs(5) };
        let argv: Vec<String> = std::iter::once("vimage").chain(args.iter().copied()).map(str::to_string).collect();
        let out = Out::capture();
        let code = run_to(&argv, &mut ctx, &out).unwrap_or_else(|e| e.exit_code());
        (code, out)
    }

    /// gc's removal of a bridge no jail uses runs for no jail: when it fails, neither the text
    /// nor `--json` names a jail (not the journal's stand-in name either).
    #[test]
    fn a_failed_removal_for_no_jail_names_no_jail() {
        let mut seen_bridge = false;
        for n in 1..=4 {
            let mut host = SimHost::new(Sim::new(Kernel::demo()));
            let dir = tempfile::tempdir().unwrap();
            assert_eq!(vimage(&mut host, dir.path(), &["bridge", "jname=web1"]).0, 0);
            host.sim_mut().kernel.remove_jail("web1").unwrap();
            host.sim_mut().kernel.fail_at(n, Errno::EIO);
            let (code, out) = vimage(&mut host, dir.path(), &["gc", "--json"]);
            let text = format!("{}{}", out.stdout(), out.stderr());
            assert!(!text.contains(crate::plan::gc::GC_SCOPE), "fault {n}: {text}");
            if code == 0 {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
            for f in v["failures"].as_array().unwrap() {
                let bridge = f["command"].as_str().is_some_and(|c| c.starts_with("ifconfig bridge"));
                seen_bridge |= bridge;
                assert_eq!(f["jail"].is_null(), bridge, "fault {n}: {v}");
            }
        }
        assert!(seen_bridge, "no fault hit the bridge's removal");
    }
}
