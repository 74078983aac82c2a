//! The executor against a scripted host: journal rows, rollback order, teardown that keeps
//! going, and partial creations that must still be undone.

use super::*;
use crate::host::{Cmd, Host, Output, SpawnError};
use crate::model::{IfName, JailName, Mac, ModeKind};
use crate::op::{IfRef, Op, Slot};
use crate::plan::{Effect, Plan, Step, Verb};
use crate::state::{StateDb, StepState};

/// Answers each command by the first rule whose prefix matches its rendered line.
struct Script {
    rules: Vec<(String, Output)>,
    seen: Vec<String>,
}

impl Script {
    fn new(rules: &[(&str, i32, &str, &str)]) -> Script {
        Script {
            rules: rules
                .iter()
                .map(|(p, c, o, e)| (p.to_string(), Output { code: *c, stdout: o.to_string(), stderr: e.to_string() }))
                .collect(),
            seen: Vec::new(),
        }
    }
}

impl Host for Script {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        let line = cmd.to_string();
        self.seen.push(line.clone());
        Ok(self.rules.iter().find(|(p, _)| line.starts_with(p.as_str())).map(|(_, o)| o.clone()).unwrap_or_default())
    }
}

fn jail() -> JailName {
    JailName::parse("web1").unwrap()
}

fn setup_plan() -> Plan {
    let mut p = Plan::new(jail(), Verb::Bridge);
    let b = Slot("bridge_em0".into());
    let a = Slot("eth0_a".into());
    for op in [
        Op::CreateBridge { slot: b.clone(), uplink: "em0".into() },
        Op::CreateEpair { slot: a.clone(), jail: jail(), nic: IfName::parse("eth0").unwrap(), mtu: 1500 },
        Op::AddMember { bridge: IfRef::Created(b.clone()), member: IfRef::Created(a.clone()) },
        Op::MoveToJail { iface: IfRef::Peer(a.clone()), mtu: 1500, jail: jail(), jid: 1 },
    ] {
        p.steps.push(Step::new(op));
    }
    p.effects.push(Effect::Bridge { name: IfRef::Created(b.clone()), uplink: "em0".into(), owned: true });
    p.effects.push(Effect::Attach(crate::plan::NicFx::epair(
        0,
        "eth0",
        IfRef::Created(a),
        IfRef::Created(b),
        "em0",
        Mac::parse("02:00:00:00:00:01").unwrap(),
        1,
    )));
    p
}

#[test]
fn success_fills_slots_journals_every_step_and_writes_records() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h =
        Script::new(&[("ifconfig bridge create", 0, "bridge3\n", ""), ("ifconfig epair create", 0, "epair7a\n", "")]);
    let r = apply(&mut h, &setup_plan(), &db, 42).unwrap();
    assert_eq!(h.seen[2], "ifconfig bridge3 addm epair7a");
    assert_eq!(h.seen[3], "ifconfig epair7b mtu 1500 vnet 1");
    assert_eq!(r.commands, h.seen);
    let steps = db.steps(r.run_id).unwrap();
    assert_eq!(steps.len(), 4);
    assert!(steps.iter().all(|s| s.state == StepState::Done));
    assert_eq!(steps[1].binding.as_deref(), Some("epair7a"));
    let att = db.attachments("web1").unwrap();
    assert_eq!((att[0].host_if.as_str(), att[0].bridge.as_deref(), att[0].boottime), ("epair7a", Some("bridge3"), 42));
    assert_eq!(db.bridges(42).unwrap()[0].name, "bridge3");
    assert!(db.unfinished_runs().unwrap().is_empty());
}

#[test]
fn failure_rolls_back_completed_creations_in_reverse_and_writes_no_records() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        ("ifconfig bridge create", 0, "bridge3\n", ""),
        ("ifconfig epair create", 0, "epair7a\n", ""),
        ("ifconfig epair7b", 1, "", "ifconfig: SIOCSIFVNET: File exists\n"),
    ]);
    let e = apply(&mut h, &setup_plan(), &db, 42).unwrap_err();
    assert_eq!(&h.seen[4..], ["ifconfig epair7a destroy", "ifconfig bridge3 destroy"]);
    let text = e.to_string();
    assert!(
        text.starts_with(
            "jail web1: `ifconfig epair7b mtu 1500 vnet 1` failed (exit 1): ifconfig: SIOCSIFVNET: File exists"
        ),
        "{text}"
    );
    assert!(
        text.contains("rolled back, the host is as it was: ifconfig epair7a destroy; ifconfig bridge3 destroy"),
        "{text}"
    );
    assert!(db.attachments("web1").unwrap().is_empty());
    assert!(db.unfinished_runs().unwrap().is_empty(), "a clean rollback closes the run");
}

