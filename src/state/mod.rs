//! vimage's own SQLite database: stored MACs, records of what exists, and the journal.
//!
//! Runs in WAL mode with `synchronous=NORMAL`: a commit survives the process being killed
//! (it is in the OS cache), and what it could lose on power failure describes kernel objects
//! that a reboot destroys anyway. Every statement binds its parameters.

mod devfs;
mod journal;
mod privnet;
mod records;

pub use devfs::DevfsUser;
pub use journal::{RunRow, StepRow, StepState};
pub use privnet::{Forward, Lease};
pub use records::{Attachment, BridgeKind, BridgeRec, StoredNic};

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
    SCHEMA_V7_STORED_NIC,
    SCHEMA_V8_JAIL_IF,
    SCHEMA_V9_NETWORKS,
    SCHEMA_V10_FORWARDS,
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

/// A stored MAC also remembers the NIC it belongs to (its name in the jail, mode and uplink,
/// as of its last attachment), so `status` and `set` can show a stopped jail's NICs with the
/// MACs they will get: what an admin needs for DHCP reservations before and between starts.
const SCHEMA_V7_STORED_NIC: &str = "
ALTER TABLE nic_mac ADD COLUMN nic_name TEXT;
ALTER TABLE nic_mac ADD COLUMN mode TEXT;
ALTER TABLE nic_mac ADD COLUMN uplink TEXT;
UPDATE nic_mac SET
    nic_name = (SELECT a.nic_name FROM attachment a WHERE a.jail = nic_mac.jail AND a.nic = nic_mac.nic),
    mode = (SELECT a.mode FROM attachment a WHERE a.jail = nic_mac.jail AND a.nic = nic_mac.nic),
    uplink = (SELECT a.uplink FROM attachment a WHERE a.jail = nic_mac.jail AND a.nic = nic_mac.nic);
";

/// The schema version from which stored MACs carry their NIC's name, mode and uplink.
const STORED_NIC_SINCE: i64 = 7;

/// A NIC of a Linux-userland jail keeps the name the kernel gave it (`epair7b`): `jail_if`
/// holds that name inside the jail, while `nic_name` stays vimage's name of the NIC (`eth0`,
/// the one in its marker `vimage:<jail>:eth0`). NULL: the NIC is called `nic_name` in the jail.
const SCHEMA_V8_JAIL_IF: &str = "ALTER TABLE attachment ADD COLUMN jail_if TEXT;";

