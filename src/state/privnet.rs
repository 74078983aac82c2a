//! Private networks (`vimage net create`) and their address leases.
//!
//! A lease ties one address to one jail NIC (jail, NIC index) so the address is stable across
//! restarts and shown by `status` before the first start; it goes with `vimage net release`,
//! with the jail's other records, or with the network (`net destroy force=1`).

use super::StateDb;
use crate::error::Result;
use crate::model::addr::{Cidr4, Cidr6};
use crate::model::privnet::{Nat, NetDef, NetName, NetSource};
use rusqlite::params;
use serde::Serialize;
use std::net::Ipv4Addr;

/// One jail NIC's address on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// The network.
    pub net: String,
    /// The jail.
    pub jail: String,
    /// The NIC's index in the jail.
    pub nic: u32,
    /// The address (without prefix).
    pub addr: Ipv4Addr,
}

/// One port forward (`vimage expose`): the host's `proto`/`host_port` to `jail_port` of
/// `jail`'s address on network `net`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forward {
    /// The network whose anchor carries the `rdr` rule.
    pub net: String,
    /// The jail it forwards to.
    pub jail: String,
    /// `tcp` or `udp`.
    pub proto: String,
    /// The port on the NAT interface.
    pub host_port: u16,
    /// The port in the jail.
    pub jail_port: u16,
}

