//! `ngctl -f -` scripts: every netgraph change of one start in a single ngctl process, each
//! line with the line that reverses it.
//!
//! A batch is one command, but it can stop half way: ngctl runs the lines in order and stops at
//! the first that fails, saying `ngctl: line N: error in file` (usr.sbin/ngctl/main.c
//! `ReadFile`). Each netgraph command is atomic in the kernel (ng_base.c `ng_mkpeer` removes the
//! new node when a hook is refused), so lines 1..N-1 are done and line N did nothing. The
//! executor binds the script's progress slot to that count, and the undo runs the inverse of
//! exactly those lines, newest first. Every inverse is chosen to succeed whenever its forward
//! line did: `rmhook` of a hook that is gone is no error, and a node is shut down through the
//! bridge hook it hangs on (`vimage_em0:link5`), which works whether or not it was named yet.

use super::{Bindings, Slot};
use crate::host::Output;
use crate::parse::ngctl::{replies, unquote};
use serde::{Deserialize, Serialize};

/// One line of a script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgLine {
    /// The ngctl command (`mkpeer vimage_em0: eiface link2 ether`).
    pub cmd: String,
    /// The command that reverses it, if it needs reversing.
    pub undo: Option<String>,
    /// For `msg NODE: getifname`: the slot that gets the interface name from the reply (and
    /// [`id_slot`] of it the node ID the reply came from).
    pub reply: Option<Slot>,
}

impl NgLine {
    /// A line with no inverse (naming a node that its creation's inverse removes anyway).
    pub fn new(cmd: impl Into<String>) -> NgLine {
        NgLine { cmd: cmd.into(), undo: None, reply: None }
    }

    /// A line and its inverse.
    pub fn undone_by(cmd: impl Into<String>, undo: impl Into<String>) -> NgLine {
        NgLine { cmd: cmd.into(), undo: Some(undo.into()), reply: None }
    }

    /// `msg NODE: getifname`, whose reply fills `slot`.
    pub fn getifname(node: &str, slot: Slot) -> NgLine {
        NgLine { cmd: format!("msg {node}: getifname"), undo: None, reply: Some(slot) }
    }
}

/// The slot holding the node ID (hex) of the node whose getifname reply filled `s`.
pub fn id_slot(s: &Slot) -> Slot {
    Slot(format!("{}_id", s.0))
}

/// The script as ngctl reads it: one command per line.
pub fn script(lines: &[NgLine]) -> String {
    lines.iter().map(|l| format!("{}\n", l.cmd)).collect()
}

/// The inverse of the first `done` lines, newest first.
pub fn undo_script(lines: &[NgLine], done: usize) -> String {
    lines.iter().take(done).rev().filter_map(|l| l.undo.as_ref()).map(|u| format!("{u}\n")).collect()
}

/// How many lines of a `lines`-line script completed: all on exit 0, `N - 1` when ngctl says
/// `line N: error in file`, none when it failed before reading a line (no socket node).
pub fn completed(lines: usize, out: &Output) -> usize {
    if out.ok() {
        return lines;
    }
    failed_line(out).map_or(0, |n| n.saturating_sub(1).min(lines))
}

/// The line (from 1) at which a failed `ngctl -f -` stopped, from its `line N: error in
/// file`; `None` when it failed before reading a line (no socket node) or did not fail.
pub fn failed_line(out: &Output) -> Option<usize> {
    if out.ok() {
        return None;
    }
    out.stderr
        .lines()
        .find_map(|l| l.strip_prefix("ngctl: line ")?.strip_suffix(": error in file")?.parse::<usize>().ok())
}

/// The node a script line addresses, as ngctl's path without its final `:` (`vimage_em0`,
/// `vimage_em0:link2`, `[1a]`): the object of an error about that line.
pub fn line_node(cmd: &str) -> Option<&str> {
    let path = cmd.split_whitespace().nth(1)?;
    Some(path.strip_suffix(':').unwrap_or(path)).filter(|p| !p.is_empty())
}

