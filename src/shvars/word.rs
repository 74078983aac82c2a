//! The small piece of sh(1) lexing the editor needs: where a word ends, what it means once
//! the quotes are gone, how to write a value back, and whether a line we do not understand
//! leaves a quote open (so the next lines belong to it).
//!
//! Values are taken literally: no `$var` expansion and no command substitution, because
//! vimage never runs these files through a shell and must not guess what one would print.

/// Characters that end an unquoted word in sh besides blanks (`;` separates commands, the
/// rest are operators). `#` does not: inside a word it is an ordinary character.
fn ends_word(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

/// Byte length of the word at the start of `s` (possibly empty, possibly spanning lines
/// inside quotes), or `None` when a quote is never closed.
pub(super) fn scan_word(s: &str) -> Option<usize> {
    let mut it = s.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        match c {
            '\\' => {
                it.next();
                // A lone backslash at the very end stays literal.
                it.next();
            }
            '\'' => {
                it.next();
                loop {
                    match it.next() {
                        Some((_, '\'')) => break,
                        Some(_) => {}
                        None => return None,
                    }
                }
            }
            '"' => {
                it.next();
                loop {
                    match it.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => {
                            it.next();
                        }
                        Some(_) => {}
                        None => return None,
                    }
                }
            }
            c if ends_word(c) => return Some(i),
            _ => {
                it.next();
            }
        }
    }
    Some(s.len())
}

/// The value a shell would assign for a word accepted by [`scan_word`], without expansion.
pub(super) fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut it = word.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('\n') => {}
                Some(n) => out.push(n),
                None => out.push('\\'),
            },
            '\'' => {
                for n in it.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    out.push(n);
                }
            }
            '"' => {
                while let Some(n) = it.next() {
                    match n {
                        '"' => break,
                        '\\' => match it.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                            Some('\n') => {}
                            Some(e) => {
                                out.push('\\');
                                out.push(e);
                            }
                            None => out.push('\\'),
                        },
                        _ => out.push(n),
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `value` as a double-quoted sh word: `"`, `\`, `$` and `` ` `` are escaped, so a shell that
/// sources the file assigns exactly `value`.
pub(super) fn double_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Characters that need no quoting anywhere in an assignment's value.
fn bare_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:,+=@%-".contains(c)
}

/// A word for `value` in the quoting style of `old` (the word being replaced), so that
/// `sshd_enable=YES` stays unquoted and `user='x'` keeps single quotes; falls back to double
/// quotes when the old style cannot hold the new value.
pub(super) fn requote_like(old: &str, value: &str) -> String {
    let old_bare = !old.starts_with(['"', '\'']) && !old.contains(['"', '\'', '\\']);
    let old_single =
        old.len() >= 2 && old.starts_with('\'') && old.ends_with('\'') && old[1..old.len() - 1].find('\'').is_none();
    if old_bare && value.chars().all(bare_safe) {
        value.to_string()
    } else if old_single && !value.contains('\'') {
        format!("'{value}'")
    } else {
        double_quote(value)
    }
}

/// Byte offset just past the logical line that starts at `s[0]`: its first newline that is
/// neither quoted nor escaped (a comment ends at its newline). A quote that is never closed
/// runs to the end of the text, as it would for sh. Used for lines the editor does not
/// understand, so that a multi-line quoted string is kept as one verbatim block and its inner
/// lines are never mistaken for assignments.
pub(super) fn logical_line_end(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let mut word_start = true;
    while i < b.len() {
        match b[i] {
            b'\n' => return i + 1,
            b'#' if word_start => {
                return s[i..].find('\n').map_or(s.len(), |n| i + n + 1);
            }
            b'\\' => {
                i += 2;
                word_start = false;
                continue;
            }
            b'\'' | b'"' => match scan_word(&s[i..]) {
                Some(n) => {
                    // scan_word stops at the first unquoted blank; resume there.
                    i += n.max(1);
                    word_start = false;
                    continue;
                }
                None => return s.len(),
            },
            c => word_start = matches!(c, b' ' | b'\t' | b'\r' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'),
        }
        i += 1;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_end_at_blanks_and_operators_but_not_inside_quotes() {
        assert_eq!(scan_word("abc def"), Some(3));
        assert_eq!(scan_word("\"a b\";x"), Some(5));
        assert_eq!(scan_word("'a b'c d"), Some(6));
        assert_eq!(scan_word("a#b c"), Some(3));
        assert_eq!(scan_word("\"a\nb\" x"), Some(5));
        assert_eq!(scan_word("\"abc"), None);
        assert_eq!(scan_word("'abc"), None);
        assert_eq!(scan_word("a\\ b c"), Some(4));
        assert_eq!(scan_word(""), Some(0));
        assert_eq!(scan_word("\\"), Some(1));
    }

    #[test]
    fn unquote_follows_sh_rules() {
        assert_eq!(unquote(r#""a\"b\\c\$d\`e\nf""#), "a\"b\\c$d`e\\nf");
        assert_eq!(unquote(r#"'a\"b'"#), "a\\\"b");
        assert_eq!(unquote(r#"my" big "box"#), "my big box");
        assert_eq!(unquote(r"a\ b"), "a b");
        assert_eq!(unquote("${workdir}/x"), "${workdir}/x");
    }

    #[test]
    fn requote_keeps_the_old_style_when_it_can() {
        assert_eq!(requote_like("YES", "NO"), "NO");
        assert_eq!(requote_like("YES", "a b"), "\"a b\"");
        assert_eq!(requote_like("'x'", "a b"), "'a b'");
        assert_eq!(requote_like("'x'", "it's"), "\"it's\"");
        assert_eq!(requote_like("\"x\"", "v"), "\"v\"");
        assert_eq!(requote_like("", "~root"), "\"~root\"");
        assert_eq!(double_quote("a\"$`\\"), r#""a\"\$\`\\""#);
    }

    #[test]
    fn logical_lines_follow_open_quotes() {
        assert_eq!(logical_line_end("echo hi\nx"), 8);
        assert_eq!(logical_line_end("a=\"x\ny\"\nz"), 8);
        assert_eq!(logical_line_end("# it's\nz"), 7);
        assert_eq!(logical_line_end("echo don't\nz"), 12);
        assert_eq!(logical_line_end("x#'\nz"), 5);
        assert_eq!(logical_line_end("unterminated \"\nrest"), 19);
    }
}
