//! FreeBSD's netgraph ATF cases (tests/sys/netgraph/bridge.c, eiface_test.sh) against the
//! simulator, as far as they are about configuration: which hooks a node takes, what keeps a
//! node alive, what happens to an eiface's ifnet. The frame counting of bridge.c (frames sent
//! from the test's socket, MAC learning, `gettable`) is not modelled; basic.c, hub.c and
//! vlan_rotate.c need node types the simulator does not have (ng_hub, ng_vlan_rotate),
//! ksocket.c and socket.c socket semantics.

mod atf;

use atf::Atf;

/// `ngctl -f -` with `script`: its exit status and output.
fn batch(t: &mut Atf, script: &str) -> vimage::host::Output {
    t.sim.exec_with_input("ngctl", &["-f".into(), "-".into()], Some(script))
}

/// bridge.c's bridge named `bridge` with hooks `links`. The case keeps the other ends on its
/// own socket; an ngctl batch's socket goes when ngctl exits, so here each hook ends on an
/// ng_eiface's `ether` hook, which stays.
fn bridge_on(t: &mut Atf, links: &[&str]) {
    let mut s = format!("mkpeer . bridge h0 {}\nname h0 bridge\nmsg bridge: setpersistent\nrmhook . h0\n", links[0]);
    for l in links {
        s.push_str(&format!("mkpeer bridge: eiface {l} ether\n"));
    }
    let o = batch(t, &s);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn persistence() {
    let mut t = Atf::new();
    // Without setpersistent the bridge dies with its last hook …
    let o = batch(&mut t, "mkpeer . bridge a link0\nname a bridge\n");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(t.run("ngctl show bridge:").code, 71, "ng_bridge_disconnect shut it down");
    // … with it, it outlives the socket and goes only with shutdown.
    let o = batch(&mut t, "mkpeer . bridge a link0\nname a bridge\nmsg bridge: setpersistent\nrmhook . a\n");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(t.out("ngctl show bridge:").starts_with("  Name: bridge"));
    t.ok("ngctl shutdown bridge:");
    assert_eq!(t.run("ngctl show bridge:").code, 71);
}

#[test]
fn uplink_classic() {
    // The hooks the case connects: link0, uplink1, uplink2, link3.
    let mut t = Atf::new();
    bridge_on(&mut t, &["link0", "uplink1", "uplink2", "link3"]);
    let show = t.out("ngctl show bridge:");
    for h in ["link0", "uplink1", "uplink2", "link3"] {
        assert!(show.contains(h), "{h}: {show}");
    }
    // No uplink0, no leading zeros (ng_bridge_newhook).
    for bad in ["uplink0", "link03", "uplinkx"] {
        let o = batch(&mut t, &format!("mkpeer bridge: eiface {bad} ether\n"));
        assert_eq!(o.code, 71, "{bad}: {}", o.stderr);
    }
}

#[test]
fn uplink_private() {
    let mut t = Atf::new();
    bridge_on(&mut t, &["uplink1", "uplink2", "link0", "link3"]);
    assert!(t.out("ngctl show bridge:").contains("Num hooks: 4"));
    assert_eq!(t.sim.kernel.ng_host_bridge_links("bridge"), Some((4, 1)), "link0 used, link1 free");
}

#[test]
fn many_unicasts() {
    // The configuration half: a thousand link hooks on one bridge (bridge.c HOOKS).
    let mut t = Atf::new();
    let links: Vec<String> = (0..=1000).map(|i| format!("link{i}")).collect();
    let l: Vec<&str> = links.iter().map(String::as_str).collect();
    bridge_on(&mut t, &l);
    assert_eq!(t.sim.kernel.ng_host_bridge_links("bridge"), Some((1001, 1001)));
    // The case expects `gettable` to fail "response too large" (ENOBUFS); a listing of
    // 1001 hooks is past net.graph.recvspace too.
    let o = t.run("ngctl show bridge:");
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: send msg: No buffer space available\n"));
}

#[test]
fn pr292993() {
    // An eiface moved into a vnet jail and shut down from the host: its ifnet goes from the
    // jail, the jail can be removed (PR 292993 was a panic there).
    let mut t = Atf::new();
    for i in 1..=10 {
        let o = batch(&mut t, &format!("mkpeer . eiface path_{i} ether\nmsg .path_{i} getifname\n"));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let ngeth = o
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("Args:").map(|a| a.trim().trim_matches('"').to_string()))
            .unwrap();
        t.ok(&format!("ifconfig {ngeth}"));
        t.ok(&format!("jail -c vnet name=eiface_destroy_{i} path=/ persist vnet.interface={ngeth}"));
        assert!(t.out(&format!("jexec eiface_destroy_{i} ifconfig -l")).contains(&ngeth));
        t.ok(&format!("ngctl shutdown {ngeth}:"));
        assert!(!t.out(&format!("jexec eiface_destroy_{i} ifconfig -l")).contains(&ngeth));
        t.ok(&format!("jail -r eiface_destroy_{i}"));
        assert_eq!(t.run(&format!("ifconfig {ngeth}")).code, 1, "gone for good");
    }
}