/// Private networks (`vimage net create`) and the addresses their pools gave jail NICs: one
/// lease per (jail, NIC), one NIC per (network, address), so an address is never given twice.
const SCHEMA_V9_NETWORKS: &str = "
CREATE TABLE IF NOT EXISTS network(
    name TEXT PRIMARY KEY, cidr TEXT NOT NULL, gateway TEXT NOT NULL, nat TEXT NOT NULL,
    cidr6 TEXT, private INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS net_lease(
    net TEXT NOT NULL, jail TEXT NOT NULL, nic INTEGER NOT NULL, addr TEXT NOT NULL,
    PRIMARY KEY(jail, nic), UNIQUE(net, addr));
";

/// Port forwards into jails on private networks (`vimage expose`): one per (protocol, host
/// port), whatever the network, since NAT networks may share their NAT interface.
const SCHEMA_V10_FORWARDS: &str = "
CREATE TABLE IF NOT EXISTS net_forward(
    net TEXT NOT NULL, jail TEXT NOT NULL, proto TEXT NOT NULL, host_port INTEGER NOT NULL,
    jail_port INTEGER NOT NULL,
    PRIMARY KEY(proto, host_port));
";

/// A database written by a newer vimage, which this one must not touch.
fn newer(v: i64) -> Error {
    Error::new(
        Kind::Unavailable,
        format!("the state database has schema version {v}, newer than this vimage ({SCHEMA_VERSION}); upgrade vimage"),
    )
}

/// `file:PATH?immutable=1`, with the characters a URI gives meaning to escaped.
fn immutable_uri(path: &Path) -> String {
    let mut s = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii() && !matches!(b, b'%' | b'?' | b'#') && !b.is_ascii_control() {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.push_str("?immutable=1");
    s
}

/// An open state database.
#[derive(Debug)]
pub struct StateDb {
    conn: Connection,
    /// Opened read-only ([`StateDb::open_readonly`]): any write fails.
    read_only: bool,
}

/// The error for a database file that is not (or no longer) an SQLite database, with the fix.
fn damaged(path: &Path, e: impl std::fmt::Display) -> Error {
    let p = path.display();
    Error::new(Kind::Data, format!("the state database {p} is damaged: {e}"))
        .detail(format!("move it aside: mv {p} {p}.damaged (and {p}-wal and {p}-shm, if they exist)"))
        .detail(
            "vimage then rebuilds its records from the kernel's markers: the NICs of running jails keep their MACs;",
        )
        .detail("the MACs stored for jails that are not running and the `vimage set` settings are lost")
}

/// Maps an error of opening `path` to one naming the file: a damaged file gets the fix.
fn opening(path: &Path, e: Error) -> Error {
    if let Some(why) = e.damaged_db_reason() {
        return damaged(path, why);
    }
    let e = e.detail(format!("state database: {}", path.display()));
    if e.kind == Kind::CantCreate {
        return e.detail("vimage records every change it makes there; `status` and --dry-run work without writing it");
    }
    e
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
        Self::setup(conn, true).map_err(|e| opening(path, e))
    }

    /// Opens the database at `path` only to read it, for the verbs that change nothing
    /// (`status`, dry runs): never creates the file or its directory and never writes, so it
    /// works on a read-only file system. `None` when there is no database file.
    ///
    /// A WAL database normally needs its `-shm` file, which a read-only directory may not
    /// have; then it is opened as immutable (it cannot change under a reader that nobody can
    /// write through anyway).
    pub fn open_readonly(path: &Path) -> Result<Option<StateDb>> {
        if !path.exists() {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let cant = |e: rusqlite::Error| Error::new(Kind::CantCreate, format!("cannot open {}: {e}", path.display()));
        let conn = Connection::open_with_flags(path, flags).map_err(cant)?;
        let db = match Self::check_readable(conn) {
            Ok(db) => db,
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) => {
                let conn = Connection::open_with_flags(immutable_uri(path), flags).map_err(cant)?;
                Self::check_readable(conn).map_err(|e| opening(path, e.into()))?
            }
            Err(e) => return Err(opening(path, e.into())),
        };
        let v = db.schema_version().map_err(|e| opening(path, e))?;
        if v > SCHEMA_VERSION {
            return Err(newer(v));
        }
        Ok(Some(db))
    }

    fn check_readable(conn: Connection) -> rusqlite::Result<StateDb> {
        conn.busy_timeout(crate::lock::busy_timeout_from_env().unwrap_or(Duration::from_secs(25)))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
        Ok(StateDb { conn, read_only: true })
    }

    /// True when this database was opened read-only and cannot take a write.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// True when this database's schema is older than this build's (a read-only one is not
    /// migrated in place: see [`StateDb::to_memory`]).
    pub fn needs_migration(&self) -> Result<bool> {
        Ok(self.schema_version()? < SCHEMA_VERSION)
    }

    /// A private copy in memory, migrated to this build's schema, that a read-only verb may
    /// change (records rebuilt from the kernel) without touching the file.
    pub fn to_memory(&self) -> Result<StateDb> {
        let mut mem = Connection::open_in_memory()?;
        rusqlite::backup::Backup::new(&self.conn, &mut mem)?.run_to_completion(256, Duration::from_millis(5), None)?;
        Self::setup(mem, false)
    }

    /// A private database in memory (unit tests, dry runs without a state directory).
    pub fn open_in_memory() -> Result<StateDb> {
        Self::setup(Connection::open_in_memory()?, false)
    }

    fn setup(conn: Connection, wal: bool) -> Result<StateDb> {
        conn.busy_timeout(crate::lock::busy_timeout_from_env().unwrap_or(Duration::from_secs(25)))?;
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let db = StateDb { conn, read_only: false };
        db.migrate()?;
        Ok(db)
    }

    /// The schema version the file says it has (0: none yet).
    fn schema_version(&self) -> Result<i64> {
        let has_meta: i64 =
            self.conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'", [], |r| r.get(0))?;
        if has_meta == 0 {
            return Ok(0);
        }
        use rusqlite::OptionalExtension;
        let v: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|s| s.parse().ok()).unwrap_or(0))
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
            return Err(newer(v));
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

    /// Removes a value from the `meta` table (nothing when it is not there).
    pub fn delete_meta(&self, key: &str) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key=?1", [key])?;
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
                "INSERT INTO attachment(jail, nic, nic_name, mode, host_if, uplink, jid, boottime) VALUES('web1', 0, 'eth0', 'epair', 'epair0a', 'em0', 1, 10)",
                [],
            )
            .unwrap();
            c.execute("INSERT INTO nic_mac(jail, nic, mac) VALUES('web1', 0, '02:00:00:00:00:01')", []).unwrap();
            c.execute("INSERT INTO nic_mac(jail, nic, mac) VALUES('db', 0, '02:00:00:00:00:02')", []).unwrap();
        }
        // Read-only: migrated in a private copy, the file keeps its version.
        let ro = StateDb::open_readonly(&p).unwrap().expect("the file exists");
        assert!(ro.is_read_only() && ro.needs_migration().unwrap());
        let copy = ro.to_memory().unwrap();
        assert_eq!(copy.attachments("web1").unwrap()[0].ng_link, None);
        copy.set_meta("x", "y").unwrap();
        assert!(ro.set_meta("x", "y").is_err(), "a read-only database takes no write");
        drop((ro, copy));
        let db = StateDb::open(&p).unwrap();
        assert_eq!(db.meta("schema_version").unwrap(), Some(SCHEMA_VERSION.to_string()));
        assert_eq!(db.meta("x").unwrap(), None, "the copy's change stayed in memory");
        assert!(db.devfs_users().unwrap().is_empty());
        let a = db.attachments("web1").unwrap();
        assert_eq!((a[0].host_if.as_str(), a[0].ng_link), ("epair0a", None));
        // Stored MACs learn their NIC from the attachment there is; the others stay bare.
        let s = db.stored_nics(None).unwrap();
        assert_eq!(
            (s[1].jail.as_str(), s[1].nic_name.as_deref(), s[1].uplink.as_deref()),
            ("web1", Some("eth0"), Some("em0"))
        );
        assert_eq!((s[0].jail.as_str(), s[0].nic_name.as_deref()), ("db", None));
    }

    #[test]
    fn stored_nics_of_a_database_not_yet_migrated_are_the_macs_alone() {
        let db = StateDb::open_in_memory().unwrap();
        db.remember_mac("web1", 0, &crate::model::Mac::parse("02:00:00:00:00:01").unwrap()).unwrap();
        db.set_meta("schema_version", &(STORED_NIC_SINCE - 1).to_string()).unwrap();
        let s = db.stored_nics(Some("web1")).unwrap();
        assert_eq!((s[0].mac.as_str(), s[0].nic_name.as_deref()), ("02:00:00:00:00:01", None));
    }

    #[test]
    fn a_damaged_or_missing_file_is_said_so_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db/vimage.sqlite");
        assert!(StateDb::open_readonly(&p).unwrap().is_none());
        assert!(!p.parent().unwrap().exists(), "reading creates nothing");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, [0x55u8; 4096]).unwrap();
        for e in [StateDb::open_readonly(&p).unwrap_err(), StateDb::open(&p).unwrap_err()] {
            assert_eq!(e.kind, Kind::Data);
            let text = e.to_string();
            assert!(text.contains(&format!("the state database {} is damaged", p.display())), "{text}");
            assert!(text.contains(&format!("mv {0} {0}.damaged", p.display())), "{text}");
        }
        assert_eq!(std::fs::read(&p).unwrap(), [0x55u8; 4096], "left as it was");
        assert_eq!(immutable_uri(Path::new("/a b/%?#.db")), "file:/a b/%25%3F%23.db?immutable=1");
    }
}
