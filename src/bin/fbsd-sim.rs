//! `fbsd-sim`: the simulated FreeBSD commands as a multi-call program (link it as `ifconfig`,
//! `jls`, `jail`, `jexec`, `sysctl`, `kldstat`, `kldload`, `route`, … or call
//! `fbsd-sim <command> args…`). See `vimage::sim::cli`.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let out = vimage::sim::cli::run(&argv, &|k| std::env::var(k).ok());
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    ExitCode::from((out.code & 0xff) as u8)
}
