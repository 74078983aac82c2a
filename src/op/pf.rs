//! pf and sysctl: vimage's own anchors (`vimage/NAME`) and the knobs a NAT network needs.
//!
//! vimage never edits the admin's main ruleset here: it loads rules only into anchors below
//! `vimage/`, which the main ruleset reaches through `nat-anchor`, `rdr-anchor` and `anchor
//! "vimage/*"` (see `vimage doctor`). A load replaces the whole anchor in one transaction
//! (sbin/pfctl/pfctl.c `pfctl_rules`: `DIOCXBEGIN` … `DIOCXCOMMIT`), so its undo is another
//! whole load of what the anchor held before, or a flush when it held nothing.

use crate::host::{Cmd, Output, Program};

/// `pfctl -a <anchor> -f -` with `rules` on stdin.
pub(super) fn load_anchor(anchor: &str, rules: &str) -> Cmd {
    Cmd::new(Program::Pfctl, ["-a", anchor, "-f", "-"]).with_stdin(rules)
}

/// `pfctl -a <anchor> -F all`
pub(super) fn flush_anchor(anchor: &str) -> Cmd {
    Cmd::new(Program::Pfctl, ["-a", anchor, "-F", "all"])
}

/// `pfctl -nf <path>`
pub(super) fn check_conf(path: &str) -> Cmd {
    Cmd::new(Program::Pfctl, ["-nf", path])
}

/// `pfctl -f <path>`
pub(super) fn load_conf(path: &str) -> Cmd {
    Cmd::new(Program::Pfctl, ["-f", path])
}

/// `sysctl <name>=<value>`
pub(super) fn sysctl_set(name: &str, value: &str) -> Cmd {
    Cmd::new(Program::Sysctl, [format!("{name}={value}")])
}

/// pf is not loaded (no `/dev/pf`): no anchor holds anything, so a flush has nothing left to
/// do.
pub(super) fn pf_gone(out: &Output) -> bool {
    out.stderr.contains("/dev/pf: No such file or directory")
}

/// The text a load's undo puts back: `pfctl -a A -s rules` and `-s nat` as pfctl prints them
/// (which pfctl reads back), in pf.conf's section order: scrub rules first, then translation
/// (nat, rdr), then filter rules (`-s rules` lists scrub before filter; `-s nat` nat before
/// rdr).
pub fn anchor_text(show_rules: &str, show_nat: &str) -> String {
    let lines =
        |s: &str| s.lines().map(str::trim_end).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let rules = lines(show_rules);
    let (scrub, filter): (Vec<String>, Vec<String>) = rules.into_iter().partition(|l| l.starts_with("scrub"));
    let mut out = String::new();
    for l in scrub.iter().chain(&lines(show_nat)).chain(&filter) {
        out.push_str(l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchors_listing_becomes_loadable_text_in_section_order() {
        let t = anchor_text(
            "scrub in all fragment reassemble\npass all flags S/SA keep state\n",
            "nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin\n",
        );
        assert_eq!(
            t,
            "scrub in all fragment reassemble\nnat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin\n\
             pass all flags S/SA keep state\n"
        );
        assert_eq!(anchor_text("", ""), "");
    }
}
