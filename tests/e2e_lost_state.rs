//! A lost, damaged or read-only state database (issue 12, items 7 and 8): the `vimage`
//! binary against `fbsd-sim`, asserting the simulated kernel's state.
//!
//! vimage's markers — epair host ends described `vimage:<jail>:<nic>` in group `vimage`,
//! bridges described `vimage:<uplink>`, netgraph nodes named `vimage_<uplink>` and
//! `ng<i>_<jail>` — are enough to rebuild the records of everything it made, MACs read back
//! from the interfaces (DESIGN §1 "Ownership").

mod common;

use common::{World, code, stderr, stdout};
use std::process::Output;
use std::time::Duration;
use vimage::sim::Kernel;

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// The demo host with a second vnet jail, web2.
fn world() -> World {
    let mut k = Kernel::demo();
    k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    World::new(k)
}

/// web1 on an epair, web2 on netgraph; returns their MACs (eth0, ng0_web2).
fn bridge_both(w: &World) -> (String, String) {
    ok(&w.vimage(&["bridge", "jname=web1"]));
    ok(&w.vimage(&["bridge", "jname=web2", "mode=netgraph"]));
    let k = w.kernel();
    (k.jail_iface("web1", "eth0").unwrap().mac.unwrap(), k.jail_iface("web2", "ng0_web2").unwrap().mac.unwrap())
}

/// Deletes the database and its WAL files, as `rm /var/db/vimage/vimage.sqlite*` would.
fn lose_db(w: &World) {
    for ext in ["", "-wal", "-shm"] {
        let p = format!("{}{ext}", w.state_db().display());
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("{p}: {e}"),
        }
    }
    assert!(!w.state_db().exists());
}

fn status(w: &World) -> serde_json::Value {
    let o = w.vimage(&["status", "--json"]);
    ok(&o);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The NIC `name` of `jail` in a status report.
fn nic<'a>(j: &'a serde_json::Value, jail: &str, name: &str) -> &'a serde_json::Value {
    let jails = j["jails"].as_array().unwrap();
    let jl = jails.iter().find(|x| x["jail"] == jail).unwrap_or_else(|| panic!("no jail {jail} in {j:#}"));
    jl["nics"].as_array().unwrap().iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("no {name} in {j:#}"))
}

