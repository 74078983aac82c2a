//! The executor: runs a plan's steps through a [`Host`], journals each one, and undoes the
//! completed ones in reverse when a setup step fails. There is exactly one rollback loop in
//! vimage, and it is here, and one undo interpreter ([`run_undo`]), which crash recovery
//! ([`recover`]) uses as well.

pub mod progress;
pub mod recover;

use crate::error::{Error, Errors, Kind, Object, ObjectKind, Result};
use crate::host::{Cmd, Host, Output, run_cmd};
use crate::op::{Bindings, Op};
use crate::plan::{Effect, Plan, Verb};
use crate::state::{Attachment, BridgeRec, StateDb, StepState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

/// Set by SIGINT/SIGTERM/SIGHUP (see [`stop_flag`]). A setup checks it between steps and,
/// once set, undoes what it did instead of going on; a teardown ignores it and finishes, since
/// stopping half-way would leave more behind than either end. The step in flight always
/// completes: commands run in their own process group, so a terminal's ^C does not reach them.
static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// The flag signal handlers set to ask a running setup to roll back and stop.
pub fn stop_flag() -> Arc<AtomicBool> {
    Arc::clone(&STOP)
}

/// What a successful (or, for teardown, partly successful) run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The commands that ran, with the kernel's names filled in.
    pub commands: Vec<String>,
    /// Names the kernel chose, by slot.
    pub bindings: Bindings,
    /// The journal's id for the run.
    pub run_id: i64,
}

/// Runs `plan` on `host`. `boottime` stamps the records it writes.
///
/// Setup (`bridge`) is all or nothing: on the first failure the completed steps are undone in
/// reverse, and the error carries the failed command, its stderr and the rollback outcome.
/// Teardown keeps going past failures and reports all of them.
pub fn apply(host: &mut dyn Host, plan: &Plan, db: &StateDb, boottime: i64) -> Result<Report> {
    apply_with(host, plan, db, boottime, &mut progress::Silent)
}

