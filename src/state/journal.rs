//! The journal: every step's intent before it runs, its result after.
//!
//! After a crash or `kill -9`, a run without `finished` tells the next vimage exactly which
//! steps had started, which finished, and which names the kernel had chosen, so it can undo
//! a half-made setup or finish a half-done teardown.

use super::StateDb;
use crate::error::Result;
use crate::op::Op;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// Where a step is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepState {
    /// Recorded, command started or about to start: its effect is unknown.
    Intent,
    /// The command succeeded.
    Done,
    /// The command failed (it may still have created something: see `binding`).
    Failed,
    /// Its undo ran.
    Undone,
}

impl StepState {
    fn as_str(self) -> &'static str {
        match self {
            StepState::Intent => "intent",
            StepState::Done => "done",
            StepState::Failed => "failed",
            StepState::Undone => "undone",
        }
    }

    fn parse(s: &str) -> StepState {
        match s {
            "done" => StepState::Done,
            "failed" => StepState::Failed,
            "undone" => StepState::Undone,
            _ => StepState::Intent,
        }
    }
}

/// A journalled step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    /// The step's position in its plan.
    pub seq: u32,
    /// The command as run, for the admin reading the journal.
    pub command: String,
    /// The step itself, so recovery can reason about it.
    pub op: Op,
    /// How the executor would have undone it (`None`: nothing to undo).
    pub undo: Option<Op>,
    /// How far it got: recovery undoes only what may have happened.
    pub state: StepState,
    /// The name the kernel chose, for creating steps.
    pub binding: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// A journalled run of one verb for one jail.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// The run's key in the journal.
    pub id: i64,
    /// The jail the run was for.
    pub jail: String,
    /// The verb (the planner's `Verb::as_str`): recovery rolls setup back and finishes teardown.
    pub verb: String,
    /// The process that ran it, for the admin reading the journal.
    pub pid: Option<i64>,
    /// The `kern.boottime` it ran in; a run from an earlier boot is abandoned, not recovered.
    pub boottime: i64,
    /// Its journalled steps, in order.
    pub steps: Vec<StepRow>,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// How many finished runs are kept for inspection.
const KEEP_RUNS: i64 = 500;

impl StateDb {
    /// Opens a run; its id keys the steps.
    pub fn begin_run(&self, jail: &str, verb: &str, boottime: i64) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO run(jail, verb, pid, boottime, started) VALUES(?1, ?2, ?3, ?4, ?5)",
            params![jail, verb, std::process::id(), boottime, now()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records that step `seq` is about to run, with how to undo it.
    pub fn step_intent(&self, run: i64, seq: u32, op: &Op, undo: Option<&Op>, command: &str) -> Result<()> {
        let op_json = serde_json::to_string(op).unwrap_or_default();
        let undo_json = undo.and_then(|u| serde_json::to_string(u).ok());
        self.conn.execute(
            "INSERT OR REPLACE INTO step(run_id, seq, command, op, state, undo) VALUES(?1, ?2, ?3, ?4, 'intent', ?5)",
            params![run, seq, command, op_json, undo_json],
        )?;
        Ok(())
    }

    /// Records the outcome of step `seq`.
    pub fn step_outcome(
        &self,
        run: i64,
        seq: u32,
        state: StepState,
        binding: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE step SET state=?3, binding=COALESCE(?4, binding), error=COALESCE(?5, error)
             WHERE run_id=?1 AND seq=?2",
            params![run, seq, state.as_str(), binding, error],
        )?;
        Ok(())
    }

    /// Closes a run. `apply` runs inside the same transaction, so the records it writes and
    /// the run's end are committed together or not at all.
    pub fn finish_run(&self, run: i64, outcome: &str, apply: impl FnOnce(&StateDb) -> Result<()>) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        apply(self)?;
        tx.execute("UPDATE run SET finished=?2, outcome=?3 WHERE id=?1", params![run, now(), outcome])?;
        tx.execute(
            "DELETE FROM step WHERE run_id IN (SELECT id FROM run WHERE id <= ?1 - ?2 AND finished IS NOT NULL)",
            params![run, KEEP_RUNS],
        )?;
        tx.execute("DELETE FROM run WHERE id <= ?1 - ?2 AND finished IS NOT NULL", params![run, KEEP_RUNS])?;
        tx.commit()?;
        Ok(())
    }

    /// Runs that never finished (crash, kill -9), oldest first, with their steps.
    pub fn unfinished_runs(&self) -> Result<Vec<RunRow>> {
        let mut st =
            self.conn.prepare("SELECT id, jail, verb, pid, boottime FROM run WHERE finished IS NULL ORDER BY id")?;
        let runs: Vec<(i64, String, String, Option<i64>, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<rusqlite::Result<_>>()?;
        runs.into_iter()
            .map(|(id, jail, verb, pid, boottime)| Ok(RunRow { id, jail, verb, pid, boottime, steps: self.steps(id)? }))
            .collect()
    }

    /// The steps of run `id`, in order.
    pub fn steps(&self, id: i64) -> Result<Vec<StepRow>> {
        let mut st = self
            .conn
            .prepare("SELECT seq, command, op, state, binding, error, undo FROM step WHERE run_id=?1 ORDER BY seq")?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, command, op, state, binding, error, undo) = row?;
            let undo = undo.and_then(|u| serde_json::from_str::<Op>(&u).ok());
            // A row whose op cannot be read (written by a future version) is skipped rather
            // than guessed at; recovery then falls back to the markers.
            if let Ok(op) = serde_json::from_str::<Op>(&op) {
                out.push(StepRow { seq, command, op, undo, state: StepState::parse(&state), binding, error });
            }
        }
        Ok(out)
    }

    /// The most recent run of any verb for `jail` (status).
    pub fn last_run(&self, jail: &str) -> Result<Option<(i64, String, Option<String>)>> {
        Ok(self
            .conn
            .query_row("SELECT id, verb, outcome FROM run WHERE jail=?1 ORDER BY id DESC LIMIT 1", [jail], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{IfRef, Op};

    #[test]
    fn unfinished_runs_keep_their_steps_until_finished() {
        let db = StateDb::open_in_memory().unwrap();
        let run = db.begin_run("web1", "bridge", 10).unwrap();
        let op = Op::Destroy { iface: IfRef::name("epair0a") };
        db.step_intent(run, 0, &op, None, "ifconfig epair0a destroy").unwrap();
        db.step_outcome(run, 0, StepState::Done, Some("x"), None).unwrap();
        db.step_intent(run, 1, &op, Some(&op), "ifconfig epair1a destroy").unwrap();
        let open = db.unfinished_runs().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].steps.len(), 2);
        assert_eq!(open[0].steps[0].state, StepState::Done);
        assert_eq!(open[0].steps[0].binding.as_deref(), Some("x"));
        assert_eq!(open[0].steps[1].state, StepState::Intent);
        assert_eq!(open[0].steps[1].op, op);
        assert_eq!(open[0].steps[1].undo.as_ref(), Some(&op));
        db.finish_run(run, "ok", |_| Ok(())).unwrap();
        assert!(db.unfinished_runs().unwrap().is_empty());
        assert_eq!(db.last_run("web1").unwrap().map(|r| r.2), Some(Some("ok".into())));
    }
}
