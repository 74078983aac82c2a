//! Finishing what a killed vimage left behind: runs the journal shows as unfinished.
//!
//! A setup run is rolled back: the undo of every step that completed, and of a creating step
//! that was in flight, found by the name it printed or, when the kill came before the name
//! was journalled, by its marker. A teardown run is handed back to the caller to be planned
//! and run again (teardown is idempotent). Every object is checked for vimage's marker before
//! it is destroyed.
//!
//! Recovery decides only *which* journalled undos to run and what their outcome means; it
//! runs them through the executor's one undo interpreter ([`super::run_undo`]), the same that
//! rolls back a failed setup, so no undo command is built here.

use super::{UndoOutcome, run_undo};
use crate::error::{Error, Errors, Result};
use crate::facts::gather;
use crate::host::{Cmd, Host};
use crate::naming::GROUP;
use crate::op::{Bindings, Op};
use crate::parse::ifconfig::IfStatus;
use crate::plan::Verb;
use crate::state::{RunRow, StateDb, StepRow, StepState};

/// What recovery did, for the admin, and which jails still need a teardown.
#[derive(Debug, Default)]
pub struct Recovery {
    /// One line per interrupted run found: what was rolled back or will be finished.
    pub notes: Vec<String>,
    /// Jails whose teardown (`unbridge`, or the service's `stop`) was interrupted.
    pub teardowns: Vec<String>,
    /// Undo commands that failed, each with its jail, command, stderr and object; the runs
    /// stay open. Their text is `jail J: `cmd` failed (exit N): …`.
    pub errors: Errors,
}

/// Closes every unfinished run in the journal, newest first (the reverse of the order they
/// were made in). Call it with the host lock held, so no other vimage is in the middle of one.
pub fn recover(host: &mut dyn Host, db: &StateDb, boottime: i64) -> Result<Recovery> {
    let mut rec = Recovery::default();
    let mut scan: Option<Vec<IfStatus>> = None;
    for run in db.unfinished_runs()?.into_iter().rev() {
        if run.boottime != boottime {
            db.finish_run(run.id, "abandoned: from an earlier boot", |_| Ok(()))?;
            continue;
        }
        let verb = Verb::parse(&run.verb);
        // A teardown (or a verb of a newer vimage) is finished by running it again.
        if !verb.is_some_and(Verb::is_setup) {
            let who = crate::plan::run_label(&run.jail, verb);
            rec.notes.push(format!("{who}: an interrupted {} (run {}) will be finished", run.verb, run.id));
            rec.teardowns.push(run.jail.clone());
            db.finish_run(run.id, "interrupted; redone", |_| Ok(()))?;
            continue;
        }
        let before = rec.errors.len();
        roll_back(host, db, &run, &mut scan, &mut rec);
        if rec.errors.len() == before {
            db.finish_run(run.id, "interrupted; rolled back", |_| Ok(()))?;
            let who = crate::plan::run_label(&run.jail, verb);
            rec.notes.push(format!("{who}: rolled back an interrupted {} (run {})", run.verb, run.id));
        }
    }
    Ok(rec)
}

fn roll_back(host: &mut dyn Host, db: &StateDb, run: &RunRow, scan: &mut Option<Vec<IfStatus>>, rec: &mut Recovery) {
    let mut b = Bindings::new();
    for s in &run.steps {
        if let Some(stored) = &s.binding {
            b.extend(s.op.decode_bindings(stored));
        }
    }
    for s in run.steps.iter().rev() {
        let in_flight = s.state == StepState::Intent;
        if s.op.undo_after_crash() && matches!(s.state, StepState::Intent | StepState::Done) {
            if let Some(undo) = s.op.undo() {
                match one(run_undo(host, &undo, &b, false)) {
                    (cmd, UndoOutcome::Done) => undone(db, run, s, &cmd, rec),
                    // An in-flight step may never have happened, and a jail that died since
                    // took its /dev and its parameters along: nothing left to restore.
                    (_, UndoOutcome::Gone(_)) => mark_undone(db, run, s),
                    (_, UndoOutcome::Failed(_)) if in_flight => mark_undone(db, run, s),
                    (_, UndoOutcome::Failed(m)) => rec.errors.push(undo_failed(run, m)),
                }
            }
            continue;
        }
        if s.state == StepState::Undone {
            continue;
        }
        if matches!(s.op, Op::NgScript { .. } | Op::Vnet { .. }) {
            undo_plain(host, db, run, s, &b, rec);
            continue;
        }
        if let Op::CreateJail { .. } = &s.op {
            // Undo only a jail this run made, after its interfaces were taken back above: an
            // in-flight `jail -c` may not have got that far, and then `jail -r` finds none.
            let Some(undo) = s.op.undo() else { continue };
            match one(run_undo(host, &undo, &b, false)) {
                (cmd, UndoOutcome::Done) => undone(db, run, s, &cmd, rec),
                (_, UndoOutcome::Gone(_)) => mark_undone(db, run, s),
                (_, UndoOutcome::Failed(m)) => rec.errors.push(undo_failed(run, m)),
            }
            continue;
        }
        let (Some(slot), Some(marker)) = (s.op.binds(), s.op.marker()) else {
            replay_undo(host, db, run, s, &b, rec);
            continue;
        };
        let name = match b.get(slot) {
            Some(n) => Some(n.clone()),
            None if in_flight => find_by_marker(host, db, scan, &s.op, &marker),
            None => None,
        };
        let Some(name) = name else { continue };
        if !carries_marker(host, &name, &marker) {
            rec.notes.push(format!("{}: {name} no longer carries {marker}; left alone", label(run)));
            continue;
        }
        // The creating step's own undo (`ifconfig <name> destroy`), with the name it printed
        // or the one its marker was found on.
        let Some(undo) = s.op.undo() else { continue };
        let mut named = b.clone();
        named.insert(slot.clone(), name);
        match one(run_undo(host, &undo, &named, false)) {
            (cmd, UndoOutcome::Done) => undone(db, run, s, &cmd, rec),
            (_, UndoOutcome::Gone(m) | UndoOutcome::Failed(m)) => rec.errors.push(undo_failed(run, m)),
        }
    }
}

