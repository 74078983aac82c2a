//! `vimage doctor`'s pf checks and `vimage doctor fix=1 pf=1`, end to end through the real
//! binary and fbsd-sim's pfctl: the checks name the exact lines; the fix adds them to the
//! admin's /etc/pf.conf keeping every other byte, checks it with `pfctl -nf`, loads it with
//! `pfctl -f`, and is journalled; a dry run, a refused fix and a failed one change neither the
//! file nor the kernel.

mod common;

use common::{World, code, stderr, stdout};
use vimage::plan::doctor::PF_MARKER;

/// An admin's pf.conf in pf.conf(5)'s shape: macros, a table, options, scrub, NAT, a
/// redirect, filter rules with comments.
const ADMIN_PF_CONF: &str = "# /etc/pf.conf of fw1\n\
ext_if = \"em0\"\n\
lan = \"192.168.1.0/24\"\n\
table <bruteforce> persist\n\
\n\
set skip on lo0\n\
set block-policy return\n\
scrub in all\n\
\n\
nat on $ext_if from $lan to any -> ($ext_if)\n\
rdr on $ext_if proto tcp from any to any port 2222 -> 192.168.1.20 port 22\n\
\n\
# filtering\n\
block in all\n\
pass out all keep state\n\
pass in on $ext_if proto tcp from any to any port ssh\n";

/// The file after the fix: the translation block after the last rdr, the filter anchor at
/// the end, nothing else changed.
fn fixed_pf_conf() -> String {
    ADMIN_PF_CONF
        .replace("port 22\n", &format!("port 22\n{PF_MARKER}\nnat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\n"))
        + &format!("{PF_MARKER}\nanchor \"vimage/*\"\n")
}

/// The demo host with pf loaded and enabled, its main ruleset loaded from `ADMIN_PF_CONF`.
fn pf_world() -> World {
    let w = World::demo();
    w.edit(|k| k.load_module("pf"));
    w.put_host_file("/etc/pf.conf", ADMIN_PF_CONF);
    let o = w.sim("pfctl", &["-f", "/etc/pf.conf"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&w.sim("pfctl", &["-e"])), 0);
    w
}

fn pf_state(w: &World) -> (Option<vimage::sim::kernel::Pf>, vimage::sim::Snapshot) {
    let k = w.kernel();
    (k.host_pf().cloned(), k.snapshot())
}