/// Checks the report describes both jails as bridged, with the MACs they have.
fn shows_both(j: &serde_json::Value, macs: &(String, String)) {
    let e = nic(j, "web1", "eth0");
    assert_eq!((e["mode"].as_str(), e["state"].as_str()), (Some("epair"), Some("up")), "{j:#}");
    assert_eq!(e["mac"].as_str(), Some(macs.0.as_str()), "{j:#}");
    assert_eq!(
        (e["host_if"].as_str(), e["bridge"].as_str(), e["uplink"].as_str()),
        (Some("epair0a"), Some("bridge0"), Some("em0"))
    );
    assert_eq!(e["nic"], 0);
    let n = nic(j, "web2", "ng0_web2");
    assert_eq!((n["mode"].as_str(), n["state"].as_str()), (Some("netgraph"), Some("up")), "{j:#}");
    assert_eq!(n["mac"].as_str(), Some(macs.1.as_str()), "{j:#}");
    assert_eq!(
        (n["bridge"].as_str(), n["uplink"].as_str(), n["link"].as_u64()),
        (Some("vimage_em0"), Some("em0"), Some(2))
    );
    assert_eq!(n["nic"], 0);
    assert_eq!(j["orphans"].as_array().unwrap().len(), 0, "{j:#}");
    let bridges: Vec<&str> = j["bridges"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(bridges, ["bridge0", "vimage_em0"], "{j:#}");
}

#[test]
fn a_deleted_database_is_rebuilt_from_the_markers_and_every_verb_works() {
    let w = world();
    let before = w.kernel().snapshot();
    let macs = bridge_both(&w);
    let bridged = w.kernel().snapshot();
    lose_db(&w);

    // status, twice: a read-only verb rebuilds for its report and writes nothing.
    for _ in 0..2 {
        shows_both(&status(&w), &macs);
        assert!(!w.state_db().exists(), "status creates no database");
    }
    let o = w.vimage(&["status"]);
    assert!(stdout(&o).contains("rebuilt from the kernel"), "says where the records came from: {}", stdout(&o));
    // A dry run plans against the rebuilt records and says so, saving nothing.
    let o = w.vimage(&["unbridge", "jname=web1", "--dry-run"]);
    ok(&o);
    let text = stdout(&o);
    assert!(text.starts_with("# note: records rebuilt from the kernel"), "{text}");
    assert!(text.contains("--dry-run: the plan, ") && text.contains("none was run, nothing was changed"), "{text}");
    assert!(text.contains("ifconfig epair"), "the plan destroys the rebuilt epair: {text}");
    assert!(!w.state_db().exists() && w.kernel().snapshot() == bridged);

    // bridge again: recognised as in place, nothing changes.
    for args in [&["bridge", "jname=web1"][..], &["bridge", "jname=web2", "mode=netgraph"]] {
        let o = w.vimage(args);
        ok(&o);
        assert!(stdout(&o).contains("already bridged"), "{args:?}: {}", stdout(&o));
        assert_eq!(w.kernel().snapshot(), bridged, "{args:?}");
    }
    shows_both(&status(&w), &macs);
    // gc: nothing is an orphan.
    let o = w.vimage(&["gc"]);
    ok(&o);
    assert!(stdout(&o).contains("nothing to collect"), "{}", stdout(&o));
    assert_eq!(w.kernel().snapshot(), bridged);

    // unbridge each: the host is as it was before the first bridge.
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), before);
    // The next start keeps each jail's MAC.
    assert_eq!(bridge_both(&w), macs);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn unbridge_and_gc_work_straight_after_the_database_is_lost() {
    let w = world();
    let before = w.kernel().snapshot();
    let macs = bridge_both(&w);
    lose_db(&w);
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    let k = w.kernel();
    assert!(k.ng_host_node("vimage_em0").is_none(), "the ng_bridge went with its last jail");
    assert_eq!(
        k.ng_host_node("em0").unwrap().ether_flags,
        Some((false, false)),
        "a fresh node's flags back (14.x ng_ether_attach: promisc 0, autosrc 0), as em0 had them before"
    );
    assert!(k.jail_iface("web1", "eth0").is_some(), "web1 untouched");
    // web1's jail goes away without unbridge: gc removes what it left.
    lose_db(&w);
    w.edit(|k| k.remove_jail("web1").unwrap());
    ok(&w.vimage(&["gc"]));
    let host =
        |s: &vimage::sim::Snapshot| s.interfaces.iter().filter(|i| i.vnet == "host").cloned().collect::<Vec<_>>();
    assert_eq!(host(&w.kernel().snapshot()), host(&before));
    // The MACs read back were stored: web1 restarted gets its old one.
    w.edit(|k| {
        k.create_jail("web1", "/usr/jails/jails/web1", true).unwrap();
    });
    ok(&w.vimage(&["bridge", "jname=web1"]));
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().mac.unwrap(), macs.0);
}

#[test]
fn a_damaged_database_is_named_with_the_fix_and_moving_it_aside_rebuilds() {
    let w = world();
    let macs = bridge_both(&w);
    let bridged = w.kernel().snapshot();
    lose_db(&w);
    std::fs::write(w.state_db(), b"this is not an SQLite database, just 64 bytes of junk..........").unwrap();
    let db = w.state_db().display().to_string();
    for args in
        [&["status"][..], &["status", "--json"], &["bridge", "jname=web1"], &["unbridge", "jname=web1"], &["gc"]]
    {
        let o = w.vimage(args);
        assert_eq!(code(&o), 65, "{args:?}: {}{}", stdout(&o), stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(&db) && e.contains("damaged"), "{args:?}: names the file: {e}");
        assert!(e.contains(&format!("mv {db} {db}.damaged")), "{args:?}: gives the fix: {e}");
        assert_eq!(w.kernel().snapshot(), bridged, "{args:?} changed the kernel");
    }
    std::fs::rename(w.state_db(), format!("{db}.damaged")).unwrap();
    shows_both(&status(&w), &macs);
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(bridge_both(&w), macs, "the MACs read back were stored");
}

#[test]
fn kill_9_during_a_rebuild_leaves_nothing_half_recorded() {
    let w = world();
    let macs = bridge_both(&w);
    let bridged = w.kernel().snapshot();
    lose_db(&w);
    let _ = std::fs::remove_file(&w.log);
    let mut child = w.spawn(&["gc"], 150);
    w.wait_for_log("ifconfig -j");
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(w.kernel().snapshot(), bridged, "a rebuild only asks");
    shows_both(&status(&w), &macs);
    ok(&w.vimage(&["gc"]));
    assert_eq!(w.kernel().snapshot(), bridged);
    shows_both(&status(&w), &macs);
}

