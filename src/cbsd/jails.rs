//! Table `jails` of `${dbdir}/local.sqlite`: one row per jail (and per bhyve/xen VM).
//!
//! Column set and types: CBSD's share/local-jails.schema. CBSD writes every value from
//! shell variables as text; SQLite's affinity makes numeric text an integer but keeps `''`,
//! `(null)` and words as text, and `jset` can put any of those into an integer column. So
//! every cell is read through [`ValueRef`]: numbers stored as text are accepted, empty and
//! `(null)` mean unset, and only text that cannot mean a number is an error naming the jail
//! and the column. Columns missing from an older schema take CBSD's defaults.

use super::db::{CbsdDb, cell_int, cell_setting, cell_text};
use crate::error::{Error, Kind, Result};
use rusqlite::types::ValueRef;
use serde::Serialize;
use std::collections::BTreeMap;

/// The settings vimage needs from one `jails` row, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JailRow {
    /// `jname`, as stored (validated only where it is used as a jail name).
    pub jname: String,
    /// `jid` when the jail runs; `None` for 0 or unset.
    pub jid: Option<i64>,
    /// `status`: 0 off, 1 running, 2 slave, 3 maintenance (CBSD's values; unset → 0).
    pub status: i64,
    /// `vnet`: CBSD starts the jail with `vnet = new` only when this is exactly 1.
    pub vnet: bool,
    /// `interface`: uplink for aliases (non-vnet) or copied to jailnic `nic_parent` (vnet);
    /// `None` for CBSD's `0` ("do not touch").
    pub interface: Option<String>,
    /// `ip4_addr`: comma list of addresses or `REALDHCP`/`DHCP`; `None` for `0`.
    pub ip4_addr: Option<String>,
    /// `devfs_ruleset` as a number; `None` when empty or unset.
    pub devfs_ruleset: Option<i64>,
    /// `ci_gw4`: default router to write into the jail's rc.conf; `None` for `0`.
    pub ci_gw4: Option<String>,
    /// `path`: the jail's mount point.
    pub path: Option<String>,
    /// `data`: the jail's data directory.
    pub data: Option<String>,
    /// `host_hostname`.
    pub host_hostname: Option<String>,
    /// `emulator`: `jail` for jails; the table also holds `bhyve`/`xen` VMs.
    pub emulator: String,
    /// Every column as CBSD's `sqlcli` would print it (NULL → `None`), for hooks and `--json`.
    pub columns: BTreeMap<String, Option<String>>,
}

impl JailRow {
    /// Whether this row is a jail rather than a virtual machine.
    pub fn is_jail(&self) -> bool {
        self.emulator == "jail"
    }

