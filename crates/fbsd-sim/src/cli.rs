//! The `fbsd-sim` multi-call program: the simulated FreeBSD commands as real processes, with
//! the machine's state in the JSON file named by `FBSD_SIM_STATE`.
//!
//! Invoked as `ifconfig`, `jls`, … (the basename of `argv[0]` picks the command) or as
//! `fbsd-sim <command> args…`. Each invocation loads the state, runs the command and saves the
//! state (only when it changed), all under an exclusive lock on `<state>.lock`, so concurrent
//! invocations behave like serialized system calls. `fbsd-sim sim …` administers the state.

use super::{Errno, Kernel, Sim};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use vimage_base::file;

/// Names `fbsd-sim` answers to as `argv[0]` (the programs vimage runs, simulated or not yet).
pub const COMMANDS: &[&str] = super::userland::SIMULATED;

/// What the process prints and its exit status.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CliOutput {
    /// Exit status (the simulated program's, or 64/70/73 for fbsd-sim's own failures).
    pub code: i32,
    /// Text for stdout.
    pub stdout: String,
    /// Text for stderr.
    pub stderr: String,
}

impl CliOutput {
    fn fail(code: i32, msg: String) -> CliOutput {
        CliOutput { code, stdout: String::new(), stderr: format!("fbsd-sim: {msg}\n") }
    }
}

const USAGE: &str = "usage: fbsd-sim <command> [args ...]   (or run it as ifconfig, ngctl, jls, jail, jexec,\n                sysctl, kldstat, kldload, kldunload, route, devfs, dhclient, sysrc, service, sh, cbsd)\n       fbsd-sim sim init [--preset demo|freebsd14]\n       fbsd-sim sim dump | snapshot\n       fbsd-sim sim fail-at N [ERRNO_NAME]\nenvironment: FBSD_SIM_STATE (required), FBSD_SIM_LOG, FBSD_SIM_DELAY_MS, FBSD_SIM_ROOT (optional;\n             the directory standing for the host's / for sysrc, service, ngctl -f and jails' files,\n             e.g. a Linux /bin/sh; default VIMAGE_ROOT)\n";

/// The `fbsd-sim` program's `main`: the process's argv, environment and (for the commands that
/// read it) standard input through [`run_with_stdin`], its output to stdout and stderr, its
/// status as the exit code. The binary (vimage's `src/bin/fbsd-sim.rs`) only calls this.
pub fn main() -> std::process::ExitCode {
    use std::io::Read;
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    // Only `ngctl -f -` and the shell read their standard input; nothing else may block on it.
    let stdin = if reads_stdin(&argv) {
        let mut s = String::new();
        let _ = std::io::stdin().read_to_string(&mut s);
        Some(s)
    } else {
        None
    };
    let out = run_with_stdin(&argv, &|k| std::env::var(k).ok(), stdin.as_deref());
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    std::process::ExitCode::from((out.code & 0xff) as u8)
}

/// Runs one invocation. `argv` includes `argv[0]`; `env` looks up environment variables (passed
/// in so tests need not touch the process environment).
pub fn run(argv: &[String], env: &dyn Fn(&str) -> Option<String>) -> CliOutput {
    run_with_stdin(argv, env, None)
}

