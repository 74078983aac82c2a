//! A jail's /dev: vimage's devfs ruleset in the running kernel, the jail's devfs mount, and
//! the jail's own `devfs_ruleset` parameter.

use crate::host::{Cmd, Output, Program};

/// `devfs rule -s <set> add <words…>`
pub(super) fn rule_add(set: u16, words: &[String]) -> Cmd {
    let mut a = vec!["rule".to_string(), "-s".into(), set.to_string(), "add".into()];
    a.extend(words.iter().cloned());
    Cmd::new(Program::Devfs, a)
}

/// `devfs rule -s <set> delset`
pub(super) fn delset(set: u16) -> Cmd {
    Cmd::new(Program::Devfs, ["rule".to_string(), "-s".into(), set.to_string(), "delset".into()])
}

/// `devfs -m <mount> ruleset <set>`
pub(super) fn use_set(mount: &str, set: u16) -> Cmd {
    Cmd::new(Program::Devfs, ["-m".to_string(), mount.to_string(), "ruleset".into(), set.to_string()])
}

/// `devfs -m <mount> rule -s <set> applyset`
pub(super) fn apply(mount: &str, set: u16) -> Cmd {
    Cmd::new(
        Program::Devfs,
        ["-m".to_string(), mount.to_string(), "rule".into(), "-s".into(), set.to_string(), "applyset".into()],
    )
}

/// `jail -m jid=<jid> devfs_ruleset=<set>`
pub(super) fn jail_set(jid: u32, set: u16) -> Cmd {
    Cmd::new(Program::Jail, ["-m".to_string(), format!("jid={jid}"), format!("devfs_ruleset={set}")])
}

/// `devfs -m <mount> …` found no mount there (ENOENT): the jail died and its /dev went with
/// it, so there is nothing left to set.
pub(super) fn mount_gone(out: &Output) -> bool {
    super::gone::no_such_file(out)
}
