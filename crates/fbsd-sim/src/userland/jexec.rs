//! `jexec` (usr.sbin/jexec/jexec.c): runs a simulated command inside a jail.

use super::Proc;
use super::exec::Found;
use super::getopt::{Getopt, Opt};
use crate::Errno;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

const USAGE: &str = "usage: jexec [-l] [-u username | -U username] jail [command ...]\n";

/// Runs `jexec args`: the jail by name or JID (`jail_getid`), then the command in its
/// context. Unknown jail → `jexec: jail "x" not found` (1); a command the simulator does not
/// have, or that the jail's Linux userland does not have ([`super::exec`]) → `jexec: execvp:
/// CMD: No such file or directory` (1, `err(1, "execvp: %s", argv[0])` in jexec.c).
///
/// Without a command jexec runs the shell (`$SHELL`, else `_PATH_BSHELL`, as `sh -i`): here
/// the simulated `sh`, reading the commands from `stdin` (a Linux userland's shell too, as
/// [`super::exec`] runs a Linux shell as the simulator's `sh`).
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>) -> Output {
    let mut p = Proc::new("jexec");
    let (mut uflag, mut big_uflag) = (false, false);
    let mut g = Getopt::new(args, "lnu:U:");
    for o in g.by_ref() {
        match o {
            Opt::Flag('u', _) => uflag = true,
            Opt::Flag('U', _) => big_uflag = true,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(USAGE);
                return p.finish(1);
            }
        }
    }
    let rest = g.rest();
    if rest.is_empty() || (uflag && big_uflag) {
        p.stderr(USAGE);
        return p.finish(1);
    }
    let jid = match k.jail_getid(ctx, &rest[0]) {
        Ok(j) => j,
        Err(m) => {
            let _ = p.errx(1, &m);
            return p.finish(1);
        }
    };
    let Some(jctx) = k.ctx_in_jail(jid) else {
        let _ = p.err(1, &format!("jail_attach({jid})"), Errno::EINVAL);
        return p.finish(1);
    };
    let Some(cmd) = rest.get(1) else {
        return super::sh::main(k, jctx, &["-i".to_string()], stdin);
    };
    match super::exec::lookup(k, jid, cmd) {
        Found::Simulated if super::known_program(cmd) => super::run(k, jctx, cmd, &rest[2..]),
        Found::Linux(_) if super::exec::is_shell(cmd) => super::run(k, jctx, "sh", &rest[2..]),
        Found::Linux(file) => Output {
            code: 127,
            stdout: String::new(),
            stderr: format!(
                "fbsd-sim: {cmd} ({}) is a Linux program; the simulator does not run those\n",
                file.display()
            ),
        },
        Found::Simulated | Found::Missing => {
            let _ = p.err(1, &format!("execvp: {cmd}"), Errno::ENOENT);
            p.finish(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jexec(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a, None)
    }

    #[test]
    fn jexec_into_unknown_jail_is_jail_not_found_jexec_c() {
        let mut k = Kernel::demo();
        let o = jexec(&mut k, &["nosuch", "ifconfig"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jexec: jail \"nosuch\" not found\n"));
        let o = jexec(&mut k, &["42", "ifconfig"]);
        assert_eq!(o.stderr, "jexec: jail 42 not found\n");
    }

    #[test]
    fn jexec_runs_ifconfig_in_the_jails_vnet() {
        let mut k = Kernel::demo();
        let o = jexec(&mut k, &["web1", "ifconfig", "-l"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "lo0\n"));
        let o = jexec(&mut k, &["1", "sysctl", "-n", "security.jail.jailed", "security.jail.vnet"]);
        assert_eq!(o.stdout, "1\n1\n");
    }

    #[test]
    fn unknown_command_is_execvp_enoent() {
        let mut k = Kernel::demo();
        let o = jexec(&mut k, &["web1", "dhcpcd", "eth0"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jexec: execvp: dhcpcd: No such file or directory\n"));
        let o = jexec(&mut k, &[]);
        assert_eq!((o.code, o.stderr.as_str()), (1, USAGE));
    }

    #[test]
    fn without_a_command_jexec_runs_the_jails_shell_on_stdin_jexec_c() {
        let mut k = Kernel::demo();
        let a = vec!["web1".to_string()];
        let o = main(&mut k, Ctx::HOST, &a, Some("ifconfig -l\nsysctl -n security.jail.jailed\n"));
        assert_eq!((o.code, o.stdout.as_str()), (0, "lo0\n1\n"));
        let o = main(&mut k, Ctx::HOST, &a, Some("ifconfig nosuch0\n"));
        assert_eq!(o.code, 1, "the shell exits with its last command's status");
        let o = main(&mut k, Ctx::HOST, &a, Some("exit 3\nifconfig -l\n"));
        assert_eq!((o.code, o.stdout.as_str()), (3, ""));
        assert_eq!(main(&mut k, Ctx::HOST, &a, None).code, 0, "EOF at once");
    }
}
