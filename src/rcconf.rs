//! A line-preserving editor for `key="value"` lines of an sh variable file (a jail's
//! `/etc/rc.conf`).
//!
//! vimage owns a handful of keys in a jail's rc.conf (`ifconfig_eth0`, `defaultrouter`, …) and
//! nothing else: every line it does not change must stay byte for byte, comments, odd quoting,
//! CRLF and a missing final newline included. So the file is kept as its lines, and only the
//! lines that assign a key vimage sets or removes are ever rewritten.
//!
//! The API is deliberately narrow (get / set / remove / render); it is not an sh parser. A
//! line counts as an assignment of `KEY` when, after leading blanks, it starts with `KEY=`;
//! anything else (`export X`, `X=1 Y=2`, `. /etc/other`) is someone else's line and left alone.

/// One line of the file as read, with its terminator (`\n`, `\r\n` or nothing at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    eol: &'static str,
}

/// An rc.conf-style file: its lines, editable by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcConf {
    lines: Vec<Line>,
}

/// True for a name sh accepts as a variable: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_var_name(k: &str) -> bool {
    let mut c = k.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

impl RcConf {
    /// Splits `text` into lines; never fails (any byte sequence of valid UTF-8 round-trips).
    pub fn parse(text: &str) -> RcConf {
        let mut lines = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('\n') {
                Some(i) => {
                    let (body, eol) = if i > 0 && rest.as_bytes()[i - 1] == b'\r' {
                        (&rest[..i - 1], "\r\n")
                    } else {
                        (&rest[..i], "\n")
                    };
                    lines.push(Line { text: body.to_string(), eol });
                    rest = &rest[i + 1..];
                }
                None => {
                    lines.push(Line { text: rest.to_string(), eol: "" });
                    rest = "";
                }
            }
        }
        RcConf { lines }
    }

    /// The file again: unchanged lines byte for byte.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.text);
            s.push_str(l.eol);
        }
        s
    }

    /// The value of the last assignment of `key` (the one sh would keep), unquoted.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lines.iter().rev().find_map(|l| assigned_value(&l.text, key))
    }

    /// Every key assigned in the file, in first-seen order (to find `ifconfig_eth0_alias7`).
    pub fn keys(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in &self.lines {
            if let Some(k) = assigned_key(&l.text)
                && !out.iter().any(|o| o == k)
            {
                out.push(k.to_string());
            }
        }
        out
    }

    /// Sets `key` to `value`: the last line assigning it is replaced (keeping its line ending),
    /// or, when there is none, `key="value"` is appended. Returns whether the file changed.
    /// A key that is not a valid sh name is refused (false), so no caller can inject a line.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        if !is_var_name(key) {
            return false;
        }
        if self.get(key).as_deref() == Some(value) {
            return false;
        }
        let text = format!("{key}=\"{}\"", quote_dq(value));
        if let Some(l) = self.lines.iter_mut().rev().find(|l| assigned_key(&l.text) == Some(key)) {
            l.text = text;
            return true;
        }
        let eol = self.dominant_eol();
        if let Some(last) = self.lines.last_mut()
            && last.eol.is_empty()
        {
            last.eol = eol;
        }
        self.lines.push(Line { text, eol });
        true
    }

    /// Removes every line that assigns `key`. Returns whether the file changed.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| assigned_key(&l.text) != Some(key));
        self.lines.len() != before
    }

    /// `\r\n` when most terminated lines use it, else `\n`: appended lines match the file.
    fn dominant_eol(&self) -> &'static str {
        let crlf = self.lines.iter().filter(|l| l.eol == "\r\n").count();
        let lf = self.lines.iter().filter(|l| l.eol == "\n").count();
        if crlf > lf { "\r\n" } else { "\n" }
    }
}

/// The key a line assigns, if it is a plain `KEY=...` line.
fn assigned_key(line: &str) -> Option<&str> {
    let t = line.trim_start_matches([' ', '\t']);
    let eq = t.find('=')?;
    let k = &t[..eq];
    is_var_name(k).then_some(k)
}

/// The unquoted value when `line` assigns `key`.
fn assigned_value(line: &str, key: &str) -> Option<String> {
    if assigned_key(line) != Some(key) {
        return None;
    }
    let t = line.trim_start_matches([' ', '\t']);
    Some(unquote(&t[key.len() + 1..]))
}

/// sh's reading of one word: `"..."` (with `\"`, `\\`, `\$`, `` \` `` escapes), `'...'`, or
/// bare text up to a blank, `;` or `#`. Adjacent quoted parts concatenate, as in sh.
fn unquote(v: &str) -> String {
    let mut out = String::new();
    let mut it = v.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            '"' => {
                it.next();
                while let Some(c) = it.next() {
                    match c {
                        '"' => break,
                        '\\' => match it.peek() {
                            Some(&n) if "\"\\$`".contains(n) => {
                                out.push(n);
                                it.next();
                            }
                            _ => out.push('\\'),
                        },
                        c => out.push(c),
                    }
                }
            }
            '\'' => {
                it.next();
                for c in it.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            ' ' | '\t' | ';' | '#' | '\r' => break,
            '\\' => {
                it.next();
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            c => {
                out.push(c);
                it.next();
            }
        }
    }
    out
}

/// Escapes a value for a double-quoted sh string.
fn quote_dq(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        if "\"\\$`".contains(c) {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