    /// `ip4_addr` split at commas (CBSD's list separator), empty items dropped.
    pub fn ip4_addrs(&self) -> Vec<&str> {
        self.ip4_addr
            .as_deref()
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// Whether CBSD would run dhclient in the jail (`REALDHCP` in `ip4_addr`).
    pub fn wants_dhclient(&self) -> bool {
        self.ip4_addrs().iter().any(|a| a.eq_ignore_ascii_case("REALDHCP"))
    }
}

/// The row of jail `jname`, or `None` when CBSD does not know it.
pub fn read_jail(db: &CbsdDb, jname: &str) -> Result<Option<JailRow>> {
    require_table(db)?;
    let mut stmt =
        db.conn.prepare("SELECT * FROM jails WHERE jname = ?1").map_err(|e| db.error("reading table jails", e))?;
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let mut rows = stmt.query([jname]).map_err(|e| db.error("reading table jails", e))?;
    match rows.next().map_err(|e| db.error("reading table jails", e))? {
        Some(row) => {
            let mut cells = Vec::with_capacity(names.len());
            for i in 0..names.len() {
                cells.push(row.get_ref(i).map_err(|e| db.error("reading table jails", e))?);
            }
            row_from_cells(db, &names, &cells).map(Some)
        }
        None => Ok(None),
    }
}

/// The names of all rows whose emulator is `jail`, sorted; read each with [`read_jail`] so
/// that one damaged row does not hide the others.
pub fn jail_names(db: &CbsdDb) -> Result<Vec<String>> {
    require_table(db)?;
    let has_emulator = db.columns("jails")?.iter().any(|c| c == "emulator");
    let sql = if has_emulator {
        "SELECT jname FROM jails WHERE coalesce(emulator, 'jail') = 'jail' ORDER BY jname"
    } else {
        "SELECT jname FROM jails ORDER BY jname"
    };
    let mut stmt = db.conn.prepare(sql).map_err(|e| db.error("listing jails", e))?;
    let rows = stmt
        .query_map([], |r| Ok(cell_text(r.get_ref(0)?).unwrap_or_default()))
        .map_err(|e| db.error("listing jails", e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| db.error("listing jails", e))
}

fn require_table(db: &CbsdDb) -> Result<()> {
    if db.has_table("jails")? {
        Ok(())
    } else {
        Err(Error::new(Kind::Data, format!("CBSD database {} has no table jails", db.path().display()))
            .detail("is this ${workdir}/var/db/local.sqlite? `cbsd initenv` creates the table"))
    }
}

/// Builds a [`JailRow`] from one row's column names and cells.
fn row_from_cells(db: &CbsdDb, names: &[String], cells: &[ValueRef<'_>]) -> Result<JailRow> {
    let cell = |col: &str| names.iter().position(|n| n == col).map(|i| cells[i]);
    let jname = cell("jname").and_then(cell_text).unwrap_or_default();
    let int = |col: &str| -> Result<Option<i64>> {
        match cell(col) {
            None => Ok(None),
            Some(v) => cell_int(v).map_err(|bad| {
                Error::jail(
                    Kind::Data,
                    &jname,
                    format!(
                        "column {col} of table jails in {} holds {bad:?}, which is not a number",
                        db.path().display()
                    ),
                )
                .detail(format!("fix it with: cbsd jset jname={jname} {col}=<number>"))
            }),
        }
    };
    let setting = |col: &str| cell(col).and_then(cell_setting);
    Ok(JailRow {
        jid: int("jid")?.filter(|j| *j > 0),
        status: int("status")?.unwrap_or(0),
        vnet: int("vnet")? == Some(1),
        interface: setting("interface"),
        ip4_addr: setting("ip4_addr"),
        devfs_ruleset: int("devfs_ruleset")?,
        ci_gw4: setting("ci_gw4"),
        path: setting("path"),
        data: setting("data"),
        host_hostname: setting("host_hostname"),
        emulator: setting("emulator").unwrap_or_else(|| "jail".to_string()),
        columns: names.iter().zip(cells).map(|(n, v)| (n.clone(), cell_text(*v))).collect(),
        jname,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbsd::db::DbOptions;

    fn db_with(sql: &str) -> (tempfile::TempDir, CbsdDb) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.sqlite");
        rusqlite::Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let db = CbsdDb::open_read(&path, &DbOptions::default()).unwrap();
        (dir, db)
    }

    #[test]
    fn an_older_schema_without_some_columns_gets_cbsd_defaults() {
        let (_d, db) = db_with(
            "CREATE TABLE jails (jname text, vnet boolean default 0, interface text default 0);
             INSERT INTO jails VALUES ('a', 1, 'em0');",
        );
        let row = read_jail(&db, "a").unwrap().unwrap();
        assert!(row.vnet && row.is_jail());
        assert_eq!((row.jid, row.devfs_ruleset, row.ci_gw4.as_deref()), (None, None, None));
        assert_eq!(row.interface.as_deref(), Some("em0"));
        assert_eq!(read_jail(&db, "b").unwrap(), None);
        assert_eq!(jail_names(&db).unwrap(), ["a"]);
    }

    #[test]
    fn odd_cells_are_tolerated_or_named() {
        let (_d, db) = db_with(
            "CREATE TABLE jails (jname text, jid integer, vnet boolean, devfs_ruleset integer, ip4_addr text);
             INSERT INTO jails VALUES ('a', 3.0, '2', NULL, '10.0.0.1, REALDHCP');
             INSERT INTO jails VALUES ('b', X'00ff', 1, 5, '0');",
        );
        let a = read_jail(&db, "a").unwrap().unwrap();
        assert_eq!(a.jid, Some(3));
        assert!(!a.vnet, "CBSD treats only 1 as on");
        assert_eq!(a.ip4_addrs(), ["10.0.0.1", "REALDHCP"]);
        assert!(a.wants_dhclient());
        let e = read_jail(&db, "b").unwrap_err();
        assert_eq!((e.exit_code(), e.jail.as_deref()), (65, Some("b")));
        assert!(e.message.contains("column jid"), "{e}");
    }

    #[test]
    fn a_database_without_jails_is_bad_data() {
        let (_d, db) = db_with("CREATE TABLE other (x);");
        let e = read_jail(&db, "a").unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(e.message.contains("no table jails"), "{e}");
    }
}
