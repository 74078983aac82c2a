//! `vimage doctor fix=1` is a plan like any change: `--dry-run` prints its commands and
//! changes nothing; a real run is journalled; a failure is reported with its command and
//! closes its run (nothing is left for recovery).

mod common;

use common::{World, code, stderr, stdout};

#[test]
fn doctor_fix_dry_run_prints_the_plan_and_changes_nothing() {
    let w = World::demo();
    w.edit(|k| {
        k.unload_module("ng_ether");
        k.unload_module("if_bridge");
    });
    let before = w.kernel().loaded_modules();
    let o = w.vimage(&["doctor", "fix=1", "--dry-run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("would run: kldload -n if_bridge\nwould run: kldload -n ng_ether\n"), "{text}");
    assert!(!text.contains("ran:"), "{text}");
    assert_eq!(w.kernel().loaded_modules(), before, "a dry run loads nothing");
    assert!(!w.state_db().parent().unwrap().exists(), "a dry run records nothing");
    // The checks still say what is missing now.
    assert!(text.contains("MISSING  ng_ether"), "{text}");
}

#[test]
fn doctor_fix_is_journalled_and_a_failed_load_is_reported_and_closed() {
    let w = World::demo();
    w.edit(|k| k.unload_module("ng_ether"));
    let o = w.vimage(&["doctor", "fix=1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("ran: kldload -n ng_ether\n"), "{}", stdout(&o));
    let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
    let (_, verb, outcome) = db.last_run(vimage::plan::doctor::DOCTOR_SCOPE).unwrap().expect("journalled");
    assert_eq!(verb, "doctor");
    assert!(outcome.is_some(), "the run is closed");
    drop(db);

    w.edit(|k| {
        k.unload_module("ng_ether");
        k.fail_at(1, vimage::sim::Errno::ENOEXEC);
    });
    let o = w.vimage(&["doctor", "fix=1"]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("kldload -n ng_ether"), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("vimage: doctor fix=1: `kldload -n ng_ether` failed"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("%vimage-doctor"), "{}", stderr(&o));
    assert!(!w.kernel().loaded_modules().iter().any(|m| m == "ng_ether"));
    let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
    assert!(db.unfinished_runs().unwrap().is_empty(), "the failed run is closed, not left for recovery");
}