#[test]
fn a_create_that_fails_after_creating_is_still_destroyed() {
    // ifconfig prints the clone's name at exit even when a later parameter fails.
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        ("ifconfig bridge create", 0, "bridge3\n", ""),
        ("ifconfig epair create", 1, "epair7a\n", "ifconfig: ioctl SIOCSIFMTU (set mtu): Invalid argument\n"),
    ]);
    apply(&mut h, &setup_plan(), &db, 42).unwrap_err();
    assert_eq!(&h.seen[2..], ["ifconfig epair7a destroy", "ifconfig bridge3 destroy"]);
}

#[test]
fn a_create_that_prints_no_usable_name_fails_cleanly() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[("ifconfig bridge create", 0, "garbage; rm -rf /\n", "")]);
    let e = apply(&mut h, &setup_plan(), &db, 42).unwrap_err();
    assert!(e.message.contains("printed no interface name"), "{e}");
    assert_eq!(h.seen.len(), 1, "nothing to undo, nothing destroyed: {:?}", h.seen);
}

#[test]
fn a_failed_undo_leaves_the_run_open_for_recovery() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        ("ifconfig bridge create", 0, "bridge3\n", ""),
        ("ifconfig epair create", 0, "epair7a\n", ""),
        ("ifconfig bridge3 addm", 1, "", "ifconfig: BRDGADD epair7a: Device busy\n"),
        ("ifconfig epair7a destroy", 1, "", "ifconfig: SIOCIFDESTROY: Device busy\n"),
    ]);
    let e = apply(&mut h, &setup_plan(), &db, 42).unwrap_err();
    assert!(e.to_string().contains("ROLLBACK INCOMPLETE"), "{e}");
    let open = db.unfinished_runs().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].steps[0].state, StepState::Undone, "the bridge was undone");
    assert_eq!(open[0].steps[1].state, StepState::Done, "the epair was not");
}

#[test]
fn teardown_keeps_going_and_records_what_succeeded() {
    let db = StateDb::open_in_memory().unwrap();
    for (nic, host_if) in [(0, "epair1a"), (1, "epair2a")] {
        db.put_attachment(
            &crate::state::Attachment::basic("web1", nic, &format!("eth{nic}"), ModeKind::Epair, host_if, 1, 42),
            None,
        )
        .unwrap();
    }
    let mut p = Plan::new(jail(), Verb::Unbridge);
    p.steps.push(Step::new(Op::Destroy { iface: IfRef::name("epair1a") }).with_effect(Effect::Detach { nic: 0 }));
    p.steps.push(Step::new(Op::Destroy { iface: IfRef::name("epair2a") }).with_effect(Effect::Detach { nic: 1 }));
    let mut h = Script::new(&[("ifconfig epair1a", 1, "", "ifconfig: SIOCIFDESTROY: Device busy\n")]);
    let e = apply(&mut h, &p, &db, 42).unwrap_err();
    assert_eq!(h.seen, ["ifconfig epair1a destroy", "ifconfig epair2a destroy"]);
    assert!(e.to_string().contains("1 of 2 teardown steps failed"), "{e}");
    let left: Vec<u32> = db.attachments("web1").unwrap().iter().map(|a| a.nic).collect();
    assert_eq!(left, [0], "only the NIC whose destroy failed is still recorded");
}

#[test]
fn teardown_of_an_already_vanished_object_counts_as_done() {
    let db = StateDb::open_in_memory().unwrap();
    let mut p = Plan::new(jail(), Verb::Unbridge);
    p.steps.push(Step::new(Op::Destroy { iface: IfRef::name("epair1a") }));
    let mut h = Script::new(&[("ifconfig epair1a", 1, "", "ifconfig: interface epair1a does not exist\n")]);
    apply(&mut h, &p, &db, 42).unwrap();
}

