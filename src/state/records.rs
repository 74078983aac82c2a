//! Records of what vimage created and uses, and the stored MAC of every NIC.
//!
//! Records let one jail's start touch only that jail's objects: no scan of every interface on
//! a host with thousands of jails. They are trusted only for the boot they were written in
//! (`kern.boottime`), and every destroy is preceded by a check of the object's marker.

use super::StateDb;
use crate::error::Result;
use crate::model::Mac;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One NIC of a jail as vimage set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub jail: String,
    pub nic: u32,
    /// Name inside the jail (`eth0`).
    pub nic_name: String,
    /// `epair` (later also `netgraph`, `passthrough`).
    pub mode: String,
    /// The host-side end (`epair7a`).
    pub host_if: String,
    pub bridge: Option<String>,
    pub uplink: Option<String>,
    pub mac: Option<String>,
    /// The jail instance it was given to; a restarted jail has a new JID.
    pub jid: u32,
    pub boottime: i64,
}

/// A bridge vimage uses for an uplink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgeRec {
    pub name: String,
    pub uplink: String,
    /// vimage created it (and will destroy it when its last jail leaves).
    pub owned: bool,
    pub boottime: i64,
}

fn attachment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        jail: r.get(0)?,
        nic: r.get(1)?,
        nic_name: r.get(2)?,
        mode: r.get(3)?,
        host_if: r.get(4)?,
        bridge: r.get(5)?,
        uplink: r.get(6)?,
        mac: r.get(7)?,
        jid: r.get(8)?,
        boottime: r.get(9)?,
    })
}

const ATT_COLS: &str = "jail, nic, nic_name, mode, host_if, bridge, uplink, mac, jid, boottime";

fn bridge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BridgeRec> {
    Ok(BridgeRec { name: r.get(0)?, uplink: r.get(1)?, owned: r.get::<_, i64>(2)? != 0, boottime: r.get(3)? })
}

impl StateDb {
    /// The MAC stored for NIC `nic` of `jail`.
    pub fn stored_mac(&self, jail: &str, nic: u32) -> Result<Option<Mac>> {
        let s: Option<String> = self
            .conn
            .query_row("SELECT mac FROM nic_mac WHERE jail=?1 AND nic=?2", params![jail, nic], |r| r.get(0))
            .optional()?;
        Ok(s.and_then(|s| Mac::parse(&s).ok()))
    }

