//! vimage's own SQLite database: stored MACs, records of what exists, and the journal.
//!
//! Runs in WAL mode with `synchronous=NORMAL`: a commit survives the process being killed
//! (it is in the OS cache), and what it could lose on power failure describes kernel objects
//! that a reboot destroys anyway. Every statement binds its parameters.

mod devfs;
mod journal;
mod records;

pub use devfs::DevfsUser;
pub use journal::{RunRow, StepRow, StepState};
pub use records::{Attachment, BridgeRec};

use crate::error::{Error, Kind, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// The migrations, in order: entry `i` brings a database from version `i` to `i + 1`. Append
/// only; never edit an entry that has shipped.
const MIGRATIONS: &[&str] = &[
    SCHEMA_V1,
    SCHEMA_V2_LIFECYCLE,
    SCHEMA_V3_SETTINGS,
    SCHEMA_V4_STEP_UNDO,
    SCHEMA_V5_DEVFS,
    SCHEMA_V6_NETGRAPH,
    SCHEMA_V7_JAIL_IF,
];

/// The schema version this build writes; older databases are migrated forward on open.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nic_mac(
    jail TEXT NOT NULL, nic INTEGER NOT NULL, mac TEXT NOT NULL UNIQUE,
    PRIMARY KEY(jail, nic));
CREATE TABLE IF NOT EXISTS attachment(
    jail TEXT NOT NULL, nic INTEGER NOT NULL, nic_name TEXT NOT NULL, mode TEXT NOT NULL,
    host_if TEXT NOT NULL, bridge TEXT, uplink TEXT, mac TEXT, jid INTEGER NOT NULL,
    boottime INTEGER NOT NULL, run_id INTEGER,
    PRIMARY KEY(jail, nic));
