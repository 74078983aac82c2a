//! The one line-preserving editor for files of sh variable assignments ([`ShFile`]): CBSD's
//! jconf and `nc.inventory`, the host's `/etc/rc.conf`, and (read line by line, through its
//! face [`RcConf`]) a jail's `/etc/rc.conf`; and the file layer under it (atomic writes and
//! locks, from `vimage_base::file`).
//!
//! These files are sourced by sh and hand-edited by admins, so an editor must keep every
//! byte it does not own: comments, blank lines, order, quoting style, `;` terminators, lines
//! it does not understand. General INI/dotenv crates drop comments and quotes (see
//! reference/rust-crates.md §3), which turns `exec_start="/bin/sh /etc/rc"` into a command.
//!
//! Model: the text is a sequence of items that together are exactly the input. An item is
//! either an assignment (`[indent][export ]KEY=WORD[blanks][;][blanks][# comment]` up to and
//! including its newline; WORD may span lines inside quotes) or a verbatim block (anything
//! else, one logical line, extended while a quote is open). Editing replaces one item's WORD
//! or whole assignment items; [`ShFile::render`] concatenates the items again. Read with
//! [`ShFile::parse_lines`], every item is one physical line: a line that is not one whole
//! single-line assignment stays verbatim and unowned, so a damaged line never stops an edit.
//!
//! Reading follows sh: the last assignment wins, quotes are removed, values are taken
//! literally (no `$var` expansion, no command substitution). Two assignments on one line
//! (`a=1; b=2`) are not understood and stay verbatim.
//!
//! Values containing a newline, carriage return or NUL are refused by [`ShFile::set`]: sh could hold them
//! in quotes, but the other tools that edit these files (`sysrc`, CBSD's `cbsdsysrc`, `jset
//! jconf=`) work line by line and would tear such a value apart.

mod file;
mod rcconf;
#[cfg(test)]
mod tests;
mod word;

pub use file::{DEFAULT_LOCK_TIMEOUT, with_file_lock, with_file_lock_timeout, write_atomic};
pub use rcconf::RcConf;

use crate::error::{Error, Kind, Result};
use vimage_base::lines;

/// One piece of the file; the pieces concatenate to the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Kept byte for byte: comments, blank lines, commands, anything not understood.
    Raw(String),
    /// `KEY=WORD` on its own line.
    Assign(Assign),
}

/// An assignment split so that only `word` is ever rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assign {
    /// Indentation, an optional `export `, the key and the `=`.
    lead: String,
    key: String,
    /// The value exactly as written (quotes included).
    word: String,
    /// Blanks, an optional `;`, an optional comment, and the newline (absent at end of file).
    tail: String,
}

impl Item {
    fn text_len(&self) -> usize {
        match self {
            Item::Raw(s) => s.len(),
            Item::Assign(a) => a.lead.len() + a.word.len() + a.tail.len(),
        }
    }
}

/// How far one item may reach: the two kinds of reader these files have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Reach {
    /// As sh sources the file: a quote left open carries on over the next lines, so a line
    /// after it is part of it (jconf, `nc.inventory`, the host's rc.conf).
    #[default]
    Script,
    /// As `sysrc` and an admin read a jail's rc.conf: every physical line stands alone. A
    /// line that cannot be read as one whole assignment (an open quote, `$(…)`, two commands)
    /// is kept byte for byte and never owned, so a line after it can always be set.
    Lines,
}

/// A parsed sh variable file that renders back byte for byte unless edited.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShFile {
    items: Vec<Item>,
    reach: Reach,
}

