//! The layering: each pair of sources in precedence order, and what a source that says only
//! one key leaves to the others. The CBSD shapes are tested in `cbsd::to_jailnet`, rc.conf
//! in `rcd`.

use super::*;
use crate::model::addr::{V4, parse_ci_gw4, parse_ip4_addr};
use crate::settings::JailSettings;

fn j() -> JailName {
    JailName::parse("web1").unwrap()
}

fn up(s: &str) -> Uplink {
    Uplink::parse(s).unwrap()
}

fn set(kv: &[(&str, &str)]) -> JailSettings {
    JailSettings { map: kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

fn cli(k: Keys<'_>) -> Partial {
    cli::partial(&j(), &k).unwrap()
}

use cli::Keys;

/// CBSD-like rows: a NIC list on these uplinks, with addressing.
fn rows(uplinks: &[&str], ip4: &str, gw: &str) -> Partial {
    Partial {
        list: Some(uplinks.iter().map(|u| NicPartial { uplink: Some(up(u)), ..NicPartial::default() }).collect()),
        ip4: Some(parse_ip4_addr(ip4).unwrap()),
        gateway: Some(parse_ci_gw4(gw).unwrap()),
        devfs_ruleset: Some(None),
        rcconf: Some(Some("/j/web1/etc/rc.conf".into())),
        blame: Some("(from the rows)"),
        ..Partial::default()
    }
}

/// (name, mode, uplink) of each NIC.
fn shape(n: &JailNet) -> Vec<(String, &'static str, String)> {
    n.nics
        .iter()
        .map(|x| (x.name.to_string(), x.mode.as_str(), x.uplink().map(|u| u.to_string()).unwrap_or_default()))
        .collect()
}

fn nic(name: &str, mode: &'static str, uplink: &str) -> (String, &'static str, String) {
    (name.to_string(), mode, uplink.to_string())
}

/// Stored sources with fixed answers that count how often they are read.
#[derive(Default)]
struct Fixed {
    cbsd: Option<Partial>,
    rcconf: Partial,
    reads: Vec<&'static str>,
}

impl Stored for Fixed {
    fn cbsd(&mut self, _: &JailName) -> Result<Option<Partial>> {
        self.reads.push("cbsd");
        Ok(self.cbsd.clone())
    }
    fn rcconf(&mut self, _: &JailName) -> Result<Partial> {
        self.reads.push("rcconf");
        Ok(self.rcconf.clone())
    }
}

#[test]
fn nothing_configured_is_one_eth0_on_the_default_route() {
    let mut s = Fixed::default();
    let (net, source) = resolve(&j(), &Partial::default(), &set(&[]), &mut s).unwrap();
    assert_eq!(source, Source::Default);
    assert_eq!(shape(&net), [nic("eth0", "epair", "auto")]);
    assert!(!net.nics[0].name_given && !net.force && net.userland.is_none());
    assert_eq!(s.reads, ["cbsd", "rcconf"]);
}

#[test]
fn the_command_line_wins_over_settings_and_cbsd_and_cbsd_is_not_read() {
    let mut s = Fixed { cbsd: Some(rows(&["em3", "em4"], "10.0.0.5/24", "10.0.0.1")), ..Fixed::default() };
    let settings = set(&[("interface", "em2"), ("ifname", "lan0"), ("mode", "netgraph"), ("userland", "linux")]);
    let c = cli(Keys { interface: Some("em1"), ..Keys::default() });
    let (net, source) = resolve(&j(), &c, &settings, &mut s).unwrap();
    assert_eq!(source, Source::CommandLine);
    assert_eq!(shape(&net), [nic("eth0", "epair", "em1")], "no stored name, mode or second NIC");
    assert!(net.nics[0].addrs.is_empty() && net.addressing == Addressing::default(), "no CBSD addressing");
    assert_eq!(net.userland, Some(Userland::Linux), "the stored userland still counts");
    assert_eq!(s.reads, Vec::<&str>::new(), "neither CBSD nor rc.conf is read");
}

#[test]
fn settings_override_cbsds_rows_position_by_position_but_not_their_number() {
    let settings = set(&[("interface", "em5 em6 em7"), ("ifname", "lan0")]);
    let mut s = Fixed { cbsd: Some(rows(&["auto", "em1"], "0", "0")), ..Fixed::default() };
    let (net, source) = resolve(&j(), &Partial::default(), &settings, &mut s).unwrap();
    assert_eq!(source, Source::Cbsd);
    assert_eq!(shape(&net), [nic("lan0", "epair", "em5"), nic("eth1", "epair", "em6")]);
    assert!(net.nics[0].name_given && !net.nics[1].name_given);
}

#[test]
fn cbsd_wins_over_the_default_and_settings_shape_the_default_without_it() {
    let mut s = Fixed { cbsd: Some(rows(&["em1"], "0", "0")), ..Fixed::default() };
    let (net, source) = resolve(&j(), &Partial::default(), &set(&[]), &mut s).unwrap();
    assert_eq!((source, shape(&net)), (Source::Cbsd, vec![nic("eth0", "epair", "em1")]));
    // Without CBSD: the settings' uplinks make the list; names beyond them are dropped.
    let settings = set(&[("interface", "em1 em2"), ("ifname", "a b c")]);
    let (net, source) = resolve(&j(), &Partial::default(), &settings, &mut Fixed::default()).unwrap();
    assert_eq!(source, Source::Settings);
    assert_eq!(shape(&net), [nic("a", "epair", "em1"), nic("b", "epair", "em2")]);
    // Only bridges: no epair NIC; only a name or a mode: one on the default route.
    let (net, source) = resolve(&j(), &Partial::default(), &set(&[("bridges", "em0")]), &mut Fixed::default()).unwrap();
    assert_eq!((source, shape(&net)), (Source::Settings, vec![nic("ng0_web1", "netgraph", "em0")]));
    let (net, _) =
        resolve(&j(), &Partial::default(), &set(&[("ifname", "a b"), ("vnets", "em2")]), &mut Fixed::default())
            .unwrap();
    assert_eq!(shape(&net), [nic("a", "epair", "auto"), nic("em2", "passthrough", "")]);
    let (net, source) = resolve(&j(), &Partial::default(), &set(&[("mode", "epair")]), &mut Fixed::default()).unwrap();
    assert_eq!((source, shape(&net)), (Source::Settings, vec![nic("eth0", "epair", "auto")]));
}

#[test]
fn stored_mode_turns_listed_nics_into_netgraph_keeping_uplinks_and_macs() {
    let mut cbsd = rows(&["em1", "em2"], "0", "0");
    let mac = Mac::parse("02:00:00:00:00:07").unwrap();
    cbsd.list.as_mut().unwrap()[1].mac = Some(mac);
    let settings = set(&[("mode", "netgraph"), ("bridges", "em3"), ("vnets", "em9")]);
    let mut s = Fixed { cbsd: Some(cbsd), ..Fixed::default() };
    let (net, _) = resolve(&j(), &Partial::default(), &settings, &mut s).unwrap();
    assert_eq!(
        shape(&net),
        [
            nic("ng0_web1", "netgraph", "em1"),
            nic("ng1_web1", "netgraph", "em2"),
            nic("ng2_web1", "netgraph", "em3"),
            nic("em9", "passthrough", "")
        ]
    );
    assert_eq!(net.nics.iter().map(|n| n.mac).collect::<Vec<_>>(), [None, Some(mac), None, None]);
    assert_eq!(net.nics.iter().map(|n| n.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
}

#[test]
fn one_command_line_key_overrides_only_itself() {
    let cbsd = rows(&["em1", "em2"], "10.0.0.5/24,eth1#10.1.0.5/16", "10.0.0.1");
    for (keys, want_gw, want_ruleset, first_v4) in [
        (Keys { ci_gw4: Some("10.0.0.254"), ..Keys::default() }, "10.0.0.254", None, true),
        (Keys { devfs_ruleset: Some("7"), ..Keys::default() }, "10.0.0.1", Some(7), true),
        (Keys { ip4_addr: Some("eth1#10.1.0.9/16"), ..Keys::default() }, "10.0.0.1", None, false),
    ] {
        let mut s = Fixed { cbsd: Some(cbsd.clone()), ..Fixed::default() };
        let (net, source) = resolve(&j(), &cli(keys), &set(&[]), &mut s).unwrap();
        assert_eq!(source, Source::Cbsd, "{keys:?}: the NICs stay CBSD's");
        assert_eq!(shape(&net), [nic("eth0", "epair", "em1"), nic("eth1", "epair", "em2")]);
        assert_eq!(net.addressing.gateway, parse_ci_gw4(want_gw).unwrap(), "{keys:?}");
        assert_eq!(net.addressing.devfs_ruleset, want_ruleset, "{keys:?}");
        assert_eq!(net.addressing.rcconf.as_deref(), Some(std::path::Path::new("/j/web1/etc/rc.conf")), "{keys:?}");
        assert_eq!(!net.nics[0].addrs.is_empty(), first_v4, "{keys:?}: ip4_addr= replaces every NIC's addresses");
        assert!(matches!(&net.nics[1].addrs.v4, V4::Static(a) if a.len() == 1), "{keys:?}");
    }
    // devfs_ruleset= (empty) says "vimage picks": it overrides a stored ruleset too.
    let mut stored = rows(&["em1"], "0", "0");
    stored.devfs_ruleset = Some(Some(9));
    let (net, _) = layer(
        &j(),
        &[(Source::CommandLine, &cli(Keys { devfs_ruleset: Some(""), ..Keys::default() })), (Source::Cbsd, &stored)],
    )
    .unwrap();
    assert_eq!(net.addressing.devfs_ruleset, None);
}

#[test]
fn a_stored_ip4_addr_that_names_no_nic_is_refused_with_its_source() {
    let cbsd = rows(&["em1"], "eth7#10.0.0.5/24", "0");
    let c = cli(Keys { ip4_addr: Some("10.0.0.6/24"), ..Keys::default() });
    let e = layer(&j(), &[(Source::CommandLine, &c), (Source::Cbsd, &cbsd)]).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(e.message.contains("names NIC eth7") && e.details == ["(from the rows)"], "{e}");
    // The command line's own mistake carries no such line.
    let c = cli(Keys { ip4_addr: Some("eth7#10.0.0.6/24"), ..Keys::default() });
    let e = layer(&j(), &[(Source::CommandLine, &c), (Source::Cbsd, &rows(&["em1"], "0", "0"))]).unwrap_err();
    assert!(e.message.contains("names NIC eth7") && e.details.is_empty(), "{e}");
}

#[test]
fn sources_below_the_one_that_lists_the_nics_say_nothing_but_the_userland() {
    let c = cli(Keys { vnets: Some("em2"), force: true, ..Keys::default() });
    let stored = Partial { userland: Some(Userland::Linux), ..rows(&["em1"], "10.0.0.5/24", "10.0.0.1") };
    let (net, source) = layer(&j(), &[(Source::CommandLine, &c), (Source::Cbsd, &stored)]).unwrap();
    assert_eq!(source, Source::CommandLine);
    assert_eq!(shape(&net), [nic("em2", "passthrough", "")]);
    assert_eq!(net.addressing, Addressing::default());
    assert_eq!((net.userland, net.force), (Some(Userland::Linux), true));
}

#[test]
fn the_stored_userland_wins_over_rcconf_which_is_read_only_without_it() {
    let rc = Partial { userland: Some(Userland::FreeBsd), ..Partial::default() };
    let mut s = Fixed { rcconf: rc.clone(), ..Fixed::default() };
    let (net, _) = resolve(&j(), &Partial::default(), &set(&[("userland", "linux")]), &mut s).unwrap();
    assert_eq!(net.userland, Some(Userland::Linux));
    assert_eq!(s.reads, ["cbsd"], "rc.conf is not read");
    let mut s = Fixed { rcconf: rc, ..Fixed::default() };
    let (net, source) = resolve(&j(), &Partial::default(), &set(&[]), &mut s).unwrap();
    assert_eq!((net.userland, source), (Some(Userland::FreeBsd), Source::Default), "rc.conf's userland lists no NIC");
    // Both given: the higher one.
    let linux = Partial { userland: Some(Userland::Linux), ..Partial::default() };
    let freebsd = Partial { userland: Some(Userland::FreeBsd), ..Partial::default() };
    let (net, _) = layer(&j(), &[(Source::Settings, &linux), (Source::RcConf, &freebsd)]).unwrap();
    assert_eq!(net.userland, Some(Userland::Linux));
}

#[test]
fn the_command_line_lists_nics_in_mode_order_with_one_default_name() {
    let c = cli(Keys { interface: Some("em0,em1"), ifname: Some("lan0"), bridges: Some("em0"), ..Keys::default() });
    let (net, _) = layer(&j(), &[(Source::CommandLine, &c)]).unwrap();
    assert_eq!(
        shape(&net),
        [nic("lan0", "epair", "em0"), nic("eth1", "epair", "em1"), nic("ng0_web1", "netgraph", "em0")]
    );
    assert!(net.nics[0].name_given && !net.nics[1].name_given);
    assert!(c.says_nics());
    assert!(!cli(Keys { ip4_addr: Some("REALDHCP"), ..Keys::default() }).says_nics());
}

#[test]
fn a_command_line_ip4_addr_naming_none_of_its_own_nics_is_refused_when_parsed() {
    let e = cli::partial(&j(), &Keys { interface: Some("em0"), ip4_addr: Some("eth3#10.0.0.5"), ..Keys::default() })
        .unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(e.message.contains("names NIC eth3"), "{e}");
    // Without NIC keys the NICs are not known yet: the resolver checks it.
    assert!(cli::partial(&j(), &Keys { ip4_addr: Some("eth3#10.0.0.5"), ..Keys::default() }).is_ok());
}

#[test]
fn vlan_keys_layer_key_by_key_over_cbsd_rows_and_do_not_list_nics() {
    use crate::model::vlan::NicVlan;
    // CBSD 15.x rows: eth0 untagged 10, eth1 nothing.
    let mut rows = rows(&["em0", "em1"], "0", "0");
    if let Some(l) = rows.list.as_mut() {
        l[0].vlan = VlanPartial { vlan: None, untagged: Some(Some(10)), tagged: Some(vec![]) };
    }
    // The command line's vlan_tagged= (one list: every NIC) adds to them; it lists no NICs.
    let c = cli(Keys { vlan_tagged: Some("20,30-31"), ..Keys::default() });
    assert!(c.list.is_none(), "VLAN keys alone do not list NICs");
    let mut stored = Fixed { cbsd: Some(rows), ..Fixed::default() };
    let (net, source) = resolve(&j(), &c, &set(&[]), &mut stored).unwrap();
    assert_eq!(source, Source::Cbsd, "the NICs are still CBSD's");
    assert_eq!(net.nics[0].vlan, NicVlan { vlan: None, untagged: Some(10), tagged: vec![20, 30, 31] });
    assert_eq!(net.nics[1].vlan, NicVlan { vlan: None, untagged: None, tagged: vec![20, 30, 31] });
    // `vimage set` below the command line, per NIC; `0` says none for that NIC.
    let s = set(&[("vlan", "100 0")]);
    let c = cli(Keys { interface: Some("em0,em1"), ..Keys::default() });
    let (net, _) = resolve(&j(), &c, &s, &mut Fixed::default()).unwrap();
    assert!(net.nics.iter().all(|n| n.vlan.is_empty()), "the command line lists the NICs: set's keys are not read");
    let (net, _) = resolve(&j(), &Partial::default(), &s, &mut Fixed::default()).unwrap();
    assert_eq!((net.nics[0].vlan.vlan, net.nics[1].vlan.vlan), (Some(100), None));
    // Bad values are data errors naming the key.
    let e = cli::partial(&j(), &Keys { vlan: Some("4095"), ..Keys::default() }).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(e.to_string().contains("vlan=") && e.to_string().contains("4094"), "{e}");
}