impl StateDb {
    /// Every port forward (of network `net`, when given), by protocol and host port.
    pub fn forwards(&self, net: Option<&str>) -> Result<Vec<Forward>> {
        let mut st = self.conn.prepare(
            "SELECT net, jail, proto, host_port, jail_port FROM net_forward \
             WHERE ?1 IS NULL OR net=?1 ORDER BY proto, host_port",
        )?;
        let rows = st.query_map(params![net], |r| {
            Ok(Forward {
                net: r.get(0)?,
                jail: r.get(1)?,
                proto: r.get(2)?,
                host_port: r.get::<_, i64>(3)?.clamp(0, 65535) as u16,
                jail_port: r.get::<_, i64>(4)?.clamp(0, 65535) as u16,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Stores a forward (replacing one of the same protocol and host port).
    pub fn put_forward(&self, f: &Forward) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO net_forward(net, jail, proto, host_port, jail_port) VALUES(?1, ?2, ?3, ?4, ?5)",
            params![f.net, f.jail, f.proto, i64::from(f.host_port), i64::from(f.jail_port)],
        )?;
        Ok(())
    }

    /// Forgets the forward of `proto`/`host_port`.
    pub fn delete_forward(&self, proto: &str, host_port: u16) -> Result<()> {
        self.conn
            .execute("DELETE FROM net_forward WHERE proto=?1 AND host_port=?2", params![proto, i64::from(host_port)])?;
        Ok(())
    }
}

fn def_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, Option<String>, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn lease_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, u32, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// A stored definition read back; a row vimage could not have written is skipped (the
/// database is vimage's own, so that means a bug or a hand edit, never input to trust).
fn to_def(row: (String, String, String, String, Option<String>, i64)) -> Option<NetDef> {
    let (name, cidr, gateway, nat, cidr6, private) = row;
    let (a, p) = cidr.split_once('/')?;
    let cidr = Cidr4 { addr: a.parse().ok()?, prefix: p.parse().ok()? };
    let cidr6 = match cidr6 {
        Some(c) => {
            let (a, p) = c.split_once('/')?;
            Some(Cidr6 { addr: a.parse().ok()?, prefix: p.parse().ok()? })
        }
        None => None,
    };
    Some(NetDef {
        name: NetName::parse(&name).ok()?,
        cidr,
        gateway: gateway.parse().ok()?,
        nat: Nat::parse(&nat).ok()?,
        cidr6,
        private: private != 0,
        source: NetSource::Db,
    })
}

fn to_lease(row: (String, String, u32, String)) -> Option<Lease> {
    Some(Lease { net: row.0, jail: row.1, nic: row.2, addr: row.3.parse().ok()? })
}

impl StateDb {
    /// Every network `vimage net create` stored, by name.
    pub fn networks(&self) -> Result<Vec<NetDef>> {
        let mut st =
            self.conn.prepare_cached("SELECT name, cidr, gateway, nat, cidr6, private FROM network ORDER BY name")?;
        let rows = st.query_map([], def_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().filter_map(to_def).collect())
    }

    /// Stores a new network (the caller has checked that the name is free).
    pub fn put_network(&self, d: &NetDef) -> Result<()> {
        self.conn.execute(
            "INSERT INTO network(name, cidr, gateway, nat, cidr6, private) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                d.name.as_str(),
                d.cidr.to_string(),
                d.gateway.to_string(),
                d.nat.to_string(),
                d.cidr6.map(|c| c.to_string()),
                d.private as i64
            ],
        )?;
        Ok(())
    }

    /// Forgets a network, every lease on it and its port forwards.
    pub fn delete_network(&self, name: &str) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM net_lease WHERE net=?1", [name])?;
        tx.execute("DELETE FROM net_forward WHERE net=?1", [name])?;
        tx.execute("DELETE FROM network WHERE name=?1", [name])?;
        tx.commit()?;
        Ok(())
    }

    /// Every lease, or those of one network.
    pub fn leases(&self, net: Option<&str>) -> Result<Vec<Lease>> {
        let mut st = self.conn.prepare_cached(
            "SELECT net, jail, nic, addr FROM net_lease WHERE ?1 IS NULL OR net=?1 ORDER BY net, jail, nic",
        )?;
        let rows = st.query_map([net], lease_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().filter_map(to_lease).collect())
    }

    /// Records (or replaces) the lease of one jail NIC. An address another NIC holds is
    /// refused (UNIQUE(net, addr)), never taken from it: `INSERT OR REPLACE` would silently
    /// delete that NIC's lease, so only the (jail, NIC) conflict updates.
    pub fn put_lease(&self, l: &Lease) -> Result<()> {
        self.conn.execute(
            "INSERT INTO net_lease(net, jail, nic, addr) VALUES(?1, ?2, ?3, ?4) \
             ON CONFLICT(jail, nic) DO UPDATE SET net=excluded.net, addr=excluded.addr",
            params![l.net, l.jail, l.nic, l.addr.to_string()],
        )?;
        Ok(())
    }

    /// Releases every lease of `jail`; returns how many there were.
    pub fn release_leases(&self, jail: &str) -> Result<usize> {
        Ok(self.conn.execute("DELETE FROM net_lease WHERE jail=?1", [jail])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::privnet::NetInput;

    #[test]
    fn networks_and_leases_round_trip_and_go_together() {
        let db = StateDb::open_in_memory().unwrap();
        let i = NetInput {
            name: "jails",
            cidr: "10.77.0.0/24",
            cidr6: "fd00:77::/64",
            private: true,
            ..Default::default()
        };
        let d = NetDef::from_input(&i, NetSource::Db).unwrap();
        db.put_network(&d).unwrap();
        assert_eq!(db.networks().unwrap(), vec![d.clone()]);
        assert!(db.put_network(&d).is_err(), "a name is stored once");
        let l = Lease { net: "jails".into(), jail: "web1".into(), nic: 0, addr: Ipv4Addr::new(10, 77, 0, 2) };
        db.put_lease(&l).unwrap();
        let other = Lease { jail: "web2".into(), ..l.clone() };
        assert!(db.put_lease(&other).is_err(), "one address, one NIC");
        assert_eq!(db.leases(Some("jails")).unwrap(), vec![l.clone()]);
        assert_eq!(db.release_leases("web1").unwrap(), 1);
        db.put_lease(&l).unwrap();
        db.delete_network("jails").unwrap();
        assert!(db.networks().unwrap().is_empty() && db.leases(None).unwrap().is_empty());
    }
}