/// [`run`] with the process's standard input (what `ngctl -f -` reads).
pub fn run_with_stdin(argv: &[String], env: &dyn Fn(&str) -> Option<String>, stdin: Option<&str>) -> CliOutput {
    let prog = argv
        .first()
        .map(|a| Path::new(a).file_name().map_or(a.clone(), |f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let (command, args): (String, &[String]) = if COMMANDS.contains(&prog.as_str()) {
        (prog, argv.get(1..).unwrap_or(&[]))
    } else {
        match argv.get(1) {
            Some(c) => (c.clone(), argv.get(2..).unwrap_or(&[])),
            None => {
                return CliOutput { code: 64, stdout: String::new(), stderr: USAGE.to_string() };
            }
        }
    };
    if command == "-h" || command == "--help" {
        return CliOutput { code: 0, stdout: USAGE.to_string(), stderr: String::new() };
    }
    let Some(state) = env("FBSD_SIM_STATE").filter(|s| !s.is_empty()).map(PathBuf::from) else {
        return CliOutput::fail(70, "FBSD_SIM_STATE is not set (it names the simulated host's state file)".into());
    };
    let _lock = match lock(&state) {
        Ok(l) => l,
        Err(e) => return CliOutput::fail(70, format!("cannot lock {}.lock: {e}", state.display())),
    };
    if command == "sim" {
        return admin(&state, args);
    }
    if let Some(log) = env("FBSD_SIM_LOG").filter(|s| !s.is_empty()) {
        let mut line = command.clone();
        for a in args {
            line.push('\t');
            line.push_str(a);
        }
        line.push('\n');
        let r = OpenOptions::new().create(true).append(true).open(&log).and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = r {
            return CliOutput::fail(70, format!("cannot append to {log}: {e}"));
        }
    }
    // Lets a test make every command slow, to signal or kill a vimage in the middle of a run.
    if let Some(ms) = env("FBSD_SIM_DELAY_MS").and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(10_000)));
    }
    let mut sim = match Sim::load(&state) {
        Ok(s) => s,
        Err(e) => {
            return CliOutput::fail(70, format!("cannot read state {}: {e}", state.display()));
        }
    };
    let root = env("FBSD_SIM_ROOT").or_else(|| env("VIMAGE_ROOT")).filter(|s| !s.is_empty()).map(PathBuf::from);
    sim.kernel.set_root(root);
    let before = serde_json::to_string(&sim).unwrap_or_default();
    let out = sim.exec_with_input(&command, args, stdin);
    let after = serde_json::to_string(&sim).unwrap_or_default();
    if before != after
        && let Err(e) = sim.save(&state)
    {
        return CliOutput::fail(70, format!("cannot write state {}: {e}", state.display()));
    }
    CliOutput { code: out.code, stdout: out.stdout, stderr: out.stderr }
}

/// True when the invocation reads its standard input: `ngctl -f -`, `pfctl -f -`, `sh` without `-c`, and
/// `jexec JAIL` without a command (which runs the jail's shell). Nothing else may block on it.
pub fn reads_stdin(argv: &[String]) -> bool {
    let base = |a: &String| a.rsplit('/').next().unwrap_or(a).to_string();
    let (prog, args): (String, &[String]) = match argv.first().map(base) {
        Some(p) if COMMANDS.contains(&p.as_str()) => (p, argv.get(1..).unwrap_or(&[])),
        _ => (argv.get(1).map(base).unwrap_or_default(), argv.get(2..).unwrap_or(&[])),
    };
    match prog.as_str() {
        "ngctl" => args.windows(2).any(|w| w[0] == "-f" && w[1] == "-") || args.iter().any(|a| a == "-f-"),
        // pfctl -f - (and -nf -): sbin/pfctl/pfctl.c `pfctl_rules` reads "-" as stdin.
        "pfctl" => {
            let f_flag = |a: &String| a.starts_with('-') && !a.starts_with("--") && a.len() > 1 && a.ends_with('f');
            args.windows(2).any(|w| f_flag(&w[0]) && w[1] == "-") || args.iter().any(|a| a == "-f-")
        }
        "sh" => !args.iter().any(|a| a == "-c") && args.first().is_none_or(|a| a.starts_with('-')),
        "jexec" => {
            let mut operands = 0;
            let mut i = 0;
            while i < args.len() {
                let a = &args[i];
                if operands == 0 && (a == "-u" || a == "-U") {
                    i += 2;
                    continue;
                }
                if operands == 0 && a.starts_with('-') && a != "-" {
                    if a == "--" {
                        operands = 0;
                    }
                    i += 1;
                    continue;
                }
                operands += 1;
                i += 1;
            }
            operands == 1
        }
        _ => false,
    }
}

/// Takes the exclusive lock on `<state>.lock` (released when the file is dropped).
fn lock(state: &Path) -> std::io::Result<File> {
    let mut p = state.as_os_str().to_owned();
    p.push(".lock");
    let f = file::open_lock_file(&PathBuf::from(p))?;
    file::lock(&f, file::Wait::Forever).map_err(|e| match e {
        file::LockError::Io(e) => e,
        file::LockError::Busy => std::io::ErrorKind::WouldBlock.into(),
    })?;
    Ok(f)
}

