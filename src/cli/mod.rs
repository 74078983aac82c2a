//! The command line: argv → verb → result text and exit code.
//!
//! `main` only chooses the host (real or simulated) and calls [`run`]; everything else is here
//! and testable in-process.

pub mod args;
mod bridge;
mod construct;
#[cfg(feature = "simulator")]
mod demo;
mod devfs;
mod doctor;
mod gc;
pub mod man;
mod service;
mod set;
pub mod spec;
mod status;
mod unbridge;
mod wizard;

use crate::error::{Error, Kind, Result};
use crate::host::{Cmd, Host, Output, SpawnError};
use crate::paths::Paths;
use args::{Args, Meta};
use std::time::Duration;

/// What one invocation needs from its surroundings.
pub struct Ctx<'a> {
    /// Where vimage keeps its database, lock and files (overridable for tests and the simulator).
    pub paths: Paths,
    /// The seam to the kernel: the real host or the simulator, chosen by `main` or a test.
    pub host: &'a mut dyn Host,
    /// How long to wait for the host lock.
    pub lock_timeout: Duration,
}

/// What a verb produced: text for stdout and the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// What to print on stdout; returned rather than printed so tests can compare it.
    pub stdout: String,
    /// The process exit status (0, or a sysexits(3) code from [`crate::error::Kind`]).
    pub code: i32,
}

impl Outcome {
    fn ok(stdout: String) -> Outcome {
        Outcome { stdout, code: 0 }
    }
}

/// Splits argv into the verb and its arguments: `vimage bridge …` or `vimage-bridge …`.
pub fn verb_of(argv: &[String]) -> (Option<String>, Vec<String>) {
    let prog = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_default();
    if let Some(v) = prog.strip_prefix("vimage-") {
        return (Some(v.to_string()), argv[1..].to_vec());
    }
    match argv.get(1) {
        Some(v) if !v.starts_with('-') && !v.contains('=') => (Some(v.clone()), argv[2..].to_vec()),
        _ => (None, argv.get(1..).map(<[String]>::to_vec).unwrap_or_default()),
    }
}

/// Runs one invocation. Errors are returned, not printed, so tests can inspect them.
pub fn run(argv: &[String], ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let (verb, rest) = verb_of(argv);
    let Some(verb) = verb else {
        if rest.iter().any(|a| a == "--man") {
            return Ok(Outcome::ok(man::page()));
        }
        if rest.iter().any(|a| a == "--version" || a == "-V") {
            return Ok(Outcome::ok(crate::buildinfo::text()));
        }
        if rest.is_empty() || rest.iter().any(|a| a == "-h" || a == "--help" || a == "help") {
            return Ok(Outcome::ok(spec::main_help()));
        }
        return Err(
            Error::new(Kind::Usage, format!("no command given before {:?}", rest[0])).detail("see: vimage --help")
        );
    };
    let Some(vs) = spec::verb(&verb) else {
        let mut e = Error::new(Kind::Usage, format!("unknown command '{verb}'"));
        if let Some(s) = args::suggest(&verb, spec::VERBS.iter().map(|v| v.name)) {
            e = e.detail(format!("did you mean '{s}'?"));
        }
        return Err(e.detail("see: vimage --help"));
    };
    let a = args::parse(vs, &rest)?;
    let invoked = format!("vimage {}", vs.name);
    match a.meta {
        Some(Meta::Help) => return Ok(Outcome::ok(spec::help(vs, &invoked))),
        Some(Meta::Desc) => return Ok(Outcome::ok(format!("{}\n", spec::desc_line(vs)))),
        Some(Meta::Args) => return Ok(Outcome::ok(spec::args_text(vs))),
        None => {}
    }
    let mut logged = Logged { inner: &mut *ctx.host, verbose: a.verbose };
    let mut sub = Ctx { paths: ctx.paths.clone(), host: &mut logged, lock_timeout: ctx.lock_timeout };
    match vs.name {
        "bridge" => bridge::run(&a, &mut sub),
        "unbridge" => unbridge::run(&a, &mut sub),
        "devfs" => devfs::run(&a, &mut sub),
        "status" => status::run(&a, &mut sub),
        "doctor" => doctor::run(&a, &mut sub),
        "gc" => gc::run(&a, &mut sub),
        "set" => set::run(&a, &mut sub),
        "start" => service::start(&a, &mut sub),
        "stop" => service::stop(&a, &mut sub),
        "construct" => construct::run(&a, &mut sub),
        #[cfg(feature = "simulator")]
        "demo" => demo::run(&a),
        #[cfg(not(feature = "simulator"))]
        "demo" => Err(crate::buildinfo::no_simulator("vimage demo")),
        "version" if a.flag("json") => Ok(Outcome::ok(to_json(&crate::buildinfo::info()))),
        "version" => Ok(Outcome::ok(crate::buildinfo::text())),
        other => Err(Error::new(Kind::Internal, format!("verb {other} has no implementation"))),
    }
}

/// With `-v`, shows each FreeBSD command on stderr as it runs (and its failure).
struct Logged<'a> {
    inner: &'a mut dyn Host,
    verbose: u8,
}

impl Host for Logged<'_> {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        if self.verbose > 0 {
            eprintln!("+ {cmd}");
        }
        let out = self.inner.run(cmd)?;
        if self.verbose > 1 && !out.ok() {
            eprintln!("  exit {}: {}", out.code, out.stderr.trim());
        }
        Ok(out)
    }
}

/// The jail name from `jname=`, validated.
fn jail_arg(a: &Args) -> Result<crate::model::JailName> {
    let s = a.get("jname").unwrap_or_default();
    crate::model::JailName::parse(s).map_err(|e| Error::new(Kind::Data, e.0))
}

/// Splits a list value: commas or blanks (`em0,em1`, `"em0 em1"`).
fn list(v: Option<&str>) -> Vec<String> {
    v.unwrap_or_default().split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Opens the state database for reading without creating it (dry runs change nothing).
fn open_db_readonly(paths: &Paths) -> Result<crate::state::StateDb> {
    let p = paths.state_db();
    if p.exists() { crate::state::StateDb::open(&p) } else { crate::state::StateDb::open_in_memory() }
}

/// JSON text of a serialisable value, pretty and newline-terminated.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn verb_from_argv0_or_first_word() {
        assert_eq!(verb_of(&s(&["/usr/local/bin/vimage-bridge", "jname=a"])), (Some("bridge".into()), s(&["jname=a"])));
        assert_eq!(verb_of(&s(&["vimage", "status", "--json"])), (Some("status".into()), s(&["--json"])));
        assert_eq!(verb_of(&s(&["vimage", "--help"])), (None, s(&["--help"])));
        assert_eq!(verb_of(&s(&["vimage"])), (None, vec![]));
    }
}
