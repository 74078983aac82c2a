//! Making a CBSD jail a vimage jail (`vimage set jname=X enable=1`), and undoing it exactly
//! (`enable=0`).
//!
//! What CBSD 14.1.3a's sudoexec/jstart runs on the host, in order: its epairs (host end
//! described `<jname>-eth<N>`, l.514-622), the `master_prestart.d` hooks (l.716), tools/makejconf
//! (l.750), `jail -f … -c` (l.806-812), its own move loop (`ifconfig epairNb name ethN &&
//! ifconfig ethN vnet <jail>`, l.840-1016), `late_start` = `jexec <jail> /bin/sh /etc/rc`
//! (l.1072-1075), then the `master_poststart.d` hooks (l.1098). So:
//! - `master_prestart.d` runs before the jail exists: nothing can be moved into it yet;
//! - `master_poststart.d` runs after /etc/rc: too late for `ifconfig_eth0` and dhclient;
//! - jail(8)'s `exec.poststart` runs on the host right after the jail is created, before the
//!   move loop and /etc/rc. makejconf writes it from the jail's `exec_poststart` column
//!   (`exec.poststart="${exec_poststart}";`, `0` meaning none), and a failing command makes
//!   jail(8) remove the jail again. That is vimage's place: `vimage bridge` there takes CBSD's
//!   epairs over (see `plan::epair`), so the jail's /etc/rc finds `eth0` UP with its MAC.
//!
//! CBSD's `jset` cannot set that column (jailctl/jset skips `exec_poststart` and
//! `exec_poststop` with `continue`, exit 0), and a jail profile only fills it when a jail is
//! created with a known name. So `enable=1` writes the column itself, with one bound UPDATE
//! as `cbsdsqlrw` would (WAL, busy timeout), and reads it back: a write that did not take is
//! an error naming the jail, the file and the column. What it held before goes into vimage's
//! own state database, and `enable=0` puts exactly that back.
//!
//! At `cbsd jstop`, the `master_prestop.d` hook (run after jstop has found its epairs by their
//! description, before `jail -r`) runs `vimage unbridge`, which gives CBSD's epairs back and
//! undoes the rest of what vimage did; jstop then destroys its epairs as it always does. The
//! hook and the `cbsd jconfig jname=X vimage` sub-command are files in the jail's
//! `jails-system` directory, recognised as vimage's before they are replaced or removed.

use super::CbsdJail;
use super::db::{CbsdDb, DbOptions, cell_text, sql_error, write_did_not_take};
use super::workdir::Workdir;
use crate::error::{Error, Kind, Result};
use crate::host::Host;
use crate::model::{JailName, Mac};
use crate::shvars::write_atomic;
use rusqlite::TransactionBehavior;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The hook CBSD runs before `jail -r` (share/cbsd/system-skel/master_prestop.d/vimage.sh).
pub const PRESTOP_HOOK: &str = include_str!("../../share/cbsd/system-skel/master_prestop.d/vimage.sh");
/// The vimage profile's hook that enables a jail made in CBSD's wizard at its first start
/// (share/cbsd/system-skel/master_prestart.d/vimage.sh); never installed by `enable`, removed
/// by `disable`.
pub const PRESTART_HOOK: &str = include_str!("../../share/cbsd/system-skel/master_prestart.d/vimage.sh");
/// The `cbsd jconfig jname=X vimage` sub-command (share/cbsd/system-skel/bin/vimage).
pub const JCONFIG_BIN: &str = include_str!("../../share/cbsd/system-skel/bin/vimage");
/// Words every file vimage installs contains, so it can tell its own from an admin's.
const OURS: &str = "vimage(8)";
/// The `jails` column whose text jail(8) runs as `exec.poststart` (tools/makejconf).
pub const POSTSTART_COLUMN: &str = "exec_poststart";
/// vimage's state-database setting that keeps what `enable` did to `exec_poststart`.
pub const SAVED_POSTSTART: &str = "saved_exec_poststart";
/// vimage's state-database setting that keeps the `jailnic` rows `enable` gave a MAC.
pub const SAVED_MACS: &str = "saved_nic_hwaddr";

