//! End to end: the `vimage` binary against `fbsd-sim` through `VIMAGE_CMD_DIR`, asserting the
//! simulated kernel's state after every command.

mod common;

use common::{World, code, stderr, stdout};

#[test]
fn bridge_status_bridge_unbridge_unbridge() {
    let w = World::demo();
    let before = w.kernel().snapshot();

    // bridge
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let jail_names = k.jail_ifnames("web1");
    assert!(jail_names.contains(&"eth0".to_string()), "{jail_names:?}");
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up, "jail end must be UP");
    assert_eq!(eth0.mtu, 1500);
    let mac = eth0.mac.clone().unwrap();
    let m = vimage::model::Mac::parse(&mac).unwrap();
    assert!(m.is_local() && !m.is_multicast(), "{mac}");
    let bridges: Vec<_> = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).collect();
    assert_eq!(bridges.len(), 1, "{:?}", k.host_ifnames());
    let br = k.host_iface(&bridges[0]).unwrap();
    assert!(br.up);
    assert!(br.groups.contains(&"vimage".to_string()), "{:?}", br.groups);
    assert_eq!(br.description.as_deref(), Some("vimage:em0"));
    assert_eq!(br.members.len(), 2, "{:?}", br.members);
    assert!(br.members.contains(&"em0".to_string()));
    let host_end = br.members.iter().find(|m| *m != "em0").unwrap().clone();
    let a = k.host_iface(&host_end).unwrap();
    assert!(a.up);
    assert_eq!(a.description.as_deref(), Some("vimage:web1:eth0"));
    assert_eq!(a.peer.as_deref(), Some("eth0"), "the host end's peer is the jail's eth0");
    assert!(!k.host_ifnames().iter().any(|n| n.starts_with("epair") && n.ends_with('b')), "no b-end left on the host");
    assert!(stdout(&o).contains("eth0 is up"), "{}", stdout(&o));

    // status, text and JSON
    let o = w.vimage(&["status"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains(&host_end) && stdout(&o).contains(&mac), "{}", stdout(&o));
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["jail"], "web1");
    assert_eq!(j["jails"][0]["nics"][0]["state"], "up");
    assert_eq!(j["jails"][0]["nics"][0]["host_if"], host_end.as_str());
    assert_eq!(j["jails"][0]["nics"][0]["mac"], mac.as_str());
    assert_eq!(j["jails"][0]["nics"][0]["bridge"], bridges[0].as_str());
    assert_eq!(j["orphans"].as_array().unwrap().len(), 0);
    let o = w.vimage(&["status", "--dot"]);
    assert!(stdout(&o).starts_with("digraph vimage {"), "{}", stdout(&o));

    // bridge again: nothing changes
    let snap = w.kernel().snapshot();
    w.take_log();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("already bridged"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), snap);
    assert!(w.take_log().iter().all(|l| !l.contains("create") && !l.contains("destroy")));

    // unbridge: back to exactly the state before
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
    assert!(!w.kernel().host_ifnames().iter().any(|n| n == "eth0"), "eth0 must never come back to the host");

    // unbridge again: nothing to do, exit 0
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("nothing to do"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn the_mac_survives_unbridge_and_bridge() {
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let mac1 = w.kernel().jail_iface("web1", "eth0").unwrap().mac;
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().mac, mac1);
}

