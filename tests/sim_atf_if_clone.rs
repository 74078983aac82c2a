//! FreeBSD's if_clone ATF cases (tests/sys/net/if_clone_test.sh) for the cloners the
//! simulator has (epair, lo, vlan): the create/destroy and up/destroy loops replayed one
//! step after the other. The races those cases provoke (two processes at once) cannot happen
//! in the simulator, whose commands are serialized; faith, gif, tap, tun and vmnet are not
//! simulated.

mod atf;

use atf::Atf;

/// `get_iface CLASS`: the first `CLASSn create` that works (n = 0…8); epair answers with its
/// `a` end.
fn get_iface(t: &mut Atf, class: &str) -> String {
    for n in 0..=8 {
        if t.run(&format!("ifconfig {class}{n} create")).code == 0 {
            return if class == "epair" { format!("{class}{n}a") } else { format!("{class}{n}") };
        }
    }
    panic!("could not create a {class} interface");
}

fn stress(class: &str) {
    let mut t = Atf::new();
    let iface = get_iface(&mut t, class);
    let unit = iface.trim_end_matches('a').to_string();
    let unit = if class == "epair" { unit } else { iface.clone() };
    for _ in 0..50 {
        t.status(0, &format!("ifconfig {iface} destroy"));
        assert!(!t.out("ifconfig -l").split_whitespace().any(|i| i == iface));
        t.status(1, &format!("ifconfig {iface} destroy"));
        t.status(0, &format!("ifconfig {unit} create"));
        t.status(1, &format!("ifconfig {unit} create"));
    }
}

fn up_stress(class: &str, ipv6: bool) {
    let mut t = Atf::new();
    let iface = get_iface(&mut t, class);
    let unit = if class == "epair" { iface.trim_end_matches('a').to_string() } else { iface.clone() };
    for _ in 0..50 {
        if !ipv6 {
            t.ok(&format!("ifconfig {iface} inet6 ifdisabled"));
        }
        t.ok(&format!("ifconfig {iface} up 192.0.2.2/24"));
        let st = t.out(&format!("ifconfig {iface}"));
        assert!(st.contains("inet 192.0.2.2 netmask 0xffffff00"), "{st}");
        t.ok(&format!("ifconfig {iface} destroy"));
        t.ok(&format!("ifconfig {unit} create"));
        assert!(!t.out(&format!("ifconfig {iface}")).contains("inet 192.0.2.2"), "a new interface");
    }
}

#[test]
fn epair_stress() {
    stress("epair");
}

#[test]
fn epair_up_stress() {
    up_stress("epair", false);
}

#[test]
fn epair_ipv6_up_stress() {
    up_stress("epair", true);
}

#[test]
fn lo_stress() {
    stress("lo");
}

#[test]
fn lo_up_stress() {
    up_stress("lo", false);
}

#[test]
fn lo_ipv6_up_stress() {
    up_stress("lo", true);
}

#[test]
fn vlan_stress() {
    stress("vlan");
}

#[test]
fn vlan_up_stress() {
    up_stress("vlan", false);
}

#[test]
fn vlan_ipv6_up_stress() {
    up_stress("vlan", true);
}
