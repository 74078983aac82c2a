//! Records of what vimage created and uses, and the stored MAC of every NIC.
//!
//! Records let one jail's start touch only that jail's objects: no scan of every interface on
//! a host with thousands of jails. They are trusted only for the boot they were written in
//! (`kern.boottime`), and every destroy is preceded by a check of the object's marker.

use super::StateDb;
use crate::error::{Error, Kind, Result};
use crate::model::{Invalid, Mac, ModeKind};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A NIC whose MAC vimage keeps for good, attached or not: what it will be given next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNic {
    /// The jail the NIC belongs to.
    pub jail: String,
    /// The NIC's index in the jail (part of the MAC's hash input).
    pub nic: u32,
    /// The MAC it keeps across starts.
    pub mac: String,
    /// Its name in the jail at its last attachment (`None` before its first one).
    pub nic_name: Option<String>,
    /// `epair` or `netgraph` at its last attachment.
    pub mode: Option<ModeKind>,
    /// The uplink it was (or, from CBSD's `nic_parent`, will be) bridged to.
    pub uplink: Option<String>,
}

/// One NIC of a jail as vimage set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The jail the NIC belongs to.
    pub jail: String,
    /// The NIC's index in the jail, the record's key with `jail`.
    pub nic: u32,
    /// Name inside the jail (`eth0`).
    pub nic_name: String,
    /// `epair`, `netgraph` or `passthrough`.
    pub mode: ModeKind,
    /// The host-side end (`epair7a`).
    pub host_if: String,
    /// The if_bridge or ng_bridge it hangs on, checked when its last jail leaves.
    pub bridge: Option<String>,
    /// The uplink it reaches the network through.
    pub uplink: Option<String>,
    /// The MAC it was given.
    pub mac: Option<String>,
    /// The jail instance it was given to; a restarted jail has a new JID.
    pub jid: u32,
    /// The `kern.boottime` it was made in; records from another boot describe nothing.
    pub boottime: i64,
    /// netgraph: the ng_eiface node's ID (never reused while the kernel runs).
    pub ng_node: Option<u32>,
    /// netgraph: N of the ng_bridge hook `link<N>` the eiface hangs on.
    pub ng_link: Option<u32>,
    /// netgraph: `ng<i>_<jail>` as it would be unshortened, when `nic_name` is shortened.
    pub wanted_name: Option<String>,
    /// passthrough: the interface was UP on the host before it was moved.
    pub was_up: Option<bool>,
    /// The interface's name inside the jail when it is not `nic_name`: a Linux userland's NIC
    /// keeps the kernel's name (`epair7b`), `nic_name` stays the NIC's name in vimage's marker.
    pub jail_if: Option<String>,
}

impl Attachment {
    /// A record with only the fields every mode has.
    pub fn basic(
        jail: &str,
        nic: u32,
        nic_name: &str,
        mode: ModeKind,
        host_if: &str,
        jid: u32,
        boottime: i64,
    ) -> Attachment {
        Attachment {
            jail: jail.into(),
            nic,
            nic_name: nic_name.into(),
            mode,
            host_if: host_if.into(),
            bridge: None,
            uplink: None,
            mac: None,
            jid,
            boottime,
            ng_node: None,
            ng_link: None,
            wanted_name: None,
            was_up: None,
            jail_if: None,
        }
    }

    /// The interface's name inside the jail (`jail_if`, else `nic_name`).
    pub fn in_jail(&self) -> &str {
        self.jail_if.as_deref().unwrap_or(&self.nic_name)
    }
}

/// A bridge vimage uses for an uplink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgeRec {
    /// The bridge's interface (if_bridge) or node (ng_bridge) name.
    pub name: String,
    /// The host interface it bridges jails onto.
    pub uplink: String,
    /// vimage created it (and will destroy it when its last jail leaves).
    pub owned: bool,
    /// The `kern.boottime` it was recorded in; records from another boot describe nothing.
    pub boottime: i64,
    /// An if_bridge or an ng_bridge.
    pub kind: BridgeKind,
    /// ng_bridge: the uplink's ng_ether `promisc` and `autosrc` before vimage set them.
    /// if_bridge: `Some(false)` when vimage turned on its vtnet uplink's `promisc` as it made
    /// the bridge (so it turns it off when the bridge goes); `None` otherwise.
    pub ng_promisc: Option<bool>,
    /// ng_bridge: the uplink's ng_ether `autosrc` before vimage cleared it (restored when the
    /// bridge goes).
    pub ng_autosrc: Option<bool>,
}