/// An eiface's name as the kernel gives it (`ngeth<unit>`); anything else is not bound, so a
/// garbled reply can never become an argument to a later command.
fn kernel_eiface_name(s: &str) -> bool {
    s.strip_prefix("ngeth").is_some_and(|d| !d.is_empty() && d.len() <= 10 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The slots a script run fills: its progress slot (lines completed) and, for each completed
/// `getifname` line, the interface name and node ID from its reply.
pub fn bindings(progress: &Slot, lines: &[NgLine], out: &Output) -> Vec<(Slot, String)> {
    let done = completed(lines.len(), out);
    let mut b = vec![(progress.clone(), done.to_string())];
    let mut rs = replies(&out.stdout).into_iter();
    for l in lines.iter().take(done) {
        if let Some(slot) = &l.reply {
            let Some(r) = rs.next() else { break };
            if let Some(name) = unquote(&r.args).filter(|n| kernel_eiface_name(n)) {
                b.push((slot.clone(), name.to_string()));
                b.push((id_slot(slot), format!("{:x}", r.from)));
            }
        }
    }
    b
}

/// How many lines the script behind `progress` completed, as the bindings say.
pub fn progress(b: &Bindings, progress: &Slot) -> Option<usize> {
    b.get(progress).and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stdout: &str, stderr: &str) -> Output {
        Output { code, stdout: stdout.into(), stderr: stderr.into() }
    }

    fn lines() -> Vec<NgLine> {
        vec![
            NgLine::undone_by("mkpeer em0: bridge lower link0", "rmhook em0: lower"),
            NgLine::new("name em0:lower vimage_em0"),
            NgLine::undone_by("mkpeer vimage_em0: eiface link2 ether", "shutdown vimage_em0:link2"),
            NgLine::new("name vimage_em0:link2 ng0_web1"),
            NgLine::getifname("ng0_web1", Slot("ng0_web1".into())),
        ]
    }

    #[test]
    fn progress_comes_from_the_line_ngctl_stopped_at() {
        assert_eq!(completed(5, &out(0, "", "")), 5);
        assert_eq!(completed(5, &out(71, "", "ngctl: send msg: File exists\nngctl: line 3: error in file\n")), 2);
        assert_eq!(completed(5, &out(71, "", "ngctl: can't create node: Operation not permitted\n")), 0);
        assert_eq!(completed(5, &out(64, "", "ngctl: line 9: error in file\n")), 5);
        assert_eq!(line_node("mkpeer vimage_em0: eiface link2 ether"), Some("vimage_em0"));
        assert_eq!(line_node("name vimage_em0:link2 ng0_web1"), Some("vimage_em0:link2"));
        assert_eq!(line_node("msg [1a]: getifname"), Some("[1a]"));
    }

    #[test]
    fn the_undo_reverses_exactly_the_completed_lines_newest_first() {
        assert_eq!(undo_script(&lines(), 5), "shutdown vimage_em0:link2\nrmhook em0: lower\n");
        assert_eq!(undo_script(&lines(), 2), "rmhook em0: lower\n");
        assert_eq!(undo_script(&lines(), 0), "");
        assert_eq!(script(&lines()[..2]), "mkpeer em0: bridge lower link0\nname em0:lower vimage_em0\n");
    }

    #[test]
    fn getifname_replies_bind_the_name_and_the_node_id() {
        let o = out(0, "Rec'd response \"getifname\" (1) from \"[1a]:\":\nArgs:\t\"ngeth3\"\n", "");
        let b = bindings(&Slot("p".into()), &lines(), &o);
        assert_eq!(
            b,
            [
                (Slot("p".into()), "5".to_string()),
                (Slot("ng0_web1".into()), "ngeth3".to_string()),
                (Slot("ng0_web1_id".into()), "1a".to_string())
            ]
        );
        // A reply that is not a kernel eiface name is not bound.
        let o = out(0, "Rec'd response \"getifname\" (1) from \"[1a]:\":\nArgs:\t\"em0; reboot\"\n", "");
        assert_eq!(bindings(&Slot("p".into()), &lines(), &o).len(), 1);
    }
}
