//! The executor: runs a plan's steps through a [`Host`], journals each one, and undoes the
//! completed ones in reverse when a setup step fails. There is exactly one rollback loop in
//! vimage, and it is here.

pub mod recover;

use crate::error::{Error, Kind, Result};
use crate::host::{Cmd, Host, Output};
use crate::plan::op::{Bindings, Op};
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
    let run = db.begin_run(plan.jail.as_str(), plan.verb.as_str(), boottime)?;
    let mut rep = Report { run_id: run, ..Report::default() };
    let mut failures: Vec<Error> = Vec::new();
    let mut done_effects: Vec<&Effect> = Vec::new();
    for (seq, step) in plan.steps.iter().enumerate() {
        let seq = seq as u32;
        if matches!(plan.verb, Verb::Bridge | Verb::Start) && STOP.load(Ordering::SeqCst) {
            let err = Error::jail(Kind::TempFail, &plan.jail, "interrupted by a signal before all steps ran");
            let undo_errors = if seq == 0 { Vec::new() } else { rollback(host, plan, seq - 1, &rep.bindings, db, run) };
            if undo_errors.is_empty() {
                db.finish_run(run, "interrupted; rolled back", |_| Ok(()))?;
            }
            if seq == 0 {
                return Err(err.detail("nothing had been changed yet; the host is as it was"));
            }
            return Err(with_rollback(err, plan, seq - 1, &rep.bindings, &undo_errors));
        }
        let cmd = step.op.command(&rep.bindings);
        db.step_intent(run, seq, &step.op, step.undo.as_ref(), &cmd.to_string())?;
        let out = run_cmd(host, &cmd);
        let bound = step.op.read_binding(&out.stdout);
        if let (Some(slot), Some(name)) = (step.op.binds(), &bound) {
            rep.bindings.insert(slot.clone(), name.clone());
        }
        let gone = !plan.verb.is_setup() && is_gone_error(&step.op, &out);
        let ok = gone
            || out.ok()
                && (step.op.binds().is_none() || bound.is_some())
                && !step.op.failed_despite_success(&out.stderr);
        rep.commands.push(step.op.command(&rep.bindings).to_string());
        if ok {
            db.step_outcome(run, seq, StepState::Done, bound.as_deref(), None)?;
            done_effects.extend(&step.effects);
            continue;
        }
        let err = command_error(plan, &cmd, &out, step.op.binds().is_some() && out.ok());
        db.step_outcome(run, seq, StepState::Failed, bound.as_deref(), Some(&err.message))?;
        if !plan.verb.is_setup() {
            failures.push(err);
            continue;
        }
        let undo_errors = rollback(host, plan, seq, &rep.bindings, db, run);
        if undo_errors.is_empty() {
            db.finish_run(run, "rolled back", |_| Ok(()))?;
        }
        // With undo errors the run stays open: `gc` and the next run of this jail retry it.
        return Err(with_rollback(err, plan, seq, &rep.bindings, &undo_errors));
    }
    let outcome = if failures.is_empty() { "ok" } else { "partial" };
    db.finish_run(run, outcome, |db| {
        for e in done_effects.iter().copied().chain(if failures.is_empty() { plan.effects.iter() } else { [].iter() }) {
            record(db, plan, e, &rep.bindings, boottime, run)?;
        }
        Ok(())
    })?;
    if failures.is_empty() {
        Ok(rep)
    } else {
        let mut e = Error::jail(
            Kind::Os,
            &plan.jail,
            format!("{} of {} teardown steps failed", failures.len(), plan.steps.len()),
        );
        for f in failures {
            e = e.detail(f.message);
        }
        Err(e.detail("the rest was removed; run `vimage unbridge` again or `vimage gc` once the cause is fixed"))
    }
}

/// Runs one command; a command that could not even be spawned counts as a failure with
/// the reason as its stderr.
pub(crate) fn run_cmd(host: &mut dyn Host, cmd: &Cmd) -> Output {
    match host.run(cmd) {
        Ok(o) => o,
        Err(e) => Output { code: 127, stdout: String::new(), stderr: e.to_string() },
    }
}