impl BridgeRec {
    /// An if_bridge(4) record.
    pub fn if_bridge(name: &str, uplink: &str, owned: bool, boottime: i64) -> BridgeRec {
        BridgeRec {
            name: name.into(),
            uplink: uplink.into(),
            owned,
            boottime,
            kind: BridgeKind::IfBridge,
            ng_promisc: None,
            ng_autosrc: None,
        }
    }

    /// True for an ng_bridge(4).
    pub fn is_netgraph(&self) -> bool {
        self.kind == BridgeKind::Netgraph
    }
}

/// Which kind of bridge a record is of. Not a [`ModeKind`]: an epair NIC hangs on an
/// if_bridge, a netgraph NIC on an ng_bridge, and a passthrough NIC on none; the record keeps
/// the words it always kept (`if_bridge`, `netgraph`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BridgeKind {
    /// if_bridge(4), for epair NICs.
    IfBridge,
    /// ng_bridge(4), for netgraph NICs.
    Netgraph,
}

impl BridgeKind {
    /// `if_bridge` or `netgraph`: the word the record, `status` and `--json` hold.
    pub fn as_str(self) -> &'static str {
        match self {
            BridgeKind::IfBridge => "if_bridge",
            BridgeKind::Netgraph => ModeKind::Netgraph.as_str(),
        }
    }

    /// Reads a word [`BridgeKind::as_str`] wrote, exactly.
    pub fn parse(s: &str) -> std::result::Result<BridgeKind, Invalid> {
        [BridgeKind::IfBridge, BridgeKind::Netgraph]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Invalid(format!("unknown bridge kind {s:?}")))
    }
}

impl Serialize for BridgeKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for BridgeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// Both kinds are stored as the TEXT they always were, so no migration: a word this build does
// not know (a newer vimage's, a hand edit) is an error naming it, never a panic.
impl ToSql for ModeKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for ModeKind {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        ModeKind::parse(v.as_str()?).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

impl ToSql for BridgeKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for BridgeKind {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        BridgeKind::parse(v.as_str()?).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// Rows read back; a stored word this build does not know is bad data (EX_DATAERR), said as
/// such, not a failure to write the database.
fn read_rows<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>> {
    rows.collect::<rusqlite::Result<_>>().map_err(|e| match &e {
        rusqlite::Error::FromSqlConversionFailure(_, _, cause) if cause.is::<Invalid>() => {
            Error::new(Kind::Data, format!("vimage state database holds an {cause}"))
        }
        _ => e.into(),
    })
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
        ng_node: r.get(10)?,
        ng_link: r.get(11)?,
        wanted_name: r.get(12)?,
        was_up: r.get::<_, Option<i64>>(13)?.map(|v| v != 0),
        jail_if: r.get(14)?,
    })
}

const ATT_COLS: &str = "jail, nic, nic_name, mode, host_if, bridge, uplink, mac, jid, boottime, ng_node, ng_link, wanted_name, was_up, jail_if";

fn bridge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BridgeRec> {
    Ok(BridgeRec {
        name: r.get(0)?,
        uplink: r.get(1)?,
        owned: r.get::<_, i64>(2)? != 0,
        boottime: r.get(3)?,
        kind: r.get(4)?,
        ng_promisc: r.get::<_, Option<i64>>(5)?.map(|v| v != 0),
        ng_autosrc: r.get::<_, Option<i64>>(6)?.map(|v| v != 0),
    })
}