/// [`apply`], telling `progress` about each step as it succeeds and about the whole run once
/// its records are written.
pub fn apply_with(
    host: &mut dyn Host,
    plan: &Plan,
    db: &StateDb,
    boottime: i64,
    progress: &mut dyn progress::Progress,
) -> Result<Report> {
    let run = db.begin_run(plan.jail.as_str(), plan.verb.as_str(), boottime)?;
    let mut rep = Report { run_id: run, ..Report::default() };
    let mut failures = Errors::default();
    let mut done_effects: Vec<&Effect> = Vec::new();
    for (seq, step) in plan.steps.iter().enumerate() {
        let seq = seq as u32;
        if matches!(plan.verb, Verb::Bridge | Verb::Start | Verb::Doctor) && STOP.load(Ordering::SeqCst) {
            let err = run_error(plan, Kind::TempFail, "interrupted by a signal before all steps ran");
            let undo_errors =
                if seq == 0 { Errors::default() } else { rollback(host, plan, seq - 1, &rep.bindings, db, run) };
            if undo_errors.is_empty() {
                db.finish_run(run, "interrupted; rolled back", |_| Ok(()))?;
            }
            if seq == 0 {
                return Err(err.detail("nothing had been changed yet; the host is as it was"));
            }
            return Err(with_rollback(err, plan, seq - 1, &rep.bindings, undo_errors));
        }
        let cmd = step.op.command(&rep.bindings);
        db.step_intent(run, seq, &step.op, step.undo.as_ref(), &cmd.to_string())?;
        let out = run_cmd(host, &cmd);
        let bound = step.op.read_bindings(&out);
        for (slot, name) in &bound {
            rep.bindings.insert(slot.clone(), name.clone());
        }
        let journal = step.op.encode_bindings(&bound);
        // A stale node's shutdown in a setup may find it gone as well.
        let gone = (!plan.verb.is_setup() || matches!(step.op, Op::NgShutdown { .. })) && step.op.already_gone(&out);
        let complete = step.op.bindings_complete(&bound);
        let ok = gone || out.ok() && complete && !step.op.failed_despite_success(&out.stderr);
        rep.commands.push(step.op.command(&rep.bindings).to_string());
        if ok {
            db.step_outcome(run, seq, StepState::Done, journal.as_deref(), None)?;
            progress.step_done(plan, rep.commands.last().map(String::as_str).unwrap_or_default());
            crate::audit::change(
                crate::plan::shown_jail(plan.jail.as_str(), Some(plan.verb)),
                rep.commands.last().map(String::as_str).unwrap_or_default(),
            );
            done_effects.extend(&step.effects);
            continue;
        }
        let err = command_error(plan, &step.op, &cmd, &out, out.ok() && !complete, &rep.bindings);
        db.step_outcome(run, seq, StepState::Failed, journal.as_deref(), Some(&err.message))?;
        if !plan.verb.is_setup() {
            failures.push(err);
            continue;
        }
        let undo_errors = rollback(host, plan, seq, &rep.bindings, db, run);
        if undo_errors.is_empty() {
            db.finish_run(run, "rolled back", |_| Ok(()))?;
        }
        // With undo errors the run stays open: `gc` and the next run of this jail retry it.
        return Err(with_rollback(err, plan, seq, &rep.bindings, undo_errors));
    }
    let outcome = if failures.is_empty() { "ok" } else { "partial" };
    db.finish_run(run, outcome, |db| {
        for e in done_effects.iter().copied().chain(if failures.is_empty() { plan.effects.iter() } else { [].iter() }) {
            record(db, plan, e, &rep.bindings, boottime, run)?;
        }
        Ok(())
    })?;
    if failures.is_empty() {
        progress.applied(plan, &rep);
        Ok(rep)
    } else {
        let mut e =
            run_error(plan, Kind::Os, format!("{} of {} teardown steps failed", failures.len(), plan.steps.len()));
        for f in failures {
            e = e.detail(f.message.clone()).because(f);
        }
        Err(e.detail("the rest was removed; run `vimage unbridge` again or `vimage gc` once the cause is fixed"))
    }
}

/// The error of step `op`, whose command `cmd` gave `out`: its message (as the text has always
/// read), the command with its exit status and stderr, and the object it acted on (for a
/// netgraph batch, the node of the line that failed).
fn command_error(plan: &Plan, op: &Op, cmd: &Cmd, out: &Output, no_name: bool, b: &Bindings) -> Error {
    let shown = short(cmd);
    let mut msg = if no_name {
        format!("`{shown}` succeeded but printed no interface name vimage could use (stdout {:?})", out.stdout.trim())
    } else if out.ok() {
        format!("`{shown}` did not do its job: {}", out.stderr.trim())
    } else {
        format!("`{shown}` failed (exit {}): {}", out.code, out.complaint())
    };
    let mut object = op.object(b);
    // Say which line of a batch it was.
    if let Op::NgScript { lines, .. } = op {
        let done = crate::op::ngscript::completed(lines.len(), out);
        if let Some(l) = lines.get(done).filter(|_| !out.ok()) {
            msg.push_str(&format!(" [line {}: {}]", done + 1, l.cmd));
            object = crate::op::ngscript::line_node(&l.cmd).map(|n| Object::new(ObjectKind::Node, n));
        }
    }
    run_error(plan, Kind::Os, msg).command(shown, out.code, &out.stderr).about(object)
}

/// An error of `plan`'s run: about its jail, except a `doctor fix=1` run's, which is about no
/// jail and says so (its journal name [`crate::plan::doctor::DOCTOR_SCOPE`] is never shown).
fn run_error(plan: &Plan, kind: Kind, msg: impl Into<String>) -> Error {
    match plan.verb {
        Verb::Doctor => Error::new(kind, format!("doctor fix=1: {}", msg.into())),
        _ => Error::jail(kind, &plan.jail, msg),
    }
}

/// A command as errors show it: a batch's script is left out (the failing line is named).
fn short(cmd: &Cmd) -> String {
    let mut c = cmd.clone();
    c.stdin = None;
    c.to_string()
}

