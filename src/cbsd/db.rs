//! Opening CBSD's SQLite databases so that vimage coexists with a running CBSD.
//!
//! CBSD opens every database with `journal_mode=WAL`, `synchronous=NORMAL`, a 25 s busy
//! timeout and double-quoted string literals allowed (bin/cbsdsh/sqlcmd.c, misc/src/sqlcli.c).
//! vimage reads without touching the journal mode, writes as `cbsdsqlrw` does (WAL), waits as
//! long as CBSD does, turns foreign keys off (the bundled SQLite turns them on by default;
//! CBSD's does not), binds every parameter, and turns SQLite's error codes into exit codes:
//! busy/locked → 75, not a database → 65, missing → 69, read-only → 73, each naming the file.

use crate::error::{Error, Kind, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, config::DbConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// CBSD's own busy timeout (`sqlite3_busy_timeout(db, 25000)` in bin/cbsdsh/sqlcmd.c).
pub const CBSD_BUSY_TIMEOUT: Duration = Duration::from_secs(25);

/// How to open a CBSD database. Tests shorten the busy timeout to keep lock tests fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbOptions {
    /// How long a statement waits for another process's lock before failing with 75.
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    /// CBSD's 25 s, or `VIMAGE_DB_BUSY_TIMEOUT` seconds (a hook that must not hang a jail
    /// start for long, or a test).
    fn default() -> DbOptions {
        DbOptions { busy_timeout: crate::lock::busy_timeout_from_env().unwrap_or(CBSD_BUSY_TIMEOUT) }
    }
}

/// An open CBSD database and the file it came from (every error names it).
#[derive(Debug)]
pub struct CbsdDb {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl CbsdDb {
    /// Opens `path` read-only. WAL readers never wait for CBSD's writers; they still need
    /// write access to the directory for the `-shm` file, as CBSD itself does.
    pub fn open_read(path: &Path, opts: &DbOptions) -> Result<CbsdDb> {
        Self::open(path, opts, OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    /// Opens `path` for reading and writing (never creating it: vimage does not make CBSD
    /// databases, CBSD does), set up as CBSD's `cbsdsqlrw` sets up every connection
    /// (bin/cbsdsh/sqlcmd.c): `journal_mode = WAL`, `synchronous = NORMAL`, and the busy
    /// timeout. A database that is not writable opens, and its first write fails (73).
    pub fn open_write(path: &Path, opts: &DbOptions) -> Result<CbsdDb> {
        let db = Self::open(path, opts, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        if !db.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            db.conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map_err(|e| db.error("setting journal_mode = WAL", e))?;
            db.conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| db.error("setting synchronous", e))?;
        }
        Ok(db)
    }

    fn open(path: &Path, opts: &DbOptions, mode: OpenFlags) -> Result<CbsdDb> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::new(Kind::Data, format!("CBSD database {} is not a regular file", path.display())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::new(Kind::Unavailable, format!("CBSD database {} does not exist", path.display()))
                    .detail("is workdir= right, and is the jail registered in CBSD?"));
            }
            Err(e) => {
                return Err(Error::new(
                    Kind::Unavailable,
                    format!("cannot access CBSD database {}: {e}", path.display()),
                ));
            }
        }
        let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| sql_error(path, "opening it", e))?;
        let db = CbsdDb { conn, path: path.to_path_buf() };
        db.setup(opts)?;
        Ok(db)
    }

    fn setup(&self, opts: &DbOptions) -> Result<()> {
        let err = |e| sql_error(&self.path, "setting up the connection", e);
        self.conn.busy_timeout(opts.busy_timeout).map_err(err)?;
        // CBSD's schemas write defaults as "auto", "0": accept them as strings, as CBSD does.
        self.conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, true).map_err(err)?;
        self.conn.pragma_update(None, "foreign_keys", false).map_err(err)?;
        // The first real read: random bytes fail here (65), an exclusive lock waits here (75).
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .map_err(|e| sql_error(&self.path, "reading its schema", e))?;
        Ok(())
    }

    /// The file this connection reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether table `name` exists.
    pub fn has_table(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(|e| self.error("reading its schema", e))
    }

    /// The column names of `table`, in table order (to tell CBSD versions apart).
    pub fn columns(&self, table: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .map_err(|e| self.error("reading its schema", e))?;
        let rows =
            stmt.query_map([table], |r| r.get::<_, String>(0)).map_err(|e| self.error("reading its schema", e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error("reading its schema", e))
    }

    /// `e`, which happened while doing `what`, as an [`Error`] naming this file.
    pub fn error(&self, what: &str, e: rusqlite::Error) -> Error {
        sql_error(&self.path, what, e)
    }
}