/// The `exec.poststart` command of a vimage jail. The jail name is validated (no shell
/// metacharacters, no `"` or `$` that jail.conf would read), and jail(8) runs the column's
/// text with /bin/sh -c.
pub fn poststart_command(jail: &JailName) -> String {
    format!("/usr/local/bin/vimage bridge -q jname={jail}")
}

/// Where the two files go for `jail`.
pub fn hook_paths(wd: &Workdir, jail: &JailName) -> (PathBuf, PathBuf) {
    (wd.jail_hook_dir(jail, "master_prestop").join("vimage.sh"), wd.jail_sysdir(jail).join("bin").join("vimage"))
}

/// What `enable` did to `exec_poststart`: the raw value before (`None` = SQL NULL) and the
/// exact text vimage wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPoststart {
    /// The column before `enable` (CBSD's `0` for "none", usually).
    pub before: Option<String>,
    /// What `enable` wrote, to tell later whether the column is still as vimage left it.
    pub written: String,
}

impl SavedPoststart {
    /// Reads the stored form; a value from before this form (the bare old text) is taken as
    /// `before`, with vimage's command alone as `written`.
    pub fn decode(stored: &str, jail: &JailName) -> SavedPoststart {
        serde_json::from_str(stored)
            .unwrap_or_else(|_| SavedPoststart { before: Some(stored.to_string()), written: poststart_command(jail) })
    }

    /// The stored form (JSON).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A `jailnic` row `enable` gave vimage's MAC, with what it held before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMac {
    /// The row's `id`.
    pub id: i64,
    /// `nic_hwaddr` before (`None` = SQL NULL; CBSD's `0` usually).
    pub before: Option<String>,
    /// The MAC `enable` wrote.
    pub mac: String,
}

/// What [`enable`] changed, to print and to keep for [`disable`].
#[derive(Debug, Default)]
pub struct Changes {
    /// One line per change, printed so the admin sees what enabling did to CBSD.
    pub notes: Vec<String>,
    /// Set when `exec_poststart` was changed.
    pub poststart: Option<SavedPoststart>,
    /// The rows given a MAC.
    pub macs: Vec<SavedMac>,
}

/// `exec_poststart` of `jail` exactly as stored (`None` for SQL NULL; CBSD writes `0`).
pub fn read_poststart(wd: &Workdir, jail: &JailName, opts: &DbOptions) -> Result<Option<String>> {
    let db = CbsdDb::open_read(&wd.local_db(), opts).map_err(|e| e.in_jail(jail))?;
    read_poststart_in(&db.conn, jail)
        .map_err(|e| db.error("reading column exec_poststart of table jails", e).in_jail(jail))
}

fn read_poststart_in(conn: &rusqlite::Connection, jail: &JailName) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT exec_poststart FROM jails WHERE jname = ?1", [jail.as_str()], |r| {
        r.get_ref(0).map(cell_text)
    })
}

/// Writes `exec_poststart` of `jail` (one bound UPDATE in an IMMEDIATE transaction, on a
/// connection set up as `cbsdsqlrw`'s), then reads it back on a new one. A write that did not
/// take (a read-only file, a trigger, a row that vanished) is an error naming the jail, the
/// file and the column (73).
pub fn write_poststart(wd: &Workdir, jail: &JailName, value: Option<&str>, opts: &DbOptions) -> Result<()> {
    let path = wd.local_db();
    let err = |what: &str, e| sql_error(&path, what, e).in_jail(jail);
    let mut db = CbsdDb::open_write(&path, opts).map_err(|e| e.in_jail(jail))?;
    let tx = db
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err("starting a write transaction", e))?;
    tx.execute("UPDATE jails SET exec_poststart = ?1 WHERE jname = ?2", rusqlite::params![value, jail.as_str()])
        .map_err(|e| err("writing column exec_poststart of table jails", e))?;
    tx.commit().map_err(|e| err("committing", e))?;
    drop(db);
    let now = read_poststart(wd, jail, opts)?;
    if now.as_deref() != value {
        return Err(write_did_not_take(jail, "column exec_poststart (table jails)", &path, now.as_deref(), value)
            .detail("CBSD's jail(8) config is made from that column at jstart; without it vimage never runs there"));
    }
    Ok(())
}

