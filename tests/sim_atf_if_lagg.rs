//! FreeBSD's lagg(4) ATF cases (tests/sys/net/if_lagg_test.sh) against the simulator, with
//! epair(4) ends where the cases use tap(4) (not simulated). The stress cases (races between
//! concurrent ifconfig processes) and `witness` have nothing to check here.

mod atf;

use atf::Atf;

/// `get_tap` ×2 (epair ends here) and `get_lagg`, the lagg up with both ports and 192.0.2.2/24.
fn lagg_with_two_ports(t: &mut Atf) -> (String, String, String) {
    let a = format!("{}a", t.mkepair());
    let b = format!("{}a", t.mkepair());
    let lagg = t.ok("ifconfig lagg create").trim().to_string();
    t.ok(&format!("ifconfig {a} up"));
    t.ok(&format!("ifconfig {b} up"));
    t.ok(&format!("ifconfig {lagg} up laggport {a} laggport {b} 192.0.2.2/24"));
    (a, b, lagg)
}

#[test]
fn create() {
    let mut t = Atf::new();
    let (a, b, lagg) = lagg_with_two_ports(&mut t);
    let st = t.out(&format!("ifconfig {lagg}"));
    assert!(st.contains("inet 192.0.2.2"), "{st}");
    assert!(st.contains(&format!("laggport: {a}")), "{st}");
    assert!(st.contains(&format!("laggport: {b}")), "{st}");
    let mac = t.ether(&format!("ifconfig {lagg}"));
    for p in [&a, &b] {
        let o = t.out(&format!("ifconfig {p}"));
        assert!(o.contains(&format!("ether {mac}")), "{p}: {o}");
        assert!(!o.contains("inet6 fe80:"), "{p}: {o}");
    }
}

#[test]
fn set_ether() {
    let mut t = Atf::new();
    let (a, b, lagg) = lagg_with_two_ports(&mut t);
    t.ok(&format!("ifconfig {lagg} ether 00:11:22:33:44:55"));
    for i in [&lagg, &a, &b] {
        assert!(t.out(&format!("ifconfig {i}")).contains("ether 00:11:22:33:44:55"), "{i}");
    }
}

#[test]
fn updown_ports_keep_their_flags_if_lagg_c_lagg_setflags() {
    // The ATF case `updown` expects the ports to follow the lagg down and up. if_lagg.c's
    // SIOCSIFFLAGS hands only PROMISC and ALLMULTI to the ports (lagg_setflags over
    // lagg_pflags), so the simulator, written from that source, does not: documented in the
    // README's ATF table as not reproduced.
    let mut t = Atf::new();
    let (a, b, lagg) = lagg_with_two_ports(&mut t);
    t.ok(&format!("ifconfig {lagg} down"));
    assert!(!t.out(&format!("ifconfig {lagg}")).lines().next().unwrap().contains("<UP"));
    for p in [&a, &b] {
        assert!(t.out(&format!("ifconfig {p}")).lines().next().unwrap().contains("<UP"), "{p}");
    }
    t.ok(&format!("ifconfig {lagg} up"));
    assert!(t.out(&format!("ifconfig {lagg}")).lines().next().unwrap().contains("<UP"));
    for p in [&a, &b] {
        assert!(!t.out(&format!("ifconfig {p}")).contains("inet6 fe80:"), "{p}");
    }
}