#[test]
fn pf_not_loaded_is_info_and_usable() {
    let w = World::demo();
    let o = w.vimage(&["doctor"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("INFO     pf             (net) not loaded (no /dev/pf)"), "{t}");
    assert!(t.contains("fix: kldload pf\n") && t.contains("at boot: sysrc pf_enable=YES\n"), "{t}");
    let o = w.vimage(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pf = v["checks"].as_array().unwrap().iter().find(|c| c["name"] == "pf").expect("a pf check").clone();
    assert_eq!((pf["status"].as_str(), pf["needed_by"].as_str()), (Some("info"), Some("net")), "{pf}");
    assert_eq!(v["usable"], true);
}

#[test]
fn missing_anchor_references_are_a_warning_with_the_exact_lines() {
    let w = pf_world();
    let o = w.vimage(&["doctor"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("OK       pf             (net) loaded and enabled"), "{t}");
    assert!(t.contains("WARN     pf anchors     (net) the loaded main ruleset does not reference"), "{t}");
    assert!(
        t.contains(
            "         fix: vimage doctor fix=1 pf=1\n         add: nat-anchor \"vimage/*\"\n         add: rdr-anchor \"vimage/*\"\n         add: anchor \"vimage/*\"\n"
        ),
        "{t}"
    );
    let o = w.vimage(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = v["checks"].as_array().unwrap().iter().find(|c| c["name"] == "pf anchors").unwrap().clone();
    assert_eq!(
        a["lines"],
        serde_json::json!(["nat-anchor \"vimage/*\"", "rdr-anchor \"vimage/*\"", "anchor \"vimage/*\""])
    );
    // Disabled pf: the same lines, as information.
    assert_eq!(code(&w.sim("pfctl", &["-d"])), 0);
    let t = stdout(&w.vimage(&["doctor"]));
    assert!(t.contains("INFO     pf             (net) loaded but disabled") && t.contains("fix: pfctl -e"), "{t}");
    assert!(t.contains("INFO     pf anchors"), "{t}");
}

#[test]
fn dry_run_prints_the_edit_and_the_commands_and_changes_nothing() {
    let w = pf_world();
    let before = pf_state(&w);
    let o = w.vimage(&["doctor", "fix=1", "pf=1", "--dry-run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains(
            "would run: pfctl -nf /etc/pf.conf\nwould run: pfctl -f /etc/pf.conf\n\
             would add to /etc/pf.conf: nat-anchor \"vimage/*\"\nwould add to /etc/pf.conf: rdr-anchor \"vimage/*\"\n\
             would add to /etc/pf.conf: anchor \"vimage/*\"\n"
        ),
        "{t}"
    );
    assert_eq!(w.host_file("/etc/pf.conf"), ADMIN_PF_CONF, "the file is untouched");
    assert_eq!(pf_state(&w), before, "the kernel is untouched");
    assert!(!w.state_db().exists(), "a dry run records nothing");
}

#[test]
fn fix_adds_the_lines_keeps_every_other_byte_loads_and_is_journalled() {
    let w = pf_world();
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.starts_with("ran: pfctl -nf /etc/pf.conf\nran: pfctl -f /etc/pf.conf\nwrote /etc/pf.conf: added nat-anchor"),
        "{t}"
    );
    assert_eq!(w.host_file("/etc/pf.conf"), fixed_pf_conf());
    // The loaded main ruleset as pfctl lists it: the admin's rules and vimage's anchors.
    let nat = stdout(&w.sim("pfctl", &["-s", "nat"]));
    assert_eq!(
        nat,
        "nat on em0 from 192.168.1.0/24 to any -> (em0) round-robin\nnat-anchor \"vimage/*\" all\n\
         rdr on em0 proto tcp from any to any port = 2222 -> 192.168.1.20 port 22\nrdr-anchor \"vimage/*\" all\n"
    );
    let rules = stdout(&w.sim("pfctl", &["-s", "rules"]));
    assert!(rules.starts_with("scrub in all fragment reassemble\nblock return in all\n"), "{rules}");
    assert!(rules.ends_with("anchor \"vimage/*\" all\n"), "{rules}");
    assert!(t.contains("OK       pf anchors"), "the checks after the fix see it: {t}");
    let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
    let (_, verb, outcome) = db.last_run(vimage::plan::doctor::DOCTOR_SCOPE).unwrap().expect("journalled");
    assert_eq!((verb.as_str(), outcome.as_deref()), ("doctor", Some("ok")));
    drop(db);
    // Again: nothing to do, nothing run, the file as it is.
    w.take_log();
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains("ran:"), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/pf.conf"), fixed_pf_conf());
    assert!(w.take_log().iter().all(|l| !l.contains("pfctl -f") && !l.contains("pfctl -nf")));
}

#[test]
fn lines_already_in_the_file_but_not_loaded_only_reload_it() {
    let w = pf_world();
    w.put_host_file("/etc/pf.conf", &fixed_pf_conf());
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains("wrote"), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/pf.conf"), fixed_pf_conf());
    assert!(stdout(&w.sim("pfctl", &["-s", "rules"])).contains("anchor \"vimage/*\" all"));
}

#[test]
fn refused_without_pf_loaded_changes_nothing() {
    let w = World::demo();
    w.put_host_file("/etc/pf.conf", ADMIN_PF_CONF);
    let before = pf_state(&w);
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    assert!(stderr(&o).contains("pf is not loaded") && stderr(&o).contains("kldload pf"), "{}", stderr(&o));
    assert_eq!(w.host_file("/etc/pf.conf"), ADMIN_PF_CONF);
    assert_eq!(pf_state(&w), before);
}

#[test]
fn a_failed_check_or_load_puts_the_file_back_byte_for_byte() {
    // The admin's file has an error of its own: pfctl -nf refuses the edited file.
    let w = pf_world();
    let broken = format!("{ADMIN_PF_CONF}pass in on $nosuch all\n");
    w.put_host_file("/etc/pf.conf", &broken);
    let before = pf_state(&w);
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_ne!(code(&o), 0);
    let e = stderr(&o);
    assert!(e.contains("pfctl -nf /etc/pf.conf") && e.contains("macro 'nosuch' not defined"), "{e}");
    assert!(e.contains("/etc/pf.conf was put back as it was, byte for byte"), "{e}");
    assert_eq!(w.host_file("/etc/pf.conf"), broken);
    assert_eq!(pf_state(&w), before, "nothing loaded");
    // The load itself fails (the kernel refuses the transaction).
    let w = pf_world();
    let before = pf_state(&w);
    w.edit(|k| k.fail_at(1, vimage::sim::Errno::ENOMEM));
    let o = w.vimage(&["doctor", "fix=1", "pf=1"]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("pfctl -f /etc/pf.conf"), "{}", stderr(&o));
    assert_eq!(w.host_file("/etc/pf.conf"), ADMIN_PF_CONF);
    let after = pf_state(&w);
    assert_eq!(after.0, before.0, "nothing loaded");
    let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
    assert!(db.unfinished_runs().unwrap().is_empty(), "the failed run is closed");
}
