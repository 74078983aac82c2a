//! `sysrc` (usr.sbin/sysrc/sysrc and sysrc.subr): reads and edits rc.conf(5) variables.
//!
//! Simulated: `name`, `name=value`, `name+=value`, `name-=value` with `-c -e -f file -i
//! -j jail -n -N -q -R dir -v -x` and `-l`. Values are read as [`super::rcvars`] reads rc.conf;
//! edits follow `f_sysrc_set` (the last assignment in the file that holds it is rewritten in
//! place, keeping its quoting; a new variable is appended to the first of `rc_conf_files`) and
//! `f_sysrc_delete` (every assignment removed from every file). The other options (`-a -A -d
//! -D -E -F -L -s -X`) answer "not simulated".

use super::fs::Files;
use super::rcvars::{self, RC_DEFAULTS, Vars};
use super::{Exit, Proc};
use crate::Errno;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

const USAGE: &str = "Usage: sysrc [OPTIONS] {name[[+|-]=value] ... | -a | -A | -l | -L [name ...]}\nTry `sysrc --help' for more information.\n";

#[derive(Default)]
struct Opts {
    check: bool,
    equals: bool,
    conf: Option<Vec<String>>,
    ignore_unknown: bool,
    jail: Option<String>,
    root_dir: Option<String>,
    show_name: bool,
    show_value: bool,
    quiet: bool,
    verbose: bool,
    delete: bool,
    list: bool,
}

/// Runs `sysrc args` as process `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("sysrc");
    let r = run(k, ctx, args, &mut p);
    p.finish_with(r)
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], p: &mut Proc) -> Result<(), Exit> {
    if args.is_empty() {
        p.stderr(USAGE);
        return Err(Exit(1));
    }
    for a in args {
        match a.as_str() {
            "--" => break,
            "--help" | "-h" => {
                p.stderr(USAGE);
                return Err(Exit(1));
            }
            // sysrc prints its version and exits with $FAILURE.
            "--version" => return Err(Exit(1)),
            _ => {}
        }
    }
    let mut o = Opts { show_name: true, show_value: true, ..Opts::default() };
    let mut g = super::getopt::Getopt::new(args, "aAcdDeEf:Fhij:lLnNqR:s:vxX");
    for opt in g.by_ref() {
        use super::getopt::Opt;
        match opt {
            Opt::Flag('c', _) => o.check = true,
            Opt::Flag('e', _) => o.equals = true,
            Opt::Flag('f', a) => {
                o.conf.get_or_insert_with(Vec::new).extend(a.unwrap_or_default().split_whitespace().map(str::to_string))
            }
            Opt::Flag('i', _) => o.ignore_unknown = true,
            Opt::Flag('j', a) => o.jail = a,
            Opt::Flag('R', a) => o.root_dir = a,
            Opt::Flag('l', _) => o.list = true,
            Opt::Flag('n', _) => o.show_name = false,
            Opt::Flag('N', _) => o.show_value = false,
            Opt::Flag('q', _) => (o.quiet, o.verbose) = (true, false),
            Opt::Flag('v', _) => (o.verbose, o.quiet) = (true, false),
            Opt::Flag('x', _) => o.delete = true,
            Opt::Flag(c, _) => return Err(p.errx(1, &format!("-{c} is not simulated"))),
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(USAGE);
                return Err(Exit(1));
            }
        }
    }
    let names = g.rest();
    for n in names {
        // `${name%%:[+=-]*}` then `${name%%[%#+=-]*}`.
        let colon = [":+", ":=", ":-"].iter().filter_map(|c| n.find(c)).min().unwrap_or(n.len());
        let bare = n[..colon].split(['%', '#', '+', '=', '-']).next().unwrap_or("");
        if !bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(p.errx(1, &format!("{bare}: name contains characters not allowed in shell")));
        }
    }
    // `-j jail` re-runs sysrc inside the jail through jexec; `-R dir` through chroot.
    let files = match &o.jail {
        Some(j) => match k.jail_getid(ctx, j) {
            Ok(jid) => match k.ctx_in_jail(jid) {
                Some(jctx) => Files::of(k, jctx),
                None => return Err(p.err(1, &format!("jail_attach({jid})"), Errno::EINVAL)),
            },
            Err(m) => {
                p.stderr(&format!("jexec: {m}\n"));
                return Err(Exit(1));
            }
        },
        None => match &o.root_dir {
            Some(d) => Files::of(k, ctx).chroot(d),
            None => Files::of(k, ctx),
        },
    };
    if o.list {
        if !names.is_empty() {
            p.stderr(USAGE);
            return Err(Exit(1));
        }
        let line = match &o.conf {
            Some(c) => c.join(" "),
            None => rcvars::load(&files, None).val("rc_conf_files").to_string(),
        };
        p.out.push_str(&line);
        p.out.push('\n');
        return Ok(());
    }
    if names.is_empty() {
        p.stderr(USAGE);
        return Err(Exit(1));
    }
    let mut status = Ok(());
    for arg in names {
        if let Err(e) = one(&files, &o, arg, p) {
            status = Err(e);
        }
    }
    status
}

