//! A stand-in for CBSD's `cbsd jset jname=J key=value …` (reference/cbsd.md §8): it records
//! the values in the simulated machine's state so tests can see what vimage told CBSD. Not a
//! model of CBSD; every other sub-command fails.

use super::Proc;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// Runs `cbsd args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("cbsd");
    let Some(cmd) = args.first() else {
        p.stderr("usage: cbsd <command> [args]\n");
        return p.finish(1);
    };
    if cmd != "jset" {
        let _ = p.errx(1, &format!("{cmd}: not simulated (the stand-in knows jset only)"));
        return p.finish(1);
    }
    let kv: Vec<(&str, &str)> = args[1..].iter().filter_map(|a| a.split_once('=')).collect();
    let Some(jail) = kv.iter().find(|(k, _)| *k == "jname").map(|(_, v)| *v) else {
        let _ = p.errx(1, "jset: give jname=");
        return p.finish(1);
    };
    for (key, v) in kv.iter().filter(|(k, _)| *k != "jname" && *k != "mode") {
        if let Err(e) = k.cbsd_jset(ctx, jail, key, v) {
            let _ = p.err(1, "jset", e);
            return p.finish(1);
        }
        p.out.push_str(&format!("{key}: {v}\n"));
    }
    p.finish(0)
}
