//! A line-preserving editor for `/etc/devfs.rules` (devfs.rules(5)).
//!
//! The format, as rc.subr's `devfs_rulesets_from_file` reads it (libexec/rc/rc.subr): each
//! line goes through `read` (leading and trailing blanks dropped); a line starting with `#` is
//! a comment; a line `[name=number]…` starts a ruleset (`expr "$line" : "\[.*=\([0-9]*\)\]"`,
//! so the number is the digits between the last such `=` and `]`); every other non-empty line
//! is a rule passed to `devfs rule -s N` after `eval` (which expands `$name` references).
//!
//! vimage owns exactly one section, `[vimage_vnet_bpf=N]`: its header and the lines up to the
//! next header, minus trailing blank and comment lines (those belong to what follows). Every
//! other byte of the file is kept: other sections, comments, CRLF endings, odd spacing.

use super::{MARKER, SECTION};

pub use vimage_base::devfs_rules::{Header, STOCK_FILE, header};
use vimage_base::lines::{self, Line};

/// `/etc/devfs.rules` as lines, editable only in vimage's section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFile {
    lines: Vec<Line>,
}

/// vimage's section as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ours {
    /// The ruleset number in its header; `None` when rc.subr could not read one.
    pub number: Option<u16>,
    /// Its rule lines (comments and blank lines left out), trimmed.
    pub rules: Vec<String>,
}

impl RulesFile {
    /// Splits `text` into lines; never fails.
    pub fn parse(text: &str) -> RulesFile {
        RulesFile { lines: lines::split(text) }
    }

    /// The file: every line not in vimage's section as it was read.
    pub fn render(&self) -> String {
        lines::render(&self.lines)
    }

    /// Every section header, in file order.
    pub fn headers(&self) -> Vec<Header> {
        self.lines.iter().filter_map(|l| header(&l.text)).collect()
    }

    /// Sections that are not vimage's: `(name, number)`.
    pub fn others(&self) -> Vec<Header> {
        self.headers().into_iter().filter(|h| h.name != SECTION).collect()
    }

    /// The number of the ruleset called `name`, as rc.subr would define `$name`.
    pub fn number_of(&self, name: &str) -> Option<u16> {
        self.headers().into_iter().rev().find(|h| h.name == name).and_then(|h| h.number)
    }

    /// vimage's section, if the file has one (the first, if a hand edit duplicated it).
    pub fn ours(&self) -> Option<Ours> {
        let (start, end) = self.spans().into_iter().next()?;
        let h = header(&self.lines[start].text)?;
        let rules = self.lines[start + 1..end]
            .iter()
            .map(|l| l.text.trim_matches([' ', '\t', '\r']).to_string())
            .filter(|t| !t.is_empty() && !t.starts_with('#'))
            .collect();
        Some(Ours { number: h.number, rules })
    }

    /// Line ranges `[start, end)` of every vimage section.
    fn spans(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            let is_ours = header(&self.lines[i].text).is_some_and(|h| h.name == SECTION);
            if !is_ours {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while end < self.lines.len() && header(&self.lines[end].text).is_none() {
                end += 1;
            }
            // Trailing blank lines and foreign comments introduce what follows.
            while end > i + 1 {
                let t = self.lines[end - 1].text.trim_matches([' ', '\t', '\r']);
                if t.is_empty() || (t.starts_with('#') && t != MARKER) {
                    end -= 1;
                } else {
                    break;
                }
            }
            out.push((i, end));
            i = end.max(i + 1);
        }
        out
    }

    /// Makes vimage's section `[vimage_vnet_bpf=number]` with the marker and `rules`: in place
    /// if the file has one (duplicates removed), else appended. Returns whether the text changed.
    pub fn set_ours(&mut self, number: u16, rules: &[String]) -> bool {
        let before = self.render();
        let eol = self.dominant_eol();
        let mut block: Vec<Line> =
            vec![Line { text: format!("[{SECTION}={number}]"), eol }, Line { text: MARKER.to_string(), eol }];
        block.extend(rules.iter().map(|r| Line { text: r.clone(), eol }));
        let spans = self.spans();
        match spans.first().copied() {
            Some((start, end)) => {
                for &(s, e) in spans.iter().skip(1).rev() {
                    self.lines.drain(s..e);
                }
                // The section's last line keeps its own terminator (no final newline stays so).
                if let Some(last) = block.last_mut() {
                    last.eol = self.lines[end - 1].eol;
                    if end < self.lines.len() && last.eol.is_empty() {
                        last.eol = eol;
                    }
                }
                self.lines.splice(start..end, block);
            }
            None => {
                if let Some(last) = self.lines.last_mut()
                    && last.eol.is_empty()
                {
                    last.eol = eol;
                }
                self.lines.extend(block);
            }
        }
        self.render() != before
    }