fn command_error(plan: &Plan, cmd: &Cmd, out: &Output, no_name: bool) -> Error {
    let msg = if no_name {
        format!("`{cmd}` succeeded but printed no interface name vimage could use (stdout {:?})", out.stdout.trim())
    } else if out.ok() {
        format!("`{cmd}` did not do its job: {}", out.stderr.trim())
    } else {
        format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim())
    };
    Error::jail(Kind::Os, &plan.jail, msg)
}

/// Whether rolling back must undo step `seq`: every completed step before `failed`, and the
/// failed step itself only if it created something before failing (ifconfig prints a clone's
/// name even when a later parameter fails); any other failed command changed nothing.
fn needs_undo(step: &crate::plan::Step, seq: u32, failed: u32, b: &Bindings) -> bool {
    match step.op.binds() {
        Some(slot) => b.contains_key(slot),
        None => seq != failed,
    }
}

/// Undoes, in reverse, every step [`needs_undo`] names. Returns the undo failures; keeps
/// going past them.
fn rollback(host: &mut dyn Host, plan: &Plan, failed: u32, b: &Bindings, db: &StateDb, run: i64) -> Vec<String> {
    let mut errors = Vec::new();
    for seq in (0..=failed).rev() {
        let step = &plan.steps[seq as usize];
        let Some(undo) = &step.undo else { continue };
        if !needs_undo(step, seq, failed, b) {
            continue;
        }
        let cmd = undo.command(b);
        let out = run_cmd(host, &cmd);
        if out.ok() {
            let _ = db.step_outcome(run, seq, StepState::Undone, None, None);
        } else {
            errors.push(format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim()));
        }
    }
    errors
}

fn with_rollback(mut err: Error, plan: &Plan, failed: u32, b: &Bindings, undo_errors: &[String]) -> Error {
    let undone: Vec<String> = (0..=failed)
        .rev()
        .filter_map(|seq| {
            let s = &plan.steps[seq as usize];
            let undo = s.undo.as_ref()?;
            if !needs_undo(s, seq, failed, b) {
                return None;
            }
            Some(undo.command(b).to_string())
        })
        .collect();
    if undo_errors.is_empty() {
        if undone.is_empty() {
            err = err.detail("nothing had been changed yet; the host is as it was");
        } else {
            err = err.detail(format!("rolled back, the host is as it was: {}", undone.join("; ")));
        }
    } else {
        err = err.detail("ROLLBACK INCOMPLETE; `vimage gc` will retry:");
        for u in undo_errors {
            err = err.detail(u.clone());
        }
    }
    err
}

fn resolve(r: &crate::plan::op::IfRef, b: &Bindings) -> Result<String> {
    r.resolve(b).ok_or_else(|| Error::new(Kind::Internal, format!("unbound interface {r:?} after a successful run")))
}

/// Writes one effect to the records.
fn record(db: &StateDb, plan: &Plan, e: &Effect, b: &Bindings, boottime: i64, run: i64) -> Result<()> {
    let jail = plan.jail.as_str();
    match e {
        Effect::Attach { nic, nic_name, host_if, bridge, uplink, mac, jid } => db.put_attachment(
            &Attachment {
                jail: jail.into(),
                nic: *nic,
                nic_name: nic_name.clone(),
                mode: "epair".into(),
                host_if: resolve(host_if, b)?,
                bridge: Some(resolve(bridge, b)?),
                uplink: Some(uplink.clone()),
                mac: Some(mac.to_string()),
                jid: *jid,
                boottime,
            },
            Some(run),
        ),
        Effect::Detach { nic } => db.delete_attachment(jail, *nic),
        Effect::Bridge { name, uplink, owned } => {
            db.put_bridge(&BridgeRec { name: resolve(name, b)?, uplink: uplink.clone(), owned: *owned, boottime })
        }
        Effect::BridgeGone { name } => db.delete_bridge(name),
        Effect::Mac { nic, mac } => db.remember_mac(jail, *nic, mac),
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
    }
}

/// A destroy that failed because the object is already gone (destroyed by someone else
/// between planning and now) has done its job.
pub fn is_gone_error(op: &Op, out: &Output) -> bool {
    match op {
        Op::Destroy { .. } => out.stderr.contains("does not exist"),
        Op::RemoveJail { .. } => out.stderr.contains("not found"),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
