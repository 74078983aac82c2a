//! Placeholder; the simulator is being written.
use crate::host::Output;

/// The simulated FreeBSD machine.
#[derive(Debug, Default)]
pub struct Sim;

impl Sim {
    /// Runs one command.
    pub fn exec(&mut self, _program: &str, _args: &[String]) -> Output {
        Output::default()
    }
}
