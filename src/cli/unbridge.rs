//! `vimage unbridge`: remove what vimage set up for a jail.

use super::args::Args;
use super::bridge::render_done;
use super::{Ctx, Outcome, jail_arg};
use crate::error::Result;
use crate::ops::Session;

/// Runs `vimage unbridge`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let jail = jail_arg(a)?;
    let dry = a.flag("dry-run");
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("unbridge {jail}"), dry, ctx.lock_timeout)?;
    let done = s.unbridge(&jail).map_err(|e| e.in_jail(&jail))?;
    Ok(Outcome::ok(render_done(&done, &s.notes, dry, a)))
}
