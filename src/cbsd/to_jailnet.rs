//! A CBSD jail (its `jails` row and `jailnic` rows) as the [`JailNet`] the planner takes.
//!
//! One NIC per `jailnic` row, in (`nic_order`, `id`) order; NIC i is at index i:
//! - name: the row's `name` in the 15.x shape; `eth<i>` in 14.x, where names like `epairb`
//!   are CBSD-internal and jstart always renamed NIC i to `eth<i>`. A 15.x table that still
//!   holds the 14.x default name `epairb` (columns added, names not migrated) also gets
//!   `eth<i>`, because that is the name the jail's rc.conf was written for.
//! - uplink: `nic_parent`; `auto`, `0` and empty mean the default-route interface.
//! - MAC: `nic_hwaddr` when set, and it must be a well-formed unicast address.
//!
//! A bad value is a `Data` error (65) naming the jail, the NIC row and the value.

use super::jailnic::{NicShape, NicTable};
use super::jails::JailRow;
use crate::error::{Error, Kind, Result};
use crate::model::{IfName, JailName, JailNet, Mac, NicMode, NicSpec, Uplink};

/// The 14.x default row name; never an interface name inside a jail.
const LEGACY_DEFAULT_NAME: &str = "epairb";

/// Converts CBSD's view of one jail into vimage's. Does not check `vnet` or that there are
/// rows: a jail with no `jailnic` rows yields no NICs (CBSD would then start it without vnet).
pub fn to_jailnet(jail: &JailRow, nics: &NicTable) -> Result<JailNet> {
    let jname = JailName::parse(&jail.jname)
        .map_err(|e| Error::jail(Kind::Data, &jail.jname, format!("CBSD jail name is not usable: {e}")))?;
    let mut out = Vec::with_capacity(nics.rows.len());
    for (i, row) in nics.rows.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| Error::jail(Kind::Data, &jname, "too many jailnic rows"))?;
        let bad = |what: &str, value: &str, why: String| {
            Error::jail(
                Kind::Data,
                &jname,
                format!("jailnic row {:?} (id {}): {what} {value:?}: {why}", row.name, row.id),
            )
        };
        let name_text = match nics.shape {
            NicShape::V15 if row.name != LEGACY_DEFAULT_NAME => row.name.clone(),
            _ => format!("eth{i}"),
        };
        let name = IfName::parse(&name_text).map_err(|e| bad("name", &name_text, e.0))?;
        let parent = row.nic_parent.as_deref().unwrap_or("");
        let uplink = Uplink::parse(parent).map_err(|e| bad("nic_parent", parent, e.0))?;
        let mac = match row.nic_hwaddr.as_deref() {
            None => None,
            Some(m) => Some(Mac::parse_assignable(m).map_err(|e| bad("nic_hwaddr", m, e.0))?),
        };
        // CBSD names its NICs itself (`eth<N>`), and leaves a Linux jail's alone (see
        // `NicSpec::name_given`): not the admin's choice.
        out.push(NicSpec {
            index,
            name,
            name_given: false,
            mode: NicMode::Epair { uplink },
            mac,
            addrs: Default::default(),
        });
    }
    if let Some((a, b)) = first_duplicate(&out) {
        return Err(Error::jail(
            Kind::Data,
            &jname,
            format!("jailnic rows {a} and {b} both name the interface {}", out[b].name),
        ));
    }
    Ok(JailNet { jail: jname, nics: out, addressing: Default::default(), force: false, userland: None })
}

fn first_duplicate(nics: &[NicSpec]) -> Option<(usize, usize)> {
    (0..nics.len()).find_map(|b| (0..b).find(|&a| nics[a].name == nics[b].name).map(|a| (a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbsd::jailnic::NicRow;

    fn jail(name: &str) -> JailRow {
        JailRow {
            jname: name.into(),
            jid: None,
            status: 0,
            vnet: true,
            interface: None,
            ip4_addr: None,
            devfs_ruleset: None,
            ci_gw4: None,
            path: None,
            data: None,
            host_hostname: None,
            emulator: "jail".into(),
            columns: Default::default(),
        }
    }

    fn nic(id: i64, name: &str, parent: Option<&str>, hw: Option<&str>) -> NicRow {
        NicRow {
            id,
            name: name.into(),
            nic_order: 0,
            nic_slot: None,
            nic_parent: parent.map(String::from),
            nic_hwaddr: hw.map(String::from),
            nic_address: None,
            nic_persistent: false,
            nic_mtu: None,
            nic_flags: None,
            nic_vlan_untagged: None,
            nic_vlan_tagged: None,
        }
    }

    #[test]
    fn v14_names_are_positional_and_v15_names_are_taken() {
        let rows = vec![nic(1, "epairb", Some("auto"), None), nic(2, "nic1", Some("em1"), Some("02:00:00:00:00:01"))];
        let n = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V14, rows: rows.clone() }).unwrap();
        assert_eq!(n.nics.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["eth0", "eth1"]);
        assert_eq!(n.nics[0].uplink(), Some(&Uplink::Auto));
        assert_eq!(n.nics[1].uplink(), Some(&Uplink::Named(IfName::parse("em1").unwrap())));
        assert_eq!(n.nics[1].mac, Some(Mac::parse("02:00:00:00:00:01").unwrap()));
        assert_eq!(n.nics[1].index, 1);
        let rows = vec![nic(1, "epairb", None, None), nic(2, "wan", Some("0"), None)];
        let n = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V15, rows }).unwrap();
        assert_eq!(n.nics.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["eth0", "wan"]);
        assert_eq!(n.nics[1].uplink(), Some(&Uplink::Auto));
    }

    #[test]
    fn bad_values_name_jail_row_and_value() {
        for (row, needle) in [
            (nic(3, "eth0", None, Some("01:00:5e:00:00:01")), "multicast"),
            (nic(3, "eth0", None, Some("zz:zz")), "nic_hwaddr \"zz:zz\""),
            (nic(3, "eth0", Some("bad;name"), None), "nic_parent \"bad;name\""),
            (nic(3, "averyveryverylongname", None, None), "name \"averyveryverylongname\""),
        ] {
            let e = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V15, rows: vec![row] }).unwrap_err();
            assert_eq!(e.exit_code(), 65);
            assert_eq!(e.jail.as_deref(), Some("web1"));
            assert!(e.message.contains("id 3") && e.message.contains(needle), "{e}");
        }
        let dup = vec![nic(1, "eth0", None, None), nic(2, "eth0", None, None)];
        assert!(to_jailnet(&jail("j"), &NicTable { shape: NicShape::V15, rows: dup }).is_err());
        assert!(to_jailnet(&jail("bad.name"), &NicTable { shape: NicShape::V14, rows: vec![] }).is_err());
    }
}
