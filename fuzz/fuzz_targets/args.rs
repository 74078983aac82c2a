//! key=value / --key argument parsing of every verb: never panics, and what it accepts holds
//! only known keys.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let argv: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
    for v in vimage::cli::spec::VERBS {
        if let Ok(a) = vimage::cli::args::parse(v, &argv) {
            for k in a.values.keys() {
                assert!(v.keys.iter().any(|s| s.name == k), "unknown key {k} accepted");
            }
        }
    }
});