/// Refuses (before any change) a file of the admin's where vimage's would go.
fn check_installable(path: &Path, jail: &JailName) -> Result<()> {
    match std::fs::read_to_string(path) {
        Ok(cur) if !cur.contains(OURS) => Err(Error::jail(
            Kind::Data,
            jail,
            format!("{} exists and is not vimage's; move it aside to enable vimage", path.display()),
        )),
        _ => Ok(()),
    }
}

fn install(path: &Path, text: &str, mode: u32, jail: &JailName) -> Result<bool> {
    check_installable(path, jail)?;
    if std::fs::read_to_string(path).is_ok_and(|cur| cur == text) {
        return Ok(false);
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::jail(Kind::CantCreate, jail, format!("cannot create {}: {e}", d.display())))?;
    }
    write_atomic(path, text.as_bytes()).map_err(|e| e.in_jail(jail))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::jail(Kind::CantCreate, jail, format!("cannot chmod {}: {e}", path.display())))?;
    Ok(true)
}

fn remove_if_ours(path: &Path) -> bool {
    match std::fs::read_to_string(path) {
        Ok(cur) if cur.contains(OURS) => std::fs::remove_file(path).is_ok(),
        _ => false,
    }
}

/// `cur` without vimage's command (`ours; rest`, `rest; ours` or `ours`), or `None` when it
/// does not name it.
fn without_ours(cur: &str, ours: &str) -> Option<String> {
    let parts: Vec<&str> = cur.split(';').map(str::trim).collect();
    if !parts.contains(&ours) {
        return None;
    }
    let rest: Vec<&str> = parts.into_iter().filter(|p| *p != ours && !p.is_empty()).collect();
    Some(if rest.is_empty() { "0".to_string() } else { rest.join("; ") })
}

/// Shows a column value the way CBSD's `sqlcli` would.
fn shown(v: Option<&str>) -> String {
    format!("\"{}\"", v.unwrap_or("NULL"))
}

