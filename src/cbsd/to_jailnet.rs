//! A CBSD jail (its `jails` row and `jailnic` rows) as the [`JailNet`] the planner takes.
//!
//! One NIC per `jailnic` row, in (`nic_order`, `id`) order; NIC i is at index i:
//! - name: the row's `name` in the 15.x shape; `eth<i>` in 14.x, where names like `epairb`
//!   are CBSD-internal and jstart always renamed NIC i to `eth<i>`. A 15.x table that still
//!   holds the 14.x default name `epairb` (columns added, names not migrated) also gets
//!   `eth<i>`, because that is the name the jail's rc.conf was written for.
//! - uplink: `nic_parent`; `auto`, `0` and empty mean the default-route interface.
//! - MAC: `nic_hwaddr` when set, and it must be a well-formed unicast address.
//! - VLANs (15.x): `nic_vlan_untagged` (one ID; `0` or empty: none) and `nic_vlan_tagged`
//!   (IDs and ranges, comma separated; `0` or empty: none), as `vlan_untagged=` and
//!   `vlan_tagged=` ([`crate::model::vlan`]).
//!
//! A bad value is a `Data` error (65) naming the jail, the NIC row and the value.

use super::jailnic::{NicShape, NicTable};
use super::jails::{self, JailRow};
use super::{CbsdDb, CbsdJail, DbOptions, Workdir};
use crate::error::{Error, Kind, Result};
use crate::model::addr::{parse_ci_gw4, parse_ip4_addr};
use crate::model::link::{MemberFlag, parse_mtu};
use crate::model::vlan::{parse_vid, parse_vid_list};
use crate::model::{IfName, JailName, JailNet, Mac, NicSpec, Uplink};
use crate::resolve::{self, LinkPartial, NicName, NicPartial, Partial, Source, VlanPartial};

/// The 14.x default row name; never an interface name inside a jail.
const LEGACY_DEFAULT_NAME: &str = "epairb";

/// Where CBSD keeps the addressing values, for errors about them.
const ADDRESSING_COLUMNS: &str = "(from CBSD's jails table: ip4_addr, ci_gw4, devfs_ruleset)";

/// Converts CBSD's view of one jail into vimage's. Does not check `vnet` or that there are
/// rows: a jail with no `jailnic` rows yields no NICs (CBSD would then start it without vnet).
pub fn to_jailnet(jail: &JailRow, nics: &NicTable) -> Result<JailNet> {
    checked(jail, nics).map(|(net, _)| net)
}

/// The network of CBSD's rows alone, refused when two rows name the same interface, and the
/// rows as a [`Partial`] for the resolver.
fn checked(jail: &JailRow, nics: &NicTable) -> Result<(JailNet, Partial)> {
    let (jname, p) = to_partial(jail, nics)?;
    let (net, _) = resolve::layer(&jname, &[(Source::Cbsd, &p)])?;
    if let Some((a, b)) = first_duplicate(&net.nics) {
        return Err(Error::jail(
            Kind::Data,
            &jname,
            format!("jailnic rows {a} and {b} both name the interface {}", net.nics[b].name),
        ));
    }
    Ok((net, p))
}

