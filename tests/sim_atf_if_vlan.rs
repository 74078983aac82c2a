//! FreeBSD's vlan(4) ATF cases (tests/sys/net/if_vlan.sh) against the simulator, one test per
//! case and named after it. `bpf_pcp` (frames captured with scapy) is not modelled.

mod atf;

use atf::Atf;

#[test]
fn basic() {
    let mut t = Atf::new();
    let e = t.mkepair();
    t.mkjail("alcatraz", &[&format!("{e}a")]);
    t.mkjail("singsing", &[&format!("{e}b")]);
    let v0 = t.out(&format!("jexec alcatraz ifconfig vlan create vlandev {e}a vlan 42")).trim().to_string();
    t.ok(&format!("jexec alcatraz ifconfig {e}a up"));
    t.ok(&format!("jexec alcatraz ifconfig {v0} 10.0.0.1/24 up"));
    let v1 = t.out(&format!("jexec singsing ifconfig vlan create vlandev {e}b vlan 42")).trim().to_string();
    t.ok(&format!("jexec singsing ifconfig {e}b up"));
    t.ok(&format!("jexec singsing ifconfig {v1} 10.0.0.2/24 up"));
    t.status(0, "jexec singsing ping -c 1 -t 1 10.0.0.1");
}

/// Two jails on one epair, each with the same stack of vlans (`(tag, proto)` outermost first)
/// and the last one addressed `net.1`/`net.2`; jail 2 pings jail 1.
fn stacked(t: &mut Atf, j: [&str; 2], layers: &[(u16, Option<&str>)], net: &str) {
    let e = t.mkepair();
    t.mkjail(j[0], &[&format!("{e}a")]);
    t.mkjail(j[1], &[&format!("{e}b")]);
    for (n, (jail, end)) in [(j[0], "a"), (j[1], "b")].into_iter().enumerate() {
        let mut dev = format!("{e}{end}");
        let mut made = Vec::new();
        for (tag, proto) in layers {
            let p = proto.map(|p| format!(" vlanproto {p}")).unwrap_or_default();
            let v = t.out(&format!("jexec {jail} ifconfig vlan create vlandev {dev} vlan {tag}{p}")).trim().to_string();
            made.push(v.clone());
            dev = v;
        }
        t.ok(&format!("jexec {jail} ifconfig {e}{end} up"));
        let last = made.pop().unwrap();
        for v in made {
            t.ok(&format!("jexec {jail} ifconfig {v} up"));
        }
        t.ok(&format!("jexec {jail} ifconfig {last} {net}.{}/24 up", n + 1));
    }
    t.status(0, &format!("jexec {} ping -c 1 -t 1 {net}.1", j[1]));
}

#[test]
fn qinq_simple() {
    let mut t = Atf::new();
    stacked(&mut t, ["jqinq0", "jqinq1"], &[(5, Some("802.1ad")), (42, Some("802.1q"))], "10.5.42");
}

#[test]
fn qinq_deep() {
    let mut t = Atf::new();
    stacked(
        &mut t,
        ["jqinq2", "jqinq3"],
        &[(5, Some("802.1ad")), (6, Some("802.1ad")), (42, Some("802.1q"))],
        "10.6.42",
    );
}

#[test]
fn qinq_legacy() {
    let mut t = Atf::new();
    stacked(&mut t, ["jqinq4", "jqinq5"], &[(5, None), (42, None)], "10.5.42");
}

#[test]
fn qinq_dot() {
    let mut t = Atf::new();
    let e = t.mkepair();
    t.mkjail("jqinq6", &[&format!("{e}a")]);
    t.mkjail("jqinq7", &[&format!("{e}b")]);
    t.ok(&format!("jexec jqinq6 ifconfig vlan5 create vlandev {e}a vlan 5 vlanproto 802.1ad"));
    t.ok("jexec jqinq6 ifconfig vlan5.42 create vlanproto 802.1q");
    t.ok(&format!("jexec jqinq6 ifconfig {e}a up"));
    t.ok("jexec jqinq6 ifconfig vlan5 up");
    t.ok("jexec jqinq6 ifconfig vlan5.42 10.5.42.1/24 up");
    let v5 =
        t.out(&format!("jexec jqinq7 ifconfig vlan create vlandev {e}b vlan 5 vlanproto 802.1ad")).trim().to_string();
    let v42 =
        t.out(&format!("jexec jqinq7 ifconfig vlan create vlandev {v5} vlan 42 vlanproto 802.1q")).trim().to_string();
    t.ok(&format!("jexec jqinq7 ifconfig {e}b up"));
    t.ok(&format!("jexec jqinq7 ifconfig {v5} up"));
    t.ok(&format!("jexec jqinq7 ifconfig {v42} 10.5.42.2/24 up"));
    t.status(0, "jexec jqinq7 ping -c 1 -t 1 10.5.42.1");
    // The dot name's parent and tag are what ifconfig shows.
    let st = t.out("jexec jqinq6 ifconfig vlan5.42");
    assert!(st.contains("vlan: 42 vlanproto: 802.1q vlanpcp: 0 parent interface: vlan5"), "{st}");
}