/// Reboots the world's machine ([`Kernel::reboot`]: nothing vimage made survives, a later
/// `kern.boottime`) and runs its rc: em0 configured, web1 and web2 running again.
fn reboot(w: &World) {
    w.edit(|k| {
        k.reboot();
        k.run_demo_rc();
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
}

#[test]
fn after_a_reboot_nothing_old_is_rebuilt_and_each_jail_keeps_its_mac() {
    let w = world();
    let macs = bridge_both(&w);
    reboot(&w);
    let before = w.kernel().snapshot();
    let j = status(&w);
    assert!(j["orphans"].as_array().unwrap().is_empty(), "{j:#}");
    assert!(
        j["jails"].as_array().unwrap().iter().all(|x| x["nics"].as_array().unwrap().iter().all(|n| n["state"] != "up")),
        "{j:#}"
    );
    assert_eq!(bridge_both(&w), macs, "stored MACs outlive the boot");
    ok(&w.vimage(&["unbridge", "jname=web1"]));
    ok(&w.vimage(&["unbridge", "jname=web2"]));
    assert_eq!(w.kernel().snapshot(), before);
}

/// Runs `vimage args` with `dir` read-only: as root (which permissions do not stop) under a
/// read-only bind mount in a private mount namespace, otherwise with mode 0555. `None` when
/// this machine allows neither (the test then says so and checks nothing more).
fn readonly_run(w: &World, dir: &std::path::Path, args: &[&str]) -> Option<Output> {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let mount = "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && shift && exec \"$@\"";
    if unsafe { libc::geteuid() } == 0 {
        let probe_script =
            "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && ! touch \"$1\"/.probe 2>/dev/null";
        let probe = Command::new("unshare").args(["-m", "sh", "-c", probe_script, "sh"]).arg(dir).output().ok()?;
        if !probe.status.success() {
            eprintln!("skipped: no read-only bind mount here: {}", String::from_utf8_lossy(&probe.stderr));
            return None;
        }
        let mut c = Command::new("unshare");
        c.args(["-m", "sh", "-c", mount, "sh"]).arg(dir).arg(common::vimage_bin()).args(args);
        return Some(w.with_world_env(c).output().unwrap());
    }
    let set = |m: u32| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(m)).unwrap();
    set(0o555);
    let o = w.vimage(args);
    set(0o755);
    Some(o)
}

#[test]
fn read_only_verbs_work_on_a_read_only_state_directory() {
    let w = world();
    let macs = bridge_both(&w);
    let bridged = w.kernel().snapshot();
    let dir = w.state_db().parent().unwrap().to_path_buf();
    let Some(o) = readonly_run(&w, &dir, &["status", "--json"]) else { return };
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    shows_both(&j, &macs);
    let notes = j["notes"].to_string();
    assert!(notes.contains("cannot be written"), "says what could not be recorded: {j:#}");
    let checks: &[(&[&str], &str)] = &[
        (&["status"], "cannot be written"),
        (&["bridge", "jname=web1", "--dry-run"], "already bridged"),
        (&["unbridge", "jname=web2", "--dry-run"], "ngctl"),
        (&["gc", "--dry-run"], "nothing to collect"),
        (&["set", "jname=web1"], "no vimage settings"),
    ];
    for (args, text) in checks {
        let o = readonly_run(&w, &dir, args).unwrap();
        ok(&o);
        assert!(stdout(&o).contains(text), "{args:?}: {}", stdout(&o));
        assert_eq!(w.kernel().snapshot(), bridged, "{args:?}");
    }
    // A verb that changes something refuses before any change: it could not record it.
    let o = readonly_run(&w, &dir, &["unbridge", "jname=web1"]).unwrap();
    assert_eq!(code(&o), 73, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains(&w.state_db().display().to_string()), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), bridged);

    // Records lost as well: the report is rebuilt in memory, and says it was not saved.
    lose_db(&w);
    let o = readonly_run(&w, &dir, &["status", "--json"]).unwrap();
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    shows_both(&j, &macs);
    assert!(j["notes"].to_string().contains("not saved"), "{j:#}");
}

#[test]
fn read_only_verbs_never_create_the_state_directory() {
    let w = world();
    let dir = w.state_db().parent().unwrap().to_path_buf();
    let verbs: &[&[&str]] = &[
        &["status"],
        &["status", "--json"],
        &["status", "--dot"],
        &["status", "jname=web1"],
        &["bridge", "jname=web1", "--dry-run"],
        &["unbridge", "jname=web1", "--dry-run"],
        &["gc", "--dry-run"],
        &["set", "jname=web1"],
        &["doctor"],
    ];
    for args in verbs {
        let o = w.vimage(args);
        ok(&o);
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
}
