//! Records of the jails that use vimage's devfs ruleset.
//!
//! vimage's section in /etc/devfs.rules and its kernel ruleset go only when no jail uses them
//! any more, and a jail's /dev (and CBSD's `devfs_ruleset`) go back to what they were: both
//! need to know who uses the ruleset and what each jail had before.

use super::StateDb;
use crate::error::Result;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One jail using vimage's devfs ruleset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevfsUser {
    /// The jail's name.
    pub jail: String,
    /// The ruleset the jail's /dev was given.
    pub ruleset: u16,
    /// The jail's `devfs_ruleset` parameter before (0: none; its /dev then had jail(8)'s
    /// default, 4). Unbridge gives both back: the parameter as it was, the /dev that ruleset.
    /// (Records written before the parameter was managed hold the /dev's ruleset here, which
    /// is the same number unless the parameter was 0.)
    pub prev: u16,
    /// The jail instance and boot the ruleset was applied to its /dev in; another instance
    /// (a restart) needs it applied again.
    pub jid: u32,
    /// The `kern.boottime` of that boot.
    pub boottime: i64,
    /// vimage also told CBSD (`cbsd jset devfs_ruleset=`), so unbridge tells it back.
    pub cbsd: bool,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DevfsUser> {
    Ok(DevfsUser {
        jail: r.get(0)?,
        ruleset: r.get(1)?,
        prev: r.get(2)?,
        jid: r.get(3)?,
        boottime: r.get(4)?,
        cbsd: r.get::<_, i64>(5)? != 0,
    })
}

impl StateDb {
    /// Every jail that uses vimage's devfs ruleset.
    pub fn devfs_users(&self) -> Result<Vec<DevfsUser>> {
        let mut st =
            self.conn.prepare("SELECT jail, ruleset, prev, jid, boottime, cbsd FROM devfs_user ORDER BY jail")?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One jail's record.
    pub fn devfs_user(&self, jail: &str) -> Result<Option<DevfsUser>> {
        Ok(self
            .conn
            .query_row("SELECT jail, ruleset, prev, jid, boottime, cbsd FROM devfs_user WHERE jail=?1", [jail], row)
            .optional()?)
    }

    /// Records (or replaces) a jail's use of the ruleset.
    pub fn put_devfs_user(&self, u: &DevfsUser) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO devfs_user(jail, ruleset, prev, jid, boottime, cbsd) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            params![u.jail, u.ruleset, u.prev, u.jid, u.boottime, u.cbsd as i64],
        )?;
        Ok(())
    }

    /// Forgets a jail's use of the ruleset.
    pub fn delete_devfs_user(&self, jail: &str) -> Result<()> {
        self.conn.execute("DELETE FROM devfs_user WHERE jail=?1", [jail])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_put_replaced_and_deleted() {
        let db = StateDb::open_in_memory().unwrap();
        let u = DevfsUser { jail: "web1".into(), ruleset: 50, prev: 5, jid: 3, boottime: 10, cbsd: false };
        db.put_devfs_user(&u).unwrap();
        db.put_devfs_user(&DevfsUser { jid: 4, ..u.clone() }).unwrap();
        assert_eq!(db.devfs_users().unwrap(), [DevfsUser { jid: 4, ..u.clone() }]);
        assert_eq!(db.devfs_user("web1").unwrap().unwrap().jid, 4);
        db.delete_devfs_user("web1").unwrap();
        assert!(db.devfs_user("web1").unwrap().is_none());
    }
}
