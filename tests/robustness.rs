//! Never leak, never clobber, through the real binary: signals, kill -9, gc, the host lock,
//! concurrent runs, damaged state.

mod common;

use common::{World, code, stderr, stdout};
use std::process::{Child, Command};
use std::time::Duration;

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success();
    assert!(ok);
}

#[test]
fn sigterm_during_bridge_finishes_the_step_then_rolls_back() {
    for at in ["ifconfig epair create", "ifconfig bridge0 addm", "ifconfig epair0b"] {
        let w = World::demo();
        let before = w.kernel().snapshot();
        let child = w.spawn(&["bridge", "jname=web1"], 150);
        w.wait_for_log(at);
        signal(&child, "-TERM");
        let o = child.wait_with_output().unwrap();
        assert_eq!(code(&o), 75, "at {at}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains("interrupted by a signal"), "{}", stderr(&o));
        assert!(stderr(&o).contains("rolled back"), "{}", stderr(&o));
        assert_eq!(w.kernel().snapshot(), before, "at {at}");
        assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    }
}

#[test]
fn sigterm_during_unbridge_lets_the_teardown_finish() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let child = w.spawn(&["unbridge", "jname=web1"], 150);
    w.wait_for_log("ifconfig epair0a destroy");
    signal(&child, "-TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn kill_9_at_any_point_is_repaired_by_gc_or_the_next_bridge() {
    let points = [
        "ifconfig bridge create",
        "ifconfig epair create",
        "ifconfig bridge0 addm",
        "ifconfig epair0b mtu",
        "ifconfig -j 1 epair0b",
    ];
    for (i, at) in points.iter().enumerate() {
        for repair in ["gc", "bridge"] {
            let w = World::demo();
            let before = w.kernel().snapshot();
            let mut child = w.spawn(&["bridge", "jname=web1"], 100);
            w.wait_for_log(at);
            child.kill().unwrap();
            child.wait().unwrap();
            // Let the command in flight finish in fbsd-sim (it is its own process).
            std::thread::sleep(Duration::from_millis(250));
            let o = if repair == "gc" { w.vimage(&["gc"]) } else { w.vimage(&["bridge", "jname=web1"]) };
            assert_eq!(code(&o), 0, "{at}/{repair}: {}{}", stdout(&o), stderr(&o));
            if repair == "gc" {
                assert_eq!(w.kernel().snapshot(), before, "{at}: gc did not restore the host: {}", stdout(&o));
            } else {
                let k = w.kernel();
                assert!(k.jail_iface("web1", "eth0").is_some(), "{at}");
                assert_eq!(
                    k.host_ifnames().iter().filter(|n| n.starts_with("epair")).count(),
                    1,
                    "{at}: {:?}",
                    k.host_ifnames()
                );
                assert_eq!(k.host_ifnames().iter().filter(|n| n.starts_with("bridge")).count(), 1, "{at}");
                assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
                assert_eq!(w.kernel().snapshot(), before, "{at}: leak after repair by bridge + unbridge");
            }
            let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
            assert!(db.unfinished_runs().unwrap().is_empty(), "{at}/{repair}: journal still has an open run");
            let _ = i;
        }
    }
}

#[test]
fn gc_removes_what_a_jail_left_when_it_stopped_without_unbridge() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    w.edit(|k| k.remove_jail("web1").unwrap());
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["orphans"].as_array().unwrap().iter().any(|o| o["object"] == "epair0a"), "{j}");
    let o = w.vimage(&["gc", "--dry-run"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("ifconfig epair0a destroy"), "{}", stdout(&o));
    let o = w.vimage(&["gc"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The jail is gone; the host is as before bridge, and eth0 did not come back to it.
    let host = |s: &vimage::sim::Snapshot| -> Vec<vimage::sim::kernel::IfSnap> {
        s.interfaces.iter().filter(|i| i.vnet == "host").cloned().collect()
    };
    assert_eq!(host(&w.kernel().snapshot()), host(&before), "{}", stdout(&o));
    let o = w.vimage(&["gc"]);
    assert!(stdout(&o).contains("nothing to collect"), "{}", stdout(&o));
    let o = w.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["orphans"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(j["jails"].as_array().unwrap().len(), 0, "{j}");
}

#[test]
fn a_busy_host_lock_is_exit_75_naming_the_holder() {
    let w = World::demo();
    let lock = w.root.join("var/run/vimage.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let f = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&lock).unwrap();
    f.lock().unwrap();
    std::fs::write(&lock, "pid 4242 bridge web7").unwrap();
    let before = w.kernel().snapshot();
    let o = w.vimage_env(&["bridge", "jname=web1"], &[("VIMAGE_LOCK_TIMEOUT", "0.3")]);
    assert_eq!(code(&o), 75, "{}", stderr(&o));
    assert!(stderr(&o).contains("pid 4242 bridge web7"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
    drop(f);
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
}

#[test]
fn fifty_concurrent_bridges_get_no_colliding_units_names_or_macs() {
    let w = World::demo();
    let names: Vec<String> = (0..50).map(|i| format!("j{i}")).collect();
    w.edit(|k| {
        for n in &names {
            k.create_jail(n, &format!("/j/{n}"), true).unwrap();
        }
    });
    let kids: Vec<Child> = names.iter().map(|n| w.spawn(&["bridge", &format!("jname={n}")], 0)).collect();
    for (n, c) in names.iter().zip(kids) {
        let o = c.wait_with_output().unwrap();
        assert_eq!(code(&o), 0, "{n}: {}", stderr(&o));
    }
    let k = w.kernel();
    let mut macs = std::collections::BTreeSet::new();
    for n in &names {
        let e = k.jail_iface(n, "eth0").unwrap_or_else(|| panic!("{n} has no eth0"));
        assert!(e.up);
        assert!(macs.insert(e.mac.unwrap()), "duplicate MAC in {n}");
    }
    let bridges: Vec<String> = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).collect();
    assert_eq!(bridges.len(), 1, "one bridge for the one uplink: {bridges:?}");
    assert_eq!(k.host_iface(&bridges[0]).unwrap().members.len(), 51);
    let ends: Vec<String> = k.host_ifnames().into_iter().filter(|n| n.starts_with("epair")).collect();
    assert_eq!(ends.len(), 50);
}

#[test]
fn a_damaged_state_database_is_exit_65_and_changes_nothing() {
    let w = World::demo();
    std::fs::create_dir_all(w.state_db().parent().unwrap()).unwrap();
    std::fs::write(w.state_db(), b"this is not an SQLite database, just 64 bytes of junk..........").unwrap();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1"]);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("vimage.sqlite"), "the error names the file: {}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn admin_mistakes_are_refused_before_any_change() {
    // Issue 12 items 1-5 and 9 (common::mistakes, the list the campaign's row runs too).
    let failed: Vec<String> = common::mistakes::cases().iter().filter_map(|m| common::mistakes::run(m).err()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