const BRIDGE_COLS: &str = "name, uplink, owned, boottime, kind, ng_promisc, ng_autosrc";

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
        // Cached: the planner asks this for every candidate MAC of every NIC of a start.
        Ok(self
            .conn
            .prepare_cached("SELECT jail, nic FROM nic_mac WHERE mac=?1")?
            .query_row([mac.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Stores the MAC of a NIC, replacing an older one for the same NIC. The NIC's name, mode
    /// and uplink come from its attachment, when there is one already.
    pub fn remember_mac(&self, jail: &str, nic: u32, mac: &Mac) -> Result<()> {
        self.conn.execute(
            "INSERT INTO nic_mac(jail, nic, mac, nic_name, mode, uplink)
             SELECT ?1, ?2, ?3, a.nic_name, a.mode, a.uplink FROM (SELECT 1)
                 LEFT JOIN attachment a ON a.jail = ?1 AND a.nic = ?2 WHERE true
             ON CONFLICT(jail, nic) DO UPDATE SET mac = excluded.mac,
                 nic_name = coalesce(excluded.nic_name, nic_mac.nic_name),
                 mode = coalesce(excluded.mode, nic_mac.mode),
                 uplink = coalesce(excluded.uplink, nic_mac.uplink)",
            params![jail, nic, mac.to_string()],
        )?;
        Ok(())
    }

    /// Records which NIC a stored MAC belongs to when vimage knows it before the first start
    /// (CBSD's rows at `vimage set enable=1`); what an attachment recorded is kept.
    pub fn remember_nic(&self, jail: &str, nic: u32, name: &str, mode: ModeKind, uplink: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE nic_mac SET nic_name = coalesce(nic_name, ?3), mode = coalesce(mode, ?4),
                 uplink = coalesce(uplink, ?5) WHERE jail = ?1 AND nic = ?2",
            params![jail, nic, name, mode, uplink],
        )?;
        Ok(())
    }

    /// Every stored MAC with the NIC it belongs to, of `jail` or of every jail, by jail and NIC.
    /// A database not yet migrated to know the NIC (opened read-only) gives the MACs alone.
    pub fn stored_nics(&self, jail: Option<&str>) -> Result<Vec<StoredNic>> {
        let v: i64 = self.meta("schema_version")?.and_then(|s| s.parse().ok()).unwrap_or(0);
        let cols = if v >= super::STORED_NIC_SINCE { "nic_name, mode, uplink" } else { "NULL, NULL, NULL" };
        let mut st = self.conn.prepare(&format!(
            "SELECT jail, nic, mac, {cols} FROM nic_mac WHERE ?1 IS NULL OR jail = ?1 ORDER BY jail, nic"
        ))?;
        let rows = st.query_map([jail], |r| {
            Ok(StoredNic {
                jail: r.get(0)?,
                nic: r.get(1)?,
                mac: r.get(2)?,
                nic_name: r.get(3)?,
                mode: r.get(4)?,
                uplink: r.get(5)?,
            })
        })?;
        read_rows(rows)
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
        read_rows(rows)
    }

    /// Every attachment (status, gc).
    pub fn all_attachments(&self) -> Result<Vec<Attachment>> {
        let mut st = self.conn.prepare(&format!("SELECT {ATT_COLS} FROM attachment ORDER BY jail, nic"))?;
        let rows = st.query_map([], attachment_row)?;
        read_rows(rows)
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

    /// Records (or replaces) an attachment; an ng_bridge link it takes is no longer free.
    pub fn put_attachment(&self, a: &Attachment, run_id: Option<i64>) -> Result<()> {
        if let (Some(bridge), Some(link)) = (&a.bridge, a.ng_link) {
            self.conn.execute("DELETE FROM ng_free_link WHERE bridge=?1 AND link=?2", params![bridge, link])?;
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment(jail, nic, nic_name, mode, host_if, bridge, uplink, mac, jid, boottime, run_id,
                 ng_node, ng_link, wanted_name, was_up, jail_if)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                a.jail,
                a.nic,
                a.nic_name,
                a.mode,
                a.host_if,
                a.bridge,
                a.uplink,
                a.mac,
                a.jid,
                a.boottime,
                run_id,
                a.ng_node,
                a.ng_link,
                a.wanted_name,
                a.was_up.map(i64::from),
                a.jail_if
            ],
        )?;
        self.conn.execute(
            "UPDATE nic_mac SET nic_name = ?3, mode = ?4, uplink = coalesce(?5, uplink) WHERE jail = ?1 AND nic = ?2",
            params![a.jail, a.nic, a.nic_name, a.mode, a.uplink],
        )?;
        Ok(())
    }

    /// Forgets an attachment; an ng_bridge link it held becomes free.
    pub fn delete_attachment(&self, jail: &str, nic: u32) -> Result<()> {
        let held: Option<(Option<String>, Option<u32>)> = self
            .conn
            .query_row("SELECT bridge, ng_link FROM attachment WHERE jail=?1 AND nic=?2", params![jail, nic], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((Some(bridge), Some(link))) = held {
            self.conn
                .execute("INSERT OR IGNORE INTO ng_free_link(bridge, link) VALUES(?1, ?2)", params![bridge, link])?;
        }
        self.conn.execute("DELETE FROM attachment WHERE jail=?1 AND nic=?2", params![jail, nic])?;
        Ok(())
    }

    /// The `n` lowest free `link<N>` numbers (N ≥ `first`) of ng_bridge `bridge`, from vimage's
    /// records: links freed earlier, then the ones above the highest in use. Index lookups only,
    /// never a scan of the bridge's links (vimage allocates lowest-first, so every link below
    /// the highest in use is either in use or in `ng_free_link`).
    pub fn ng_free_links(&self, bridge: &str, first: u32, n: usize) -> Result<Vec<u32>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT link FROM ng_free_link WHERE bridge=?1 AND link>=?2 ORDER BY link LIMIT ?3")?;
        let mut free: Vec<u32> =
            st.query_map(params![bridge, first, n as i64], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let top: Option<u32> = self.conn.query_row(
            "SELECT MAX(ng_link) FROM attachment WHERE bridge=?1 AND ng_link IS NOT NULL",
            [bridge],
            |r| r.get(0),
        )?;
        let mut next = top.map_or(first, |t| t.saturating_add(1).max(first));
        while free.len() < n {
            if !free.contains(&next) {
                free.push(next);
            }
            next = next.saturating_add(1);
        }
        free.sort_unstable();
        free.truncate(n);
        Ok(free)
    }

    /// Bridges recorded for this boot.
    pub fn bridges(&self, boottime: i64) -> Result<Vec<BridgeRec>> {
        let mut st =
            self.conn.prepare_cached(&format!("SELECT {BRIDGE_COLS} FROM bridge WHERE boottime=?1 ORDER BY name"))?;
        let rows = st.query_map([boottime], bridge_row)?;
        read_rows(rows)
    }

    /// Every bridge record, of any boot (status, recovery).
    pub fn all_bridges(&self) -> Result<Vec<BridgeRec>> {
        let mut st = self.conn.prepare(&format!("SELECT {BRIDGE_COLS} FROM bridge ORDER BY name"))?;
        let rows = st.query_map([], bridge_row)?;
        read_rows(rows)
    }

    /// Records a bridge in use.
    pub fn put_bridge(&self, b: &BridgeRec) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO bridge(name, uplink, owned, boottime, kind, ng_promisc, ng_autosrc)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                b.name,
                b.uplink,
                b.owned as i64,
                b.boottime,
                b.kind,
                b.ng_promisc.map(i64::from),
                b.ng_autosrc.map(i64::from)
            ],
        )?;
        Ok(())
    }

    /// Notes on if_bridge `name`'s record that vimage turned on its vtnet uplink's `promisc`
    /// (`ng_promisc` = 0: "not promiscuous before vimage"; see `Effect::UplinkPromisc`).
    pub fn mark_uplink_promisc(&self, name: &str) -> Result<()> {
        self.conn.execute("UPDATE bridge SET ng_promisc=0 WHERE name=?1 AND kind='if_bridge'", [name])?;
        Ok(())
    }

    /// Forgets a bridge (and, for an ng_bridge, its free links: a new one starts afresh).
    pub fn delete_bridge(&self, name: &str) -> Result<()> {
        self.conn.execute("DELETE FROM bridge WHERE name=?1", [name])?;
        self.conn.execute("DELETE FROM ng_free_link WHERE bridge=?1", [name])?;
        Ok(())
    }

    /// The `link<N>` numbers of ng_bridge `bridge` that recorded NICs hang on (one indexed
    /// query; the kernel is never asked, see `plan::netgraph`).
    pub fn ng_links(&self, bridge: &str) -> Result<std::collections::BTreeSet<u32>> {
        let mut st = self.conn.prepare_cached(
            "SELECT ng_link FROM attachment WHERE bridge=?1 AND ng_link IS NOT NULL ORDER BY ng_link",
        )?;
        let rows = st.query_map([bridge], |r| r.get::<_, u32>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The jail whose netgraph NIC's node is named `name`, other than `except_jail`.
    pub fn ng_name_owner(&self, name: &str, except_jail: &str) -> Result<Option<String>> {
        // Cached: asked for every candidate name of every netgraph NIC of a start.
        Ok(self
            .conn
            .prepare_cached("SELECT jail FROM attachment WHERE mode=?3 AND host_if=?1 AND jail<>?2 LIMIT 1")?
            .query_row(params![name, except_jail, ModeKind::Netgraph], |r| r.get(0))
            .optional()?)
    }

    /// Replaces every record of kernel objects with what a full scan found, after a reboot or
    /// when the records were lost, in one transaction (a kill in the middle leaves the old
    /// records, and the next run scans again). Stored MACs are kept (they outlive the
    /// objects); `macs` read back from the interfaces are stored for NICs that have none, so
    /// the next start gives each NIC the MAC it has now.
    pub fn resync(
        &self,
        boottime: i64,
        attachments: &[Attachment],
        bridges: &[BridgeRec],
        macs: &[(String, u32, Mac)],
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM attachment", [])?;
        tx.execute("DELETE FROM bridge", [])?;
        tx.execute("DELETE FROM ng_free_link", [])?;
        for a in attachments {
            self.put_attachment(a, None)?;
        }
        for b in bridges {
            self.put_bridge(b)?;
        }
        for (jail, nic, mac) in macs {
            // Neither a NIC's stored MAC nor another NIC's claim on this one is overridden.
            tx.execute(
                "INSERT OR IGNORE INTO nic_mac(jail, nic, mac) VALUES(?1, ?2, ?3)",
                params![jail, nic, mac.to_string()],
            )?;
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
        let mut a = Attachment::basic(jail, nic, &format!("eth{nic}"), ModeKind::Epair, &format!("epair{nic}a"), 1, 10);
        a.bridge = Some(bridge.into());
        a.uplink = Some("em0".into());
        a
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
    fn a_stored_mac_remembers_its_nic_after_the_attachment_is_gone() {
        let db = StateDb::open_in_memory().unwrap();
        let m = Mac::parse("02:00:00:00:00:01").unwrap();
        // Before any attachment (vimage set enable=1 under CBSD): the MAC, then CBSD's NIC.
        db.remember_mac("web1", 0, &m).unwrap();
        db.remember_nic("web1", 0, "eth0", ModeKind::Epair, "auto").unwrap();
        let s = &db.stored_nics(Some("web1")).unwrap()[0];
        assert_eq!((s.nic_name.as_deref(), s.uplink.as_deref()), (Some("eth0"), Some("auto")));
        // An attachment says where it really went; unbridge forgets the attachment, not that.
        db.put_attachment(&att("web1", 0, "bridge0"), None).unwrap();
        db.delete_attachment("web1", 0).unwrap();
        db.remember_nic("web1", 0, "eth9", ModeKind::Epair, "em9").unwrap();
        let s = &db.stored_nics(Some("web1")).unwrap()[0];
        assert_eq!(
            (s.mac.as_str(), s.nic_name.as_deref(), s.mode.map(ModeKind::as_str), s.uplink.as_deref()),
            ("02:00:00:00:00:01", Some("eth0"), Some("epair"), Some("em0")),
            "an attachment's facts win over a plan's"
        );
        // The MAC of a NIC attached first and remembered after (one run's effects) too.
        db.put_attachment(&att("web2", 1, "bridge0"), None).unwrap();
        db.remember_mac("web2", 1, &Mac::parse("02:00:00:00:00:02").unwrap()).unwrap();
        assert_eq!(db.stored_nics(Some("web2")).unwrap()[0].nic_name.as_deref(), Some("eth1"));
        assert_eq!(db.stored_nics(None).unwrap().len(), 2);
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
        db.put_bridge(&BridgeRec::if_bridge("bridge0", "em0", true, 10)).unwrap();
        assert_eq!(db.bridges(10).unwrap().len(), 1);
        assert!(db.bridges(11).unwrap().is_empty(), "records of another boot are not trusted");
        db.resync(11, &[], &[], &[]).unwrap();
        assert!(db.all_attachments().unwrap().is_empty());
        assert_eq!(db.synced_boottime().unwrap(), Some(11));
    }

    #[test]
    fn netgraph_links_and_node_names_come_from_the_records() {
        let db = StateDb::open_in_memory().unwrap();
        for (j, link) in [("web1", 2), ("web2", 3), ("web3", 5)] {
            let mut a = Attachment::basic(j, 0, &format!("ng0_{j}"), ModeKind::Netgraph, &format!("ng0_{j}"), 1, 10);
            a.bridge = Some("vimage_em0".into());
            a.ng_link = Some(link);
            a.ng_node = Some(7);
            db.put_attachment(&a, None).unwrap();
        }
        assert_eq!(db.ng_links("vimage_em0").unwrap().into_iter().collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(db.ng_free_links("vimage_em0", 2, 2).unwrap(), [6, 7], "nothing freed yet: above the top");
        assert_eq!(db.ng_name_owner("ng0_web2", "web1").unwrap().as_deref(), Some("web2"));
        assert_eq!(db.ng_name_owner("ng0_web2", "web2").unwrap(), None);
        db.delete_attachment("web2", 0).unwrap();
        assert_eq!(db.ng_free_links("vimage_em0", 2, 3).unwrap(), [3, 6, 7]);
        assert_eq!(db.ng_free_links("nosuch", 2, 1).unwrap(), [2]);
        let mut b = BridgeRec::if_bridge("vimage_em0", "em0", true, 10);
        b.kind = BridgeKind::Netgraph;
        b.ng_autosrc = Some(true);
        db.put_bridge(&b).unwrap();
        assert_eq!(db.bridges(10).unwrap(), [b]);
    }

    #[test]
    fn modes_and_bridge_kinds_are_stored_as_the_text_they_always_were() {
        let db = StateDb::open_in_memory().unwrap();
        for (i, mode) in ModeKind::ALL.into_iter().enumerate() {
            let a = Attachment::basic("web1", i as u32, &format!("x{i}"), mode, &format!("x{i}"), 1, 10);
            db.put_attachment(&a, None).unwrap();
        }
        let mut ng = BridgeRec::if_bridge("vimage_em0", "em0", true, 10);
        ng.kind = BridgeKind::Netgraph;
        db.put_bridge(&ng).unwrap();
        db.put_bridge(&BridgeRec::if_bridge("bridge0", "em0", true, 10)).unwrap();
        let text = |sql: &str| -> Vec<(String, String)> {
            let mut st = db.conn.prepare(sql).unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
        };
        let t = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            text("SELECT typeof(mode), mode FROM attachment ORDER BY nic"),
            [t("text", "epair"), t("text", "netgraph"), t("text", "passthrough")]
        );
        assert_eq!(
            text("SELECT typeof(kind), kind FROM bridge ORDER BY name"),
            [t("text", "if_bridge"), t("text", "netgraph")]
        );
        let back: Vec<ModeKind> = db.attachments("web1").unwrap().iter().map(|a| a.mode).collect();
        assert_eq!(back, ModeKind::ALL);
        assert_eq!(db.bridges(10).unwrap()[1], ng);
        let json = serde_json::to_string(&db.attachments("web1").unwrap()[1]).unwrap();
        assert!(json.contains(r#""mode":"netgraph""#), "{json}");
        assert!(serde_json::to_string(&ng).unwrap().contains(r#""kind":"netgraph""#));
        assert!(serde_json::to_string(&db.bridges(10).unwrap()[0]).unwrap().contains(r#""kind":"if_bridge""#));
    }

    #[test]
    fn a_stored_word_this_build_does_not_know_is_a_data_error_not_a_panic() {
        let db = StateDb::open_in_memory().unwrap();
        db.conn
            .execute(
                "INSERT INTO attachment(jail, nic, nic_name, mode, host_if, jid, boottime)
                 VALUES('web1', 0, 'eth0', 'bhyve', 'tap0', 1, 10)",
                [],
            )
            .unwrap();
        db.conn
            .execute("INSERT INTO bridge(name, uplink, owned, boottime, kind) VALUES('b0', 'em0', 1, 10, 'vale')", [])
            .unwrap();
        db.conn
            .execute("INSERT INTO nic_mac(jail, nic, mac, mode) VALUES('web1', 0, '02:00:00:00:00:01', 'Epair')", [])
            .unwrap();
        for e in [
            db.attachments("web1").unwrap_err(),
            db.all_attachments().unwrap_err(),
            db.bridges(10).unwrap_err(),
            db.all_bridges().unwrap_err(),
            db.stored_nics(None).unwrap_err(),
        ] {
            assert_eq!(e.kind, Kind::Data, "{e}");
            assert!(e.message.starts_with("vimage state database holds an unknown "), "{e}");
        }
        assert!(db.attachments("web1").unwrap_err().message.contains(r#"NIC mode "bhyve""#));
        assert!(db.bridges(10).unwrap_err().message.contains(r#"bridge kind "vale""#));
        // What does not read the word still works.
        assert_eq!(db.bridge_users("b0", "x").unwrap(), 0);
        assert_eq!(db.all_macs().unwrap().len(), 1);
    }
}
