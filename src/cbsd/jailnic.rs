//! Table `jailnic` of `${jailsysdir}/<jname>/local.sqlite`: a vnet jail's NICs.
//!
//! Two shapes exist (share/local-jailnic.schema):
//! - **14.x**: `id name nic_order nic_slot nic_parent nic_hwaddr nic_address nic_persistent`.
//!   `name` is CBSD-internal (`epairb` for the default row, `nic1`, … for more); inside the
//!   jail the N-th NIC is always `eth<N>`.
//! - **15.x** adds `nic_mtu nic_flags nic_vlan_untagged nic_vlan_tagged`, and `name` became
//!   the interface name inside the jail (`eth0`, …; `cbsd jailnic`).
//!
//! The shape is told from the columns present, so a table that `misc/updatesql` upgraded
//! column by column is read as 15.x as soon as one of the new columns exists.

use super::db::{CbsdDb, DbOptions, cell_int, cell_setting, cell_text};
use super::workdir::Workdir;
use crate::error::{Error, Kind, Result};
use crate::model::{JailName, Mac};
use rusqlite::TransactionBehavior;
use rusqlite::types::ValueRef;
use serde::Serialize;

/// Which CBSD generation wrote the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NicShape {
    /// CBSD 14.x: names are internal; the jail sees `eth<position>`.
    #[serde(rename = "14.x")]
    V14,
    /// CBSD 15.x: `name` is the interface name inside the jail.
    #[serde(rename = "15.x")]
    V15,
}

/// Columns every shape has and vimage needs.
const REQUIRED: &[&str] = &["id", "name", "nic_parent", "nic_hwaddr"];
/// Columns only 15.x has.
const V15_ONLY: &[&str] = &["nic_mtu", "nic_flags", "nic_vlan_untagged", "nic_vlan_tagged"];

/// Tells the shape from a table's column names; `Data` error when a needed column is absent.
pub fn detect_shape(columns: &[String]) -> std::result::Result<NicShape, String> {
    if let Some(missing) = REQUIRED.iter().find(|c| !columns.iter().any(|x| x == *c)) {
        return Err(format!("table jailnic has no column {missing}"));
    }
    Ok(if V15_ONLY.iter().any(|c| columns.iter().any(|x| x == c)) { NicShape::V15 } else { NicShape::V14 })
}

/// One `jailnic` row, normalised: CBSD's "unset" spellings (`0`, empty, `(null)`) are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NicRow {
    /// `id`: the row's key, used to write a MAC back.
    pub id: i64,
    /// `name` as stored (`epairb`/`nic1` in 14.x, the in-jail name in 15.x).
    pub name: String,
    /// `nic_order` (unset → 0). CBSD itself reads rows in id order; vimage sorts by
    /// (`nic_order`, `id`), which is the same unless someone set `nic_order`.
    pub nic_order: i64,
    /// `nic_slot`.
    pub nic_slot: Option<String>,
    /// `nic_parent`: uplink or bridge; `None` for `0`/empty (CBSD: default-route interface).
    pub nic_parent: Option<String>,
    /// `nic_hwaddr` as stored; `None` when CBSD should (or vimage may) generate one.
    pub nic_hwaddr: Option<String>,
    /// `nic_address`: address for the host-side epair end.
    pub nic_address: Option<String>,
    /// `nic_persistent`: 1 = "not managed by CBSD".
    pub nic_persistent: bool,
    /// 15.x `nic_mtu` (0 = inherit → `None`).
    pub nic_mtu: Option<i64>,
    /// 15.x `nic_flags` (e.g. `private`).
    pub nic_flags: Option<String>,
    /// 15.x `nic_vlan_untagged`.
    pub nic_vlan_untagged: Option<String>,
    /// 15.x `nic_vlan_tagged` (comma list).
    pub nic_vlan_tagged: Option<String>,
}

/// A jail's NICs: the table's shape and its rows sorted by (`nic_order`, `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NicTable {
    /// Decides how row names map to in-jail interface names.
    pub shape: NicShape,
    /// The rows in the order CBSD brings NICs up.
    pub rows: Vec<NicRow>,
}

