//! `fbsd-sim`: the simulated FreeBSD commands as a multi-call program (link it as `ifconfig`,
//! `jls`, `jail`, `jexec`, `sysctl`, `kldstat`, `kldload`, `route`, … or call
//! `fbsd-sim <command> args…`). See `vimage::sim::cli`.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    // Only `ngctl -f -` and the shell read their standard input; nothing else may block on it.
    let stdin = if vimage::sim::cli::reads_stdin(&argv) {
        let mut s = String::new();
        let _ = std::io::stdin().read_to_string(&mut s);
        Some(s)
    } else {
        None
    };
    let out = vimage::sim::cli::run_with_stdin(&argv, &|k| std::env::var(k).ok(), stdin.as_deref());
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    ExitCode::from((out.code & 0xff) as u8)
}
