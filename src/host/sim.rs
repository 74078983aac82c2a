//! The simulated host: the same argv, handed to the in-process FreeBSD model.

use super::{Cmd, Host, Output, SpawnError};
use crate::sim::Sim;

/// Runs commands against [`Sim`], the in-process model of a FreeBSD kernel and userland.
///
/// It is what `--simulate`, the demo, the unit tests and the benchmarks use. No process is
/// spawned; each call is counted so tests and benchmarks can report invocations per jail.
#[derive(Debug)]
pub struct SimHost {
    sim: Sim,
    invocations: Vec<Cmd>,
    record: bool,
}

impl SimHost {
    /// Wraps a simulator; `record` keeps every command for later inspection.
    pub fn new(sim: Sim) -> SimHost {
        SimHost { sim, invocations: Vec::new(), record: true }
    }

    /// Stops keeping the command log (benchmarks with millions of commands).
    pub fn without_log(mut self) -> SimHost {
        self.record = false;
        self
    }

    /// The simulated machine, for assertions about kernel state.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The simulated machine, for arranging a test (add a jail, inject a fault).
    pub fn sim_mut(&mut self) -> &mut Sim {
        &mut self.sim
    }

    /// Every command run so far, in order.
    pub fn invocations(&self) -> &[Cmd] {
        &self.invocations
    }

    /// Forgets the command log (to count the commands of one action).
    pub fn clear_invocations(&mut self) {
        self.invocations.clear();
    }

    /// Gives the simulator back (to save its state to a file).
    pub fn into_sim(self) -> Sim {
        self.sim
    }
}

impl Host for SimHost {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        if self.record {
            self.invocations.push(cmd.clone());
        }
        Ok(self.sim.exec_with_input(cmd.program.name(), &cmd.args, cmd.stdin.as_deref()))
    }
}
