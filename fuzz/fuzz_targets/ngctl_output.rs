//! ngctl show / msg output (usr.sbin/ngctl/show.c, msg.c): never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = vimage::parse::ngctl::parse_show(&text);
    for r in vimage::parse::ngctl::replies(&text) {
        let _ = vimage::parse::ngctl::unquote(&r.args);
    }
    for l in text.lines() {
        let _ = vimage::parse::ngctl::node_line(l);
    }
});
