//! CBSD's data, read (and in one place written) the way CBSD itself does.
//!
//! vimage runs as a CBSD module (`cbsd vimage-bridge jname=X`) and gets only `workdir` from
//! CBSD; everything else it needs about a jail is in CBSD's files:
//! - [`workdir`]: the paths `cbsd.conf` derives from `workdir`;
//! - [`inventory`]: `nc.inventory`, the node facts (`vimage_feature`, `nodename`, …);
//! - [`db`]: opening CBSD's SQLite files next to a running CBSD (WAL, 25 s busy timeout);
//! - [`jails`]: table `jails` (vnet, interface, ip4_addr, devfs_ruleset, …);
//! - [`jailnic`]: a jail's NICs in CBSD 14.x or 15.x shape, and writing a MAC back;
//! - [`to_jailnet`]: both turned into the [`JailNet`] the planner takes;
//! - [`vpc`]: CBSD's VPC (`nic_parent=vpc-NAME`): its database and how its bridge is found.
//!
//! Test fixtures (a workdir built from SQL text) are in the `vimage-testkit` crate.
//!
//! Reference: `reference/cbsd.md` §1.5, §2, §3 and CBSD's share/local-*.schema.

pub mod db;
pub mod integration;
pub mod inventory;
pub mod jailnic;
pub mod jails;
pub mod to_jailnet;
pub mod vpc;
pub mod workdir;
pub mod writeback;

pub use db::{CBSD_BUSY_TIMEOUT, CbsdDb, DbOptions};
pub use inventory::Inventory;
pub use jailnic::{NicRow, NicShape, NicTable, set_nic_hwaddr};
pub use jails::JailRow;
pub use to_jailnet::to_jailnet;
pub use workdir::Workdir;

use crate::error::{Error, Kind, Result};
use crate::model::{JailName, JailNet};

/// One jail as CBSD describes it, and as vimage will build it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CbsdJail {
    /// The jail's `jails` row.
    pub row: JailRow,
    /// Its `jailnic` table.
    pub nics: NicTable,
    /// What vimage should build for it.
    pub net: JailNet,
}

/// The `jails` row of `jail`; `Unavailable` (69) when CBSD does not know the jail.
pub fn load_jail(wd: &Workdir, jail: &JailName, opts: &DbOptions) -> Result<JailRow> {
    let db = CbsdDb::open_read(&wd.local_db(), opts)?;
    jails::read_jail(&db, jail.as_str())?.ok_or_else(|| {
        Error::jail(Kind::Unavailable, jail, format!("is not registered in CBSD (no row in {})", db.path().display()))
    })
}

/// The `jailnic` table of `jail`, from `jails-system/<jname>/local.sqlite`.
pub fn load_nics(wd: &Workdir, jail: &JailName, opts: &DbOptions) -> Result<NicTable> {
    let db = CbsdDb::open_read(&wd.jail_db(jail), opts).map_err(|e| e.in_jail(jail))?;
    jailnic::read_nics(&db, jail.as_str())
}

/// Everything vimage needs from CBSD about `jail`, with its [`JailNet`].
pub fn load_cbsd_jail(wd: &Workdir, jail: &JailName, opts: &DbOptions) -> Result<CbsdJail> {
    let row = load_jail(wd, jail, opts)?;
    let nics = load_nics(wd, jail, opts)?;
    let net = to_jailnet(&row, &nics)?;
    Ok(CbsdJail { row, nics, net })
}