fn ng_plan() -> Plan {
    use crate::op::ngscript::NgLine;
    let mut p = Plan::new(jail(), Verb::Bridge);
    let lines = vec![
        NgLine::undone_by("mkpeer em0: bridge lower link0", "rmhook em0: lower"),
        NgLine::new("name em0:lower vimage_em0"),
        NgLine::undone_by("mkpeer vimage_em0: eiface link2 ether", "shutdown vimage_em0:link2"),
        NgLine::new("name vimage_em0:link2 ng0_web1"),
        NgLine::getifname("ng0_web1", Slot("ng0_web1".into())),
    ];
    p.steps.push(Step::new(Op::NgScript { slot: Slot("ngctl".into()), lines }));
    p.steps.push(Step::new(Op::MoveToJail {
        iface: IfRef::Created(Slot("ng0_web1".into())),
        mtu: 1500,
        jail: jail(),
        jid: 1,
    }));
    p
}

#[test]
fn a_batch_that_stops_at_line_4_undoes_exactly_lines_1_to_3() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        (
            "ngctl -f - <<'EOF'\nmkpeer",
            71,
            "",
            "ngctl: send msg: Address already in use\nngctl: line 4: error in file\n",
        ),
        ("ngctl -f - <<'EOF'\nshutdown", 0, "", ""),
    ]);
    let e = apply(&mut h, &ng_plan(), &db, 42).unwrap_err();
    assert_eq!(h.seen.len(), 2);
    assert_eq!(h.seen[1], "ngctl -f - <<'EOF'\nshutdown vimage_em0:link2\nrmhook em0: lower\nEOF");
    assert!(e.message.contains("[line 4: name vimage_em0:link2 ng0_web1]"), "{e}");
    assert!(!e.message.contains("mkpeer em0"), "the script itself is left out of the message: {e}");
    let run = db.last_run("web1").unwrap().unwrap();
    let steps = db.steps(run.0).unwrap();
    assert_eq!(steps[0].binding.as_deref(), Some(r#"{"ngctl":"3"}"#));
    assert_eq!(steps[0].state, StepState::Undone);
}

#[test]
fn a_batch_that_stops_at_its_first_line_needs_no_undo_and_a_later_failure_undoes_it_all() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[("ngctl -f -", 71, "", "ngctl: send msg: Device busy\nngctl: line 1: error in file\n")]);
    let e = apply(&mut h, &ng_plan(), &db, 42).unwrap_err();
    assert_eq!(h.seen.len(), 1, "{:?}", h.seen);
    assert!(e.to_string().contains("nothing had been changed"), "{e}");
    // All five lines done, the move fails: the whole batch is reversed.
    let reply = "Rec'd response \"getifname\" (1) from \"[9]:\":\nArgs:\t\"ngeth4\"\n";
    let mut h = Script::new(&[
        ("ngctl -f - <<'EOF'\nmkpeer", 0, reply, ""),
        ("ifconfig ngeth4 mtu 1500 vnet 1", 1, "", "ifconfig: SIOCSIFVNET: Device busy\n"),
        ("ngctl -f - <<'EOF'\nshutdown", 0, "", ""),
    ]);
    apply(&mut h, &ng_plan(), &db, 42).unwrap_err();
    assert_eq!(h.seen[2], "ngctl -f - <<'EOF'\nshutdown vimage_em0:link2\nrmhook em0: lower\nEOF");
}

#[test]
fn a_failed_step_names_its_object_and_a_failed_undo_keeps_its_own_error() {
    use crate::error::{Object, ObjectKind};
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        ("ifconfig bridge create", 0, "bridge3\n", ""),
        ("ifconfig epair create", 0, "epair7a\n", ""),
        ("ifconfig bridge3 addm", 1, "", "ifconfig: BRDGADD epair7a: Device busy\n"),
        ("ifconfig epair7a destroy", 1, "", "ifconfig: SIOCIFDESTROY: Device busy\n"),
    ]);
    let e = apply(&mut h, &setup_plan(), &db, 42).unwrap_err();
    assert_eq!(e.object.as_deref(), Some(&Object::new(ObjectKind::Bridge, "bridge3")), "{e:?}");
    assert_eq!(e.failed.as_ref().map(|f| f.command.as_str()), Some("ifconfig bridge3 addm epair7a"));
    assert_eq!(e.errors.len(), 1, "{e:?}");
    let u = &e.errors.0[0];
    assert_eq!(u.jail.as_deref(), Some("web1"));
    assert_eq!(u.object.as_deref(), Some(&Object::new(ObjectKind::Interface, "epair7a")));
    let f = u.failed.as_ref().unwrap();
    assert_eq!(
        (f.command.as_str(), f.exit, f.stderr.as_str()),
        ("ifconfig epair7a destroy", 1, "ifconfig: SIOCIFDESTROY: Device busy")
    );
    assert!(e.details.contains(&u.message), "the text still lists it: {e}");
}

