//! A jail's `/etc/rc.conf` through the one sh variable editor, [`ShFile`] read line by line
//! ([`ShFile::parse_lines`]): each line is read on its own, as `sysrc` reads the file, so a
//! quote left open on one line never swallows the next and a setting can always be made.
//!
//! vimage owns a handful of keys in a jail's rc.conf (`ifconfig_eth0`, `defaultrouter`, …) and
//! nothing else: every line it does not change must stay byte for byte, comments, odd quoting,
//! CRLF and a missing final newline included. Only the value of a line that assigns a key
//! vimage sets is rewritten, and only the lines of a key it removes are dropped; appended
//! lines take the file's dominant line ending.
//!
//! The API is deliberately narrow (get / set / remove / render, with "did it change" answers
//! for the writer); it is not an sh parser. A line counts as an assignment only when it is one
//! whole `[export ]KEY=WORD [# comment]` line; anything else (`export X`, `X=1 Y=2`,
//! `. /etc/other`, an unclosed quote) is someone else's line and left alone.

use super::ShFile;

/// An rc.conf-style file, editable by key; a thin face of [`ShFile`] in its line mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcConf {
    file: ShFile,
}

impl RcConf {
    /// Splits `text` into lines; never fails (any byte sequence of valid UTF-8 round-trips).
    pub fn parse(text: &str) -> RcConf {
        RcConf { file: ShFile::parse_lines(text) }
    }

    /// The file again: unchanged lines byte for byte.
    pub fn render(&self) -> String {
        self.file.render()
    }

    /// The value of the last assignment of `key` (the one sh would keep), unquoted.
    pub fn get(&self, key: &str) -> Option<String> {
        self.file.get(key)
    }

    /// Every key assigned in the file, in first-seen order (to find `ifconfig_eth0_alias7`).
    pub fn keys(&self) -> Vec<String> {
        self.file.keys()
    }

    /// Sets `key` to `value`: the value of the last line assigning it is rewritten (keeping
    /// its line ending and comment), or, when there is none, `key="value"` is appended.
    /// Returns whether the file changed. A key that is not a valid sh name, or a value with a
    /// newline, is refused (false), so no caller can inject a line.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        if self.get(key).as_deref() == Some(value) {
            return false;
        }
        self.file.set(key, value).is_ok()
    }

    /// Removes every line that assigns `key`. Returns whether the file changed.
    pub fn remove(&mut self, key: &str) -> bool {
        self.file.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shvars::is_valid_key;
    use proptest::prelude::*;

    /// The key a line assigns, if it is a plain `KEY=...` line (the proptest's own judge of
    /// which lines belong to the key, independent of the editor).
    fn assigned_key(line: &str) -> Option<&str> {
        let t = line.trim_start_matches([' ', '\t']);
        let eq = t.find('=')?;
        let k = &t[..eq];
        is_valid_key(k).then_some(k)
    }

    const JAIL_RC: &str = "# jail rc.conf written by hand\r\nhostname=\"web1\"\n  sshd_enable='YES' # ssh\nifconfig_eth0=\"inet 10.0.0.9/24\"\nexport PATH\n\nifconfig_eth0=\"DHCP\"\nsendmail_enable=NONE";

    #[test]
    fn untouched_files_round_trip_byte_for_byte() {
        for t in [JAIL_RC, "", "\n", "a=1", "\r\n\r\n", "x=\"unterminated\n", "é=1\n"] {
            assert_eq!(RcConf::parse(t).render(), t);
        }
    }

    #[test]
    fn get_reads_the_last_assignment_like_sh() {
        let r = RcConf::parse(JAIL_RC);
        assert_eq!(r.get("ifconfig_eth0").as_deref(), Some("DHCP"));
        assert_eq!(r.get("sshd_enable").as_deref(), Some("YES"));
        assert_eq!(r.get("sendmail_enable").as_deref(), Some("NONE"));
        assert_eq!(r.get("hostname").as_deref(), Some("web1"));
        assert_eq!(r.get("PATH"), None);
        assert_eq!(RcConf::parse("a=\"x\\\"y\"\n").get("a").as_deref(), Some("x\"y"));
        assert_eq!(RcConf::parse("a=\"b\"'c'd # e\n").get("a").as_deref(), Some("bcd"));
    }

    #[test]
    fn set_replaces_the_last_assignment_and_keeps_every_other_line() {
        let mut r = RcConf::parse(JAIL_RC);
        assert!(r.set("ifconfig_eth0", "inet 192.168.1.5/24"));
        let out = r.render();
        assert_eq!(
            out,
            JAIL_RC.replace("ifconfig_eth0=\"DHCP\"", "ifconfig_eth0=\"inet 192.168.1.5/24\""),
            "only the live assignment changes"
        );
        assert!(!r.set("ifconfig_eth0", "inet 192.168.1.5/24"), "setting the same value is no change");
    }

    #[test]
    fn set_appends_new_keys_adding_a_missing_final_newline() {
        let mut r = RcConf::parse("a=1");
        r.set("defaultrouter", "10.0.0.1");
        assert_eq!(r.render(), "a=1\ndefaultrouter=\"10.0.0.1\"\n");
        let mut r = RcConf::parse("a=1\r\nb=2\r\n");
        r.set("c", "3");
        assert_eq!(r.render(), "a=1\r\nb=2\r\nc=\"3\"\r\n", "CRLF files get CRLF lines");
        let mut r = RcConf::parse("");
        r.set("c", "$x\"");
        assert_eq!(r.render(), "c=\"\\$x\\\"\"\n");
        assert_eq!(r.get("c").as_deref(), Some("$x\""));
    }

    #[test]
    fn remove_drops_every_assignment_of_the_key_only() {
        let mut r = RcConf::parse(JAIL_RC);
        assert!(r.remove("ifconfig_eth0"));
        assert!(!r.remove("ifconfig_eth0"));
        let want: String = JAIL_RC.split_inclusive('\n').filter(|l| !l.starts_with("ifconfig_eth0=")).collect();
        assert_eq!(r.render(), want);
    }

    #[test]
    fn bad_keys_are_refused() {
        let mut r = RcConf::parse("");
        assert!(!r.set("a;reboot", "1"));
        assert!(!r.set("", "1"));
        assert!(!r.set("1a", "1"));
        assert_eq!(r.render(), "");
    }

    proptest! {
        #[test]
        fn set_and_remove_never_touch_other_lines(
            lines in proptest::collection::vec("[ -~\t]{0,30}", 0..12),
            crlf in any::<bool>(),
            last_nl in any::<bool>(),
            value in "[ -~]{0,20}",
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(eol);
            if last_nl && !text.is_empty() { text.push_str(eol); }
            let r0 = RcConf::parse(&text);
            prop_assert_eq!(r0.render(), text.clone());
            let mut r = r0.clone();
            r.set("ifconfig_vimage0", &value);
            prop_assert_eq!(r.get("ifconfig_vimage0"), Some(value.clone()));
            let out = r.render();
            let others = |s: &str| -> Vec<String> {
                s.split('\n').map(|l| l.trim_end_matches('\r').to_string())
                    .filter(|l| assigned_key(l) != Some("ifconfig_vimage0")).filter(|l| !l.is_empty()).collect()
            };
            prop_assert_eq!(others(&out), others(&text));
            let mut r2 = r.clone();
            r2.remove("ifconfig_vimage0");
            prop_assert_eq!(r2.get("ifconfig_vimage0"), None);
            prop_assert_eq!(others(&r2.render()), others(&text));
        }
    }
}
