//! A stand-in for `/bin/sh` inside jails, enough for the commands vimage's service runs there
//! (`exec_start`/`exec_stop`): `sh -c "WORDS"` runs a simulated program if the first word is
//! one (`ifconfig …`), exits with N for `exit N` and 1 for `false`, and otherwise succeeds
//! without doing anything (a jail's `/etc/rc` has nothing to simulate). `sh SCRIPT …` succeeds.
//! `sh`, `sh -i` and `sh -s` read commands from stdin, one simple command a line, until EOF or
//! `exit`, and exit with the last status (the interactive prompt, PS1 on stderr, is not
//! printed).
//! In a jail with a Linux userland a FreeBSD program is not there: `sh: CMD: not found`, 127.

use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// Runs `sh args` as process `ctx`, `stdin` being what it reads.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>) -> Output {
    let ok = Output::default();
    match args.first().map(String::as_str) {
        None | Some("-i") | Some("-s") => return script(k, ctx, stdin.unwrap_or("")),
        Some("-c") => {}
        Some(_) => return ok,
    }
    let words: Vec<String> =
        args.get(1).map(|c| c.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
    simple(k, ctx, &words).0
}

/// Commands read one a line; the status of the last, or `exit N`'s.
fn script(k: &mut Kernel, ctx: Ctx, text: &str) -> Output {
    let mut all = Output::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            continue;
        }
        let (o, exit) = simple(k, ctx, &words);
        all.stdout.push_str(&o.stdout);
        all.stderr.push_str(&o.stderr);
        all.code = o.code;
        if exit {
            break;
        }
    }
    all
}

/// One simple command; true when it was `exit`.
fn simple(k: &mut Kernel, ctx: Ctx, words: &[String]) -> (Output, bool) {
    let ok = Output::default();
    if words.first().map(String::as_str) == Some("exit") {
        return (Output { code: words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0), ..ok }, true);
    }
    let o = match words.first().map(String::as_str) {
        None => ok,
        Some("false") => Output { code: 1, ..ok },
        Some(p) if ctx.jail.is_some_and(|j| super::exec::lookup(k, j, p) == super::exec::Found::Missing) => {
            Output { code: 127, stderr: format!("sh: {p}: not found\n"), ..ok }
        }
        Some(p) if p != "sh" && super::known_program(p) => super::run(k, ctx, p, &words[1..]),
        Some(_) => ok,
    };
    (o, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_known_programs_and_exit_codes() {
        let mut k = Kernel::demo();
        let ctx = k.ctx_in_jail(1).unwrap();
        let a = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(main(&mut k, ctx, &a(&["-c", "ifconfig -l"]), None).stdout, "lo0\n");
        assert_eq!(main(&mut k, ctx, &a(&["-c", "exit 3"]), None).code, 3);
        assert_eq!(main(&mut k, ctx, &a(&["-c", "false"]), None).code, 1);
        assert_eq!(main(&mut k, ctx, &a(&["-c", "/bin/sh /etc/rc"]), None).code, 0);
        assert_eq!(main(&mut k, ctx, &a(&["/etc/rc"]), None).code, 0);
        assert_eq!(main(&mut k, ctx, &[], Some("false\nifconfig -l # list\n")).stdout, "lo0\n");
    }
}