/// The files sysrc searches, in sourcing order (`RC_CONFS` or `rc_conf_files`).
fn conf_list(files: &Files, o: &Opts) -> Vec<String> {
    match &o.conf {
        Some(c) => c.clone(),
        None => rcvars::load(files, None).val("rc_conf_files").split_whitespace().map(str::to_string).collect(),
    }
}

/// `f_sysrc_find`: the file holding the effective (last) assignment of `name`.
fn find(files: &Files, o: &Opts, name: &str) -> Option<String> {
    let mut search: Vec<String> = conf_list(files, o);
    search.reverse();
    search.push(RC_DEFAULTS.to_string());
    search.into_iter().find(|f| {
        let text = if f == RC_DEFAULTS { Some(rcvars::defaults_text(files)) } else { files.read(f).ok() };
        text.is_some_and(|t| rcvars::assigns(&t, name))
    })
}

fn vars(files: &Files, o: &Opts) -> Vars {
    rcvars::load(files, o.conf.as_deref())
}

fn one(files: &Files, o: &Opts, arg: &str, p: &mut Proc) -> Result<(), Exit> {
    let (lhs, value) = match arg.split_once('=') {
        Some((l, v)) => (l, Some(v)),
        None => (arg, None),
    };
    let (name, mode) = match (lhs.strip_suffix('+'), lhs.strip_suffix('-')) {
        (Some(n), _) if value.is_some() => (n, '+'),
        (_, Some(n)) if value.is_some() => (n, '-'),
        _ => (lhs, '='),
    };
    let sep = if o.equals && o.show_name && o.show_value { "=\"" } else { ": " };
    let eq_close = if sep == "=\"" { "\"" } else { "" };
    let Some(value) = value else {
        let v = vars(files, o);
        let Some(cur) = v.get(name) else {
            if !(o.ignore_unknown || o.quiet) {
                p.stderr(&format!("sysrc: unknown variable '{name}'\n"));
            }
            return Err(Exit(1));
        };
        if o.check {
            return Ok(());
        }
        if o.delete {
            return delete(files, o, name, p);
        }
        if o.verbose {
            p.out.push_str(&format!("{}: ", find(files, o, name).unwrap_or_default()));
        }
        if !o.show_value {
            p.out.push_str(&format!("{name}\n"));
        } else if o.show_name {
            p.out.push_str(&format!("{name}{sep}{cur}{eq_close}\n"));
        } else {
            p.out.push_str(&format!("{cur}\n"));
        }
        return Ok(());
    };
    if o.delete {
        return delete(files, o, name, p);
    }
    let v = vars(files, o);
    let before = v.val(name).to_string();
    let new = match mode {
        '+' => append(&before, value),
        '-' => remove(&before, value),
        _ => value.to_string(),
    };
    if o.check {
        return if v.get(name).is_some() && new == before { Ok(()) } else { Err(Exit(1)) };
    }
    let file = set(files, o, name, &new).map_err(|(f, e)| {
        p.stderr(&format!("/usr/sbin/sysrc: cannot create {f}: {}\n", e.strerror()));
        Exit(1)
    })?;
    if o.verbose {
        p.out.push_str(&format!("{file}: "));
    }
    if !o.show_value {
        p.out.push_str(&format!("{name}\n"));
        return Ok(());
    }
    let after = vars(files, o).val(name).to_string();
    let head = if o.show_name { format!("{name}{sep}") } else { String::new() };
    if sep == "=\"" {
        p.out.push_str(&format!("{head}{before}\" # -> \"{after}\"\n"));
    } else {
        p.out.push_str(&format!("{head}{before} -> {after}\n"));
    }
    Ok(())
}

/// The delimiter of a `+=`/`-=` value: its first character unless that is blank, a letter,
/// a digit, `.` or `/` (then a space).
fn delim_of(value: &str) -> char {
    match value.chars().next() {
        Some(c) if !(c.is_whitespace() || c.is_ascii_alphanumeric() || c == '.' || c == '/') => c,
        _ => ' ',
    }
}

