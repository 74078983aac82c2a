//! The `vimage` binary (also installed as `vimage-<command>` links for CBSD).
//!
//! Chooses the host explicitly — the simulated one with `--simulate=STATE`, else the real
//! FreeBSD commands (by absolute path, or from `VIMAGE_CMD_DIR`) — then hands over to the
//! library.

use std::path::PathBuf;
use std::process::ExitCode;
use vimage::cli::{self, Ctx};
use vimage::error::{Error, Kind};
use vimage::host::{FreeBsdHost, Host, SimHost};
use vimage::paths::Paths;
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
    // demo, help and construct (which only writes a jconf and runs cbsd) touch no kernel.
    let demo_or_meta = matches!(cli::verb_of(argv).0.as_deref(), Some("demo" | "construct") | None)
        || argv.iter().any(|a| matches!(a.as_str(), "--help" | "-h" | "--desc" | "--args"));
    let mut sim_host: Option<SimHost> = None;
    let mut real: Option<FreeBsdHost> = None;
    if let Some(state) = &simulate {
        let mut sim = if state.exists() {
            Sim::load(state).map_err(|e| Error::new(Kind::Os, format!("cannot read {}: {e}", state.display())))?
        } else {
            Sim::new(Kernel::demo())
        };
        // The simulated host's files (jail roots) are where vimage reads them: VIMAGE_ROOT.
        sim.kernel.set_fs_root(Some(paths.root.clone()));
        sim_host = Some(SimHost::new(sim));
    } else {
        let dir = std::env::var_os("VIMAGE_CMD_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
        if !demo_or_meta {
            vimage::ops::check_platform(dir.is_some())?;
        }
        real = Some(FreeBsdHost::new(dir));
    }
    let host: &mut dyn Host = match (&mut sim_host, &mut real) {
        (Some(h), _) => h,
        (None, Some(h)) => h,
        (None, None) => return Err(Error::new(Kind::Internal, "no host")),
    };
    let mut ctx = Ctx { paths, host, lock_timeout: vimage::ops::lock_timeout_from_env() };
    let out = cli::run(argv, &mut ctx);
    if let (Some(state), Some(h)) = (&simulate, &sim_host) {
        h.sim()
            .save(state)
            .map_err(|e| Error::new(Kind::CantCreate, format!("cannot write {}: {e}", state.display())))?;
    }
    let out = out?;
    print!("{}", out.stdout);
    Ok(out.code)
}
