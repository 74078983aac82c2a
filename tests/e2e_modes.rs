//! End to end for netgraph and passthrough NICs: the `vimage` binary against `fbsd-sim`
//! through `VIMAGE_CMD_DIR` (the real FreeBsdHost path, stdin batches included), asserting the
//! simulated kernel's state, netgraph included, after every command.

mod common;

use common::{World, code, stderr, stdout};
use vimage::sim::Kernel;

/// The demo host plus em1 (jumbo) and em2 (an unused NIC, up, no address) to pass through.
fn world() -> World {
    let mut k = Kernel::demo();
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 9000);
    k.add_ether("em2", "00:1b:21:aa:bb:ce", 1500);
    World::new(k)
}

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

#[test]
fn netgraph_bridge_status_bridge_unbridge_restores_everything() {
    let w = world();
    let before = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "bridges=em0 em0"]);
    ok(&o);
    let log = w.take_log();
    assert_eq!(log.iter().filter(|l| l.starts_with("ngctl -f -")).count(), 2, "a query and one batch: {log:#?}");
    let changes: Vec<&String> = log.iter().skip_while(|l| !l.starts_with("ngctl -f -")).skip(2).collect();
    assert_eq!(changes.len(), 4, "two commands per NIC after the batch: {log:#?}");

    let k = w.kernel();
    for (n, mtu) in [("ng0_web1", 1500), ("ng1_web1", 1500)] {
        let i = k.jail_iface("web1", n).unwrap_or_else(|| panic!("{n} in the jail: {:?}", k.jail_ifnames("web1")));
        assert!(i.up && i.mtu == mtu, "{n}: {i:?}");
        let m = vimage::model::Mac::parse(i.mac.as_deref().unwrap()).unwrap();
        assert!(m.is_local() && !m.is_multicast() && m.0 != [0; 6], "{n}: {m}");
    }
    let br = k.ng_host_node("vimage_em0").expect("the bridge");
    let hooks: Vec<(&str, &str, &str)> =
        br.hooks.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    assert_eq!(
        hooks,
        [
            ("link0", "em0", "lower"),
            ("link1", "em0", "upper"),
            ("link2", "ng0_web1", "ether"),
            ("link3", "ng1_web1", "ether")
        ]
    );
    assert_eq!(k.ng_host_node("em0").unwrap().ether_flags, Some((true, false)), "promisc on, autosrc off");
    assert!(k.host_iface("em0").unwrap().up, "the uplink stays usable on the host");
    assert!(k.host_ifnames().iter().all(|n| !n.starts_with("ngeth")), "{:?}", k.host_ifnames());

    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let nics = j["jails"][0]["nics"].as_array().unwrap();
    assert_eq!(nics.len(), 2);
    assert_eq!((nics[0]["mode"].as_str(), nics[0]["state"].as_str()), (Some("netgraph"), Some("up")));
    assert_eq!((nics[0]["link"].as_u64(), nics[1]["link"].as_u64()), (Some(2), Some(3)));
    assert!(nics[0]["node_id"].as_str().unwrap().starts_with('['));
    assert_eq!(j["bridges"][0]["kind"], "netgraph");
    assert_eq!(j["orphans"].as_array().unwrap().len(), 0);
    let o = w.vimage(&["status", "--dot"]);
    assert!(stdout(&o).contains("ng_eiface"), "{}", stdout(&o));

    // Again: nothing changes, no batch runs.
    let snap = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "bridges=em0 em0"]);
    ok(&o);
    assert!(stdout(&o).contains("already bridged"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), snap);
    let log = w.take_log();
    assert!(
        log.iter().all(|l| !(l.starts_with("ngctl") || l.starts_with("ifconfig") && l.contains(" vnet "))),
        "{log:#?}"
    );

    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), before, "eifaces, bridge, hooks and ng_ether flags all as before");
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("nothing to do"), "{}", stdout(&o));
}

