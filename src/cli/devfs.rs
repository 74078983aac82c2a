//! `vimage devfs`: give a running jail's /dev vimage's devfs ruleset (stock ruleset 5 plus
//! bpf), and nothing else.

use super::args::Args;
use super::bridge::{render_done, stream};
use super::typed::DevfsKeys;
use super::{Ctx, Out, jail_arg};
use crate::error::{Error, Kind, Result};
use crate::ops::Session;

/// Runs `vimage devfs`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: DevfsKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let want = match k.ruleset.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<u16>()
                .map_err(|_| Error::jail(Kind::Data, &jail, format!("ruleset={v}: not a ruleset number (1-65535)")))?,
        ),
    };
    let (dry, json) = (k.dry_run, k.json);
    let mut s = Session::open(ctx.host, &ctx.paths, &format!("devfs {jail}"), dry, ctx.lock_timeout)?;
    stream(&mut s, dry, json, out);
    let done = s.devfs(&jail, want).map_err(|e| e.in_jail(&jail))?;
    let records = s.db.attachments(jail.as_str())?;
    out.print(&render_done(&done, &s.notes, dry, json, &records));
    Ok(0)
}