#[test]
fn a_teardown_keeps_each_failure_as_its_own_error() {
    let db = StateDb::open_in_memory().unwrap();
    let mut p = Plan::new(jail(), Verb::Unbridge);
    p.steps.push(Step::new(Op::Destroy { iface: IfRef::name("epair1a") }));
    p.steps.push(Step::new(Op::NgShutdown { id: 0x1a, name: "ng0_web1".into() }));
    p.steps.push(Step::new(Op::Destroy { iface: IfRef::name("epair2a") }));
    let mut h = Script::new(&[
        ("ifconfig epair1a", 1, "", "ifconfig: SIOCIFDESTROY: Device busy\n"),
        ("ngctl shutdown", 1, "", "ngctl: send msg: Operation not permitted\n"),
    ]);
    let e = apply(&mut h, &p, &db, 42).unwrap_err();
    assert_eq!(e.message, "2 of 3 teardown steps failed");
    let objects: Vec<(String, Option<String>)> = e
        .errors
        .iter()
        .map(|f| (f.object.as_ref().unwrap().name.clone(), f.failed.as_ref().map(|c| c.command.clone())))
        .collect();
    assert_eq!(
        objects,
        [
            ("epair1a".to_string(), Some("ifconfig epair1a destroy".to_string())),
            ("ng0_web1".to_string(), Some("ngctl shutdown '[1a]:'".to_string())),
        ]
    );
    assert_eq!(e.details[..2], [e.errors.0[0].message.clone(), e.errors.0[1].message.clone()]);
}

#[test]
fn a_failed_batch_line_names_its_node() {
    let db = StateDb::open_in_memory().unwrap();
    let mut h = Script::new(&[
        (
            "ngctl -f - <<'EOF'\nmkpeer",
            71,
            "",
            "ngctl: send msg: Address already in use\nngctl: line 3: error in file\n",
        ),
        ("ngctl -f - <<'EOF'\n", 0, "", ""),
    ]);
    let e = apply(&mut h, &ng_plan(), &db, 42).unwrap_err();
    let o = e.object.expect("an object");
    assert_eq!((o.kind, o.name.as_str()), (crate::error::ObjectKind::Node, "vimage_em0"));
}

#[test]
fn an_interrupted_doctor_run_is_rolled_back_not_finished_as_a_teardown() {
    let db = StateDb::open_in_memory().unwrap();
    let p = crate::plan::doctor::fix_plan(&[("ng_ether".into(), false)]).unwrap();
    let run = db.begin_run(p.jail.as_str(), p.verb.as_str(), 42).unwrap();
    db.step_intent(run, 0, &p.steps[0].op, None, "kldload -n ng_ether").unwrap();
    let mut h = Script::new(&[]);
    let r = recover::recover(&mut h, &db, 42).unwrap();
    assert!(r.teardowns.is_empty(), "{r:?}");
    assert_eq!(r.notes, [format!("doctor fix=1: rolled back an interrupted doctor (run {run})")]);
    assert!(h.seen.is_empty(), "a loaded module is not unloaded: {:?}", h.seen);
    assert!(db.unfinished_runs().unwrap().is_empty());
}

#[test]
fn a_failed_doctor_fix_names_no_pseudo_jail() {
    let db = StateDb::open_in_memory().unwrap();
    let p = crate::plan::doctor::fix_plan(&[("ng_ether".into(), false)]).unwrap();
    let mut h = Script::new(&[("kldload", 1, "", "kldload: can't load ng_ether: Exec format error\n")]);
    let e = apply(&mut h, &p, &db, 42).unwrap_err();
    assert_eq!(e.jail, None);
    assert!(
        e.to_string().starts_with("doctor fix=1: `kldload -n ng_ether` failed (exit 1): kldload: can't load ng_ether"),
        "{e}"
    );
    assert_eq!(e.object.map(|o| o.name), Some("ng_ether".to_string()));
}