/// Maps a SQLite error on CBSD database `path` to an exit code and a message naming the file.
pub fn sql_error(path: &Path, what: &str, e: rusqlite::Error) -> Error {
    let p = path.display();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Error::new(Kind::TempFail, format!("CBSD database {p} is locked by another process ({what}): {e}"))
                .detail("a cbsd command is probably writing to it; try again in a moment")
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            Error::new(Kind::Data, format!("{p} is not a usable SQLite database ({what}): {e}"))
        }
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            Error::new(Kind::Unavailable, format!("cannot open CBSD database {p} ({what}): {e}"))
                .detail("reading a WAL database needs write access to its directory (for the -shm file)")
        }
        Some(ErrorCode::ReadOnly) => {
            Error::new(Kind::CantCreate, format!("cannot write CBSD database {p} ({what}): {e}"))
        }
        _ => Error::new(Kind::Data, format!("CBSD database {p}: {what}: {e}")),
    }
}

/// The error for a write that went through without an SQLite error but is not what the
/// database holds when read back (a trigger, another writer): 73, naming the jail, the file
/// and `what` (the column and row).
pub(crate) fn write_did_not_take(
    jail: &crate::model::JailName,
    what: &str,
    path: &Path,
    now: Option<&str>,
    wanted: Option<&str>,
) -> Error {
    Error::jail(
        Kind::CantCreate,
        jail,
        format!(
            "the write to {what} in {} did not take: it holds {:?}, not {:?}",
            path.display(),
            now.unwrap_or("NULL"),
            wanted.unwrap_or("NULL")
        ),
    )
}

/// A cell as text the way `sqlcli` prints it; `None` for SQL NULL.
pub(crate) fn cell_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A text cell with CBSD's "unset" spellings (`0`, empty, `(null)`, NULL) turned into `None`.
pub(crate) fn cell_setting(v: ValueRef<'_>) -> Option<String> {
    cell_text(v).map(|s| s.trim().to_string()).filter(|s| !is_unset(s))
}

/// CBSD stores "no value" as `0`, and NULL prints as `(null)`.
pub(crate) fn is_unset(s: &str) -> bool {
    matches!(s.trim(), "" | "0" | "(null)")
}

/// An integer cell, tolerating integers stored as text (`'5'`, `' 5'`) and treating empty
/// text, `(null)` and NULL as unset. `Err` carries the offending text for the caller to name.
pub(crate) fn cell_int(v: ValueRef<'_>) -> std::result::Result<Option<i64>, String> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(i)),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        ValueRef::Real(f) => Err(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let s = String::from_utf8_lossy(t);
            match s.trim() {
                "" | "(null)" => Ok(None),
                n => n.parse::<i64>().map(Some).map_err(|_| s.into_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_timeout_never_panics_on_odd_values() {
        assert_eq!(crate::lock::busy_timeout_from(Some("2")), Some(Duration::from_secs(2)));
        for odd in ["1e300", "-1", "NaN", "x"] {
            assert_eq!(crate::lock::busy_timeout_from(Some(odd)), None, "{odd}");
        }
    }

    #[test]
    fn cells_are_read_leniently() {
        assert_eq!(cell_int(ValueRef::Text(b" 5")), Ok(Some(5)));
        assert_eq!(cell_int(ValueRef::Text(b"(null)")), Ok(None));
        assert_eq!(cell_int(ValueRef::Text(b"")), Ok(None));
        assert_eq!(cell_int(ValueRef::Real(4.0)), Ok(Some(4)));
        assert_eq!(cell_int(ValueRef::Text(b"five")), Err("five".into()));
        assert_eq!(cell_int(ValueRef::Real(4.5)), Err("4.5".into()));
        assert_eq!(cell_setting(ValueRef::Text(b"0")), None);
        assert_eq!(cell_setting(ValueRef::Integer(0)), None);
        assert_eq!(cell_setting(ValueRef::Text(b"auto")), Some("auto".into()));
        assert_eq!(cell_text(ValueRef::Null), None);
        assert_eq!(cell_text(ValueRef::Blob(b"\xffx")), Some("\u{fffd}x".into()));
    }

    #[test]
    fn missing_and_garbage_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("local.sqlite");
        let e = CbsdDb::open_read(&missing, &DbOptions::default()).unwrap_err();
        assert_eq!(e.exit_code(), 69);
        assert!(e.message.contains("local.sqlite"), "{e}");
        std::fs::write(&missing, b"this is not sqlite at all, just some bytes.....").unwrap();
        let e = CbsdDb::open_read(&missing, &DbOptions::default()).unwrap_err();
        assert_eq!(e.exit_code(), 65, "{e}");
        assert!(e.message.contains("local.sqlite"), "{e}");
        let e = CbsdDb::open_read(dir.path(), &DbOptions::default()).unwrap_err();
        assert_eq!(e.exit_code(), 65, "{e}");
    }
}