/// The jail's `jailnic` rows as the NIC list of a [`Partial`] (names as the module doc says;
/// a 14.x row leaves the name to the resolver's `eth<i>`).
pub fn to_partial(jail: &JailRow, nics: &NicTable) -> Result<(JailName, Partial)> {
    let jname = JailName::parse(&jail.jname)
        .map_err(|e| Error::jail(Kind::Data, &jail.jname, format!("CBSD jail name is not usable: {e}")))?;
    let mut out = Vec::with_capacity(nics.rows.len());
    for row in &nics.rows {
        u32::try_from(out.len()).map_err(|_| Error::jail(Kind::Data, &jname, "too many jailnic rows"))?;
        let bad = |what: &str, value: &str, why: String| {
            Error::jail(
                Kind::Data,
                &jname,
                format!("jailnic row {:?} (id {}): {what} {value:?}: {why}", row.name, row.id),
            )
        };
        // CBSD names its NICs itself (`eth<N>`), and leaves a Linux jail's alone (see
        // `NicSpec::name_given`): not the admin's choice.
        let name = match nics.shape {
            NicShape::V15 if row.name != LEGACY_DEFAULT_NAME => {
                Some(NicName::Assigned(IfName::parse(&row.name).map_err(|e| bad("name", &row.name, e.0))?))
            }
            _ => None,
        };
        let parent = row.nic_parent.as_deref().unwrap_or("");
        let uplink = Uplink::parse(parent).map_err(|e| bad("nic_parent", parent, e.0))?;
        let mac = match row.nic_hwaddr.as_deref() {
            None => None,
            Some(m) => Some(Mac::parse_assignable(m).map_err(|e| bad("nic_hwaddr", m, e.0))?),
        };
        // 15.x: the bridge VLAN filtering columns (`0` or empty: none), carried to the planner,
        // which uses them on a 15.x kernel and falls back to a vlan(4) uplink before 15.
        let untagged = match row.nic_vlan_untagged.as_deref().map(str::trim) {
            None | Some("" | "0") => None,
            Some(v) => Some(parse_vid(v).map_err(|e| bad("nic_vlan_untagged", v, e.0))?),
        };
        let tagged = match row.nic_vlan_tagged.as_deref() {
            None => Vec::new(),
            Some(v) => parse_vid_list(v).map_err(|e| bad("nic_vlan_tagged", v, e.0))?,
        };
        let vlan = VlanPartial { vlan: None, untagged: Some(untagged), tagged: Some(tagged) };
        // 15.x `nic_mtu` (0 = inherit, already `None`) and `nic_flags` (`private`; 0 = none):
        // carried through to the NIC, so vimage neither drops them nor overwrites CBSD's MTU.
        let mtu = match row.nic_mtu {
            None => None,
            Some(m) => Some(parse_mtu(&m.to_string()).map_err(|e| bad("nic_mtu", &m.to_string(), e.0))?),
        };
        let flags = match row.nic_flags.as_deref() {
            None => None,
            Some(f) => Some(MemberFlag::parse_list(f).map_err(|e| bad("nic_flags", f, e.0))?),
        };
        let link = LinkPartial { mtu, flags, offload_off: None };
        out.push(NicPartial { uplink: Some(uplink), name, mac, vlan, link });
    }
    Ok((jname, Partial { list: Some(out), ..Partial::default() }))
}

/// Adds a CBSD jail's `ip4_addr`, `ci_gw4` and `devfs_ruleset` columns, and its rc.conf
/// under its data directory, to `p`. CBSD's stock rulesets (4, 5) and `0` mean "not chosen":
/// vimage then puts its own bpf ruleset in place when a NIC uses DHCP.
pub fn with_addressing(row: &JailRow, mut p: Partial) -> Result<Partial> {
    let data = |m: String| Error::jail(Kind::Data, &row.jname, m).detail(ADDRESSING_COLUMNS);
    p.ip4 = Some(parse_ip4_addr(row.ip4_addr.as_deref().unwrap_or("0")).map_err(data)?);
    p.gateway = Some(parse_ci_gw4(row.ci_gw4.as_deref().unwrap_or("0")).map_err(data)?);
    let ruleset = match row.devfs_ruleset.filter(|n| !matches!(n, 0 | 4 | 5)) {
        None => None,
        Some(n) => {
            Some(u16::try_from(n).map_err(|_| data(format!("devfs_ruleset={n}: not a ruleset number (1-65535)")))?)
        }
    };
    p.devfs_ruleset = Some(ruleset);
    let rcconf = row.data.as_deref().map(|d| std::path::Path::new(d).join("etc/rc.conf"));
    if rcconf.as_ref().is_some_and(|p| !p.is_absolute()) {
        return Err(Error::jail(Kind::Usage, &row.jname, "rcconf= must be an absolute path").detail(ADDRESSING_COLUMNS));
    }
    p.rcconf = Some(rcconf);
    p.blame = Some(ADDRESSING_COLUMNS);
    Ok(p)
}