    /// Removes vimage's section(s). Returns whether the text changed.
    pub fn remove_ours(&mut self) -> bool {
        let spans = self.spans();
        for &(s, e) in spans.iter().rev() {
            self.lines.drain(s..e);
        }
        !spans.is_empty()
    }

    fn dominant_eol(&self) -> &'static str {
        lines::dominant_eol(&self.lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devfs::section_rules;
    use proptest::prelude::*;

    fn ours_block(n: u16) -> String {
        {
            let mut s = format!("[{SECTION}={n}]\n{MARKER}\n");
            for r in section_rules() {
                s.push_str(&r);
                s.push('\n');
            }
            s
        }
    }

    #[test]
    fn headers_are_read_like_rc_subr() {
        assert_eq!(header("[devfsrules_jail=4]"), Some(Header { name: "devfsrules_jail".into(), number: Some(4) }));
        assert_eq!(header("  [x=11]  "), Some(Header { name: "x".into(), number: Some(11) }));
        assert_eq!(header("[x=11]\r"), Some(Header { name: "x".into(), number: Some(11) }));
        assert_eq!(header("[a=b=7] # c"), Some(Header { name: "a=b".into(), number: Some(7) }));
        assert_eq!(header("[x=]"), Some(Header { name: "x".into(), number: None }));
        assert_eq!(header("[x=99999]").unwrap().number, None, "ruleset numbers are 16-bit");
        assert_eq!(header("[noequals]").unwrap().number, None);
        assert_eq!(header("add path x unhide"), None);
        assert_eq!(header("# [x=1]"), None);
        assert_eq!(header("[unclosed"), None);
    }

    #[test]
    fn the_stock_file_has_rulesets_1_to_5_and_is_kept_verbatim() {
        let mut f = RulesFile::parse(STOCK_FILE);
        assert_eq!(f.render(), STOCK_FILE);
        let nums: Vec<_> = f.headers().iter().map(|h| (h.name.clone(), h.number.unwrap())).collect();
        let want: Vec<_> = crate::devfs::STOCK.iter().map(|(n, x)| (n.to_string(), *x)).collect();
        assert_eq!(nums, want);
        assert_eq!(f.number_of("devfsrules_jail_vnet"), Some(5));
        assert!(f.ours().is_none());
        assert!(f.set_ours(50, &section_rules()));
        assert_eq!(f.render(), format!("{STOCK_FILE}{}", ours_block(50)));
        assert_eq!(f.ours(), Some(Ours { number: Some(50), rules: section_rules() }));
        assert!(!f.set_ours(50, &section_rules()), "already in place");
        assert!(f.remove_ours());
        assert_eq!(f.render(), STOCK_FILE);
    }

    #[test]
    fn replacing_keeps_the_surroundings_and_the_position() {
        let text = "[mine=10]\nadd path 'tun*' unhide\n\n[vimage_vnet_bpf=50]\n# old marker\nadd hide\n\n# my next ruleset\n[other=20]\nadd hide";
        let mut f = RulesFile::parse(text);
        assert!(f.set_ours(51, &section_rules()));
        let want =
            format!("[mine=10]\nadd path 'tun*' unhide\n\n{}\n# my next ruleset\n[other=20]\nadd hide", ours_block(51));
        assert_eq!(f.render(), want);
        assert!(f.remove_ours());
        assert_eq!(f.render(), "[mine=10]\nadd path 'tun*' unhide\n\n\n# my next ruleset\n[other=20]\nadd hide");
    }

    #[test]
    fn odd_formatting_survives() {
        // No final newline, CRLF, blanks before '[', a comment with brackets.
        let text = "  [ws=30]\r\n\tadd path null unhide\r\n# [not=1]\r\n[crlf=31]\r\nadd hide";
        let mut f = RulesFile::parse(text);
        assert_eq!(f.others().iter().map(|h| h.number).collect::<Vec<_>>(), [Some(30), Some(31)]);
        f.set_ours(50, &section_rules());
        let out = f.render();
        assert!(out.starts_with(text), "{out:?}");
        assert!(out.ends_with(&ours_block(50).replace('\n', "\r\n")), "{out:?}");
        f.remove_ours();
        assert_eq!(f.render(), format!("{text}\r\n"), "only the missing final newline was added");
        // A duplicated section (hand edit) collapses into one.
        let mut f = RulesFile::parse(&format!("{}{}", ours_block(50), ours_block(60)));
        assert_eq!(f.ours().unwrap().number, Some(50));
        f.set_ours(50, &section_rules());
        assert_eq!(f.render(), ours_block(50));
        // Our section at the very end without a final newline keeps it so.
        let mut f = RulesFile::parse(&format!("[a=1]\n{}", ours_block(50).trim_end()));
        f.set_ours(52, &section_rules());
        assert_eq!(f.render(), format!("[a=1]\n{}", ours_block(52).trim_end()));
    }

    fn other_section() -> impl Strategy<Value = String> {
        (
            "[a-z_]{1,12}",
            0u16..2000,
            proptest::collection::vec(
                prop_oneof![
                    Just("add hide".to_string()),
                    "add path '[a-z*]{1,6}' unhide",
                    "# [a-z \\[\\]=0-9]{0,20}",
                    Just(String::new()),
                    "[ \t]{1,3}add path null unhide",
                ],
                0..5,
            ),
            any::<bool>(),
        )
            .prop_map(|(name, n, body, pad)| {
                let mut s = if pad { format!("  [{name}={n}]\n") } else { format!("[{name}={n}]\n") };
                for b in body {
                    s.push_str(&b);
                    s.push('\n');
                }
                s
            })
    }

    proptest! {
        #[test]
        fn others_round_trip_and_ours_is_added_replaced_removed(
            sections in proptest::collection::vec(other_section(), 0..6),
            ours_at in proptest::option::of(0usize..6),
            n1 in 1u16..1000, n2 in 1u16..1000,
            crlf in any::<bool>(), trailing_nl in any::<bool>(),
        ) {
            let mut text: String = String::new();
            for (i, s) in sections.iter().enumerate() {
                if ours_at == Some(i) { text.push_str(&ours_block(n1)); }
                text.push_str(s);
            }
            if ours_at.is_some_and(|i| i >= sections.len()) { text.push_str(&ours_block(n1)); }
            if crlf { text = text.replace('\n', "\r\n"); }
            if !trailing_nl { while text.ends_with('\n') || text.ends_with('\r') { text.pop(); } }
            let f0 = RulesFile::parse(&text);
            prop_assert_eq!(f0.render(), text.clone());
            let others = f0.others();
            // Add / replace.
            let mut f = f0.clone();
            f.set_ours(n2, &section_rules());
            prop_assert_eq!(f.others(), others.clone());
            prop_assert_eq!(f.ours(), Some(Ours { number: Some(n2), rules: section_rules() }));
            // Remove: every line that is not ours is still there, in order, byte for byte.
            let mut g = f.clone();
            prop_assert!(g.remove_ours());
            prop_assert!(g.ours().is_none());
            prop_assert_eq!(g.others(), others);
            let strip = |s: &str| -> Vec<String> {
                let f = RulesFile::parse(s);
                let spans = f.spans();
                f.lines.iter().enumerate()
                    .filter(|(i, _)| !spans.iter().any(|(a, b)| i >= a && i < b))
                    .map(|(_, l)| l.text.clone()).collect()
            };
            prop_assert_eq!(strip(&g.render()), strip(&text));
            // Without ours to begin with, add then remove gives the file back (plus a final
            // newline if it had none).
            if ours_at.is_none() {
                let want = if text.is_empty() || text.ends_with('\n') { text.clone() }
                    else { format!("{text}{}", if text.contains("\r\n") { "\r\n" } else { "\n" }) };
                prop_assert_eq!(g.render(), want);
            }
        }

        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,200}") {
            let mut f = RulesFile::parse(&s);
            prop_assert_eq!(f.render(), s);
            let _ = f.others();
            f.set_ours(50, &section_rules());
            prop_assert!(f.ours().is_some());
            f.remove_ours();
        }
    }
}