/// The outcome of an undo run as one command.
fn one(mut ran: Vec<(Cmd, UndoOutcome)>) -> (Cmd, UndoOutcome) {
    ran.pop().expect("an undo run as one command runs one command")
}

/// Runs the journalled undo of a step that creates nothing by name (taking over a CBSD epair,
/// moving or renaming an interface vimage did not create). A completed step's undo must work;
/// an in-flight one may not have happened, so its undo is tried and a failure ignored.
fn replay_undo(host: &mut dyn Host, db: &StateDb, run: &RunRow, s: &StepRow, b: &Bindings, rec: &mut Recovery) {
    let Some(undo) = &s.undo else { return };
    let worth = match s.state {
        StepState::Done | StepState::Intent => true,
        // An `ifconfig … group vimage` that failed may still have put the epair in the group
        // (and a version that rewrote CBSD's description did so in the same call), so its
        // undo is tried; a failure of that undo is ignored like an in-flight one's.
        StepState::Failed => matches!(s.op, Op::Adopt { .. }),
        StepState::Undone => false,
    };
    if !worth {
        return;
    }
    match one(run_undo(host, undo, b, false)) {
        (cmd, UndoOutcome::Done) => undone(db, run, s, &cmd, rec),
        (_, UndoOutcome::Gone(m) | UndoOutcome::Failed(m)) if s.state == StepState::Done => {
            rec.errors.push(undo_failed(run, m))
        }
        _ => {}
    }
}

/// Undoes a netgraph batch or a passthrough move. When the journal knows how far the step got,
/// its undo runs as planned (a batch reverses exactly its completed lines). When the kill came
/// while it ran, every inverse is tried as its own command, and "already gone" answers are
/// fine: each inverse then finds either its object or nothing.
fn undo_plain(host: &mut dyn Host, db: &StateDb, run: &RunRow, s: &StepRow, b: &Bindings, rec: &mut Recovery) {
    let Some(undo) = s.op.undo() else { return };
    let known = match &s.op {
        Op::NgScript { slot, .. } => b.contains_key(slot),
        _ => s.state != StepState::Intent,
    };
    if s.state == StepState::Failed && s.op.made_changes(b) != Some(true) {
        return;
    }
    let mut failed = false;
    for (cmd, outcome) in run_undo(host, &undo, b, !known) {
        match outcome {
            UndoOutcome::Done => rec.notes.push(format!("{}: {cmd}", label(run))),
            UndoOutcome::Gone(_) if !known => rec.notes.push(format!("{}: {cmd}", label(run))),
            UndoOutcome::Gone(m) | UndoOutcome::Failed(m) => {
                failed = true;
                rec.errors.push(undo_failed(run, m));
            }
        }
    }
    if !failed {
        mark_undone(db, run, s);
    }
}

/// Marks step `s` undone by `cmd`, which succeeded, and tells the admin.
fn undone(db: &StateDb, run: &RunRow, s: &StepRow, cmd: &Cmd, rec: &mut Recovery) {
    mark_undone(db, run, s);
    rec.notes.push(format!("{}: {cmd}", label(run)));
}

/// Marks step `s` undone without a word: its undo found nothing to do.
fn mark_undone(db: &StateDb, run: &RunRow, s: &StepRow) {
    let _ = db.step_outcome(run.id, s.seq, StepState::Undone, None, None);
}

/// The error for an undo command that failed ([`UndoOutcome`]'s), about the run's jail.
fn undo_failed(run: &RunRow, e: Error) -> Error {
    e.in_jail(&run.jail)
}

/// `ifconfig NAME` still shows vimage's marker for this object.
fn carries_marker(host: &mut dyn Host, name: &str, marker: &str) -> bool {
    gather::iface(host, name)
        .ok()
        .flatten()
        .is_some_and(|s| s.description.as_deref() == Some(marker) && s.in_group(GROUP))
}

/// Finds an object a killed run created but never journalled the name of: one scan of group
/// `vimage` for the marker, skipping objects the records already account for.
fn find_by_marker(
    host: &mut dyn Host,
    db: &StateDb,
    scan: &mut Option<Vec<IfStatus>>,
    op: &Op,
    marker: &str,
) -> Option<String> {
    if scan.is_none() {
        *scan = Some(gather::group(host, true).unwrap_or_default());
    }
    let known: Vec<String> = db.all_attachments().ok()?.into_iter().map(|a| a.host_if).collect();
    let bridges: Vec<String> = db.all_bridges().ok()?.into_iter().map(|b| b.name).collect();
    scan.as_ref()?
        .iter()
        .filter(|s| s.description.as_deref() == Some(marker))
        .filter(|s| !known.contains(&s.name) && !bridges.contains(&s.name))
        .filter(|s| match op {
            // A bridge found this way is only ours to remove if no jail joined it since.
            Op::CreateBridge { uplink, .. } => s.members.iter().all(|m| m == uplink),
            Op::CreateNetBridge { .. } => s.members.is_empty(),
            _ => true,
        })
        .map(|s| s.name.clone())
        .next()
}

/// `jail web1`, `doctor fix=1` or `gc`: how a note names the run it comes from.
fn label(run: &RunRow) -> String {
    crate::plan::run_label(&run.jail, Verb::parse(&run.verb))
}