impl ShFile {
    /// Splits `text` into assignments and verbatim blocks the way sh reads it (a quote left
    /// open swallows the lines after it). Never fails: what is not understood is kept as is.
    pub fn parse(text: &str) -> ShFile {
        let mut items = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            let rest = &text[pos..];
            let item = match parse_assign(rest) {
                Some(a) => Item::Assign(a),
                None => Item::Raw(rest[..word::logical_line_end(rest)].to_string()),
            };
            // Every item is non-empty, so the loop always advances.
            pos += item.text_len().max(1);
            items.push(item);
        }
        ShFile { items, reach: Reach::Script }
    }

    /// Splits `text` line by line (the one splitter, `vimage_base::lines`): a line is an
    /// assignment only when it is one whole, single-line assignment; any other line (an
    /// unclosed quote included) stays verbatim and ends at its own newline. For a file
    /// vimage must always be able to edit whatever else it holds (a jail's rc.conf):
    /// [`ShFile::set`] never refuses a valid key and single-line value here, and appended
    /// lines take the file's dominant line ending.
    pub fn parse_lines(text: &str) -> ShFile {
        let items = lines::split(text)
            .into_iter()
            .map(|l| {
                let s = format!("{}{}", l.text, l.eol);
                match parse_assign(&s) {
                    Some(a) if !a.word.contains('\n') => Item::Assign(a),
                    _ => Item::Raw(s),
                }
            })
            .collect();
        ShFile { items, reach: Reach::Lines }
    }

    /// [`ShFile::parse`] or [`ShFile::parse_lines`], whichever made `self`.
    fn reparse(&self, text: &str) -> ShFile {
        match self.reach {
            Reach::Script => ShFile::parse(text),
            Reach::Lines => ShFile::parse_lines(text),
        }
    }

    /// The line ending for an added line: `\n`, or in a line-read file its dominant ending.
    fn new_eol(&self) -> &'static str {
        match self.reach {
            Reach::Script => "\n",
            Reach::Lines => lines::dominant_eol(&lines::split(&self.render())),
        }
    }

    /// The value sh would hold for `key` after sourcing the file (last assignment wins),
    /// unquoted but not expanded; `None` if the file never assigns it.
    pub fn get(&self, key: &str) -> Option<String> {
        self.last_index(key).and_then(|i| match &self.items[i] {
            Item::Assign(a) => Some(word::unquote(&a.word)),
            Item::Raw(_) => None,
        })
    }

    /// Every key assigned somewhere, in order of first appearance, each once.
    pub fn keys(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in &self.items {
            if let Item::Assign(a) = item
                && !out.contains(&a.key)
            {
                out.push(a.key.clone());
            }
        }
        out
    }

    /// Sets `key` to `value`: rewrites only the value of the last assignment (keeping its
    /// indentation, quoting style where possible, `;` and comment), or appends `key="value"`
    /// as a new last line. Refuses invalid keys and values with a newline or NUL.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        check_key(key)?;
        if let Some(c) = value.chars().find(|c| matches!(c, '\n' | '\r' | '\0')) {
            return Err(Error::new(
                Kind::Data,
                format!(
                    "value for {key} contains {c:?}; sh variable files are edited line by line (sysrc, cbsdsysrc), so vimage writes single-line values only"
                ),
            ));
        }
        let before = self.clone();
        match self.last_index(key) {
            Some(i) => {
                if let Item::Assign(a) = &mut self.items[i] {
                    a.word = word::requote_like(&a.word, value);
                }
            }
            None => {
                let eol = self.new_eol();
                match self.items.last_mut() {
                    Some(Item::Raw(s)) if !s.ends_with('\n') => s.push_str(eol),
                    Some(Item::Assign(a)) if !a.tail.ends_with('\n') => a.tail.push_str(eol),
                    _ => {}
                }
                self.items.push(Item::Assign(Assign {
                    lead: format!("{key}="),
                    key: key.to_string(),
                    word: word::double_quote(value),
                    tail: eol.to_string(),
                }));
            }
        }
        // The edit must read back; it cannot when, say, the file ends inside an open quote.
        if self.reparse(&self.render()).get(key).as_deref() != Some(value) {
            *self = before;
            return Err(Error::new(
                Kind::Data,
                format!(
                    "cannot set {key}: the file ends inside an unclosed quote, so a new line would not be read as an assignment"
                ),
            ));
        }
        Ok(())
    }

    /// Removes every assignment of `key` (whole lines, comments on them included); returns
    /// whether there was one.
    pub fn remove(&mut self, key: &str) -> bool {
        let n = self.items.len();
        self.items.retain(|i| !matches!(i, Item::Assign(a) if a.key == key));
        self.items.len() != n
    }

    /// The text again: identical to the input of [`ShFile::parse`] when nothing was changed.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.items.iter().map(Item::text_len).sum());
        for item in &self.items {
            match item {
                Item::Raw(s) => out.push_str(s),
                Item::Assign(a) => {
                    out.push_str(&a.lead);
                    out.push_str(&a.word);
                    out.push_str(&a.tail);
                }
            }
        }
        out
    }

    /// The last line that starts like an assignment of `key` but could not be read (an
    /// unclosed quote, trailing garbage). Lets a reader say "damaged" rather than "missing".
    pub fn unparsed_assignment(&self, key: &str) -> Option<&str> {
        let prefix = format!("{key}=");
        self.items.iter().rev().find_map(|i| match i {
            Item::Raw(s) => {
                let t = s.trim_start_matches([' ', '\t']);
                let t = t.strip_prefix("export").map(|r| r.trim_start_matches([' ', '\t'])).unwrap_or(t);
                t.starts_with(&prefix).then_some(s.as_str())
            }
            Item::Assign(_) => None,
        })
    }

    fn last_index(&self, key: &str) -> Option<usize> {
        self.items.iter().rposition(|i| matches!(i, Item::Assign(a) if a.key == key))
    }
}

/// A sh variable name: a letter or `_`, then letters, digits and `_`.
pub fn is_valid_key(key: &str) -> bool {
    let mut b = key.bytes();
    b.next().is_some_and(|f| f.is_ascii_alphabetic() || f == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn check_key(key: &str) -> Result<()> {
    if is_valid_key(key) {
        Ok(())
    } else {
        Err(Error::new(
            Kind::Data,
            format!("{key:?} is not a sh variable name (letters, digits, _; not starting with a digit)"),
        ))
    }
}

/// An assignment at the start of `s`, or `None` if the first logical line is anything else.
fn parse_assign(s: &str) -> Option<Assign> {
    let blanks = |t: &str| t.len() - t.trim_start_matches([' ', '\t']).len();
    let mut p = blanks(s);
    if let Some(r) = s[p..].strip_prefix("export")
        && r.starts_with([' ', '\t'])
    {
        p += "export".len() + blanks(r);
    }
    let key_len = s[p..].bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
    let key = &s[p..p + key_len];
    if !is_valid_key(key) || s.as_bytes().get(p + key_len) != Some(&b'=') {
        return None;
    }
    let lead_end = p + key_len + 1;
    let word_end = lead_end + word::scan_word(&s[lead_end..])?;
    let line_end = s[word_end..].find('\n').map_or(s.len(), |n| word_end + n + 1);
    let tail = &s[word_end..line_end];
    if !valid_tail(tail) {
        return None;
    }
    Some(Assign {
        lead: s[..lead_end].to_string(),
        key: key.to_string(),
        word: s[lead_end..word_end].to_string(),
        tail: tail.to_string(),
    })
}

/// What may follow the value on its line: blanks, one `;`, blanks, a comment.
fn valid_tail(t: &str) -> bool {
    let t = t.strip_suffix('\n').unwrap_or(t);
    let t = t.trim_start_matches([' ', '\t', '\r']);
    let t = t.strip_prefix(';').map(|r| r.trim_start_matches([' ', '\t', '\r'])).unwrap_or(t);
    t.is_empty() || t.starts_with('#')
}
