//! ifconfig status output, as a hostile or newer FreeBSD might print it: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for st in vimage::parse::ifconfig::parse_status(&text) {
        let _ = st.is_bridge();
        if let Some(d) = st.description.as_deref() {
            let _ = vimage::naming::parse_epair_marker(d);
        }
    }
    let _ = vimage::parse::ifconfig::parse_names(&text);
});