fn split_by(s: &str, d: char) -> Vec<&str> {
    if d == ' ' { s.split_whitespace().collect() } else { s.split(d).collect() }
}

/// `name+=value`: each word of `value` not already in the old value is appended.
fn append(before: &str, add: &str) -> String {
    let d = delim_of(add);
    let old = split_by(before, d);
    let mut new = before.to_string();
    for a in split_by(add, d) {
        if a.is_empty() || old.contains(&a) {
            continue;
        }
        new.push(d);
        new.push_str(a);
    }
    new.strip_prefix(d).map(str::to_string).unwrap_or(new)
}

/// `name-=value`: the old value without the words of `value`.
fn remove(before: &str, rm: &str) -> String {
    let d = delim_of(rm);
    let gone = split_by(rm, d);
    let mut new = String::new();
    for b in split_by(before, d) {
        if b.is_empty() || gone.contains(&b) {
            continue;
        }
        new.push(d);
        new.push_str(b);
    }
    new.strip_prefix(d).map(str::to_string).unwrap_or(new)
}

/// `f_sysrc_set`: rewrites the last assignment in the file that holds it, or appends
/// `name="value"` to the first file. Returns the file written.
fn set(files: &Files, o: &Opts, name: &str, new: &str) -> Result<String, (String, Errno)> {
    let found = find(files, o, name).filter(|f| f != RC_DEFAULTS);
    let file = match &found {
        Some(f) => f.clone(),
        None => conf_list(files, o).into_iter().next().unwrap_or_else(|| "/etc/rc.conf".to_string()),
    };
    let old = files.read(&file).unwrap_or_default();
    let text = if found.is_some() { rewrite_last(&old, name, new) } else { append_line(&old, name, new) };
    files.write(&file, &text).map_err(|e| (file.clone(), e))?;
    Ok(file)
}

fn append_line(old: &str, name: &str, new: &str) -> String {
    let mut t = old.to_string();
    if !t.is_empty() && !t.ends_with('\n') {
        t.push('\n');
    }
    t.push_str(&format!("{name}=\"{new}\"\n"));
    t
}

/// The `f_sysrc_set_awk` edit of the last `NAME=` line: the value replaced, its quote kept.
/// A value starting with `` ` ``, `$` or `\` is not touched and a new line is appended.
fn rewrite_last(old: &str, name: &str, new: &str) -> String {
    let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
    let Some(i) = lines.iter().rposition(|l| rcvars::assigns(&format!("{l}\n"), name)) else {
        return append_line(old, name, new);
    };
    let line = lines[i].clone();
    let at = line.find(&format!("{name}=")).unwrap_or(0) + name.len() + 1;
    let (head, value) = line.split_at(at);
    let (t1, t2, rest): (&str, &str, &str) = match value.chars().next() {
        Some('`' | '$' | '\\') => return append_line(&lines.join("\n"), name, new),
        Some('\'') => {
            let after = value[1..].find('\'').map(|j| &value[1 + j..]).unwrap_or("");
            match after.strip_prefix('\'') {
                Some(r) => ("'", "'", r),
                None => ("'", "", after),
            }
        }
        Some('"') => {
            let b = value.as_bytes();
            let mut j = 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let after = value.get(j.min(value.len())..).unwrap_or("");
            match after.strip_prefix('"') {
                Some(r) => ("\"", "\"", r),
                None => ("\"", "", after),
            }
        }
        Some(c) if !(c.is_whitespace() || c == ';') => {
            let end = value.find(char::is_whitespace).unwrap_or(value.len());
            ("\"", "\"", &value[end..])
        }
        Some(_) => ("\"", "\"", value),
        None => ("", "", ""),
    };
    lines[i] = format!("{head}{t1}{new}{t2}{rest}");
    let mut t = lines.join("\n");
    t.push('\n');
    t
}

