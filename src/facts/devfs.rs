//! Gathers [`DevfsFacts`]: the two rules files (under `VIMAGE_ROOT`), `devfs rule showsets`,
//! `devfs rule -s N show` for the numbers vimage may own, and vimage's records.

use super::DevfsFacts;
use super::query::query;
use crate::devfs::rules::RulesFile;
use crate::error::{Error, Kind, Result};
use crate::host::{Cmd, Host, Program};
use crate::paths::Paths;
use crate::state::StateDb;

/// `/etc/devfs.rules`, as vimage edits it.
pub const RULES_PATH: &str = "/etc/devfs.rules";
/// FreeBSD's stock rules (rc.subr reads it first).
pub const DEFAULTS_PATH: &str = "/etc/defaults/devfs.rules";

/// Reads a host file under `VIMAGE_ROOT`; `None` when it does not exist.
pub fn read_host_file(paths: &Paths, path: &str) -> Result<Option<String>> {
    read_file(&paths.host(path))
}

/// Reads a file; `None` when it does not exist, an error naming it otherwise. A file that is
/// not UTF-8 text is refused with the first bad byte's position, so the admin can find it:
/// vimage's editors keep every line they do not own byte for byte, which they can only
/// promise for text they can read.
pub fn read_file(p: &std::path::Path) -> Result<Option<String>> {
    match std::fs::read(p) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => Ok(Some(s)),
            Err(e) => Err(not_utf8(p, e.as_bytes(), e.utf8_error().valid_up_to())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(Kind::Os, format!("cannot read {}: {e}", p.display()))),
    }
}

/// The error for a file whose byte at offset `bad` starts no UTF-8 character: byte and line
/// counted from 1, as cmp(1) counts them.
fn not_utf8(p: &std::path::Path, bytes: &[u8], bad: usize) -> Error {
    let line = 1 + bytes[..bad].iter().filter(|&&b| b == b'\n').count();
    Error::new(
        Kind::Data,
        format!(
            "{}: byte {} (line {line}) is not UTF-8 text (0x{:02x}); vimage will not edit this file",
            p.display(),
            bad + 1,
            bytes.get(bad).copied().unwrap_or(0)
        ),
    )
}

/// `devfs rule showsets`: the ruleset numbers loaded in the kernel.
pub fn loaded_sets(host: &mut dyn Host) -> Result<std::collections::BTreeSet<u16>> {
    let out = query(host, Cmd::new(Program::Devfs, ["rule", "showsets"]))?;
    Ok(out.stdout.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

/// `devfs rule -s N show`, one rule per line.
pub fn show(host: &mut dyn Host, n: u16) -> Result<Vec<String>> {
    let out = query(host, Cmd::new(Program::Devfs, ["rule".to_string(), "-s".into(), n.to_string(), "show".into()]))?;
    Ok(out.stdout.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
}

/// Everything the devfs planner needs; `interest` are numbers the caller may use (an
/// explicit `ruleset=`), shown when loaded.
pub fn gather(host: &mut dyn Host, db: &StateDb, paths: &Paths, interest: &[u16]) -> Result<DevfsFacts> {
    // A damaged file must not stop a teardown: its error is kept for the planner, which
    // refuses a setup that would edit it and reports it after a teardown's kernel part.
    let (rules, rules_error) = match read_host_file(paths, RULES_PATH) {
        Ok(t) => (t, None),
        Err(e) => (None, Some(e.message)),
    };
    let mut f = DevfsFacts {
        // Unreadable: FreeBSD's stock numbers are assumed (it only names the stock rulesets).
        defaults: read_host_file(paths, DEFAULTS_PATH).ok().flatten(),
        rules,
        rules_error,
        loaded: loaded_sets(host)?,
        users: db.devfs_users()?,
        ..DevfsFacts::default()
    };
    let mut want: Vec<u16> = interest.to_vec();
    want.extend(f.users.iter().map(|u| u.ruleset));
    if let Some(n) = f.rules.as_deref().and_then(|t| RulesFile::parse(t).ours()).and_then(|o| o.number) {
        want.push(n);
    }
    want.sort_unstable();
    want.dedup();
    for n in want.into_iter().filter(|n| f.loaded.contains(n)) {
        let rules = show(host, n)?;
        f.shown.insert(n, rules);
    }
    Ok(f)
}
