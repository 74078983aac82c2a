//! A stand-in for `/bin/sh` inside jails, enough for the commands vimage's service runs there
//! (`exec_start`/`exec_stop`): `sh -c "WORDS"` runs a simulated program if the first word is
//! one (`ifconfig …`), exits with N for `exit N` and 1 for `false`, and otherwise succeeds
//! without doing anything (a jail's `/etc/rc` has nothing to simulate). `sh SCRIPT …` succeeds.
//! In a jail with a Linux userland a FreeBSD program is not there: `sh: CMD: not found`, 127.

use crate::host::Output;
use crate::sim::kernel::{Ctx, Kernel};

/// Runs `sh args` as process `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let ok = Output::default();
    let Some(first) = args.first() else { return ok };
    if first != "-c" {
        return ok;
    }
    let words: Vec<String> =
        args.get(1).map(|c| c.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
    match words.first().map(String::as_str) {
        None => ok,
        Some("false") => Output { code: 1, ..ok },
        Some("exit") => Output { code: words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0), ..ok },
        Some(p) if ctx.jail.is_some_and(|j| super::exec::lookup(k, j, p) == super::exec::Found::Missing) => {
            Output { code: 127, stderr: format!("sh: {p}: not found\n"), ..ok }
        }
        Some(p) if p != "sh" && super::known_program(p) => super::run(k, ctx, p, &words[1..]),
        Some(_) => ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_known_programs_and_exit_codes() {
        let mut k = Kernel::demo();
        let ctx = k.ctx_in_jail(1).unwrap();
        let a = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(main(&mut k, ctx, &a(&["-c", "ifconfig -l"])).stdout, "lo0\n");
        assert_eq!(main(&mut k, ctx, &a(&["-c", "exit 3"])).code, 3);
        assert_eq!(main(&mut k, ctx, &a(&["-c", "false"])).code, 1);
        assert_eq!(main(&mut k, ctx, &a(&["-c", "/bin/sh /etc/rc"])).code, 0);
        assert_eq!(main(&mut k, ctx, &a(&["/etc/rc"])).code, 0);
    }
}