/// The undo to run for step `seq` when rolling back after step `failed` failed: a completed
/// step's undo, or the failed step's when its output shows it changed something before
/// failing (ifconfig prints a clone's name even when a later parameter fails; a batch stops
/// part way).
fn undo_of<'p>(plan: &'p Plan, seq: u32, failed: u32, b: &Bindings) -> Option<&'p Op> {
    let step = &plan.steps[seq as usize];
    let undo = step.undo.as_ref()?;
    match step.op.made_changes(b) {
        Some(true) => Some(undo),
        Some(false) => None,
        None => (seq != failed).then_some(undo),
    }
}

/// Undoes, in reverse, every completed step before `failed` and the failed step itself if it
/// created something before failing (ifconfig prints a clone's name even when a later
/// parameter fails). Returns the undo failures, each about the plan's jail; keeps going past
/// them.
fn rollback(host: &mut dyn Host, plan: &Plan, failed: u32, b: &Bindings, db: &StateDb, run: i64) -> Errors {
    let mut errors = Errors::default();
    for seq in (0..=failed).rev() {
        let Some(undo) = undo_of(plan, seq, failed, b) else { continue };
        // A setup's own undo must find its object: "already gone" is a failure here too.
        let failures: Vec<Error> = run_undo(host, undo, b, false)
            .into_iter()
            .filter_map(|(_, o)| match o {
                UndoOutcome::Done => None,
                UndoOutcome::Gone(e) | UndoOutcome::Failed(e) if plan.verb == Verb::Doctor => Some(e),
                UndoOutcome::Gone(e) | UndoOutcome::Failed(e) => Some(e.in_jail(&plan.jail)),
            })
            .collect();
        if failures.is_empty() {
            let _ = db.step_outcome(run, seq, StepState::Undone, None, None);
        }
        errors.extend(failures);
    }
    errors
}

/// What one command of an undo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UndoOutcome {
    /// It succeeded.
    Done,
    /// It failed because its object is already gone ([`Op::already_gone`]); the error says
    /// how, for a caller that does not accept that.
    Gone(Error),
    /// It failed: `` `cmd` failed (exit N): FreeBSD's words ``, with the command, its exit
    /// status and stderr, and the undo's object as data (no jail: the caller knows it).
    Failed(Error),
}

/// The one undo interpreter: runs `undo` with the kernel's names from `b` and says what each
/// of its commands did. `each`: as separate commands that may each find their object gone
/// ([`Op::commands_each`]), for a step a crash interrupted at an unknown point. The rollback
/// of a failed setup and the crash recovery of a killed one both undo through here; each
/// decides what an outcome means for the journal.
pub(crate) fn run_undo(host: &mut dyn Host, undo: &Op, b: &Bindings, each: bool) -> Vec<(Cmd, UndoOutcome)> {
    let cmds = if each { undo.commands_each(b) } else { vec![undo.command(b)] };
    cmds.into_iter()
        .map(|cmd| {
            let out = run_cmd(host, &cmd);
            if out.ok() {
                return (cmd, UndoOutcome::Done);
            }
            let msg = format!("`{cmd}` failed (exit {}): {}", out.code, out.complaint());
            let err = Error::new(Kind::Os, msg).command(cmd.to_string(), out.code, &out.stderr).about(undo.object(b));
            let gone = if each { undo.each_gone(&out) } else { undo.already_gone(&out) };
            (cmd, if gone { UndoOutcome::Gone(err) } else { UndoOutcome::Failed(err) })
        })
        .collect()
}