CREATE INDEX IF NOT EXISTS attachment_bridge ON attachment(bridge);
CREATE INDEX IF NOT EXISTS attachment_host_if ON attachment(host_if);
CREATE TABLE IF NOT EXISTS bridge(
    name TEXT PRIMARY KEY, uplink TEXT NOT NULL, owned INTEGER NOT NULL, boottime INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS run(
    id INTEGER PRIMARY KEY AUTOINCREMENT, jail TEXT NOT NULL, verb TEXT NOT NULL, pid INTEGER,
    boottime INTEGER NOT NULL, started INTEGER NOT NULL, finished INTEGER, outcome TEXT);
CREATE INDEX IF NOT EXISTS run_open ON run(finished);
CREATE TABLE IF NOT EXISTS step(
    run_id INTEGER NOT NULL, seq INTEGER NOT NULL, command TEXT NOT NULL, op TEXT NOT NULL,
    state TEXT NOT NULL, binding TEXT, error TEXT,
    PRIMARY KEY(run_id, seq));
";

/// The standalone service's view of each jail it starts or stops (see `crate::ops`).
const SCHEMA_V2_LIFECYCLE: &str = "
CREATE TABLE IF NOT EXISTS lifecycle(jail TEXT PRIMARY KEY, state TEXT NOT NULL, boottime INTEGER NOT NULL);
";

/// Per-jail settings CBSD has no column for (`vimage set`).
const SCHEMA_V3_SETTINGS: &str = "
CREATE TABLE IF NOT EXISTS jail_setting(jail TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY(jail, key));
";

/// Each step's undo, journalled, so recovery can replay undos the planner chose for a step
/// (giving back an adopted CBSD epair) rather than only the op's natural inverse.
const SCHEMA_V4_STEP_UNDO: &str = "ALTER TABLE step ADD COLUMN undo TEXT;";

/// Jails that use vimage's devfs ruleset, and what their /dev had before.
const SCHEMA_V5_DEVFS: &str = "
CREATE TABLE IF NOT EXISTS devfs_user(
    jail TEXT PRIMARY KEY, ruleset INTEGER NOT NULL, prev INTEGER NOT NULL,
    jid INTEGER NOT NULL, boottime INTEGER NOT NULL, cbsd INTEGER NOT NULL);
";

/// Netgraph and passthrough NICs. An attachment may hang on an ng_bridge link
/// (`ng_node` is the eiface node's ID, `ng_link` the bridge's `link<N>`), may have had its name
/// shortened (`wanted_name`), or may be a physical interface that was UP on the host
/// (`was_up`). A bridge record says whether it is an if_bridge or an ng_bridge, and for an
/// ng_bridge the uplink's ng_ether flags before vimage changed them. `ng_free_link` holds the
/// links of an ng_bridge that were used and are free again, so the lowest free link is one
/// index lookup, however many jails hang on the bridge.
const SCHEMA_V6_NETGRAPH: &str = "
ALTER TABLE attachment ADD COLUMN ng_node INTEGER;
ALTER TABLE attachment ADD COLUMN ng_link INTEGER;
ALTER TABLE attachment ADD COLUMN wanted_name TEXT;
ALTER TABLE attachment ADD COLUMN was_up INTEGER;
CREATE INDEX IF NOT EXISTS attachment_bridge_link ON attachment(bridge, ng_link);
ALTER TABLE bridge ADD COLUMN kind TEXT NOT NULL DEFAULT 'if_bridge';
ALTER TABLE bridge ADD COLUMN ng_promisc INTEGER;
ALTER TABLE bridge ADD COLUMN ng_autosrc INTEGER;
CREATE TABLE IF NOT EXISTS ng_free_link(
    bridge TEXT NOT NULL, link INTEGER NOT NULL,
    PRIMARY KEY(bridge, link));
";

/// A NIC of a Linux-userland jail keeps the name the kernel gave it (`epair7b`): `jail_if`
/// holds that name inside the jail, while `nic_name` stays vimage's name of the NIC (`eth0`,
/// the one in its marker `vimage:<jail>:eth0`). NULL: the NIC is called `nic_name` in the jail.
const SCHEMA_V7_JAIL_IF: &str = "ALTER TABLE attachment ADD COLUMN jail_if TEXT;";

/// An open state database.
#[derive(Debug)]
pub struct StateDb {
    conn: Connection,
}

impl StateDb {
    /// Opens (creating directories, file and schema as needed) the database at `path`.
    pub fn open(path: &Path) -> Result<StateDb> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::new(Kind::CantCreate, format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot open {}: {e}", path.display())))?;
        Self::setup(conn, true).map_err(|e| e.detail(format!("state database: {}", path.display())))
    }

    /// A private database in memory (unit tests, dry runs without a state directory).
    pub fn open_in_memory() -> Result<StateDb> {
        Self::setup(Connection::open_in_memory()?, false)
    }

    fn setup(conn: Connection, wal: bool) -> Result<StateDb> {
        conn.busy_timeout(crate::cbsd::db::busy_timeout_from_env().unwrap_or(Duration::from_secs(25)))?;
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let db = StateDb { conn };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&self) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
        let v: i64 = tx
            .query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get::<_, String>(0))
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if v > SCHEMA_VERSION {
            return Err(Error::new(
                Kind::Unavailable,
                format!(
                    "the state database has schema version {v}, newer than this vimage ({SCHEMA_VERSION}); upgrade vimage"
                ),
            ));
        }
        for sql in &MIGRATIONS[v.max(0) as usize..] {
            tx.execute_batch(sql)?;
        }
        if v < SCHEMA_VERSION {
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)",
                [SCHEMA_VERSION.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets (or with `None` clears) the service's lifecycle state of `jail`.
    pub fn set_lifecycle(&self, jail: &str, state: Option<&str>, boottime: i64) -> Result<()> {
        match state {
            Some(st) => self.conn.execute(
                "INSERT OR REPLACE INTO lifecycle(jail, state, boottime) VALUES(?1, ?2, ?3)",
                rusqlite::params![jail, st, boottime],
            )?,
            None => self.conn.execute("DELETE FROM lifecycle WHERE jail=?1", [jail])?,
        };
        Ok(())
    }

    /// Every jail the service was in the middle of starting or stopping: (jail, state, boottime).
    pub fn lifecycles(&self) -> Result<Vec<(String, String, i64)>> {
        let mut st = self.conn.prepare("SELECT jail, state, boottime FROM lifecycle ORDER BY jail")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The `vimage set` settings of `jail`, by key.
    pub fn settings(&self, jail: &str) -> Result<std::collections::BTreeMap<String, String>> {
        let mut st = self.conn.prepare_cached("SELECT key, value FROM jail_setting WHERE jail=?1")?;
        let rows = st.query_map([jail], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets (or with `None` removes) one setting of `jail`.
    pub fn set_setting(&self, jail: &str, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self
                .conn
                .execute("INSERT OR REPLACE INTO jail_setting(jail, key, value) VALUES(?1, ?2, ?3)", [jail, key, v])?,
            None => self.conn.execute("DELETE FROM jail_setting WHERE jail=?1 AND key=?2", [jail, key])?,
        };
        Ok(())
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key=?1", [key], |r| r.get(0)).optional()?)
    }

    /// Sets a value in the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", [key, value])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_schema_and_refuses_newer_versions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("var/db/vimage/vimage.sqlite");
        let db = StateDb::open(&p).unwrap();
        assert_eq!(db.meta("schema_version").unwrap(), Some(SCHEMA_VERSION.to_string()));
        db.set_meta("schema_version", "99").unwrap();
        drop(db);
        let e = StateDb::open(&p).unwrap_err();
        assert_eq!(e.kind, Kind::Unavailable);
        assert!(e.message.contains("newer"), "{e}");
    }

    #[test]
    fn a_version_1_database_is_migrated_forward_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v1.sqlite");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch(SCHEMA_V1).unwrap();
            c.execute("INSERT INTO meta(key, value) VALUES('schema_version', '1')", []).unwrap();
            c.execute(
                "INSERT INTO attachment(jail, nic, nic_name, mode, host_if, jid, boottime) VALUES('web1', 0, 'eth0', 'epair', 'epair0a', 1, 10)",
                [],
            )
            .unwrap();
        }
        let db = StateDb::open(&p).unwrap();
        assert_eq!(db.meta("schema_version").unwrap(), Some(SCHEMA_VERSION.to_string()));
        assert!(db.devfs_users().unwrap().is_empty());
        let a = db.attachments("web1").unwrap();
        assert_eq!((a[0].host_if.as_str(), a[0].ng_link), ("epair0a", None));
    }
}
