//! vimage's whole command line — argv bytes and environment — through `vimage::cli::entry`
//! against the in-process simulated host: never panics, exits with a sysexits(3) code, and
//! `--json` always prints one JSON document. The checks live in fuzz/harness/cli_entry.rs,
//! which tests/cli_entry.rs also runs inside `cargo test`.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness/cli_entry.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    let _ = harness::one(data);
});