/// `err` with the rollback's outcome: what was undone, or each undo that failed (as a line of
/// text and as one of its [`Error::errors`]).
fn with_rollback(mut err: Error, plan: &Plan, failed: u32, b: &Bindings, undo_errors: Errors) -> Error {
    let undone: Vec<String> =
        (0..=failed).rev().filter_map(|seq| undo_of(plan, seq, failed, b)).map(|u| u.command(b).to_string()).collect();
    if undo_errors.is_empty() {
        if undone.is_empty() {
            err = err.detail("nothing had been changed yet; the host is as it was");
        } else {
            err = err.detail(format!("rolled back, the host is as it was: {}", undone.join("; ")));
        }
    } else {
        err = err.detail("ROLLBACK INCOMPLETE; `vimage gc` will retry:");
        for u in undo_errors {
            err = err.detail(u.message.clone()).because(u);
        }
    }
    err
}

fn resolve(r: &crate::op::IfRef, b: &Bindings) -> Result<String> {
    r.resolve(b).ok_or_else(|| Error::new(Kind::Internal, format!("unbound interface {r:?} after a successful run")))
}

/// Writes one effect to the records.
fn record(db: &StateDb, plan: &Plan, e: &Effect, b: &Bindings, boottime: i64, run: i64) -> Result<()> {
    let jail = plan.jail.as_str();
    match e {
        Effect::Attach(f) => {
            let ng_node = match &f.ng_node {
                Some(s) => Some(b.get(s).and_then(|hex| u32::from_str_radix(hex, 16).ok()).ok_or_else(|| {
                    Error::new(Kind::Internal, format!("no node ID for {} after a successful run", f.nic_name))
                })?),
                None => None,
            };
            let bridge = match &f.bridge {
                Some(r) => Some(resolve(r, b)?),
                None => None,
            };
            db.put_attachment(
                &Attachment {
                    jail: jail.into(),
                    nic: f.nic,
                    nic_name: f.nic_name.clone(),
                    mode: f.mode,
                    host_if: resolve(&f.host_if, b)?,
                    bridge,
                    uplink: f.uplink.clone(),
                    mac: f.mac.map(|m| m.to_string()),
                    jid: f.jid,
                    boottime,
                    ng_node,
                    ng_link: f.ng_link,
                    wanted_name: f.wanted_name.clone(),
                    was_up: f.was_up,
                    jail_if: f.jail_if.as_ref().map(|r| resolve(r, b)).transpose()?,
                },
                Some(run),
            )
        }
        Effect::Detach { nic } => db.delete_attachment(jail, *nic),
        Effect::Bridge { name, uplink, owned } => {
            db.put_bridge(&BridgeRec::if_bridge(&resolve(name, b)?, uplink, *owned, boottime))
        }
        Effect::NgBridge { name, uplink, promisc, autosrc } => db.put_bridge(&BridgeRec {
            name: name.clone(),
            uplink: uplink.clone(),
            owned: true,
            boottime,
            kind: crate::state::BridgeKind::Netgraph,
            ng_promisc: Some(*promisc),
            ng_autosrc: Some(*autosrc),
        }),
        Effect::UplinkPromisc { bridge } => db.mark_uplink_promisc(&resolve(bridge, b)?),
        Effect::BridgeGone { name } => db.delete_bridge(name),
        Effect::Mac { nic, mac } => db.remember_mac(jail, *nic, mac),
        Effect::Lease { net, nic, addr } => {
            db.put_lease(&crate::state::Lease { net: net.clone(), jail: jail.into(), nic: *nic, addr: *addr })
        }
        Effect::Lifecycle { state } => db.set_lifecycle(jail, state.as_deref(), boottime),
        Effect::DevfsUse { ruleset, prev, jid, cbsd } => db.put_devfs_user(&crate::state::DevfsUser {
            jail: jail.into(),
            ruleset: *ruleset,
            prev: *prev,
            jid: *jid,
            boottime,
            cbsd: *cbsd,
        }),
        Effect::DevfsRelease => db.delete_devfs_user(jail),
        Effect::Forwarding { set_from: Some(v) } => {
            db.set_meta(crate::facts::privnet::FORWARDING_META, &format!("{v} {boottime}"))
        }
        Effect::Forwarding { set_from: None } => db.delete_meta(crate::facts::privnet::FORWARDING_META),
    }
}

#[cfg(test)]
mod tests;