/// Wires vimage into CBSD's start of `jail`: checks that no admin's file is in the way, points
/// `exec_poststart` at vimage (keeping an earlier command after vimage's) and checks that it
/// took, installs the hook and the jconfig sub-command, and gives the `jailnic` rows without
/// a MAC the ones in `fill` (see [`crate::cbsd::writeback::write_back_macs`]: `cbsd jset` only for a
/// stopped jail). On a failure, what this call already changed is undone.
pub fn enable(
    host: &mut dyn Host,
    wd: &Workdir,
    c: &CbsdJail,
    fill: &[(u32, Mac)],
    running: bool,
    opts: &DbOptions,
) -> Result<Changes> {
    let jail = &c.net.jail;
    let mut ch = Changes::default();
    let (hook, bin) = hook_paths(wd, jail);
    check_installable(&hook, jail)?;
    check_installable(&bin, jail)?;
    let ours = poststart_command(jail);
    let before = read_poststart(wd, jail, opts)?;
    let set = before.as_deref().filter(|v| !super::db::is_unset(v));
    if !set.is_some_and(|c| c.split(';').map(str::trim).any(|p| p == ours)) {
        let new = match set {
            Some(c) => format!("{ours}; {c}"),
            None => ours.clone(),
        };
        write_poststart(wd, jail, Some(&new), opts)?;
        ch.notes.push(format!(
            "exec_poststart=\"{new}\" (was {}) in table jails of {}: jail(8) runs it {}",
            shown(before.as_deref()),
            wd.local_db().display(),
            if running { "at the next cbsd jstart" } else { "at cbsd jstart" }
        ));
        ch.poststart = Some(SavedPoststart { before, written: new });
    }
    let mut installed: Vec<PathBuf> = Vec::new();
    let rest = (|| -> Result<()> {
        if install(&hook, PRESTOP_HOOK, 0o755, jail)? {
            installed.push(hook.clone());
            ch.notes.push(format!("installed {} (runs vimage unbridge at cbsd jstop)", hook.display()));
        }
        if install(&bin, JCONFIG_BIN, 0o644, jail)? {
            installed.push(bin.clone());
            ch.notes.push(format!("installed {} (cbsd jconfig jname={jail} vimage key=value ...)", bin.display()));
        }
        for (i, mac) in fill {
            let Some(row) = c.nics.rows.get(*i as usize).filter(|r| r.nic_hwaddr.is_none()) else { continue };
            let before = super::jailnic::read_nic_hwaddr_raw(wd, jail, row.id, opts)?;
            let notes = crate::cbsd::writeback::write_back_macs(host, wd, c, &[(*i, *mac)], running)?;
            ch.macs.push(SavedMac { id: row.id, before, mac: mac.to_string() });
            ch.notes.extend(notes);
        }
        Ok(())
    })();
    if let Err(e) = rest {
        for p in &installed {
            let _ = std::fs::remove_file(p);
        }
        let undo = Saved { poststart: ch.poststart.take(), macs: std::mem::take(&mut ch.macs) };
        let e = match restore(wd, jail, &undo, false, opts) {
            Ok(_) => e.detail("undone: what enable=1 had changed so far is back as it was"),
            Err(u) => e.detail(format!("undo failed too: {u}")),
        };
        return Err(e);
    }
    Ok(ch)
}

/// What `enable` left for `disable`, read from vimage's state database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    /// What `enable` did to `exec_poststart`, if anything.
    pub poststart: Option<SavedPoststart>,
    /// The rows `enable` gave a MAC.
    pub macs: Vec<SavedMac>,
}

impl Saved {
    /// From the two state-database settings ([`SAVED_POSTSTART`], [`SAVED_MACS`]).
    pub fn decode(poststart: Option<&str>, macs: Option<&str>, jail: &JailName) -> Saved {
        Saved {
            poststart: poststart.map(|s| SavedPoststart::decode(s, jail)),
            macs: macs.and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default(),
        }
    }
}

/// Undoes [`enable`]: removes vimage's files (only those recognised as vimage's), puts
/// `exec_poststart` back to exactly what it held when it is still as `enable` left it (else
/// takes only vimage's command out of it), and gives the `jailnic` rows `enable` filled their
/// old value back when they still hold vimage's MAC. Everything is read back.
pub fn disable(wd: &Workdir, jail: &JailName, saved: &Saved, opts: &DbOptions) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let (hook, bin) = hook_paths(wd, jail);
    let prestart = wd.jail_hook_dir(jail, "master_prestart").join("vimage.sh");
    for p in [hook, bin, prestart] {
        if remove_if_ours(&p) {
            notes.push(format!("removed {}", p.display()));
        }
    }
    notes.extend(restore(wd, jail, saved, true, opts)?);
    Ok(notes)
}

