//! `vimage unbridge`: remove what vimage set up for a jail.

use super::args::Args;
use super::bridge::{render_done, stream};
use super::typed::UnbridgeKeys;
use super::{Ctx, Out, jail_arg};
use crate::error::Result;
use crate::ops::Session;

/// Runs `vimage unbridge`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: UnbridgeKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let (dry, json) = (k.dry_run, k.json);
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("unbridge {jail}"), dry, ctx.lock_timeout)?;
    stream(&mut s, dry, json, out);
    let done = s.unbridge(&jail).map_err(|e| e.in_jail(&jail))?;
    let records = s.db.attachments(jail.as_str())?;
    out.print(&render_done(&done, &s.notes, dry, json, &records));
    Ok(0)
}
