//! The simulator's userland with arbitrary argv: never panics (it stands in for FreeBSD in
//! every test, so it must survive whatever vimage, or a bug in vimage, hands it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vimage::sim::{Kernel, Sim};

const PROGRAMS: [&str; 8] = ["ifconfig", "jls", "jail", "jexec", "sysctl", "kldstat", "kldload", "route"];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let argv: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
    let mut sim = Sim::new(Kernel::demo());
    let _ = sim.exec(PROGRAMS[first as usize % PROGRAMS.len()], &argv);
});