#[test]
fn dry_run_prints_the_commands_and_changes_nothing() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "--dry-run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ifconfig bridge create description vimage:em0 group vimage addm em0 up"), "{out}");
    assert!(out.contains("name eth0 up"), "{out}");
    assert_eq!(w.kernel().snapshot(), before);
    assert!(!w.state_db().exists(), "a dry run writes nothing, not even vimage's database");
    let o = w.vimage(&["unbridge", "jname=web1", "--dry-run"]);
    assert_eq!(code(&o), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn second_jail_shares_the_bridge_and_the_bridge_goes_with_the_last() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    let before = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let o = w.vimage(&["bridge", "jname=web2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let k = w.kernel();
    let bridges: Vec<_> = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).collect();
    assert_eq!(bridges.len(), 1);
    assert_eq!(k.host_iface(&bridges[0]).unwrap().members.len(), 3);
    assert_ne!(k.jail_iface("web1", "eth0").unwrap().mac, k.jail_iface("web2", "eth0").unwrap().mac);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert!(w.kernel().host_iface(&bridges[0]).is_some(), "web2 still uses it");
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web2"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn a_bridge_vimage_did_not_create_is_reused_and_left_alone() {
    let w = World::demo();
    // What CBSD does: a bridge whose description is the uplink, with the uplink as member.
    w.edit(|k| {
        let mut s = vimage::sim::Sim::new(k.clone());
        let a: Vec<String> =
            ["bridge", "create", "description", "em0", "addm", "em0", "up"].iter().map(|x| x.to_string()).collect();
        assert_eq!(s.exec("ifconfig", &a).code, 0);
        *k = s.kernel;
    });
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("bridge0"), "{}", stdout(&o));
    assert_eq!(w.kernel().host_ifnames().iter().filter(|n| n.starts_with("bridge")).count(), 1);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().snapshot(), before, "CBSD's bridge stays, with em0 in it");
}

#[test]
fn refusals_change_nothing_and_use_the_documented_exit_codes() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("plain", "/usr/jails/jails/plain", false).unwrap();
    });
    let before = w.kernel().snapshot();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["bridge", "jname=nosuch"], 69, "not running"),
        (&["bridge", "jname=plain"], 69, "own network stack"),
        (&["bridge", "jname=web;reboot"], 65, "contains ';'"),
        (&["bridge", "jname=123"], 65, "all digits"),
        (&["bridge", "jname=web1", "ifname=averyveryverylongname"], 65, "at most 15"),
        (&["bridge", "jname=web1", "interface=em9"], 69, "uplink em9 does not exist"),
        (&["bridge", "jname=web1", "mac=01:00:5e:00:00:01"], 65, "multicast"),
        (&["bridge", "jnmae=web1"], 64, "did you mean 'jname'"),
        (&["bridge"], 64, "jname= is required"),
        (&["brigde", "jname=web1"], 64, "did you mean 'bridge'"),
    ];
    for (args, want, text) in cases {
        let o = w.vimage(args);
        assert_eq!(code(&o), *want, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(text), "{args:?}: {}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "{args:?} changed the kernel");
    }
    let o = w.vimage(&["bridge", "jname=nosuch"]);
    assert!(stderr(&o).contains("jail nosuch"), "the error names the jail: {}", stderr(&o));
}