/// `fbsd-sim sim init|dump|snapshot|fail-at`.
fn admin(state: &Path, args: &[String]) -> CliOutput {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let load =
        || Sim::load(state).map_err(|e| CliOutput::fail(70, format!("cannot read state {}: {e}", state.display())));
    let save = |s: &Sim| {
        s.save(state).map_err(|e| CliOutput::fail(73, format!("cannot write state {}: {e}", state.display())))
    };
    let ok = |stdout: String| CliOutput { code: 0, stdout, stderr: String::new() };
    let r: Result<CliOutput, CliOutput> = match words.as_slice() {
        ["init"] | ["init", "--preset", "demo"] | ["init", "--preset=demo"] => {
            save(&Sim::new(Kernel::demo())).map(|_| ok(String::new()))
        }
        ["init", "--preset", "freebsd14"] | ["init", "--preset=freebsd14"] => {
            save(&Sim::new(Kernel::freebsd14())).map(|_| ok(String::new()))
        }
        ["dump"] => load().map(|s| ok(serde_json::to_string_pretty(&s).unwrap_or_default() + "\n")),
        ["snapshot"] => {
            load().map(|s| ok(serde_json::to_string_pretty(&s.kernel.snapshot()).unwrap_or_default() + "\n"))
        }
        ["fail-at", raw, rest @ ..] if rest.len() <= 1 => {
            let n: Result<u64, _> = raw.parse();
            let e: Result<Errno, String> = rest.first().map_or(Ok(Errno::EIO), |s| s.parse());
            match (n, e) {
                (Ok(n), Ok(e)) if n >= 1 => load().and_then(|mut s| {
                    s.kernel.fail_at(n, e);
                    save(&s).map(|_| ok(String::new()))
                }),
                (_, Err(m)) => Err(CliOutput::fail(64, m)),
                _ => Err(CliOutput::fail(64, format!("fail-at: N must be a positive integer, not '{raw}'"))),
            }
        }
        _ => Err(CliOutput { code: 64, stdout: String::new(), stderr: USAGE.to_string() }),
    };
    r.unwrap_or_else(|e| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn missing_state_env_is_exit_70() {
        let o = run(&argv(&["ifconfig", "-l"]), &|_| None);
        assert_eq!(o.code, 70);
        assert!(o.stderr.contains("FBSD_SIM_STATE"));
    }

    #[test]
    fn multi_call_and_subcommand_forms_share_the_state_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json").to_string_lossy().into_owned();
        let log = dir.path().join("log").to_string_lossy().into_owned();
        let env = |k: &str| match k {
            "FBSD_SIM_STATE" => Some(state.clone()),
            "FBSD_SIM_LOG" => Some(log.clone()),
            _ => None,
        };
        assert_eq!(run(&argv(&["fbsd-sim", "sim", "init"]), &env).code, 0);
        let o = run(&argv(&["/x/bin/ifconfig", "epair", "create"]), &env);
        assert_eq!((o.code, o.stdout.as_str()), (0, "epair0a\n"));
        let o = run(&argv(&["fbsd-sim", "ifconfig", "-l"]), &env);
        assert_eq!(o.stdout, "em0 lo0 epair0a epair0b\n");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text, "ifconfig\tepair\tcreate\nifconfig\t-l\n");
        let o = run(&argv(&["fbsd-sim", "sim", "fail-at", "1", "EBUSY"]), &env);
        assert_eq!(o.code, 0);
        let o = run(&argv(&["ifconfig", "epair0a", "up"]), &env);
        assert_eq!(o.stderr, "ifconfig: up: Device busy\n");
        let o = run(&argv(&["fbsd-sim", "sim", "snapshot"]), &env);
        let snap: crate::Snapshot = serde_json::from_str(&o.stdout).unwrap();
        assert!(snap.interfaces.iter().any(|i| i.name == "epair0a" && !i.up));
        assert_eq!(run(&argv(&["fbsd-sim", "sim", "bogus"]), &env).code, 64);
        assert_eq!(run(&argv(&["fbsd-sim", "sim", "fail-at", "x"]), &env).code, 64);
        assert_eq!(run(&argv(&["fbsd-sim"]), &env).code, 64);
    }
}
