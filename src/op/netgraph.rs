//! Netgraph: the `ngctl -f -` batch that builds a start's eifaces and ng_bridges (see
//! [`super::ngscript`]), its undo, single node shutdowns, and loading ng_ether.

use super::Bindings;
use super::ngscript::{self, NgLine};
use crate::host::{Cmd, Output, Program};

/// `ngctl -f -` reading `script` on stdin.
fn batch(script: String) -> Cmd {
    Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script)
}

/// `ngctl -f -` with the batch's lines.
pub(super) fn script(lines: &[NgLine]) -> Cmd {
    batch(ngscript::script(lines))
}

/// `ngctl -f -` with the inverses of the lines of the script whose progress is in slot `of`
/// (all of them when it is not known), newest first.
pub(super) fn undo(of: &super::Slot, lines: &[NgLine], b: &Bindings) -> Cmd {
    let done = ngscript::progress(b, of).unwrap_or(lines.len());
    batch(ngscript::undo_script(lines, done))
}

/// The inverses of all of a script's lines, each as its own `ngctl` command: for a crash
/// recovery that does not know how far the script got, so that each inverse finds either its
/// object or nothing, whatever the others found.
pub(super) fn undo_each(lines: &[NgLine]) -> Vec<Cmd> {
    ngscript::undo_script(lines, lines.len()).lines().map(|l| Cmd::new(Program::Ngctl, l.split_whitespace())).collect()
}

/// `ngctl shutdown [<id>]:`
pub(super) fn shutdown(id: u32) -> Cmd {
    Cmd::new(Program::Ngctl, ["shutdown".to_string(), format!("[{id:x}]:")])
}

/// `kldload -n <module>`
pub(super) fn kldload(module: &str) -> Cmd {
    Cmd::new(Program::Kldload, ["-n".to_string(), module.to_string()])
}

/// ngctl found no such node or hook (ENOENT, "No such file or directory").
pub(super) fn node_gone(out: &Output) -> bool {
    super::gone::no_such_file(out)
}

/// A bridge teardown batch whose bridge vanished: the `shutdown` line found nothing.
pub(super) fn script_target_gone(lines: &[NgLine], out: &Output) -> bool {
    let done = ngscript::completed(lines.len(), out);
    lines.get(done).is_some_and(|l| l.cmd.starts_with("shutdown ")) && node_gone(out)
}
