//! The simulated FreeBSD userland: each command parses its argv the way the real one does and
//! prints the real one's output, error texts and exit codes, using only kernel operations.

mod cbsd;
mod devfs;
mod dhclient;
mod exec;
mod fs;
mod getopt;
mod ifconfig;
mod ifconfig_addr;
mod ifconfig_l2;
mod ifconfig_params;
mod ifconfig_status;
mod ifconfig_words;
mod jail;
mod jexec;
mod jls;
mod kld;
mod ngctl;
mod ngctl_cmds;
mod pfctl;
mod pfctl_parse;
mod ping;
mod rcd;
mod rcvars;
mod route;
mod service;
mod sh;
mod sysctl;
mod sysrc;

use crate::Errno;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// Every program [`run`] simulates (also the names `fbsd-sim` answers to as `argv[0]`).
pub(crate) const SIMULATED: &[&str] = &[
    "ifconfig",
    "ngctl",
    "jls",
    "jail",
    "jexec",
    "sysctl",
    "kldstat",
    "kldload",
    "kldunload",
    "route",
    "devfs",
    "dhclient",
    "cbsd",
    "sh",
    "sysrc",
    "service",
    "ping",
    "pfctl",
];

/// Runs one command as the process `ctx` would (host, or inside a jail via jexec), with an empty
/// stdin.
pub(crate) fn run(k: &mut Kernel, ctx: Ctx, program: &str, args: &[String]) -> Output {
    run_input(k, ctx, program, args, None)
}

/// [`run`] with `stdin` for the process to read (`ngctl -f -`, and the shell: `sh` without
/// `-c`, `jexec J` without a command).
pub(crate) fn run_input(k: &mut Kernel, ctx: Ctx, program: &str, args: &[String], stdin: Option<&str>) -> Output {
    let prog = program.rsplit('/').next().unwrap_or(program);
    match prog {
        "ngctl" => ngctl::main(k, ctx, args, stdin),
        "pfctl" => pfctl::main(k, ctx, args, stdin),
        "ifconfig" => ifconfig::main(k, ctx, args),
        "jls" => jls::main(k, ctx, args),
        "jail" => jail::main(k, ctx, args),
        "jexec" => jexec::main(k, ctx, args, stdin),
        "sysctl" => sysctl::main(k, ctx, args),
        "kldstat" => kld::kldstat(k, ctx, args),
        "kldload" => kld::kldload(k, ctx, args),
        "kldunload" => kld::kldunload(k, ctx, args),
        "sysrc" => sysrc::main(k, ctx, args),
        "ping" => ping::main(k, ctx, args),
        "service" => service::main(k, ctx, args),
        "route" => route::main(k, ctx, args),
        "sh" => sh::main(k, ctx, args, stdin),
        "devfs" => devfs::main(k, ctx, args),
        "dhclient" => dhclient::main(k, ctx, args),
        "cbsd" => cbsd::main(k, ctx, args),
        p => Output { code: 127, stdout: String::new(), stderr: format!("{p}: not found\n") },
    }
}

/// True for the programs [`run`] knows; jexec uses it to decide between running a command and
/// `execvp` failing.
pub(crate) fn known_program(program: &str) -> bool {
    let prog = program.rsplit('/').next().unwrap_or(program);
    SIMULATED.contains(&prog)
}

/// A command exiting with this status; the message is already in the process's stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exit(pub i32);

/// The stdout/stderr of one simulated process, with err(3)-style helpers.
#[derive(Debug)]
pub(crate) struct Proc {
    prog: &'static str,
    pub out: String,
    pub err: String,
}

impl Proc {
    /// A process named `prog` (the prefix of its error messages).
    pub fn new(prog: &'static str) -> Proc {
        Proc { prog, out: String::new(), err: String::new() }
    }

    /// warnx(3): `prog: msg`.
    pub fn warnx(&mut self, msg: &str) {
        self.err.push_str(self.prog);
        self.err.push_str(": ");
        self.err.push_str(msg);
        self.err.push('\n');
    }

    /// warn(3): `prog: msg: strerror`.
    pub fn warn(&mut self, msg: &str, e: Errno) {
        self.warnx(&format!("{msg}: {}", e.strerror()));
    }

    /// errx(3).
    pub fn errx(&mut self, code: i32, msg: &str) -> Exit {
        self.warnx(msg);
        Exit(code)
    }

    /// err(3).
    pub fn err(&mut self, code: i32, msg: &str, e: Errno) -> Exit {
        self.warn(msg, e);
        Exit(code)
    }

    /// Appends raw text to stderr (usage messages).
    pub fn stderr(&mut self, text: &str) {
        self.err.push_str(text);
    }

    /// The finished process.
    pub fn finish(self, code: i32) -> Output {
        Output { code, stdout: self.out, stderr: self.err }
    }

    /// Finishes with the status of a `Result<(), Exit>` (0 on success).
    pub fn finish_with(self, r: Result<(), Exit>) -> Output {
        let code = match r {
            Ok(()) => 0,
            Err(Exit(c)) => c,
        };
        self.finish(code)
    }
}

/// fnmatch(3), which the kernel's devfs rules use too: it lives at the crate's root.
pub(crate) use crate::fnmatch::fnmatch;

/// C `atoi`: leading blanks, optional sign, digits; 0 when there are none; saturating.
pub(crate) fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_handles_globs_like_libc() {
        assert!(fnmatch("vimage", "vimage"));
        assert!(fnmatch("vim*", "vimage"));
        assert!(fnmatch("e?air", "epair"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(!fnmatch("[!a-c]x", "bx"));
        assert!(!fnmatch("vimage", "vimage2"));
        assert!(fnmatch("*", ""));
        assert!(fnmatch("[", "["));
    }

    #[test]
    fn atoi_is_c_atoi() {
        assert_eq!(atoi("1500"), 1500);
        assert_eq!(atoi(" 9000abc"), 9000);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("-5"), -5);
        assert_eq!(atoi("99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn unknown_programs_exit_127() {
        let mut k = Kernel::freebsd14();
        let o = run(&mut k, Ctx::HOST, "frobnicate", &[]);
        assert_eq!(o.code, 127);
        assert_eq!(o.stderr, "frobnicate: not found\n");
        let o = run(&mut k, Ctx::HOST, "service", &["vimage".to_string(), "status".to_string()]);
        assert_eq!(o.code, 1, "no /usr/local/etc/rc.d/vimage on this host");
        assert!(o.stdout.starts_with("vimage does not exist in /etc/rc.d or the local startup\n"), "{}", o.stdout);
    }
}

#[cfg(test)]
mod ifconfig_tests;

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod ngctl_tests;

#[cfg(test)]
mod ifconfig_l2_tests;

#[cfg(test)]
mod service_tests;

#[cfg(test)]
mod ping_tests;
