//! Validated names and the desired network of one jail.
//!
//! Every value that reaches an argv or a file passes through one of these newtypes first, so
//! the planner never has to wonder whether a jail name holds a shell metacharacter or an
//! interface name fits in IFNAMSIZ.

//!
//! `names` (validated newtypes) is the ground; `addr` (CBSD's address syntax) builds on it;
//! `net` (`JailNet`) on both; `privnet` (private networks, `vimage net`) on `addr`. Everything is re-exported here, so users write `model::X`.

pub mod addr;
mod names;
mod net;
pub mod privnet;
pub mod vlan;

pub use names::*;
pub use net::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jail_names_follow_cbsd_and_jail8_rules() {
        for ok in ["web1", "a", "web-1", "x_y", "j@h", "100%", "a:b", "1web"] {
            assert!(JailName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-web", "web 1", "web;reboot", "web.1", "$(id)", "wéb", "123", "a/b", "a\nb"] {
            assert!(JailName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(JailName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn interface_names_are_limited_to_15_bytes_ifnamsiz() {
        assert!(IfName::parse("eth0").is_ok());
        assert!(IfName::parse("abcdefghijklmno").is_ok());
        let e = IfName::parse("abcdefghijklmnop").unwrap_err();
        assert!(e.0.contains("16 bytes"), "{e}");
        for bad in ["", "0eth", "eth 0", "eth:0", "ethé"] {
            assert!(IfName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macs_parse_print_and_classify() {
        let m = Mac::parse("02:AB:cd:0:1:ff").unwrap();
        assert_eq!(m.to_string(), "02:ab:cd:00:01:ff");
        assert!(m.is_local() && !m.is_multicast());
        assert!(Mac::parse("02:ab:cd:00:01").is_err());
        assert!(Mac::parse("02:ab:cd:00:01:fff").is_err());
        assert!(Mac::parse_assignable("01:00:5e:00:00:01").is_err());
        assert!(Mac::parse_assignable("00:00:00:00:00:00").is_err());
        assert_eq!(Mac::parse("58-9c-fc-00-00-01").unwrap().to_string(), "58:9c:fc:00:00:01");
    }

    #[test]
    fn netgraph_names_fit_ifnamsiz_and_shortened_ones_carry_a_hash() {
        let j = |s: &str| JailName::parse(s).unwrap();
        assert_eq!(ng_ifname(&j("web1"), 0, 0).as_str(), "ng0_web1");
        assert_eq!(ng_ifname(&j("abcdefghijk"), 0, 0).as_str(), "ng0_abcdefghijk", "exactly 15 bytes");
        let long = ng_ifname(&j("webfrontend-prod"), 0, 0);
        assert_eq!(long.as_str().len(), 15);
        assert!(long.as_str().starts_with("ng0_webfro_"), "{long}");
        let other = ng_ifname(&j("webfrontend-test"), 0, 0);
        assert_ne!(long, other, "same start, different hash");
        assert_eq!(ng_ifname(&j("webfrontend-prod"), 0, 0), long, "deterministic");
        let retry = ng_ifname(&j("webfrontend-prod"), 0, 1);
        assert!(retry.as_str().starts_with("ng0_webfro_") && retry != long);
        // Characters interfaces and node names do not take become `_`, and then a hash is due.
        let odd = ng_ifname(&j("a:b"), 0, 0);
        assert!(odd.as_str().starts_with("ng0_a_b_") && odd.as_str().len() == 12, "{odd}");
        assert_ne!(odd, ng_ifname(&j("a_b"), 0, 0));
        // A plain name that collides is hashed on the next attempt.
        assert!(ng_ifname(&j("web1"), 0, 1).as_str().starts_with("ng0_web1_"));
        assert_eq!(ng_ifname(&j("x"), 123, 3).as_str().len(), 12);
    }

    #[test]
    fn mixed_jailnets_number_nics_in_mode_order() {
        let mut n = JailNet::epairs(JailName::parse("web1").unwrap(), &[Uplink::Auto]);
        let em0 = Uplink::parse("em0").unwrap();
        n.add_netgraph(&[em0.clone(), em0]);
        n.add_passthrough(&[IfName::parse("em2").unwrap()]);
        let names: Vec<(&str, u32, &str)> =
            n.nics.iter().map(|x| (x.name.as_str(), x.index, x.mode.as_str())).collect();
        assert_eq!(
            names,
            [("eth0", 0, "epair"), ("ng0_web1", 1, "netgraph"), ("ng1_web1", 2, "netgraph"), ("em2", 3, "passthrough")]
        );
    }

    #[test]
    fn mode_kinds_spell_each_word_once_in_records_json_and_keys() {
        let words = ["epair", "netgraph", "passthrough"];
        for (k, w) in ModeKind::ALL.into_iter().zip(words) {
            assert_eq!((k.as_str(), k.to_string()), (w, w.to_string()));
            assert_eq!(ModeKind::parse(w).unwrap(), k, "a stored word reads back");
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{w}\""));
            assert_eq!(serde_json::from_str::<ModeKind>(&format!("\"{w}\"")).unwrap(), k);
        }
        for bad in ["", "ng", "Epair", "bhyve", "epair "] {
            assert!(ModeKind::parse(bad).unwrap_err().0.contains("mode"), "{bad:?}");
        }
        // `mode=`: epair or netgraph, `ng` for short; passthrough is `vnets=`, not a mode= word.
        assert_eq!(ModeKind::parse_key("epair"), Some(ModeKind::Epair));
        assert_eq!(ModeKind::parse_key("netgraph"), Some(ModeKind::Netgraph));
        assert_eq!(ModeKind::parse_key("ng"), Some(ModeKind::Netgraph));
        for bad in ["passthrough", "EPAIR", "bhyve", ""] {
            assert_eq!(ModeKind::parse_key(bad), None, "{bad:?}");
        }
        let em0 = Uplink::parse("em0").unwrap();
        assert_eq!(NicMode::Epair { uplink: em0.clone() }.kind(), ModeKind::Epair);
        assert_eq!(NicMode::Netgraph { uplink: em0 }.kind(), ModeKind::Netgraph);
        assert_eq!(NicMode::Passthrough { iface: IfName::parse("em2").unwrap() }.kind(), ModeKind::Passthrough);
    }

    #[test]
    fn userlands_parse_and_print_as_set_and_status_spell_them() {
        assert_eq!(Userland::parse("Linux").unwrap(), Userland::Linux);
        assert_eq!(Userland::parse("freebsd").unwrap().to_string(), "freebsd");
        assert!(Userland::parse("debian").unwrap_err().0.contains("freebsd or linux"));
        assert_eq!(serde_json::to_string(&Userland::FreeBsd).unwrap(), "\"freebsd\"");
    }

    #[test]
    fn uplink_auto_spellings() {
        assert_eq!(Uplink::parse("auto").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("0").unwrap(), Uplink::Auto);
        assert_eq!(Uplink::parse("em0").unwrap(), Uplink::Named(IfName::parse("em0").unwrap()));
    }
}