    /// Who holds `mac` in vimage's records, as `jail:nic`.
    pub fn mac_owner(&self, mac: &Mac) -> Result<Option<(String, u32)>> {
        Ok(self
            .conn
            .query_row("SELECT jail, nic FROM nic_mac WHERE mac=?1", [mac.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Stores the MAC of a NIC, replacing an older one for the same NIC.
    pub fn remember_mac(&self, jail: &str, nic: u32, mac: &Mac) -> Result<()> {
        self.conn.execute(
            "INSERT INTO nic_mac(jail, nic, mac) VALUES(?1, ?2, ?3)
             ON CONFLICT(jail, nic) DO UPDATE SET mac=excluded.mac",
            params![jail, nic, mac.to_string()],
        )?;
        Ok(())
    }

    /// Every stored MAC (status, doctor).
    pub fn all_macs(&self) -> Result<Vec<(String, u32, String)>> {
        let mut st = self.conn.prepare("SELECT jail, nic, mac FROM nic_mac ORDER BY jail, nic")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// This jail's attachments.
    pub fn attachments(&self, jail: &str) -> Result<Vec<Attachment>> {
        let mut st =
            self.conn.prepare_cached(&format!("SELECT {ATT_COLS} FROM attachment WHERE jail=?1 ORDER BY nic"))?;
        let rows = st.query_map([jail], attachment_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every attachment (status, gc).
    pub fn all_attachments(&self) -> Result<Vec<Attachment>> {
        let mut st = self.conn.prepare(&format!("SELECT {ATT_COLS} FROM attachment ORDER BY jail, nic"))?;
        let rows = st.query_map([], attachment_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many recorded attachments use `bridge` (other than `except_jail`'s).
    pub fn bridge_users(&self, bridge: &str, except_jail: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM attachment WHERE bridge=?1 AND jail<>?2",
            [bridge, except_jail],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Records (or replaces) an attachment.
    pub fn put_attachment(&self, a: &Attachment, run_id: Option<i64>) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment(jail, nic, nic_name, mode, host_if, bridge, uplink, mac, jid, boottime, run_id)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![a.jail, a.nic, a.nic_name, a.mode, a.host_if, a.bridge, a.uplink, a.mac, a.jid, a.boottime, run_id],
        )?;
        Ok(())
    }

    /// Forgets an attachment.
    pub fn delete_attachment(&self, jail: &str, nic: u32) -> Result<()> {
        self.conn.execute("DELETE FROM attachment WHERE jail=?1 AND nic=?2", params![jail, nic])?;
        Ok(())
    }

    /// Bridges recorded for this boot.
    pub fn bridges(&self, boottime: i64) -> Result<Vec<BridgeRec>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT name, uplink, owned, boottime FROM bridge WHERE boottime=?1 ORDER BY name")?;
        let rows = st.query_map([boottime], bridge_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every bridge record, of any boot (status, recovery).
    pub fn all_bridges(&self) -> Result<Vec<BridgeRec>> {
        let mut st = self.conn.prepare("SELECT name, uplink, owned, boottime FROM bridge ORDER BY name")?;
        let rows = st.query_map([], bridge_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a bridge in use.
    pub fn put_bridge(&self, b: &BridgeRec) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO bridge(name, uplink, owned, boottime) VALUES(?1, ?2, ?3, ?4)",
            params![b.name, b.uplink, b.owned as i64, b.boottime],
        )?;
        Ok(())
    }

    /// Forgets a bridge.
    pub fn delete_bridge(&self, name: &str) -> Result<()> {
        self.conn.execute("DELETE FROM bridge WHERE name=?1", [name])?;
        Ok(())
    }

    /// Replaces every record of kernel objects with what a full scan found, after a reboot or
    /// when the records were lost; stored MACs are kept (they outlive the objects).
    pub fn resync(&self, boottime: i64, attachments: &[Attachment], bridges: &[BridgeRec]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM attachment", [])?;
        tx.execute("DELETE FROM bridge", [])?;
        for a in attachments {
            self.put_attachment(a, None)?;
        }
        for b in bridges {
            self.put_bridge(b)?;
        }
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('synced_boottime', ?1)", [boottime.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    /// The boot the records were last checked against the kernel in.
    pub fn synced_boottime(&self) -> Result<Option<i64>> {
        Ok(self.meta("synced_boottime")?.and_then(|s| s.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(jail: &str, nic: u32, bridge: &str) -> Attachment {
        Attachment {
            jail: jail.into(),
            nic,
            nic_name: format!("eth{nic}"),
            mode: "epair".into(),
            host_if: format!("epair{nic}a"),
            bridge: Some(bridge.into()),
            uplink: Some("em0".into()),
            mac: None,
            jid: 1,
            boottime: 10,
        }
    }

    #[test]
    fn macs_are_unique_and_replaceable_per_nic() {
        let db = StateDb::open_in_memory().unwrap();
        let m1 = Mac::parse("02:00:00:00:00:01").unwrap();
        let m2 = Mac::parse("02:00:00:00:00:02").unwrap();
        db.remember_mac("web1", 0, &m1).unwrap();
        assert_eq!(db.stored_mac("web1", 0).unwrap(), Some(m1));
        assert_eq!(db.mac_owner(&m1).unwrap(), Some(("web1".into(), 0)));
        assert!(db.remember_mac("web2", 0, &m1).is_err(), "a MAC belongs to one NIC");
        db.remember_mac("web1", 0, &m2).unwrap();
        assert_eq!(db.mac_owner(&m1).unwrap(), None);
    }

    #[test]
    fn attachments_and_bridge_users() {
        let db = StateDb::open_in_memory().unwrap();
        db.put_attachment(&att("web1", 0, "bridge0"), Some(1)).unwrap();
        db.put_attachment(&att("web2", 0, "bridge0"), Some(2)).unwrap();
        assert_eq!(db.attachments("web1").unwrap().len(), 1);
        assert_eq!(db.bridge_users("bridge0", "web1").unwrap(), 1);
        db.delete_attachment("web2", 0).unwrap();
        assert_eq!(db.bridge_users("bridge0", "web1").unwrap(), 0);
        db.put_bridge(&BridgeRec { name: "bridge0".into(), uplink: "em0".into(), owned: true, boottime: 10 }).unwrap();
        assert_eq!(db.bridges(10).unwrap().len(), 1);
        assert!(db.bridges(11).unwrap().is_empty(), "records of another boot are not trusted");
        db.resync(11, &[], &[]).unwrap();
        assert!(db.all_attachments().unwrap().is_empty());
        assert_eq!(db.synced_boottime().unwrap(), Some(11));
    }
}