/// Reads the `jailnic` table of jail `jname` (the name is only used in messages).
pub fn read_nics(db: &CbsdDb, jname: &str) -> Result<NicTable> {
    let ctx = |m: String| Error::jail(Kind::Data, jname, m);
    if !db.has_table("jailnic")? {
        return Err(ctx(format!("{} has no table jailnic", db.path().display())));
    }
    let columns = db.columns("jailnic")?;
    let shape = detect_shape(&columns).map_err(|m| ctx(format!("{m} (in {})", db.path().display())))?;
    let mut stmt = db.conn.prepare("SELECT * FROM jailnic").map_err(|e| db.error("reading table jailnic", e))?;
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let mut rows = stmt.query([]).map_err(|e| db.error("reading table jailnic", e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| db.error("reading table jailnic", e))? {
        let mut cells = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            cells.push(row.get_ref(i).map_err(|e| db.error("reading table jailnic", e))?);
        }
        out.push(nic_from_cells(db, jname, &names, &cells)?);
    }
    out.sort_by_key(|r| (r.nic_order, r.id));
    Ok(NicTable { shape, rows: out })
}

fn nic_from_cells(db: &CbsdDb, jname: &str, names: &[String], cells: &[ValueRef<'_>]) -> Result<NicRow> {
    let cell = |col: &str| names.iter().position(|n| n == col).map(|i| cells[i]);
    let name = cell("name").and_then(cell_text).unwrap_or_default();
    let int = |col: &str| -> Result<Option<i64>> {
        cell(col).map_or(Ok(None), |v| {
            cell_int(v).map_err(|bad| {
                Error::jail(
                    Kind::Data,
                    jname,
                    format!(
                        "jailnic row {name:?}: column {col} in {} holds {bad:?}, which is not a number",
                        db.path().display()
                    ),
                )
            })
        })
    };
    let setting = |col: &str| cell(col).and_then(cell_setting);
    let id = int("id")?.ok_or_else(|| {
        Error::jail(Kind::Data, jname, format!("jailnic row {name:?} in {} has no id", db.path().display()))
    })?;
    Ok(NicRow {
        id,
        nic_order: int("nic_order")?.unwrap_or(0),
        nic_slot: setting("nic_slot"),
        nic_parent: setting("nic_parent"),
        nic_hwaddr: setting("nic_hwaddr"),
        nic_address: setting("nic_address"),
        nic_persistent: int("nic_persistent")? == Some(1),
        nic_mtu: int("nic_mtu")?.filter(|m| *m != 0),
        nic_flags: setting("nic_flags"),
        nic_vlan_untagged: setting("nic_vlan_untagged"),
        nic_vlan_tagged: setting("nic_vlan_tagged"),
        name,
    })
}

/// Stores `mac` in `nic_hwaddr` of row `id` of jail `jail`'s `jailnic` table (in `wd`), so CBSD and the
/// next vimage run use the MAC vimage generated. Returns the previous value (`None` if
/// unset), which lets the caller notice that someone else set a MAC meanwhile.
pub fn set_nic_hwaddr(wd: &Workdir, jail: &JailName, id: i64, mac: Mac, opts: &DbOptions) -> Result<Option<String>> {
    let prev = write_nic_hwaddr(wd, jail, id, Some(&mac.to_string()), opts)?;
    Ok(prev.map(|t| t.trim().to_string()).filter(|t| !super::db::is_unset(t)))
}

/// `nic_hwaddr` of row `id`, trimmed, `None` when unset (CBSD's `0`, empty, NULL) or when
/// there is no such row.
pub fn read_nic_hwaddr(wd: &Workdir, jail: &JailName, id: i64, opts: &DbOptions) -> Result<Option<String>> {
    let raw = read_nic_hwaddr_raw(wd, jail, id, opts)?;
    Ok(raw.map(|t| t.trim().to_string()).filter(|t| !super::db::is_unset(t)))
}

/// `nic_hwaddr` of row `id` exactly as stored (`None` for SQL NULL or no such row).
pub fn read_nic_hwaddr_raw(wd: &Workdir, jail: &JailName, id: i64, opts: &DbOptions) -> Result<Option<String>> {
    let db = CbsdDb::open_read(&wd.jail_db(jail), opts).map_err(|e| e.in_jail(jail))?;
    let mut stmt = db
        .conn
        .prepare("SELECT nic_hwaddr FROM jailnic WHERE id = ?1")
        .map_err(|e| db.error("reading table jailnic", e).in_jail(jail))?;
    let mut rows = stmt.query([id]).map_err(|e| db.error("reading table jailnic", e).in_jail(jail))?;
    match rows.next().map_err(|e| db.error("reading table jailnic", e).in_jail(jail))? {
        Some(r) => Ok(r.get_ref(0).map(cell_text).map_err(|e| db.error("reading table jailnic", e).in_jail(jail))?),
        None => Ok(None),
    }
}

/// Writes `nic_hwaddr` of row `id` exactly as `value` (`None`: SQL NULL), the way CBSD 15.x's
/// `cbsd jailnic` and `cbsdsqlrw` do (WAL, busy timeout), but with bound parameters: one
/// UPDATE in an IMMEDIATE transaction (it takes the write lock up front, so it fails fast
/// with 75 instead of deadlocking with a CBSD writer), then read back on a new connection. A
/// write that did not take (a read-only file is 73; a trigger or a rewrite by someone else is
/// 73 too) is an error naming the jail, the file, the row and the column. Returns the previous
/// raw value (`None` = NULL).
pub fn write_nic_hwaddr(
    wd: &Workdir,
    jail: &JailName,
    id: i64,
    value: Option<&str>,
    opts: &DbOptions,
) -> Result<Option<String>> {
    let mut db = CbsdDb::open_write(&wd.jail_db(jail), opts).map_err(|e| e.in_jail(jail))?;
    let path = db.path().to_path_buf();
    let err = |what: &str, e| super::db::sql_error(&path, what, e).in_jail(jail);
    let read = |conn: &rusqlite::Connection| -> std::result::Result<Option<Option<String>>, rusqlite::Error> {
        let mut stmt = conn.prepare("SELECT nic_hwaddr FROM jailnic WHERE id = ?1")?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(r) => Ok(Some(r.get_ref(0).map(cell_text)?)),
            None => Ok(None),
        }
    };
    let tx = db
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err("starting a write transaction", e))?;
    let Some(previous) = read(&tx).map_err(|e| err("reading table jailnic", e))? else {
        return Err(Error::jail(Kind::Unavailable, jail, format!("no jailnic row with id {id} in {}", path.display())));
    };
    tx.execute("UPDATE jailnic SET nic_hwaddr = ?1 WHERE id = ?2", rusqlite::params![value, id])
        .map_err(|e| err("updating nic_hwaddr", e))?;
    tx.commit().map_err(|e| err("committing", e))?;
    drop(db);
    let check = CbsdDb::open_read(&path, opts).map_err(|e| e.in_jail(jail))?;
    let now = read(&check.conn).map_err(|e| err("reading nic_hwaddr back", e))?.flatten();
    if now.as_deref() != value {
        let what = format!("column nic_hwaddr of jailnic row {id}");
        return Err(super::db::write_did_not_take(jail, &what, &path, now.as_deref(), value));
    }
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn shape_follows_the_columns() {
        let v14 = "id name nic_order nic_slot nic_parent nic_hwaddr nic_address nic_persistent";
        assert_eq!(detect_shape(&cols(v14)), Ok(NicShape::V14));
        assert_eq!(
            detect_shape(&cols(&format!("{v14} nic_mtu nic_flags nic_vlan_untagged nic_vlan_tagged"))),
            Ok(NicShape::V15)
        );
        assert_eq!(detect_shape(&cols(&format!("{v14} nic_mtu"))), Ok(NicShape::V15));
        let e = detect_shape(&cols("id name nic_parent")).unwrap_err();
        assert!(e.contains("nic_hwaddr"), "{e}");
    }
}
