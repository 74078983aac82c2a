//! The only door to the kernel.
//!
//! Everything vimage learns about or changes on a FreeBSD host happens by running one of the
//! base system's commands (`ifconfig`, `ngctl`, `jls`, …). [`Host`] runs one such command; the
//! real implementation spawns it ([`FreeBsdHost`]), the simulated one hands the same argv to an
//! in-process model of a FreeBSD kernel and its userland ([`SimHost`]). Keeping the seam at the
//! command level means the argv we build and the output we parse are the same in tests, in the
//! `fbsd-sim` end-to-end runs and on a real host.

mod freebsd;
mod run;
#[cfg(feature = "simulator")]
mod sim;

pub use freebsd::FreeBsdHost;
pub use run::run_cmd;
#[cfg(feature = "simulator")]
pub use sim::SimHost;

use std::fmt;

/// The FreeBSD programs vimage may run. A closed set, so no value from a database or the
/// command line can ever choose what gets executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Program {
    /// Creates, configures, moves and destroys interfaces (host side, and inside jails on 14.0+).
    Ifconfig,
    /// Builds and tears down netgraph NICs and bridges, and queries nodes.
    Ngctl,
    /// Creates and removes jails for the standalone service (`jail -c` / `jail -r`).
    Jail,
    /// Runs commands inside a jail (`dhclient`, `route`, and `ifconfig` before 14.0).
    Jexec,
    /// Finds jails and their JID, path, vnet and devfs ruleset.
    Jls,
    /// Reads the kernel facts (`kern.features.vimage`, `kern.hostuuid`, …).
    Sysctl,
    /// Lets `doctor` check which kernel modules are loaded.
    Kldstat,
    /// Lets `doctor` load a missing kernel module.
    Kldload,
    /// Loads vimage's devfs ruleset and applies it to a jail's /dev.
    Devfs,
    /// Reserved for rc.d services; vimage itself does not run it yet.
    Service,
    /// Reads default routes (on the host, and in jails through `jexec`).
    Route,
    /// Tells CBSD settings vimage chose (`cbsd jset`) and creates jails (`cbsd jcreate`).
    Cbsd,
    /// Loads and flushes vimage's pf anchors (`pfctl -a vimage/NAME -f -`), and lets `doctor`
    /// check and load the main ruleset's references to them.
    Pfctl,
}

impl Program {
    /// Every program, for building a `VIMAGE_CMD_DIR` of stand-ins.
    pub const ALL: [Program; 13] = [
        Program::Ifconfig,
        Program::Ngctl,
        Program::Jail,
        Program::Jexec,
        Program::Jls,
        Program::Sysctl,
        Program::Kldstat,
        Program::Kldload,
        Program::Devfs,
        Program::Service,
        Program::Route,
        Program::Cbsd,
        Program::Pfctl,
    ];

    /// The command's file name, which is also how it is spelled in dry-run output.
    pub fn name(self) -> &'static str {
        match self {
            Program::Ifconfig => "ifconfig",
            Program::Ngctl => "ngctl",
            Program::Jail => "jail",
            Program::Jexec => "jexec",
            Program::Jls => "jls",
            Program::Sysctl => "sysctl",
            Program::Kldstat => "kldstat",
            Program::Kldload => "kldload",
            Program::Devfs => "devfs",
            Program::Service => "service",
            Program::Route => "route",
            Program::Cbsd => "cbsd",
            Program::Pfctl => "pfctl",
        }
    }

    /// Where FreeBSD installs it. Absolute, so `PATH` cannot redirect us.
    pub fn absolute_path(self) -> &'static str {
        match self {
            Program::Ifconfig => "/sbin/ifconfig",
            Program::Ngctl => "/usr/sbin/ngctl",
            Program::Jail => "/usr/sbin/jail",
            Program::Jexec => "/usr/sbin/jexec",
            Program::Jls => "/usr/sbin/jls",
            Program::Sysctl => "/sbin/sysctl",
            Program::Kldstat => "/sbin/kldstat",
            Program::Kldload => "/sbin/kldload",
            Program::Devfs => "/sbin/devfs",
            Program::Service => "/usr/sbin/service",
            Program::Route => "/sbin/route",
            Program::Cbsd => "/usr/local/bin/cbsd",
            Program::Pfctl => "/sbin/pfctl",
        }
    }

    /// Reverse of [`Program::name`], used by the simulator's multi-call dispatch.
    pub fn from_name(name: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// One command line: a program and its arguments, never interpreted by a shell, and what it
/// reads on stdin.
///
/// `stdin` exists for two commands: `ngctl -f -`, which runs a whole batch of netgraph
/// commands in one process (one socket node, one fork) read from its standard input, and
/// `pfctl -a ANCHOR -f -`, which loads an anchor's rules in one transaction from it. Every
/// other command gets `None`, which the hosts turn into an empty stdin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cmd {
    /// Which of the allowed programs runs.
    pub program: Program,
    /// Its arguments, passed as argv (never through a shell).
    pub args: Vec<String>,
    /// Text fed on its standard input; `ngctl -f -` and `pfctl -f -` use it.
    pub stdin: Option<String>,
}