#[test]
fn a_second_jail_shares_the_netgraph_bridge_and_it_goes_with_the_last() {
    let w = world();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    w.take_log();
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let log = w.take_log();
    assert_eq!(log.iter().filter(|l| l.starts_with("ngctl")).count(), 1, "no query, no probing: {log:#?}");
    let k = w.kernel();
    assert_eq!(k.ng_host_bridge_links("vimage_em0"), Some((4, 4)), "links 0-3 used");
    assert_ne!(k.jail_iface("web1", "ng0_web1").unwrap().mac, k.jail_iface("web2", "ng0_web2").unwrap().mac);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().ng_host_bridge_links("vimage_em0"), Some((3, 2)), "web2 still uses it");
    // A third jail takes the link web1 left.
    w.edit(|k| {
        k.create_jail("web3", "/usr/jails/jails/web3", true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web3", "bridges=em0"]));
    let o = w.vimage(&["status", "jname=web3", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"][0]["link"], 2);
    ok(&w.vimage(&["unbridge", "jname=web3"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    w.edit(|k| {
        k.remove_jail("web3").unwrap();
    });
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn passthrough_moves_the_nic_and_gives_it_back() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "vnets=em2"]);
    ok(&o);
    let k = w.kernel();
    let em2 = k.jail_iface("web1", "em2").expect("em2 in the jail");
    assert!(em2.up);
    assert_eq!(em2.mac.as_deref(), Some("00:1b:21:aa:bb:ce"), "it keeps its MAC");
    assert!(k.host_iface("em2").is_none());
    let o = w.vimage(&["status"]);
    assert!(stdout(&o).contains("passthrough"), "{}", stdout(&o));
    ok(&w.vimage(&["bridge", "jname=web1", "vnets=em2"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before, "back on the host, up as it was");
}

#[test]
fn passthrough_refuses_the_default_route_interface_unless_forced() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "vnets=em0"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("default route") && stderr(&o).contains("force=1"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["bridge", "jname=web1", "vnets=em9"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    ok(&w.vimage(&["bridge", "jname=web1", "vnets=em0", "force=1"]));
    assert!(w.kernel().jail_iface("web1", "em0").is_some());
}

#[test]
fn a_mixed_jail_epair_netgraph_passthrough_round_trips() {
    let w = world();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0 em1", "vnets=em2", "--dry-run"]);
    ok(&o);
    assert!(stdout(&o).contains("ngctl -f - <<'EOF'") && stdout(&o).contains("ifconfig em2 vnet 1"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), before);
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0 em1", "vnets=em2"]));
    let names = w.kernel().jail_ifnames("web1");
    assert_eq!(names, ["em2", "eth0", "lo0", "ng0_web1", "ng1_web1"], "{names:?}");
    assert_eq!(w.kernel().jail_iface("web1", "ng1_web1").unwrap().mtu, 9000, "em1's MTU");
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let modes: Vec<&str> =
        j["jails"][0]["nics"].as_array().unwrap().iter().map(|n| n["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["epair", "netgraph", "netgraph", "passthrough"]);
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0 em1", "vnets=em2"]));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_long_jail_name_is_shortened_and_status_shows_the_mapping() {
    let w = world();
    w.edit(|k| {
        k.create_jail("webfrontend-prod", "/j/wp", true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=webfrontend-prod", "bridges=em0"]));
    let short = vimage::model::ng_ifname(&vimage::model::JailName::parse("webfrontend-prod").unwrap(), 0, 0);
    assert!(w.kernel().jail_iface("webfrontend-prod", short.as_str()).is_some());
    let o = w.vimage(&["status"]);
    assert!(stdout(&o).contains(&format!("{short} = ng0_webfrontend-prod")), "{}", stdout(&o));
}

#[test]
fn netgraph_loads_ng_ether_when_it_is_missing_and_doctor_keeps_reporting_it() {
    // Issue 12, item 17: as jng does, `kldload -n ng_ether` when the uplink has no node
    // because the module is not loaded: a journalled step of its own, said in the output, not
    // undone; a failing load is the only refusal.
    let w = world();
    w.edit(|k| k.unload_module("ng_ether"));
    let before = w.kernel().snapshot();
    let ng_ether = |w: &World| {
        let o = w.vimage(&["doctor", "--json"]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let c = j["checks"].as_array().unwrap().iter().find(|c| c["name"] == "ng_ether").unwrap().clone();
        (c["status"].as_str().unwrap().to_string(), c["needed_by"].as_str().unwrap().to_string())
    };
    assert_eq!(ng_ether(&w), ("missing".to_string(), "netgraph".to_string()));

    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph", "--dry-run"]);
    ok(&o);
    let plan = stdout(&o);
    let load = plan.find("kldload -n ng_ether").unwrap_or_else(|| panic!("{plan}"));
    assert!(load < plan.find("ngctl -f -").unwrap(), "{plan}");
    assert_eq!(w.kernel().snapshot(), before);

    // The load fails (ENOEXEC): refused, nothing changed.
    w.edit(|k| k.fail_at(1, vimage::sim::Errno::ENOEXEC));
    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph"]);
    assert_eq!(code(&o), 71, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("kldload -n ng_ether") && stderr(&o).contains("dmesg"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);

    // It loads: the bridge goes on with the node the load made.
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1", "mode=netgraph"]);
    ok(&o);
    assert!(stdout(&o).contains("loading ng_ether"), "{}", stdout(&o));
    let log = w.take_log();
    let kld = log.iter().position(|l| l == "kldload -n ng_ether").unwrap_or_else(|| panic!("{log:#?}"));
    let batch = log.iter().rposition(|l| l.starts_with("ngctl -f -")).unwrap();
    assert!(kld < batch, "{log:#?}");
    let k = w.kernel();
    assert!(k.loaded_modules().contains(&"ng_ether".to_string()));
    assert!(k.jail_iface("web1", "ng0_web1").is_some_and(|i| i.up));
    assert_eq!(ng_ether(&w).0, "ok", "doctor still reports ng_ether, loaded now");

    // unbridge takes everything back but the module, which stays loaded.
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    let mut expect = vimage::sim::Sim::load(&w.state).unwrap().kernel;
    expect.unload_module("ng_ether");
    assert_eq!(expect.snapshot(), before, "only ng_ether (and its nodes) differ from the start");
    let em0 = w.kernel().ng_host_node("em0").expect("em0's ng_ether node");
    // A fresh node's flags (14.x ng_ether_attach: M_ZERO), as the simulated load makes them.
    let mut fresh = vimage::sim::Kernel::demo();
    fresh.unload_module("ng_ether");
    fresh.load_module("ng_ether");
    assert_eq!(fresh.ng_host_node("em0").unwrap().ether_flags, Some((false, false)));
    assert_eq!(em0.ether_flags, Some((false, false)), "promisc 0, autosrc 0 as a fresh node has");
}

#[test]
fn a_jail_restarted_without_unbridge_gets_a_fresh_eiface_and_nothing_leaks() {
    let w = world();
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    let mac = w.kernel().jail_iface("web1", "ng0_web1").unwrap().mac;
    w.edit(|k| {
        k.remove_jail("web1").unwrap();
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    assert!(w.kernel().host_iface("ng0_web1").is_some(), "the eiface came back to the host");
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    let k = w.kernel();
    assert!(k.host_iface("ng0_web1").is_none(), "the stale node (and its ifnet) is gone");
    assert_eq!(k.jail_iface("web1", "ng0_web1").unwrap().mac, mac, "same MAC");
    assert_eq!(k.ng_host_bridge_links("vimage_em0"), Some((3, 2)), "link2 freed, link3 taken");
}

#[test]
fn a_bridge_whose_netgraph_bridge_vanished_is_replanned() {
    let w = world();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    // Someone removes the bridge (and with it web1's link) behind vimage's back.
    w.edit(|k| {
        let mut s = vimage::sim::Sim::new(k.clone());
        let a: Vec<String> = ["shutdown", "vimage_em0:"].iter().map(|x| x.to_string()).collect();
        assert_eq!(s.exec("ngctl", &a).code, 0);
        *k = s.kernel;
    });
    let o = w.vimage(&["bridge", "jname=web2", "mode=netgraph"]);
    ok(&o);
    assert!(w.kernel().ng_host_node("vimage_em0").is_some(), "made again");
    assert!(w.kernel().jail_iface("web2", "ng0_web2").is_some());
}

#[test]
fn stored_settings_mode_bridges_vnets_drive_a_plain_bridge() {
    // `vimage set` keeps the NIC layout; a later bare `vimage bridge jname=web1` (what CBSD's
    // exec_poststart runs) must build exactly that, and unbridge must give everything back.
    let w = world();
    let before = w.kernel().snapshot();
    let sorted = |w: &World| {
        let mut n = w.kernel().jail_ifnames("web1");
        n.sort();
        n
    };

    // mode=netgraph alone turns the default NIC (default-route uplink em0) into ng0_web1.
    ok(&w.vimage(&["set", "jname=web1", "mode=netgraph"]));
    assert_eq!(w.kernel().snapshot(), before, "set changes no kernel state");
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert_eq!(sorted(&w), ["lo0", "ng0_web1"]);
    let k = w.kernel();
    assert!(k.ng_host_node("vimage_em0").is_some(), "ng_bridge on em0");
    assert!(!k.host_ifnames().iter().any(|n| n.starts_with("epair")), "no epair in netgraph mode");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);

    // bridges= and vnets= name the jail's NICs themselves: ng0_web1 on em1, em2 passed through.
    ok(&w.vimage(&["set", "jname=web1", "bridges=em1", "vnets=em2"]));
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert_eq!(sorted(&w), ["em2", "lo0", "ng0_web1"]);
    let k = w.kernel();
    assert_eq!(k.jail_iface("web1", "ng0_web1").unwrap().mtu, 9000, "takes em1's MTU");
    assert!(k.ng_host_node("vimage_em1").is_some() && k.ng_host_node("vimage_em0").is_none());
    assert!(!k.host_ifnames().contains(&"em2".to_string()), "em2 left the host");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before, "em2 is back, the ng_bridge gone");

    // Clearing the settings brings back the default: one epair NIC, eth0.
    ok(&w.vimage(&["set", "jname=web1", "mode=epair", "bridges=", "vnets="]));
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert_eq!(sorted(&w), ["eth0", "lo0"]);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn gc_between_bridge_and_unbridge_keeps_netgraph_and_passthrough_records() {
    // Found by tools/campaign: gc judged every record by the host's interface list, where a
    // netgraph or passed-through NIC never appears, forgot them, and unbridge then had
    // nothing to remove: the eifaces and the ng_bridge leaked.
    let w = world();
    let before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0 em1", "vnets=em2"]));
    let bridged = w.kernel().snapshot();
    let o = w.vimage(&["gc"]);
    ok(&o);
    assert_eq!(stdout(&o), "gc: nothing to collect\n");
    assert_eq!(w.kernel().snapshot(), bridged, "gc changes nothing on a healthy host");
    let o = w.vimage(&["status", "jname=web1", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<&str> =
        j["jails"][0]["nics"].as_array().unwrap().iter().map(|n| n["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["up", "up", "up", "up"]);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert_eq!(w.kernel().snapshot(), before, "everything removed after a gc in between");
}

#[test]
fn gc_removes_the_eifaces_and_ng_bridges_of_a_jail_removed_without_unbridge() {
    let w = world();
    let mut before = w.kernel().snapshot();
    ok(&w.vimage(&["bridge", "jname=web1", "bridges=em0 em1"]));
    w.edit(|k| {
        k.remove_jail("web1").unwrap();
    });
    assert!(w.kernel().host_iface("ng0_web1").is_some(), "the eiface came back to the host");
    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let orphans: Vec<(&str, bool)> = j["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["object"].as_str().unwrap(), o["removable"].as_bool().unwrap()))
        .collect();
    assert_eq!(orphans, [("ng0_web1", true), ("ng1_web1", true)]);
    let dry = w.vimage(&["gc", "--dry-run"]);
    ok(&dry);
    assert!(stdout(&dry).contains("ngctl shutdown"), "{}", stdout(&dry));
    assert!(w.kernel().host_iface("ng0_web1").is_some(), "a dry run changes nothing");
    let o = w.vimage(&["gc"]);
    ok(&o);
    let k = w.kernel();
    assert!(k.host_iface("ng0_web1").is_none() && k.host_iface("ng1_web1").is_none(), "{}", stdout(&o));
    assert!(k.ng_host_node("vimage_em0").is_none() && k.ng_host_node("vimage_em1").is_none());
    // All that differs from the start is the jail itself: hooks and ng_ether flags restored.
    before.jails.clear();
    before.interfaces.retain(|i| i.vnet != "web1");
    before.sysctls.retain(|key, _| !key.starts_with("web1/"));
    before.devfs_mounts.retain(|m, _| !m.contains("web1"));
    before.netgraph.retain(|n| n.vnet != "web1");
    assert_eq!(k.snapshot(), before);
    let o = w.vimage(&["gc"]);
    assert_eq!(stdout(&o), "gc: nothing to collect\n", "a second gc is a no-op");
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), before, "nothing left for unbridge");
}

#[test]
fn gc_removes_the_stale_eiface_of_a_jail_restarted_without_unbridge() {
    let w = world();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    w.edit(|k| {
        k.remove_jail("web1").unwrap();
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    let o = w.vimage(&["gc"]);
    ok(&o);
    let k = w.kernel();
    assert!(k.host_iface("ng0_web1").is_none(), "the stale eiface is gone: {}", stdout(&o));
    assert!(k.jail_iface("web2", "ng0_web2").is_some_and(|i| i.up), "web2 keeps its NIC");
    assert_eq!(k.ng_host_bridge_links("vimage_em0"), Some((3, 2)), "link2 freed, web2 on link3");
    ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
    assert!(w.kernel().jail_iface("web1", "ng0_web1").is_some());
}

/// `getautosrc`/`getpromisc` of em0's ng_ether node, as an admin reads them.
fn ether_flag(w: &World, msg: &str) -> String {
    let o = w.sim("ngctl", &["msg", "em0:", msg]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o).lines().find_map(|l| l.strip_prefix("Args:\t")).unwrap_or_default().to_string()
}

#[test]
fn unbridge_gives_the_uplink_back_its_autosrc_and_promisc_whatever_they_were_ng_ether_c() {
    // ng_ether_attach leaves autoSrcAddr 0 (M_ZERO); an admin (or another tool before vimage)
    // may have set either flag. vimage records both, clears autosrc and sets promisc for the
    // bridge, and writes the recorded values back after the bridge's shutdown resets the node.
    for (promisc, autosrc) in [("0", "0"), ("0", "1"), ("1", "1"), ("1", "0")] {
        let w = world();
        for (m, v) in [("setpromisc", promisc), ("setautosrc", autosrc)] {
            assert_eq!(code(&w.sim("ngctl", &["msg", "em0:", m, v])), 0);
        }
        assert_eq!((ether_flag(&w, "getpromisc"), ether_flag(&w, "getautosrc")), (promisc.into(), autosrc.into()));
        let before = w.kernel().snapshot();
        ok(&w.vimage(&["bridge", "jname=web1", "mode=netgraph"]));
        assert_eq!((ether_flag(&w, "getpromisc"), ether_flag(&w, "getautosrc")), ("1".into(), "0".into()));
        ok(&w.vimage(&["unbridge", "jname=web1"]));
        assert_eq!(
            (ether_flag(&w, "getpromisc"), ether_flag(&w, "getautosrc")),
            (promisc.into(), autosrc.into()),
            "started as promisc {promisc}, autosrc {autosrc}"
        );
        assert_eq!(w.kernel().snapshot(), before, "promisc {promisc}, autosrc {autosrc}");
    }
}

#[test]
fn netgraph_jails_ping_the_router_and_each_other_until_unbridged_ng_bridge_ng_ether() {
    let w = world();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w.jail_rc("/usr/jails/jails/web1", "");
    w.jail_rc("/usr/jails/jails/web2", "");
    for (j, a) in [("web1", "192.168.1.50/24"), ("web2", "192.168.1.51/24")] {
        ok(&w.vimage(&[
            "bridge",
            &format!("jname={j}"),
            "mode=netgraph",
            &format!("ip4_addr={a}"),
            "ci_gw4=192.168.1.1",
        ]));
    }
    assert!(w.pings("web1", "192.168.1.1"), "ng_eiface → ng_bridge → em0's lower hook → the LAN");
    assert!(w.pings("web1", "192.168.1.51"), "the other jail on the same ng_bridge");
    assert!(w.pings("web2", "192.168.1.10"), "the host, through em0's upper hook");
    assert!(w.pings("", "192.168.1.51"), "the host reaches a jail");
    // What vimage set on em0's ng_ether node matters: with autosrc on, the router answers em0.
    let o = w.sim("ngctl", &["msg", "em0:", "setautosrc", "1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!w.pings("web1", "192.168.1.1"), "source MAC rewritten: the answer goes to the host");
    let o = w.sim("ngctl", &["msg", "em0:", "setautosrc", "0"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    assert!(!w.pings("web1", "192.168.1.1"), "unbridged: no way out");
    assert!(!w.pings("web2", "192.168.1.50"));
    assert!(w.pings("web2", "192.168.1.1"), "web2 keeps its path");
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert!(!w.pings("web2", "192.168.1.1"));
    assert!(w.pings("", "192.168.1.1"), "the host's uplink works as before the netgraph bridge");
}
