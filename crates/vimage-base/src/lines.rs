//! Text split into lines that keep their terminators, so an editor that changes one line
//! renders every other line byte for byte: `\n`, `\r\n`, or nothing after the last line.
//!
//! The one line splitter of vimage's line-preserving editors (`/etc/devfs.rules`, a jail's
//! rc.conf): both must keep CRLF files CRLF and a missing final newline missing.

/// One line as read, with its terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line without its terminator (a `\r` before the `\n` belongs to the terminator).
    pub text: String,
    /// `"\n"`, `"\r\n"`, or `""` for a last line without a newline.
    pub eol: &'static str,
}

/// Splits `text` into lines; never fails, and [`render`] of the result is `text` again.
pub fn split(text: &str) -> Vec<Line> {
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
    lines
}

/// The lines joined again, each with its own terminator.
pub fn render(lines: &[Line]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.text.len() + l.eol.len()).sum());
    for l in lines {
        s.push_str(&l.text);
        s.push_str(l.eol);
    }
    s
}

/// `\r\n` when more terminated lines use it than `\n`, else `\n`: the ending a line added to
/// the file gets, so it matches the file.
pub fn dominant_eol(lines: &[Line]) -> &'static str {
    let crlf = lines.iter().filter(|l| l.eol == "\r\n").count();
    let lf = lines.iter().filter(|l| l.eol == "\n").count();
    if crlf > lf { "\r\n" } else { "\n" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn terminators_are_kept_per_line() {
        let l = split("a\r\nb\nc");
        assert_eq!(
            l,
            vec![
                Line { text: "a".into(), eol: "\r\n" },
                Line { text: "b".into(), eol: "\n" },
                Line { text: "c".into(), eol: "" }
            ]
        );
        assert_eq!(split(""), vec![]);
        assert_eq!(split("\r"), vec![Line { text: "\r".into(), eol: "" }], "a lone CR is text");
        assert_eq!(dominant_eol(&split("a\r\nb\r\nc\n")), "\r\n");
        assert_eq!(dominant_eol(&split("a\r\nb\n")), "\n", "a tie is LF");
        assert_eq!(dominant_eol(&[]), "\n");
    }

    proptest! {
        #[test]
        fn every_text_round_trips(text in "[a\r\n ]{0,40}") {
            prop_assert_eq!(render(&split(&text)), text);
        }
    }
}