/// `f_sysrc_delete`: every assignment of `name` removed from each existing file.
fn delete(files: &Files, o: &Opts, name: &str, p: &mut Proc) -> Result<(), Exit> {
    for f in conf_list(files, o) {
        let Ok(text) = files.read(&f) else { continue };
        if !rcvars::assigns(&text, name) {
            continue;
        }
        let kept: String =
            text.lines().filter(|l| !rcvars::assigns(&format!("{l}\n"), name)).map(|l| format!("{l}\n")).collect();
        if let Err(e) = files.write(&f, &kept) {
            p.stderr(&format!("sysrc: {f}: {}\n", e.strerror()));
            return Err(Exit(1));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysrc(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a)
    }

    fn host() -> (tempfile::TempDir, Kernel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let mut k = Kernel::demo();
        k.set_root(Some(dir.path().to_path_buf()));
        (dir, k)
    }

    #[test]
    fn set_appends_to_rc_conf_then_rewrites_in_place_sysrc_subr_f_sysrc_set() {
        let (dir, mut k) = host();
        let rc = dir.path().join("etc/rc.conf");
        std::fs::write(&rc, "# mine\nhostname='web'\nsshd_enable=\"NO\" # keep\nkeep=1").unwrap();
        let o = sysrc(&mut k, &["gateway_enable=YES"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "gateway_enable: NO -> YES\n"));
        let o = sysrc(&mut k, &["sshd_enable=YES", "hostname=web1"]);
        assert_eq!(o.stdout, "sshd_enable: NO -> YES\nhostname: web -> web1\n");
        assert_eq!(
            std::fs::read_to_string(&rc).unwrap(),
            "# mine\nhostname='web1'\nsshd_enable=\"YES\" # keep\nkeep=1\ngateway_enable=\"YES\"\n"
        );
        let o = sysrc(&mut k, &["-n", "hostname"]);
        assert_eq!(o.stdout, "web1\n");
        let o = sysrc(&mut k, &["-e", "hostname"]);
        assert_eq!(o.stdout, "hostname=\"web1\"\n");
        let o = sysrc(&mut k, &["-c", "gateway_enable=YES"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, ""));
        assert_eq!(sysrc(&mut k, &["-c", "gateway_enable=NO"]).code, 1);
    }

    #[test]
    fn plus_and_minus_equals_edit_word_lists_sysrc() {
        let (dir, mut k) = host();
        let o = sysrc(&mut k, &["kld_list+=ng_ether"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "kld_list:  -> ng_ether\n"));
        let o = sysrc(&mut k, &["kld_list+=if_bridge ng_ether"]);
        assert_eq!(o.stdout, "kld_list: ng_ether -> ng_ether if_bridge\n");
        let o = sysrc(&mut k, &["kld_list-=ng_ether"]);
        assert_eq!(o.stdout, "kld_list: ng_ether if_bridge -> if_bridge\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("etc/rc.conf")).unwrap(), "kld_list=\"if_bridge\"\n");
    }

    #[test]
    fn unknown_variables_and_deletion_sysrc() {
        let (dir, mut k) = host();
        let o = sysrc(&mut k, &["kld_list"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "sysrc: unknown variable 'kld_list'\n"));
        assert_eq!(sysrc(&mut k, &["-i", "kld_list"]).stderr, "");
        let o = sysrc(&mut k, &["netif_enable", "-v"]);
        assert_eq!(o.stdout, "netif_enable: YES\n", "options end at the first name (getopts)");
        std::fs::write(dir.path().join("etc/rc.conf"), "a=\"1\"\nb=2\na=3\n").unwrap();
        let o = sysrc(&mut k, &["-v", "a"]);
        assert_eq!(o.stdout, "/etc/rc.conf: a: 3\n");
        let o = sysrc(&mut k, &["-x", "a"]);
        assert_eq!(o.code, 0);
        assert_eq!(std::fs::read_to_string(dir.path().join("etc/rc.conf")).unwrap(), "b=2\n");
        let o = sysrc(&mut k, &["bad.name=1"]);
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "sysrc: bad.name: name contains characters not allowed in shell\n")
        );
    }

    #[test]
    fn dash_j_edits_the_jails_own_rc_conf() {
        let (dir, mut k) = host();
        let jetc = dir.path().join("usr/jails/jails/web1/etc");
        std::fs::create_dir_all(&jetc).unwrap();
        let o = sysrc(&mut k, &["-j", "web1", "ifconfig_eth0=SYNCDHCP"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "ifconfig_eth0:  -> SYNCDHCP\n"));
        assert_eq!(std::fs::read_to_string(jetc.join("rc.conf")).unwrap(), "ifconfig_eth0=\"SYNCDHCP\"\n");
        assert!(!dir.path().join("etc/rc.conf").exists());
        let o = sysrc(&mut k, &["-j", "nosuch", "x=1"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jexec: jail \"nosuch\" not found\n"));
    }

    #[test]
    fn without_files_a_write_fails() {
        let mut k = Kernel::demo();
        let o = sysrc(&mut k, &["x=1"]);
        assert_eq!(o.code, 1);
        assert_eq!(o.stderr, "/usr/sbin/sysrc: cannot create /etc/rc.conf: Read-only file system\n");
    }
}
