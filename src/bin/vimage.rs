//! The `vimage` binary (also installed as `vimage-<command>` links for CBSD).
//!
//! Chooses the host explicitly — the simulated one with `--simulate=STATE` (only in builds with
//! the `simulator` feature), else the real FreeBSD commands (by absolute path, or from
//! `VIMAGE_CMD_DIR`) — then hands over to the library's [`cli::entry`], which prints each line
//! as it happens and never panics on output (a closed stdout ends the output quietly; see
//! `vimage::cli::Out`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use vimage::cli::{self, Out};
use vimage::error::Error;
#[cfg(feature = "simulator")]
use vimage::error::Kind;
#[cfg(feature = "simulator")]
use vimage::host::SimHost;
use vimage::host::{FreeBsdHost, Host};
#[cfg(feature = "simulator")]
use vimage::sim::{Kernel, Sim};

fn main() -> ExitCode {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        // A failure to install a handler only means the default action (exit) stays; the
        // journal still lets the next run repair what that leaves.
        let _ = signal_hook::flag::register(sig, vimage::exec::stop_flag());
    }
    let out = Out::stdio();
    let mut simulate: Option<PathBuf> = None;
    let argv: Vec<OsString> = std::env::args_os()
        .filter(|a| match a.to_str().and_then(|s| s.strip_prefix("--simulate=")) {
            Some(p) => {
                simulate = Some(PathBuf::from(p));
                false
            }
            None => true,
        })
        .collect();
    let code = match cli::utf8_argv(&argv) {
        // Reported by `entry` before anything is chosen or touched.
        Err(_) => cli::entry(&argv, &|k| std::env::var_os(k), &mut NoHost, &out),
        Ok(text) => {
            run(&argv, &text, simulate, &out).unwrap_or_else(|e| cli::report(&e, cli::json_requested(&text), &out))
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(70))
}

fn run(argv: &[OsString], text: &[String], simulate: Option<PathBuf>, out: &Out) -> Result<i32, Error> {
    // demo, version, help and construct (which only writes a jconf and runs cbsd) touch no kernel.
    let demo_or_meta = matches!(cli::verb_of(text).0.as_deref(), Some("demo" | "construct" | "version") | None)
        || text.iter().any(|a| matches!(a.as_str(), "--help" | "-h" | "--desc" | "--args"));
    let env = |k: &str| std::env::var_os(k);
    let Some(state) = simulate else {
        let dir = std::env::var_os("VIMAGE_CMD_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
        if !demo_or_meta {
            vimage::ops::check_platform(dir.is_some())?;
        }
        return Ok(cli::entry(argv, &env, &mut FreeBsdHost::new(dir), out));
    };
    simulated(argv, &state, &env, out)
}

/// `--simulate=STATE`: the command against the simulated host kept in `STATE`, saved after.
#[cfg(feature = "simulator")]
fn simulated(
    argv: &[OsString],
    state: &std::path::Path,
    env: &dyn Fn(&str) -> Option<OsString>,
    out: &Out,
) -> Result<i32, Error> {
    let mut sim = if state.exists() {
        Sim::load(state).map_err(|e| Error::new(Kind::Os, format!("cannot read {}: {e}", state.display())))?
    } else {
        Sim::new(Kernel::demo())
    };
    // vimage's own files (state, lock, devfs.rules, rc.conf) go beside the state file, and the
    // simulated host's files (jail roots, rc.conf for sysrc and service) are where vimage
    // reads them: the same root.
    let env = vimage::paths::Paths::simulated_env(state, env);
    sim.kernel.set_root(Some(vimage::paths::Paths::from_env_with(&env).root));
    let mut host = SimHost::new(sim);
    let code = cli::entry(argv, &env, &mut host, out);
    host.sim()
        .save(state)
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot write {}: {e}", state.display())))?;
    Ok(code)
}

/// `--simulate=STATE` in a build without the simulator: refused (69), nothing touched.
#[cfg(not(feature = "simulator"))]
fn simulated(
    _argv: &[OsString],
    _state: &std::path::Path,
    _env: &dyn Fn(&str) -> Option<OsString>,
    _out: &Out,
) -> Result<i32, Error> {
    Err(vimage::buildinfo::no_simulator("--simulate"))
}

/// The host of a command line refused before any host is chosen: never asked.
struct NoHost;

impl Host for NoHost {
    fn run(&mut self, cmd: &vimage::host::Cmd) -> Result<vimage::host::Output, vimage::host::SpawnError> {
        Err(vimage::host::SpawnError { path: cmd.program.name().to_string(), reason: "no host was chosen".into() })
    }
}
