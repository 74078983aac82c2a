//! FreeBSD's words for "there is no such thing", one function per command and case: the one
//! place vimage reads them. The ops' [`super::Op::already_gone`] asks them whether an undo or
//! a teardown found its object gone; the fact gathering (`facts::gather`) asks the same ones
//! whether a query found nothing, so no FreeBSD text is matched anywhere else.

use crate::host::Output;

/// ifconfig(8) found no interface of that name (ifconfig.c: "interface %s does not exist").
pub fn no_such_interface(out: &Output) -> bool {
    out.stderr.contains("does not exist")
}

/// jail(8) or jls(8) found no such jail (`jail: "web1" not found`, `jls: jail "web1" not
/// found`, ifconfig's jail_getid: `jail "3" not found`).
pub fn no_such_jail(out: &Output) -> bool {
    out.stderr.contains("not found")
}

/// `ifconfig <iface> -vnet <jid>` found the interface no longer in that jail (SIOCSIFRVNET
/// ENXIO: "Device not configured").
pub fn not_in_jail(out: &Output) -> bool {
    out.stderr.contains("Device not configured")
}

/// ngctl(8) or devfs(8) found no such node, hook or mount (ENOENT: "No such file or
/// directory").
pub fn no_such_file(out: &Output) -> bool {
    out.stderr.contains("No such file or directory")
}

/// route(8) has no `-j` (before FreeBSD 15: getopt's `illegal option -- j` and usage, exit 64):
/// there is no such option rather than no such route.
pub fn no_route_j_option(out: &Output) -> bool {
    out.code == 64 && out.stderr.contains("illegal option")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: i32, stderr: &str) -> Output {
        Output { code, stdout: String::new(), stderr: stderr.into() }
    }

    #[test]
    fn each_reading_matches_its_command_s_words_and_not_another_failure() {
        assert!(no_such_interface(&err(1, "ifconfig: interface epair9a does not exist\n")));
        assert!(!no_such_interface(&err(1, "ifconfig: SIOCIFDESTROY: Device busy\n")));
        assert!(no_such_jail(&err(1, "jls: jail \"web1\" not found\n")));
        assert!(not_in_jail(&err(1, "ifconfig: SIOCSIFRVNET: Device not configured\n")));
        assert!(no_such_file(&err(71, "ngctl: send msg: No such file or directory\n")));
        assert!(no_route_j_option(&err(64, "route: illegal option -- j\nusage: route …\n")));
        assert!(!no_route_j_option(&err(1, "route: illegal option -- j\n")));
    }
}
