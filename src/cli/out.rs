//! Where a command's output goes, line by line as it happens: the process's stdout and stderr,
//! or two strings a test reads afterwards.
//!
//! Writing never panics. A closed stdout (`vimage status | head -1`: EPIPE, since Rust ignores
//! SIGPIPE) is remembered and everything after it is dropped quietly, as FreeBSD's tools end
//! quietly on SIGPIPE; the command itself is not cut short (a change half made is worse than a
//! report nobody reads), so the exit status stays the command's own. Any other write error
//! (a full disk) is kept and turned into exit 74 by [`super::entry`] when the command
//! otherwise succeeded.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// A cheap handle to one invocation's output; clones write to the same place, so a verb can
/// give one to the session's progress reporting and keep printing itself.
#[derive(Clone, Debug)]
pub struct Out(Rc<RefCell<Inner>>);

#[derive(Debug, Default)]
struct Inner {
    /// `Some` when captured: (stdout, stderr) so far.
    capture: Option<(String, String)>,
    /// `-q`: normal output is dropped; errors still go to stderr.
    quiet: bool,
    /// stdout was found closed (EPIPE); nothing more is written to it.
    closed: bool,
    /// The first write error on stdout other than EPIPE.
    error: Option<String>,
}

impl Out {
    /// The process's own stdout and stderr.
    pub fn stdio() -> Out {
        Out(Rc::new(RefCell::new(Inner::default())))
    }

    /// Captures both streams in memory, for tests and the demo.
    pub fn capture() -> Out {
        Out(Rc::new(RefCell::new(Inner { capture: Some(Default::default()), ..Inner::default() })))
    }

    /// `-q`: from now on, normal output is dropped.
    pub fn set_quiet(&self, quiet: bool) {
        self.0.borrow_mut().quiet = quiet;
    }

    /// Whether `-q` is in effect.
    pub fn quiet(&self) -> bool {
        self.0.borrow().quiet
    }

    /// Normal output: printed now, unless `-q` or stdout is closed.
    pub fn print(&self, text: &str) {
        if self.0.borrow().quiet {
            return;
        }
        self.stdout_always(text);
    }

    /// One line of normal output (the newline is added).
    pub fn line(&self, line: impl std::fmt::Display) {
        self.print(&format!("{line}\n"));
    }

    /// Output that `-q` does not silence: `--help`, `--man`, and the `--json` error object
    /// (an error is what `-q` still reports).
    pub fn stdout_always(&self, text: &str) {
        let mut i = self.0.borrow_mut();
        if i.closed || text.is_empty() {
            return;
        }
        if let Some((o, _)) = &mut i.capture {
            o.push_str(text);
            return;
        }
        let mut so = std::io::stdout().lock();
        if let Err(e) = so.write_all(text.as_bytes()).and_then(|()| so.flush()) {
            i.closed = true;
            if e.kind() != std::io::ErrorKind::BrokenPipe && i.error.is_none() {
                i.error = Some(e.to_string());
            }
        }
    }

    /// A line for stderr (warnings, errors, `-v`): always written; a failure to write stderr
    /// has nowhere left to be reported, so it is ignored.
    pub fn err_line(&self, line: impl std::fmt::Display) {
        let text = format!("{line}\n");
        let mut i = self.0.borrow_mut();
        if let Some((_, e)) = &mut i.capture {
            e.push_str(&text);
            return;
        }
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// What was captured on stdout (empty for [`Out::stdio`]).
    pub fn stdout(&self) -> String {
        self.0.borrow().capture.as_ref().map(|c| c.0.clone()).unwrap_or_default()
    }

    /// What was captured on stderr (empty for [`Out::stdio`]).
    pub fn stderr(&self) -> String {
        self.0.borrow().capture.as_ref().map(|c| c.1.clone()).unwrap_or_default()
    }

    /// stdout was found closed or failing; nothing more reaches it.
    pub fn closed(&self) -> bool {
        self.0.borrow().closed
    }

    /// The first stdout write error that was not a closed pipe.
    pub fn write_error(&self) -> Option<String> {
        self.0.borrow().error.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_drops_normal_output_but_not_errors_or_help() {
        let o = Out::capture();
        o.line("one");
        o.set_quiet(true);
        o.line("two");
        o.stdout_always("help\n");
        o.err_line("error");
        assert_eq!(o.stdout(), "one\nhelp\n");
        assert_eq!(o.stderr(), "error\n");
    }

    #[test]
    fn clones_share_one_stream_in_order() {
        let o = Out::capture();
        let p = o.clone();
        o.line("a");
        p.line("b");
        o.line("c");
        assert_eq!(o.stdout(), "a\nb\nc\n");
    }
}