/// The database half of [`disable`]: `exec_poststart` and the `jailnic` rows. With `strip`,
/// vimage's command also comes out of a column `enable` did not (or no longer) account for
/// (the profile wrote it, or it changed since); without, only what `saved` says is undone.
fn restore(wd: &Workdir, jail: &JailName, saved: &Saved, strip: bool, opts: &DbOptions) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let ours = poststart_command(jail);
    let cur = read_poststart(wd, jail, opts)?;
    let db = wd.local_db();
    match (&saved.poststart, cur.as_deref()) {
        (Some(p), c) if c == Some(p.written.as_str()) => {
            write_poststart(wd, jail, p.before.as_deref(), opts)?;
            notes.push(format!(
                "exec_poststart={} again in table jails of {} (as before enable=1)",
                shown(p.before.as_deref()),
                db.display()
            ));
        }
        (_, Some(c)) if strip => match without_ours(c, &ours) {
            Some(rest) => {
                write_poststart(wd, jail, Some(&rest), opts)?;
                notes.push(format!(
                    "exec_poststart=\"{rest}\" in table jails of {} (vimage's command taken out, the rest kept)",
                    db.display()
                ));
            }
            None => notes.push(format!("exec_poststart does not name vimage ({}); left as it is", shown(Some(c)))),
        },
        _ => {}
    }
    for m in &saved.macs {
        let now = super::jailnic::read_nic_hwaddr(wd, jail, m.id, opts)?;
        if now.as_deref() == Some(m.mac.as_str()) {
            super::jailnic::write_nic_hwaddr(wd, jail, m.id, m.before.as_deref(), opts)?;
            notes.push(format!(
                "jailnic row id {}: nic_hwaddr={} again (CBSD picks a MAC at its next start)",
                m.id,
                shown(m.before.as_deref())
            ));
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_files_are_recognisable_and_valid_sh() {
        assert!(PRESTOP_HOOK.contains(OURS) && JCONFIG_BIN.contains(OURS) && PRESTART_HOOK.contains(OURS));
        assert!(PRESTOP_HOOK.starts_with("#!/bin/sh\n") && PRESTART_HOOK.starts_with("#!/bin/sh\n"));
        assert!(JCONFIG_BIN.contains("myconf()"));
        let j = JailName::parse("web1").unwrap();
        assert_eq!(poststart_command(&j), "/usr/local/bin/vimage bridge -q jname=web1");
    }

    #[test]
    fn an_admins_file_in_the_way_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vimage.sh");
        std::fs::write(&p, "#!/bin/sh\necho mine\n").unwrap();
        let j = JailName::parse("web1").unwrap();
        assert_eq!(install(&p, PRESTOP_HOOK, 0o755, &j).unwrap_err().exit_code(), 65);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "#!/bin/sh\necho mine\n");
        assert!(!remove_if_ours(&p));
        std::fs::remove_file(&p).unwrap();
        assert!(install(&p, PRESTOP_HOOK, 0o755, &j).unwrap());
        assert!(!install(&p, PRESTOP_HOOK, 0o755, &j).unwrap(), "second install changes nothing");
        assert!(remove_if_ours(&p));
    }

    #[test]
    fn only_vimages_command_comes_out_of_a_changed_column() {
        let ours = "/usr/local/bin/vimage bridge -q jname=web1";
        assert_eq!(without_ours(ours, ours).as_deref(), Some("0"));
        assert_eq!(without_ours(&format!("{ours}; /root/mine.sh"), ours).as_deref(), Some("/root/mine.sh"));
        assert_eq!(without_ours(&format!("/root/a; {ours}; /root/b"), ours).as_deref(), Some("/root/a; /root/b"));
        assert_eq!(without_ours("/root/mine.sh", ours), None);
        assert_eq!(without_ours(&format!("{ours}x"), ours), None, "a longer command is not vimage's");
    }

    #[test]
    fn saved_values_round_trip_and_old_ones_are_read() {
        let j = JailName::parse("web1").unwrap();
        let s = SavedPoststart { before: None, written: poststart_command(&j) };
        assert_eq!(SavedPoststart::decode(&s.encode(), &j), s);
        let old = SavedPoststart::decode("0", &j);
        assert_eq!((old.before.as_deref(), old.written.as_str()), (Some("0"), poststart_command(&j).as_str()));
        let m = vec![SavedMac { id: 1, before: Some("0".into()), mac: "02:00:00:00:00:01".into() }];
        let enc = serde_json::to_string(&m).unwrap();
        assert_eq!(Saved::decode(None, Some(&enc), &j).macs, m);
        assert!(Saved::decode(None, Some("garbage"), &j).macs.is_empty());
    }
}