impl Cmd {
    /// Builds a command from anything string-like.
    pub fn new<I, S>(program: Program, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cmd { program, args: args.into_iter().map(Into::into).collect(), stdin: None }
    }

    /// The same command, reading `text` on its standard input.
    pub fn with_stdin(mut self, text: impl Into<String>) -> Cmd {
        self.stdin = Some(text.into());
        self
    }
}

impl Cmd {
    /// The command as a line of a shell script where `$name` words are placeholders for
    /// names the kernel has yet to choose (dry runs); every other word is quoted as needed.
    pub fn script_line(&self) -> String {
        let mut s = self.program.name().to_string();
        for a in &self.args {
            s.push(' ');
            if is_placeholder(a) {
                s.push_str(a);
            } else {
                s.push_str(&sh_quote(a));
            }
        }
        push_heredoc(&mut s, self.stdin.as_deref());
        s
    }
}

fn is_placeholder(w: &str) -> bool {
    w.strip_prefix('$').is_some_and(|v| {
        v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Renders the command as an admin would type it: program name, then arguments, each quoted
/// for sh(1) only when it needs to be. Used for dry-run output, journal rows and errors.
impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program.name())?;
        for a in &self.args {
            f.write_str(" ")?;
            f.write_str(&sh_quote(a))?;
        }
        let mut tail = String::new();
        push_heredoc(&mut tail, self.stdin.as_deref());
        f.write_str(&tail)
    }
}

/// Shows stdin the way a shell script would give it: a quoted here-document.
fn push_heredoc(s: &mut String, stdin: Option<&str>) {
    if let Some(text) = stdin {
        s.push_str(" <<'EOF'\n");
        s.push_str(text);
        if !text.ends_with('\n') {
            s.push('\n');
        }
        s.push_str("EOF");
    }
}

/// Quotes a word for sh(1) when it holds anything beyond a conservative safe set.
pub fn sh_quote(word: &str) -> String {
    let safe = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.,:/=+@%^".contains(&b));
    if safe { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

pub use vimage_base::Output;

/// The command could not be run at all (not found, not executable, killed by a signal).
#[derive(Debug, thiserror::Error)]
#[error("cannot run {path}: {reason}")]
pub struct SpawnError {
    /// The program that could not be run.
    pub path: String,
    /// Why, as the OS put it.
    pub reason: String,
}

/// Runs FreeBSD commands. The real or simulated implementation is chosen explicitly by the
/// caller (`main`, a test), never by `cfg!(test)`.
pub trait Host {
    /// Runs one command to completion and returns its exit code and output.
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError>;
}

impl<H: Host + ?Sized> Host for &mut H {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        (**self).run(cmd)
    }
}

impl<H: Host + ?Sized> Host for Box<H> {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        (**self).run(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_sh_would_split() {
        let c = Cmd::new(Program::Ifconfig, ["epair", "create", "description", "vimage:web1:eth0"]);
        assert_eq!(c.to_string(), "ifconfig epair create description vimage:web1:eth0");
        let c = Cmd::new(Program::Jexec, ["web 1", "it's"]);
        assert_eq!(c.to_string(), r"jexec 'web 1' 'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$(reboot)"), "'$(reboot)'");
        let c = Cmd::new(Program::Ifconfig, ["$eth0_b", "$(x)", "vnet", "3"]);
        assert_eq!(c.script_line(), "ifconfig $eth0_b '$(x)' vnet 3");
        assert_eq!(c.to_string(), "ifconfig '$eth0_b' '$(x)' vnet 3");
    }

    #[test]
    fn stdin_is_shown_as_a_here_document() {
        let c = Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin("mkpeer em0: bridge lower link0\n");
        assert_eq!(c.to_string(), "ngctl -f - <<'EOF'\nmkpeer em0: bridge lower link0\nEOF");
        assert_eq!(c.script_line(), c.to_string());
    }

    #[test]
    fn program_names_round_trip() {
        for p in Program::ALL {
            assert_eq!(Program::from_name(p.name()), Some(p));
            assert!(p.absolute_path().ends_with(p.name()));
        }
    }
}
