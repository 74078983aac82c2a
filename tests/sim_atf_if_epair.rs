//! FreeBSD's epair(4) ATF case (tests/sys/net/if_epair_test.sh) against the simulator.

mod atf;

use atf::Atf;

#[test]
fn pcp() {
    // PR 270736: a PCP on one end (priority-tagged frames, VLAN 0) must not break the path.
    let mut t = Atf::new();
    let j = "if_epair_test_pcp";
    let e = t.mkepair();
    t.mkjail(&format!("{j}one"), &[&format!("{e}a")]);
    t.mkjail(&format!("{j}two"), &[&format!("{e}b")]);
    t.ok(&format!("jexec {j}one ifconfig {e}a 192.0.2.1/24 pcp 3 up"));
    t.ok(&format!("jexec {j}two ifconfig {e}b 192.0.2.2/24 up"));
    assert!(t.out(&format!("jexec {j}one ifconfig {e}a")).contains("\tpcp: 3\n"));
    t.status(0, &format!("jexec {j}one ping -c 1 -t 1 192.0.2.2"));
    t.status(0, &format!("jexec {j}one ping -C5 -c 1 -t 1 192.0.2.2"));
}
