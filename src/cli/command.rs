//! clap's view of the command line, built from the command table (`super::spec`): one
//! `clap::Command` per verb, its keys as long options, plus the options every verb takes
//! ([`Common`], derived). The same definitions give `--help`, `--args`, vimage(8) (from the
//! table) and the shell completions (from these commands), so none can drift from the parser.
//!
//! clap has no `key=value` options; `super::args` turns CBSD's forms into clap's (`key=value`
//! → `--key=value`, `help` → `--help`) before clap parses, and checks key names itself so an
//! unknown one gets vimage's message with a did-you-mean.

use super::spec::{KeyKind, KeySpec, VERBS, VerbSpec};
use clap::{Arg, ArgAction, Args as _, Command};

/// The options every verb takes, wherever they stand on the command line (field docs are
/// their help lines, lower case as the table's).
#[derive(clap::Args, Debug, Default, Clone, PartialEq, Eq)]
pub struct Common {
    /// print each FreeBSD command as it runs (stderr); -vv also why one failed
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
    /// nothing on stdout when the command succeeds; errors still on stderr
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// syslog=0: no audit trail in syslog for this run
    #[arg(long = "syslog", value_name = "1|0", require_equals = true, action = ArgAction::Append)]
    pub syslog: Vec<String>,
    /// this help
    #[arg(short = 'h', long = "help")]
    pub help: bool,
    /// the one-line description CBSD shows
    #[arg(long = "desc")]
    pub desc: bool,
    /// the keys, one a line
    #[arg(long = "args")]
    pub args: bool,
}

/// The id of the bare words (`vimage unbridge web1`: the jail), checked by `super::args`.
pub const OPERANDS: &str = "operands";

/// The clap argument of one key: `--name=value` (also spelled with `_` and `-` swapped), a
/// flag taking an optional `=value` (bare: 1).
fn key_arg(k: &KeySpec) -> Arg {
    let mut a = Arg::new(k.name).long(k.name).help(k.doc).action(ArgAction::Append);
    let other = if k.name.contains('_') { k.name.replace('_', "-") } else { k.name.replace('-', "_") };
    if other != k.name {
        a = a.alias(other);
    }
    match k.kind {
        KeyKind::Value => a.num_args(1).value_name(k.value).allow_hyphen_values(true),
        KeyKind::Flag => a.num_args(0..=1).require_equals(true).default_missing_value("1").value_name("1|0"),
    }
}

/// The clap command of verb `v` (argv without the program and verb, as `no_binary_name`).
pub fn verb_command(v: &VerbSpec) -> Command {
    // The options first: their struct's doc would otherwise become the verb's about.
    let mut c = Common::augment_args(Command::new(v.name))
        .about(v.desc)
        .long_about(v.about)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new(OPERANDS).num_args(0..).action(ArgAction::Append).value_name("NAME").hide(true));
    for k in v.keys {
        c = c.arg(key_arg(k));
    }
    c
}

/// The whole program for shell completions: `vimage <verb> …`, with the options that stand
/// alone (`--man`, `--version`).
pub fn program() -> Command {
    let mut c = Common::augment_args(Command::new("vimage"))
        .about("vnet (VIMAGE) networking for FreeBSD jails")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("man").long("man").action(ArgAction::SetTrue).help("print the manual, vimage(8)"))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::SetTrue).help("print the version"));
    for v in VERBS {
        c = c.subcommand(verb_command(v));
    }
    c
}

/// The shells vimage ships completions for, with their file names in `share/completions/`
/// (tools/pkg installs each where that shell looks). FreeBSD's /bin/sh has no programmable
/// completion (libedit completes file names only), so there is none for it.
pub const COMPLETIONS: [(clap_complete::Shell, &str); 3] = [
    (clap_complete::Shell::Bash, "vimage.bash"),
    (clap_complete::Shell::Zsh, "_vimage"),
    (clap_complete::Shell::Fish, "vimage.fish"),
];

/// The completion script for `shell` (`bash`, `zsh`, `fish`), or `None` for another name.
pub fn completion(shell: &str) -> Option<String> {
    let (sh, _) = COMPLETIONS.iter().find(|(s, _)| s.to_string() == shell)?;
    let mut buf = Vec::new();
    clap_complete::generate(*sh, &mut program(), "vimage", &mut buf);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_a_valid_clap_command() {
        program().debug_assert();
        for v in VERBS {
            verb_command(v).debug_assert();
            for k in v.keys {
                assert!(!matches!(k.name, "verbose" | "quiet" | "syslog" | "help" | "desc" | "args"), "{}", k.name);
            }
        }
    }

    #[test]
    fn completions_exist_for_bash_zsh_and_fish_only() {
        for (sh, _) in COMPLETIONS {
            let text = completion(&sh.to_string()).unwrap();
            assert!(text.contains("jname") && text.contains("dry-run"), "{sh}");
        }
        assert!(completion("sh").is_none());
    }
}
