//! Jails themselves, for the standalone service: `jail -c`, `jail -r`, and the admin's
//! `exec_start`/`exec_stop` run inside with `jexec`.

use crate::host::{Cmd, Output, Program};
use crate::model::JailName;

/// `jail -c <params…>`
pub(super) fn create(params: &[String]) -> Cmd {
    let mut args = vec!["-c".to_string()];
    args.extend(params.iter().cloned());
    Cmd::new(Program::Jail, args)
}

/// `jail -r <jail>`
pub(super) fn remove(jail: &JailName) -> Cmd {
    Cmd::new(Program::Jail, ["-r".to_string(), jail.to_string()])
}

/// `jexec <jail> /bin/sh -c <command>`
pub(super) fn exec_in(jail: &JailName, command: &str) -> Cmd {
    Cmd::new(Program::Jexec, [jail.to_string(), "/bin/sh".into(), "-c".into(), command.to_string()])
}

/// jail(8) found no such jail (`jail: "web1" not found`, `jail: jid 3 not found`): it was
/// removed already, or died and took its parameters along.
pub(super) fn jail_gone(out: &Output) -> bool {
    super::gone::no_such_jail(out)
}
