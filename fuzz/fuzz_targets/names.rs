//! Jail names, interface names, MACs and uplinks: never panic, and whatever is accepted is
//! safe to put in an argv and a description marker.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vimage::model::{IfName, JailName, Mac, Uplink};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(j) = JailName::parse(&s) {
        assert!(j.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b"_@%:-".contains(&b)));
    }
    if let Ok(n) = IfName::parse(&s) {
        assert!(n.as_str().len() <= 15);
    }
    if let Ok(m) = Mac::parse_assignable(&s) {
        assert!(!m.is_multicast());
        assert_eq!(Mac::parse(&m.to_string()).ok(), Some(m));
    }
    let _ = Uplink::parse(&s);
});
