//! Table tests of the wizard's validation, defaults and rendering.

use super::*;
use crate::cbsd::Inventory;
use crate::shvars::ShFile;
use proptest::prelude::*;

fn answers(jname: &str) -> Answers {
    Answers { jname: Some(jname.into()), ..Answers::default() }
}

fn build(a: &Answers) -> Result<JailSpec, SpecError> {
    JailSpec::build(a, &Defaults::default())
}

#[test]
fn hostnames() {
    for ok in ["web1", "web1.my.domain", "a-b.c", "x1.example.org", &format!("{}.a", "a".repeat(63))] {
        assert!(validate::hostname(ok).is_ok(), "{ok}");
    }
    for bad in ["", "web 1", "-web", "web-", "a..b", ".a", "a.", "wéb", "a_b", "a;b", "$(id)", &"a".repeat(64)] {
        assert!(validate::hostname(bad).is_err(), "{bad:?}");
    }
    assert!(validate::hostname(&["a"; 128].join(".")).is_err(), "over 253 bytes");
}

#[test]
fn addresses_with_prefix() {
    for (s, want) in [
        ("10.0.0.5/24", "10.0.0.5/24"),
        (" 192.0.2.1/32 ", "192.0.2.1/32"),
        ("10.0.0.0/31", "10.0.0.0/31"),
        ("2001:db8::5/64", "2001:db8::5/64"),
        ("fe80::1/64", "fe80::1/64"),
    ] {
        assert_eq!(validate::cidr(s).unwrap().to_string(), want, "{s}");
    }
    for bad in [
        "10.0.0.5",
        "10.0.0.5/",
        "10.0.0.5/0",
        "10.0.0.5/33",
        "10.0.0.5/024",
        "10.0.0.5/+24",
        "10.0.0.0/24",
        "10.0.0.255/24",
        "010.0.0.5/24",
        "10.0.0/24",
        "0.0.0.0/8",
        "127.0.0.1/8",
        "224.0.0.1/4",
        "255.255.255.255/32",
        "2001:db8::5/129",
        "::/64",
        "::1/128",
        "ff02::1/64",
        "2001:db8::5%em0/64",
        "abc/24",
        "/",
    ] {
        assert!(validate::cidr(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn ip4_addr_and_routers() {
    assert_eq!(validate::ip4_addr("REALDHCP").unwrap(), Addressing::Dhcp);
    assert_eq!(validate::ip4_addr(" dhcp ").unwrap(), Addressing::Dhcp);
    let both = validate::ip4_addr("10.0.0.5/24,2001:db8::5/64").unwrap();
    assert_eq!(both.ip4_addr(), "10.0.0.5/24,2001:db8::5/64");
    assert_eq!(both.ci_gw4(), "0");
    for bad in ["", ",", "10.0.0.5/24,10.0.0.6/24", "2001:db8::5/64,2001:db8::6/64", "DHCPv6", "0"] {
        assert!(validate::ip4_addr(bad).is_err(), "{bad:?}");
    }
    let rs = validate::routers("10.0.0.1,2001:db8::1", &both).unwrap();
    assert_eq!(rs.len(), 2);
    assert!(validate::routers("0", &both).unwrap().is_empty());
    assert!(validate::routers("", &Addressing::Dhcp).unwrap().is_empty());
    let v4 = validate::ip4_addr("10.0.0.5/24").unwrap();
    for (gw, why) in [
        ("10.0.1.1", "not inside"),
        ("2001:db8::1", "no IPv6 address"),
        ("10.0.0.5", "own address"),
        ("10.0.0.1,10.0.0.2", "more than one"),
        ("10.0.0.1/24", "not an IPv4 or IPv6"),
        ("224.0.0.1", "multicast"),
    ] {
        let e = validate::routers(gw, &v4).unwrap_err();
        assert!(e.0.contains(why), "{gw}: {e}");
    }
    assert!(validate::routers("10.0.0.1", &Addressing::Dhcp).unwrap_err().0.contains("DHCP"));
}

#[test]
fn modes_uplinks_rulesets() {
    assert_eq!(validate::mode("EPAIR").unwrap(), Mode::Epair);
    assert_eq!(validate::mode("netgraph").unwrap(), Mode::Netgraph);
    assert!(validate::mode("vxlan").is_err());
    assert_eq!(validate::uplinks("em0 em0,em1").unwrap().len(), 3);
    assert_eq!(validate::uplinks("auto").unwrap(), vec![Uplink::Auto]);
    for bad in ["", " , ", "em0 e;m1", "abcdefghijklmnop", &["em0"; 9].join(" ")] {
        assert!(validate::uplinks(bad).is_err(), "{bad:?}");
    }
    assert!(validate::uplink("  ").is_err());
    assert_eq!(validate::devfs_ruleset("5").unwrap(), 5);
    assert_eq!(validate::devfs_ruleset(" 65535 ").unwrap(), 65535);
    for bad in ["0", "-1", "65536", "+5", "five", "", "5.0"] {
        assert!(validate::devfs_ruleset(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn build_takes_defaults_and_names_the_bad_key() {
    let s = build(&answers("web3")).unwrap();
    assert_eq!(s.host_hostname.as_str(), "web3.my.domain");
    assert_eq!((s.mode, s.uplinks.clone(), s.devfs_ruleset), (Mode::Epair, vec![Uplink::Auto], 5));
    assert_eq!(s.addressing, Addressing::Dhcp);
    assert_eq!(build(&Answers::default()).unwrap_err(), SpecError::Missing("jname"));
    type Edit<'a> = &'a dyn Fn(&mut Answers);
    let cases: [(Edit, &str); 9] = [
        (&|a| a.jname = Some("web.3".into()), "jname"),
        (&|a| a.host_hostname = Some("a b".into()), "host_hostname"),
        (&|a| a.mode = Some("bhyve".into()), "mode"),
        (&|a| a.interface = Some("em0;reboot".into()), "interface"),
        (&|a| a.bridges = Some("em0".into()), "bridges"),
        (&|a| a.ip4_addr = Some("10.0.0.5".into()), "ip4_addr"),
        (&|a| a.ci_gw4 = Some("10.0.0.1".into()), "ci_gw4"),
        (&|a| a.devfs_ruleset = Some("0".into()), "devfs_ruleset"),
        (
            &|a| {
                a.mode = Some("netgraph".into());
                a.interface = Some("em1".into());
                a.bridges = Some("em0 em1".into());
            },
            "interface",
        ),
    ];
    for (edit, key) in cases {
        let mut a = answers("web3");
        edit(&mut a);
        match build(&a) {
            Err(SpecError::Invalid(k, _)) => assert_eq!(k, key),
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn netgraph_uplinks_come_from_bridges_or_interface() {
    let mut a = answers("ng1");
    a.mode = Some("netgraph".into());
    a.bridges = Some("em0 em0".into());
    a.interface = Some("em0".into());
    let s = build(&a).unwrap();
    assert_eq!(s.uplinks.len(), 2);
    assert_eq!(set_args(&s).unwrap(), ["set", "jname=ng1", "enable=1", "mode=netgraph", "bridges=em0 em0"]);
    a.bridges = None;
    assert_eq!(build(&a).unwrap().uplinks.len(), 1);
    assert_eq!(set_args(&build(&answers("e1")).unwrap()).unwrap(), ["set", "jname=e1", "enable=1"]);
}

#[test]
fn defaults_from_the_inventory() {
    let inv = Inventory::parse(
        "nodename=\"node1\"\nhostname=\"node1.lan.example\"\nnics=\"em0,em1,bad nic\"\njail_interface=\"em1\"\n",
    );
    let d = Defaults::from_inventory(&inv);
    assert_eq!(d.domain, "lan.example", "nodename has no domain, hostname's is used");
    assert_eq!(d.nics, ["em0", "em1"]);
    assert_eq!(d.uplink, Uplink::parse("em1").unwrap());
    assert_eq!(d.uplink_choices(), (vec!["auto".into(), "em0".into(), "em1".into()], 2));
    let d = Defaults::from_inventory(&Inventory::parse("nodename=\"h.corp.example\"\njail_interface=\"vlan5\"\n"));
    assert_eq!(d.domain, "corp.example");
    assert_eq!(d.uplink_choices(), (vec!["auto".into(), "vlan5".into()], 1));
    let d = Defaults::from_inventory(&Inventory::parse("jail_interface=\"0\"\nnodename=\"x.-bad\"\n"));
    assert_eq!((d.domain.as_str(), d.uplink.clone()), ("my.domain", Uplink::Auto));
}

fn spec(mode: &str, ip: Option<&str>, gw: Option<&str>) -> JailSpec {
    let mut a = answers("web3");
    a.mode = Some(mode.into());
    a.ip4_addr = ip.map(Into::into);
    a.ci_gw4 = gw.map(Into::into);
    if mode == "netgraph" {
        a.bridges = Some("em0 em1".into());
    } else {
        a.interface = Some("em0".into());
    }
    a.devfs_ruleset = Some("7".into());
    build(&a).unwrap()
}

#[test]
fn every_template_renders_and_reads_back() {
    let cases = [
        ("epair", None, None, "epair-dhcp"),
        ("epair", Some("10.0.0.5/24,2001:db8::5/64"), Some("10.0.0.1,2001:db8::1"), "epair-static"),
        ("netgraph", None, None, "netgraph-dhcp"),
        ("netgraph", Some("2001:db8::5/64"), None, "netgraph-static"),
    ];
    let mut seen = Vec::new();
    for (mode, ip, gw, tpl) in cases {
        let s = spec(mode, ip, gw);
        assert_eq!(template_name(&s), tpl);
        seen.push(tpl);
        let text = render(&s).unwrap();
        assert!(!text.contains("%%"), "{tpl}: leftover placeholder");
        let f = ShFile::parse(&text);
        let get = |k: &str| f.get(k).unwrap_or_else(|| panic!("{tpl}: {k} missing"));
        assert_eq!(get("jname"), "web3");
        assert_eq!(get("host_hostname"), "web3.my.domain");
        assert_eq!(get("vnet"), "1");
        assert_eq!(get("jail_profile"), "vimage");
        assert_eq!(get("ip4_addr"), ip.unwrap_or("REALDHCP"));
        assert_eq!(get("ci_gw4"), gw.unwrap_or("0"));
        assert_eq!(get("interface"), "em0");
        assert_eq!(get("devfs_ruleset"), "7");
        assert_eq!(get("vimage_mode"), mode);
        assert_eq!(f.get("vimage_bridges").as_deref(), (mode == "netgraph").then_some("em0 em1"));
        for line in text.lines().filter(|l| l.contains('=') && !l.starts_with('#')) {
            assert!(!line.contains('#'), "{tpl}: `cbsd jset jconf=` would drop {line:?}");
        }
    }
    let names: Vec<&str> = render::TEMPLATES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, seen);
}

#[test]
fn render_refuses_what_would_break_the_jconf() {
    let tpl = "a=\"%%a%%\";\nb=\"%%b%%\";\n";
    assert!(render::render_template("t", tpl, &[("a", "x".into()), ("b", "y".into())]).is_ok());
    let e = render::render_template("t", tpl, &[("a", "x".into())]).unwrap_err();
    assert!(e.message.contains("%%b%%"), "{e}");
    for v in ["x\"y", "$(id)", "`id`", "a\nb", "a#b"] {
        let e = render::render_template("t", tpl, &[("a", v.into()), ("b", "y".into())]).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Internal, "{v:?}");
    }
}

proptest! {
    #[test]
    fn junk_never_panics(s in ".{0,80}", t in ".{0,40}") {
        let _ = (validate::hostname(&s), validate::cidr(&s), validate::router(&s), validate::mode(&s));
        let _ = (validate::uplinks(&s), validate::devfs_ruleset(&s));
        if let Ok(a) = validate::ip4_addr(&s) {
            let _ = validate::routers(&t, &a);
        }
        let a = Answers {
            jname: Some(s.clone()), host_hostname: Some(t.clone()), mode: Some(t.clone()), interface: Some(s.clone()),
            bridges: Some(t.clone()), ip4_addr: Some(s.clone()), ci_gw4: Some(t.clone()), devfs_ruleset: Some(s.clone()),
        };
        if let Ok(spec) = build(&a) {
            prop_assert!(render(&spec).is_ok());
        }
    }

    #[test]
    fn valid_specs_always_render(
        j in "[a-z][a-z0-9_-]{0,20}", ip in proptest::array::uniform4(1u8..=254), p in 8u8..=30, rs in 1u16..,
        ng in any::<bool>(),
    ) {
        let mut a = answers(&j);
        a.ip4_addr = Some(format!("{}.{}.{}.{}/{p}", ip[0], ip[1], ip[2], ip[3]));
        a.devfs_ruleset = Some(rs.to_string());
        a.mode = Some(if ng { "netgraph" } else { "epair" }.into());
        if let Ok(spec) = build(&a) {
            let text = render(&spec).unwrap();
            prop_assert_eq!(ShFile::parse(&text).get("jname"), Some(j));
        }
    }
}
