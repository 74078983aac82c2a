//! Reads sh variable assignments across the rc.conf files the way rc.subr's
//! `load_rc_config` ends up seeing them: later files and later assignments win, quotes are
//! removed (by [`ShFile`]). Values are taken literally (no `$var` expansion, no command
//! substitution): vimage never runs rc.conf through a shell.

use crate::shvars::ShFile;
use std::collections::BTreeMap;

/// Assignments read from one or more files, last one wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    map: BTreeMap<String, String>,
}

impl Vars {
    /// Adds the assignments of `text` (one file) on top of what is already there.
    pub fn read(&mut self, text: &str) {
        let f = ShFile::parse(text);
        for k in f.keys() {
            if let Some(v) = f.get(&k) {
                self.map.insert(k, v);
            }
        }
    }

    /// The value of `key`, if assigned.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// Every variable name assigned, sorted (to find the vimages that have variables).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// rc.subr's `checkyesno`: YES/TRUE/ON/1 in any case.
    pub fn yes(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_forms_rc_conf_uses() {
        let mut v = Vars::default();
        v.read(
            "# comment\nvimage_enable=\"YES\"\nvimage_list='web1 db'\n  vimage_web1_rootdir=/j/web1 # trailing\n\
             export x=1\nvimage_web1_hostname=\"a \\\"b\\\" \\$c\";\nif true; then\nfoo() { a=b; }\nvimage_list=\"web1 db mail\"\n",
        );
        assert!(v.yes("vimage_enable"));
        assert_eq!(v.get("vimage_list"), Some("web1 db mail"), "last assignment wins");
        assert_eq!(v.get("vimage_web1_rootdir"), Some("/j/web1"));
        assert_eq!(v.get("vimage_web1_hostname"), Some("a \"b\" $c"));
        assert_eq!(v.get("x"), Some("1"));
        assert_eq!(v.get("foo"), None);
    }

    #[test]
    fn unterminated_quotes_are_not_assignments() {
        let mut v = Vars::default();
        v.read("a=\"open\nb='open\n");
        assert_eq!((v.get("a"), v.get("b")), (None, None));
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,200}") {
            let mut v = Vars::default();
            v.read(&text);
        }
    }
}