#[test]
fn no_vimage_in_the_kernel_is_69() {
    let w = World::demo();
    w.edit(|k| k.set_vimage(false));
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    assert!(stderr(&o).contains("VIMAGE"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
    let o = w.vimage(&["doctor"]);
    assert_eq!(code(&o), 69);
    assert!(stdout(&o).contains("MISSING") && stdout(&o).contains("options VIMAGE"), "{}", stdout(&o));
}

#[test]
fn doctor_reports_and_fix_loads_missing_modules() {
    let w = World::demo();
    w.edit(|k| {
        k.unload_module("ng_ether");
        k.unload_module("if_bridge");
    });
    let o = w.vimage(&["doctor", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let st = |n: &str| j["checks"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["status"].clone();
    assert_eq!(st("ng_ether"), "missing");
    assert_eq!(st("if_bridge"), "warn");
    assert_eq!(st("VIMAGE"), "ok");
    let o = w.vimage(&["doctor", "fix=1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("ran: kldload -n ng_ether"), "{}", stdout(&o));
    let o = w.vimage(&["doctor", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] != "ip forwarding")
            .all(|c| c["status"] == "ok" || c["status"] == "info"),
        "{j}"
    );
}

#[test]
fn help_desc_and_args_answer_for_every_command() {
    let w = World::demo();
    for v in ["bridge", "unbridge", "status", "doctor", "demo"] {
        let o = w.vimage(&[v, "--help"]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).contains("usage: vimage"), "{v}");
        let o = w.vimage(&[v, "--desc"]);
        assert_eq!(code(&o), 0);
        assert_eq!(stdout(&o).lines().count(), 1, "{v}");
        assert!(stdout(&o).starts_with("[vimage] "));
    }
    let o = w.vimage(&["--help"]);
    assert!(stdout(&o).contains("unbridge"));
}

#[test]
fn callable_as_vimage_dash_verb() {
    let w = World::demo();
    let link = w.path().join("vimage-bridge");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vimage"), &link).unwrap();
    let o = std::process::Command::new(&link)
        .arg("jname=web1")
        .env("VIMAGE_CMD_DIR", &w.cmd_dir)
        .env("FBSD_SIM_STATE", &w.state)
        .env("VIMAGE_ROOT", &w.root)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(w.kernel().jail_iface("web1", "eth0").is_some());
}

#[test]
fn a_jail_restarted_without_unbridge_gets_a_fresh_epair_and_nothing_leaks() {
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let mac = w.kernel().jail_iface("web1", "eth0").unwrap().mac;
    // The jail stops without vimage being told: its eth0 goes back to the host, named eth0.
    w.edit(|k| {
        k.remove_jail("web1").unwrap();
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    assert!(w.kernel().host_ifnames().contains(&"eth0".to_string()));
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    assert!(
        !k.host_ifnames().contains(&"eth0".to_string()),
        "the stale epair (both ends) is gone: {:?}",
        k.host_ifnames()
    );
    assert_eq!(k.jail_iface("web1", "eth0").unwrap().mac, mac, "same MAC as before the restart");
    let epairs = k.host_ifnames().iter().filter(|n| n.starts_with("epair")).count();
    assert_eq!(epairs, 1, "{:?}", k.host_ifnames());
}

/// Runs FreeBSD commands against the simulated kernel `k` (test setup the admin's way).
fn admin(k: &mut vimage::sim::Kernel, cmds: &[&str]) {
    let mut s = vimage::sim::Sim::new(k.clone());
    for c in cmds {
        let mut w = c.split_whitespace();
        let prog = w.next().unwrap();
        let args: Vec<String> = w.map(str::to_string).collect();
        let o = s.exec(prog, &args);
        assert_eq!(o.code, 0, "{c}: {}", o.stderr);
    }
    *k = s.kernel;
}

#[test]
fn vimages_own_bridge_named_as_uplink_is_joined_and_em0_keeps_working() {
    // Issue 12, item 2: `interface=bridge0` (vimage's bridge for em0) used to be recorded as
    // bridge0's own uplink; from then on every jail on em0 failed with BRDGADD em0: Device busy.
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web3", "/j/web3", true).unwrap();
        k.create_jail("web4", "/j/web4", true).unwrap();
    });
    let before = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let o = w.vimage(&["bridge", "jname=web3", "interface=bridge0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = w.vimage(&["bridge", "jname=web4", "interface=em0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    let bridges: Vec<String> = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).collect();
    assert_eq!(bridges, ["bridge0"], "one bridge for em0, never a bridge in a bridge");
    let br = k.host_iface("bridge0").unwrap();
    assert_eq!(br.members.len(), 4, "em0 and three host ends: {:?}", br.members);
    assert!(br.members.contains(&"em0".to_string()));
    assert!(br.members.iter().all(|m| !m.starts_with("bridge")), "{:?}", br.members);
    for j in ["web1", "web3", "web4"] {
        assert!(k.jail_iface(j, "eth0").is_some_and(|i| i.up), "{j}");
    }
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for jail in j["jails"].as_array().unwrap() {
        assert_eq!(jail["nics"][0]["uplink"], "em0", "{jail}");
        assert_eq!(jail["nics"][0]["bridge"], "bridge0", "{jail}");
    }
    // Running it again changes nothing; the bridge goes with its last jail, whichever it is.
    let snap = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web3", "interface=bridge0"])), 0);
    assert_eq!(w.kernel().snapshot(), snap);
    for j in ["web1", "web3"] {
        assert_eq!(code(&w.vimage(&["unbridge", &format!("jname={j}")])), 0);
        assert!(w.kernel().host_iface("bridge0").is_some(), "web4 still uses bridge0");
    }
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web4"])), 0);
    assert_eq!(w.kernel().snapshot(), before);
}

/// The common setup of issue 12, item 3: em0 is a member of the admin's bridge0, which holds
/// the host's address and the default route.
fn host_address_on_bridge0() -> World {
    let mut k = vimage::sim::Kernel::demo();
    admin(
        &mut k,
        &[
            "ifconfig bridge create",
            "ifconfig bridge0 addm em0 up",
            "ifconfig em0 inet 192.168.1.10 -alias",
            "ifconfig bridge0 inet 192.168.1.10/24",
            "route add default 192.168.1.1",
        ],
    );
    k.create_jail("web2", "/j/web2", true).unwrap();
    World::new(k)
}

#[test]
fn with_the_hosts_address_on_bridge0_auto_joins_bridge0_and_leaves_it_alone() {
    let w = host_address_on_bridge0();
    let before = w.kernel().snapshot();
    let admins = w.kernel().host_iface("bridge0").unwrap();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // A second jail names em0, bridge0's member: it joins bridge0 too.
    let o = w.vimage(&["bridge", "jname=web2", "interface=em0"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    assert_eq!(k.host_ifnames().iter().filter(|n| n.starts_with("bridge")).count(), 1, "{:?}", k.host_ifnames());
    let br = k.host_iface("bridge0").unwrap();
    assert_eq!(br.members.len(), 3, "{:?}", br.members);
    assert_eq!(
        (br.description.clone(), br.groups.clone(), br.addrs.clone()),
        (admins.description, admins.groups, admins.addrs)
    );
    assert!(k.jail_iface("web1", "eth0").is_some_and(|i| i.up) && k.jail_iface("web2", "eth0").is_some());
    let o = w.vimage(&["status", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let web1 = j["jails"].as_array().unwrap().iter().find(|x| x["jail"] == "web1").unwrap();
    assert_eq!(web1["nics"][0]["bridge"], "bridge0", "{j}");
    assert_eq!(web1["nics"][0]["uplink"], "bridge0", "{j}");
    for jail in ["web1", "web2"] {
        let o = w.vimage(&["unbridge", &format!("jname={jail}")]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(!stdout(&o).contains("destroying vimage's bridge"), "{}", stdout(&o));
    }
    assert_eq!(w.kernel().snapshot(), before, "bridge0, its address, em0 and the route exactly as they were");
}

#[test]
fn after_bridge_the_jail_pings_its_router_and_its_neighbour_and_after_unbridge_it_cannot() {
    let w = World::demo();
    w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    w.jail_rc("/usr/jails/jails/web1", "");
    w.jail_rc("/usr/jails/jails/web2", "");
    assert!(!w.pings("web1", "192.168.1.1"), "no NIC yet");
    for (j, a) in [("web1", "192.168.1.50/24"), ("web2", "192.168.1.51/24")] {
        let o = w.vimage(&["bridge", &format!("jname={j}"), &format!("ip4_addr={a}"), "ci_gw4=192.168.1.1"]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    }
    assert!(w.pings("web1", "192.168.1.1"), "the LAN's router, through bridge0 and em0");
    assert!(w.pings("web1", "192.168.1.51"), "the other jail on the same uplink");
    assert!(w.pings("web2", "192.168.1.50"));
    assert!(w.pings("web1", "192.168.1.10"), "the host's own address on em0");
    assert!(w.pings("", "192.168.1.50"), "and the host reaches the jail");
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert!(!w.pings("web1", "192.168.1.1"), "unbridged: no way out");
    assert!(!w.pings("web2", "192.168.1.50"), "nor in");
    assert!(w.pings("web2", "192.168.1.1"), "web2 keeps its path");
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web2"])), 0);
    assert!(!w.pings("web2", "192.168.1.1"));
    assert!(w.pings("", "192.168.1.1"), "the host's own uplink works as before");
}
