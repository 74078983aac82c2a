//! jls -n -q, sysctl and route get output: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = vimage::parse::jls::parse_nameval(&text);
    for v in vimage::parse::sysctl::parse(&text).values() {
        let _ = vimage::parse::sysctl::boottime_sec(v);
    }
    let _ = vimage::parse::route::default_interface(&text);
    let _ = vimage::parse::route::gateway(&text);
});
