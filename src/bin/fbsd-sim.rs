//! `fbsd-sim`: the simulated FreeBSD commands as a multi-call program (link it as `ifconfig`,
//! `jls`, `jail`, `jexec`, `sysctl`, `kldstat`, `kldload`, `route`, … or call
//! `fbsd-sim <command> args…`). The program is `fbsd_sim::cli` (crates/fbsd-sim); this target
//! lives in the vimage package so vimage's tests get it as `CARGO_BIN_EXE_fbsd-sim`.

fn main() -> std::process::ExitCode {
    fbsd_sim::cli::main()
}