/// CBSD's description of `jail` when CBSD has one with NICs: `None` when CBSD does not know
/// the jail (no `jails` row) or gives it no `jailnic` rows, so the next source decides. The
/// [`Partial`] carries the rows and the addressing columns.
pub fn lookup(wd: &Workdir, jail: &JailName, opts: &DbOptions) -> Result<Option<(CbsdJail, Partial)>> {
    let db = CbsdDb::open_read(&wd.local_db(), opts)?;
    let Some(row) = jails::read_jail(&db, jail.as_str())? else { return Ok(None) };
    drop(db);
    let nics = super::load_nics(wd, jail, opts)?;
    let (net, p) = checked(&row, &nics)?;
    if net.nics.is_empty() {
        return Ok(None);
    }
    let p = with_addressing(&row, p)?;
    Ok(Some((CbsdJail { row, nics, net }, p)))
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
    fn v15_vlan_columns_are_carried_to_the_nics() {
        let mut a = nic(1, "eth0", Some("em1"), None);
        a.nic_vlan_untagged = Some("100".into());
        a.nic_vlan_tagged = Some("200,300-301".into());
        let mut b = nic(2, "eth1", Some("em1"), None);
        b.nic_vlan_untagged = Some("0".into());
        b.nic_vlan_tagged = Some("0".into());
        let n = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V15, rows: vec![a, b] }).unwrap();
        assert_eq!((n.nics[0].vlan.untagged, n.nics[0].vlan.tagged.as_slice()), (Some(100), &[200, 300, 301][..]));
        assert!(n.nics[1].vlan.is_empty(), "CBSD's 0: none");
        let mut bad = nic(1, "eth0", Some("em1"), None);
        bad.nic_vlan_untagged = Some("4095".into());
        let e = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V15, rows: vec![bad] }).unwrap_err();
        assert!(e.to_string().contains("nic_vlan_untagged") && e.to_string().contains("4095"), "{e}");
        assert_eq!(e.exit_code(), 65);
    }

    #[test]
    fn v15_nic_mtu_and_nic_flags_are_carried_through_and_the_command_line_overrides_them() {
        let mut row = nic(1, "eth0", Some("em0"), None);
        row.nic_mtu = Some(1400);
        row.nic_flags = Some("private".into());
        let t = NicTable { shape: NicShape::V15, rows: vec![row.clone(), nic(2, "eth1", Some("em1"), None)] };
        let n = to_jailnet(&jail("web1"), &t).unwrap();
        assert_eq!(n.nics[0].link.mtu, Some(1400));
        assert_eq!(n.nics[0].link.flags.iter().map(|f| f.to_string()).collect::<Vec<_>>(), ["private"]);
        assert!(n.nics[1].link.is_default(), "0 and unset mean: inherit, no flags");
        // `mtu=` on the command line (which lists no NICs) wins over the row, NIC by NIC.
        let (_, cbsd) = to_partial(&jail("web1"), &t).unwrap();
        let keys = crate::resolve::cli::Keys { mtu: Some("1300"), ..Default::default() };
        let cli = crate::resolve::cli::partial(&JailName::parse("web1").unwrap(), &keys).unwrap();
        let jn = JailName::parse("web1").unwrap();
        let (n, _) = resolve::layer(&jn, &[(Source::CommandLine, &cli), (Source::Cbsd, &cbsd)]).unwrap();
        assert_eq!((n.nics[0].link.mtu, n.nics[1].link.mtu), (Some(1300), Some(1300)));
        assert_eq!(n.nics[0].link.flags.len(), 1, "the row's flags stay");
        row.nic_flags = Some("span".into());
        let e = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V15, rows: vec![row] }).unwrap_err().to_string();
        assert!(e.contains("nic_flags") && e.contains("span"), "{e}");
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
    fn nic_parent_net_names_a_private_network() {
        let rows = vec![nic(1, "epairb", Some("net:jails"), None)];
        let n = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V14, rows }).unwrap();
        let want = crate::model::privnet::NetName::parse("jails").unwrap();
        assert_eq!(n.nics[0].uplink(), Some(&Uplink::Net(want.clone())));
        assert_eq!(n.nics[0].network(), Some(&want));
        assert!(n.uses_networks() && n.manages_addresses(), "a pool address and the gateway as router");
        let rows = vec![nic(1, "epairb", Some("net:a-b"), None)];
        let e = to_jailnet(&jail("web1"), &NicTable { shape: NicShape::V14, rows }).unwrap_err();
        assert!(e.to_string().contains("network name \"a-b\""), "{e}");
    }

    /// CBSD's rows under `vimage set`'s settings, through the resolver as `bridge` runs it.
    fn resolved(shape: NicShape, rows: Vec<NicRow>, row: &JailRow, set: &[(&str, &str)]) -> Result<(JailNet, Source)> {
        let (jname, p) = to_partial(row, &NicTable { shape, rows })?;
        let p = with_addressing(row, p)?;
        let set =
            crate::settings::JailSettings { map: set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        let settings = crate::resolve::settings::partial(&jname, &set)?;
        resolve::layer(&jname, &[(Source::Settings, &settings), (Source::Cbsd, &p)])
    }

    fn names(n: &JailNet) -> Vec<(&str, String, bool)> {
        n.nics.iter().map(|x| (x.name.as_str(), x.uplink().unwrap().to_string(), x.name_given)).collect()
    }

    #[test]
    fn a_14x_jail_under_vimage_set_overrides() {
        let rows = vec![nic(1, "epairb", Some("auto"), None), nic(2, "nic1", Some("em1"), Some("02:00:00:00:00:01"))];
        let (net, source) =
            resolved(NicShape::V14, rows.clone(), &jail("web1"), &[("interface", "em7"), ("ifname", "lan0 lan1")])
                .unwrap();
        assert_eq!(source, Source::Cbsd);
        assert_eq!(names(&net), [("lan0", "em7".into(), true), ("lan1", "em1".into(), true)]);
        assert_eq!(net.nics[1].mac, Some(Mac::parse("02:00:00:00:00:01").unwrap()), "CBSD's MAC stays");
        let mut row = jail("web1");
        row.ip4_addr = Some("eth1#10.1.0.5/16".into());
        row.ci_gw4 = Some("10.1.0.1".into());
        row.devfs_ruleset = Some(5);
        row.data = Some("/usr/jails/jails-data/web1-data".into());
        let (net, _) = resolved(NicShape::V14, rows.clone(), &row, &[("interface", "em7")]).unwrap();
        assert!(net.nics[0].addrs.is_empty() && !net.nics[1].addrs.is_empty(), "eth1#… found eth1");
        assert_eq!(net.addressing.devfs_ruleset, None, "CBSD's stock ruleset 5 is not a choice");
        assert_eq!(net.addressing.gateway, crate::model::addr::parse_ci_gw4("10.1.0.1").unwrap());
        assert_eq!(
            net.addressing.rcconf.as_deref(),
            Some(std::path::Path::new("/usr/jails/jails-data/web1-data/etc/rc.conf"))
        );
        // ip4_addr names the NIC by its name after the settings: eth1 is now lan1.
        let e = resolved(NicShape::V14, rows, &row, &[("ifname", "lan0 lan1")]).unwrap_err();
        assert!(e.message.contains("names NIC eth1") && e.details == [ADDRESSING_COLUMNS], "{e}");
    }

    #[test]
    fn a_15x_jail_under_vimage_set_overrides() {
        let rows = vec![nic(1, "wan", Some("em0"), None), nic(2, "lan", Some("0"), None), nic(3, "epairb", None, None)];
        let (net, _) = resolved(NicShape::V15, rows.clone(), &jail("web1"), &[]).unwrap();
        assert_eq!(
            names(&net),
            [("wan", "em0".into(), false), ("lan", "auto".into(), false), ("eth2", "auto".into(), false)],
            "CBSD's own names are not the admin's"
        );
        let (net, source) =
            resolved(NicShape::V15, rows.clone(), &jail("web1"), &[("interface", "em1 em2"), ("ifname", "a")]).unwrap();
        assert_eq!(source, Source::Cbsd);
        assert_eq!(
            names(&net),
            [("a", "em1".into(), true), ("lan", "em2".into(), false), ("eth2", "auto".into(), false)]
        );
        let (net, _) = resolved(NicShape::V15, rows, &jail("web1"), &[("mode", "netgraph"), ("vnets", "em9")]).unwrap();
        let modes: Vec<(&str, &str)> = net.nics.iter().map(|x| (x.name.as_str(), x.mode.as_str())).collect();
        assert_eq!(
            modes,
            [("ng0_web1", "netgraph"), ("ng1_web1", "netgraph"), ("ng2_web1", "netgraph"), ("em9", "passthrough")]
        );
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
