//! The `vimage` binary (also installed as `vimage-<command>` links for CBSD).
//!
//! Chooses the host explicitly — the simulated one with `--simulate=STATE` (only in builds with
//! the `simulator` feature), else the real FreeBSD commands (by absolute path, or from
//! `VIMAGE_CMD_DIR`) — then hands over to the library.

use std::path::PathBuf;
use std::process::ExitCode;
use vimage::cli::{self, Ctx};
use vimage::error::Error;
#[cfg(feature = "simulator")]
use vimage::error::Kind;
#[cfg(feature = "simulator")]
use vimage::host::SimHost;
use vimage::host::{FreeBsdHost, Host};
use vimage::paths::Paths;
#[cfg(feature = "simulator")]
use vimage::sim::{Kernel, Sim};

fn main() -> ExitCode {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        // A failure to install a handler only means the default action (exit) stays; the
        // journal still lets the next run repair what that leaves.
        let _ = signal_hook::flag::register(sig, vimage::exec::stop_flag());
    }
    let mut argv: Vec<String> = std::env::args().collect();
    let mut simulate: Option<PathBuf> = None;
    argv.retain(|a| match a.strip_prefix("--simulate=") {
        Some(p) => {
            simulate = Some(PathBuf::from(p));
            false
        }
        None => true,
    });
    let code = match run(&argv, simulate) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vimage: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(70))
}

fn run(argv: &[String], simulate: Option<PathBuf>) -> Result<i32, Error> {
    let paths = Paths::from_env();
    // demo, version, help and construct (which only writes a jconf and runs cbsd) touch no kernel.
    let demo_or_meta = matches!(cli::verb_of(argv).0.as_deref(), Some("demo" | "construct" | "version") | None)
        || argv.iter().any(|a| matches!(a.as_str(), "--help" | "-h" | "--desc" | "--args"));
    #[cfg(feature = "simulator")]
    let mut sim_host: Option<SimHost> = match &simulate {
        Some(state) => Some(SimHost::new(if state.exists() {
            Sim::load(state).map_err(|e| Error::new(Kind::Os, format!("cannot read {}: {e}", state.display())))?
        } else {
            Sim::new(Kernel::demo())
        })),
        None => None,
    };
    #[cfg(feature = "simulator")]
    let chosen: Option<&mut dyn Host> = sim_host.as_mut().map(|h| h as &mut dyn Host);
    #[cfg(not(feature = "simulator"))]
    let chosen: Option<&mut dyn Host> = match simulate {
        Some(_) => return Err(vimage::buildinfo::no_simulator("--simulate")),
        None => None,
    };
    let mut real: Option<FreeBsdHost> = None;
    let host: &mut dyn Host = match chosen {
        Some(h) => h,
        None => {
            let dir = std::env::var_os("VIMAGE_CMD_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
            if !demo_or_meta {
                vimage::ops::check_platform(dir.is_some())?;
            }
            real.insert(FreeBsdHost::new(dir))
        }
    };
    let mut ctx = Ctx { paths, host, lock_timeout: vimage::ops::lock_timeout_from_env() };
    let out = cli::run(argv, &mut ctx);
    #[cfg(feature = "simulator")]
    if let (Some(state), Some(h)) = (&simulate, &sim_host) {
        h.sim()
            .save(state)
            .map_err(|e| Error::new(Kind::CantCreate, format!("cannot write {}: {e}", state.display())))?;
    }
    let out = out?;
    print!("{}", out.stdout);
    Ok(out.code)
}
