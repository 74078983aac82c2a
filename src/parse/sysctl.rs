//! Reads `sysctl name…` output: one `name: value` line per OID (sbin/sysctl/sysctl.c).

use std::collections::BTreeMap;

/// OID → value text. Unknown OIDs (with `-i`) are simply absent.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect()
}

/// `kern.boottime: { sec = 1763880000, usec = 0 } Sun Nov 23 …` → 1763880000.
pub fn boottime_sec(value: &str) -> Option<i64> {
    let rest = value.split("sec = ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_value_lines() {
        let m = parse(
            "kern.features.vimage: 1\nkern.hostuuid: 3f1c-aa\nkern.boottime: { sec = 1763880000, usec = 12 } Sun Nov 23 06:40:00 2025\n",
        );
        assert_eq!(m["kern.features.vimage"], "1");
        assert_eq!(m["kern.hostuuid"], "3f1c-aa");
        assert_eq!(boottime_sec(&m["kern.boottime"]), Some(1763880000));
        assert_eq!(boottime_sec("garbage"), None);
    }
}
