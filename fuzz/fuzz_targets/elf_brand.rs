//! The ELF brand reader (how vimage tells a Linux userland's /bin/sh from FreeBSD's): never
//! panics, and a verdict always carries its evidence.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = vimage::elf::read(data) {
        assert!(!v.evidence.is_empty());
    }
});
