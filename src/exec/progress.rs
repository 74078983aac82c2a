//! What a run tells its front end while it goes, so each line of a report can be printed the
//! moment it is true: a failure later in the run (a file that cannot be written, exit 73) then
//! cannot swallow the lines that say what was already done, such as a new NIC's MAC and host end.
//!
//! The core only calls these hooks; what is printed, and whether anything is (`-q`, `--json`,
//! a dry run), is the front end's business.

use super::Report;
use crate::plan::Plan;

/// Receives a session's events in the order they happen. Every method has an empty default,
/// so a front end implements only what it prints.
pub trait Progress {
    /// `plan` was made and is about to run (or, when it changes nothing, is all there is).
    fn planned(&mut self, _plan: &Plan) {}
    /// One step of `plan` succeeded; `command` is what ran, with the kernel's names filled in.
    fn step_done(&mut self, _plan: &Plan, _command: &str) {}
    /// Every kernel step of `plan` succeeded and its records are written.
    fn applied(&mut self, _plan: &Plan, _report: &Report) {}
    /// Something `plan`'s run found or did after its kernel steps: a DHCP lease, a file written.
    fn result(&mut self, _plan: &Plan, _line: &str) {}
    /// A remark about the session as a whole (a repair, a warning, a re-plan).
    fn note(&mut self, _note: &Note) {}
}

/// A remark about a session, typed where it is made: a front end prints a warning apart (on
/// stderr) without reading the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Something failed and is left for the next run (a repair on the way in, a service's
    /// `exec_stop`); the rest are things done or found.
    pub warning: bool,
    /// The line as printed and as `--json` lists it (a warning's begins `warning: `).
    pub text: String,
}

impl Note {
    /// A remark: a repair made, a re-plan.
    pub fn info(text: impl Into<String>) -> Note {
        Note { warning: false, text: text.into() }
    }

    /// A warning; its text reads `warning: <what>`.
    pub fn warning(what: impl std::fmt::Display) -> Note {
        Note { warning: true, text: format!("warning: {what}") }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// As its text: `--json` lists notes as strings.
impl serde::Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Reports nothing: library callers and tests that only want the final [`Report`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}
