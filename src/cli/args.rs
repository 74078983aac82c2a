//! Turns argv into validated key values for one verb. No I/O.
//!
//! Accepts CBSD's `key=value` (as cbsdsh's `init()` does: split at the first `=`, surrounding
//! double quotes stripped) and the conventional `--key value` / `--key=value` / `--flag`.
//! A pre-pass turns CBSD's forms into clap's (`--name=value`) and checks key names; clap
//! (`super::command`, built from the command table) parses the result; the values are then
//! checked in command-line order (flag words, a key given twice, the bare jail name) and
//! `H_CBSD_<key>` fills what the command line left out.

use super::command;
use super::spec::{JAIL_KEY, KeyKind, KeySpec, VerbSpec};
use crate::error::{Error, Kind, Result};
use std::collections::BTreeMap;

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// Keys given (on the command line or through `H_CBSD_<key>`), by their spec name: what the
    /// verb acts on.
    pub values: BTreeMap<String, String>,
    /// How many `-v`: 1 echoes every FreeBSD command on stderr, 2 also shows why one failed.
    pub verbose: u8,
    /// `-q`: leave out informational output (verbs that chat, like `construct`, stay silent).
    pub quiet: bool,
    /// `--help`, `--desc` or `--args`: answered without running anything.
    pub meta: Option<Meta>,
    /// `syslog=0` (a key every verb takes): no audit trail to syslog for this run.
    pub no_syslog: bool,
}

/// The self-describing options every verb answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// `--help`: the verb's full usage, so an admin can learn it without the man page.
    Help,
    /// `--desc`: the one-line description CBSD shows in `cbsd help`.
    Desc,
    /// `--args`: the key names, one a line, for CBSD's completion and scripts.
    Args,
}

impl Args {
    /// The jail named (`jname=`, or the bare word), for what every verb does alike (the run's
    /// diagnostics span); a verb reads its keys typed ([`Args::keys`]).
    pub fn jail(&self) -> Option<&str> {
        self.values.get(JAIL_KEY).map(String::as_str)
    }

    /// A value key's value (the parser's own tests; verbs read their keys typed).
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A flag key: `--dry-run`, `dry_run=1`, `dry-run=yes`. Its value was checked when argv
    /// was parsed, so anything stored is one of [`FLAG_VALUES`] (the parser's own tests; verbs
    /// read their keys typed).
    #[cfg(test)]
    pub fn flag(&self, key: &str) -> bool {
        self.values.get(key).is_some_and(|v| parse_bool(v) == Some(true))
    }
}

/// What a flag key accepts, in any case: anything else is a usage error, so `--dry-run=maybe`
/// can never silently mean "no" and really change the host.
pub const FLAG_VALUES: &str = "1/0, yes/no, true/false or on/off";

/// A flag's value: `Some(true)` for 1, yes, true, on; `Some(false)` for 0, no, false, off (any
/// case); `None` for anything else.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

fn canonical(key: &str) -> String {
    key.replace('_', "-")
}

fn strip_quotes(v: &str) -> &str {
    v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(v)
}

/// Parses `argv` (without the program and verb) for `spec`, with CBSD's `H_CBSD_<key>`
/// environment overrides taken from the process environment.
pub fn parse(spec: &VerbSpec, argv: &[String]) -> Result<Args> {
    parse_with_env(spec, argv, &|k| std::env::var(k).ok())
}

/// [`parse`] with the environment given: like cbsdsh's `init()` (nc.subr), `H_CBSD_<key>`
/// presets a key that the command line does not give.
pub fn parse_with_env(spec: &VerbSpec, argv: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Args> {
    let mut a = parse_argv(spec, argv)?;
    if a.meta.is_none() {
        for k in spec.keys {
            let var = format!("H_CBSD_{}", k.name.replace('-', "_"));
            if !a.values.contains_key(k.name)
                && let Some(v) = env(&var)
            {
                let v = strip_quotes(&v);
                check_flag(spec, k, &var, v)?;
                a.values.insert(k.name.to_string(), v.to_string());
            }
        }
        check_required(spec, &a)?;
        if a.jail() == Some("") {
            return Err(usage(spec, "jname= is empty: name the jail (jname=NAME)".into()));
        }
    }
    Ok(a)
}

fn check_required(spec: &VerbSpec, a: &Args) -> Result<()> {
    for k in spec.keys.iter().filter(|k| k.required) {
        if !a.values.contains_key(k.name) {
            return Err(usage(spec, format!("{}= is required ({}={})", k.name, k.name, k.value)));
        }
    }
    Ok(())
}

/// Re-joins a `key="two words"` value that reached us split at blanks, as cbsdsh's `init()`
/// does (CBSD passes `jconfig` arguments on unquoted: `myconf ${cfgargs}`).
fn rejoin_quoted(argv: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(argv.len());
    let mut open = false;
    for tok in argv {
        if open {
            let last = out.last_mut().expect("open implies a previous token");
            last.push(' ');
            last.push_str(tok);
            open = !tok.ends_with('"');
            continue;
        }
        let unclosed =
            tok.split_once('=').is_some_and(|(_, v)| v.starts_with('"') && (v.len() == 1 || !v.ends_with('"')));
        out.push(tok.clone());
        open = unclosed;
    }
    out
}

/// How each key was typed (`dry_run`, `--dry-run`), by table name, in command-line order.
type Typed = BTreeMap<&'static str, Vec<String>>;

/// CBSD's forms turned into clap's, in order: `key=value` and `--key value` become
/// `--name=value` under the key's table name (so clap sees one spelling), `help` becomes
/// `--help`, `syslog=V` `--syslog=V`. Key names are checked here, so an unknown one gets
/// vimage's message with a did-you-mean. Also returns how each key was typed, by name in
/// order, for the messages about its value.
fn to_clap(spec: &VerbSpec, argv: &[String]) -> Result<(Vec<String>, Typed)> {
    let mut out = Vec::with_capacity(argv.len());
    let mut typed = Typed::new();
    let mut it = argv.iter();
    while let Some(tok) = it.next() {
        match tok.as_str() {
            "-h" | "--help" | "help" => out.push("--help".to_string()),
            "--desc" | "--args" | "-v" | "--verbose" | "-vv" | "-vvv" | "-q" | "--quiet" => out.push(tok.clone()),
            t if global_syslog(t).is_some() => out.push(format!("--syslog={}", global_syslog(t).unwrap_or_default())),
            t if t.starts_with("--") => {
                let body = &t[2..];
                let (k, inline) = match body.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (body, None),
                };
                let ks = find_key(spec, k)?;
                let v = match (ks.kind, inline) {
                    (_, Some(v)) => Some(v),
                    (KeyKind::Flag, None) => None,
                    (KeyKind::Value, None) => Some(
                        it.next()
                            .cloned()
                            .ok_or_else(|| usage(spec, format!("--{k} needs a value ({}={})", ks.name, ks.value)))?,
                    ),
                };
                typed.entry(ks.name).or_default().push(format!("--{k}"));
                out.push(match v {
                    Some(v) => format!("--{}={v}", ks.name),
                    None => format!("--{}", ks.name),
                });
            }
            t if t.starts_with('-') && t.len() > 1 => {
                return Err(usage(spec, format!("unknown option {t}")));
            }
            t => match t.split_once('=') {
                Some((k, v)) if is_key(k) => {
                    let ks = find_key(spec, k)?;
                    typed.entry(ks.name).or_default().push(k.to_string());
                    out.push(format!("--{}={}", ks.name, strip_quotes(v)));
                }
                _ => out.push(tok.clone()),
            },
        }
    }
    Ok((out, typed))
}

fn parse_argv(spec: &VerbSpec, argv: &[String]) -> Result<Args> {
    use clap::FromArgMatches;
    let (clap_argv, typed) = to_clap(spec, &rejoin_quoted(argv))?;
    let m = command::verb_command(spec)
        .no_binary_name(true)
        .try_get_matches_from(&clap_argv)
        .map_err(|e| usage(spec, e.render().to_string().lines().next().unwrap_or_default().to_string()))?;
    let common = command::Common::from_arg_matches(&m).map_err(|e| usage(spec, e.to_string()))?;
    let mut a = Args { verbose: common.verbose, quiet: common.quiet, ..Args::default() };
    for v in &common.syslog {
        let on = parse_bool(strip_quotes(v))
            .ok_or_else(|| usage(spec, format!("syslog={v:?}: syslog is a flag and takes {FLAG_VALUES}")))?;
        a.no_syslog = !on;
    }
    // The last of --help, --desc, --args wins, as they come.
    a.meta = [("help", Meta::Help), ("desc", Meta::Desc), ("args", Meta::Args)]
        .into_iter()
        .filter(|(id, _)| m.get_flag(id))
        .filter_map(|(id, meta)| Some((m.index_of(id)?, meta)))
        .max_by_key(|(i, _)| *i)
        .map(|(_, meta)| meta);
    // Every key's values in command-line order, each checked as it was typed.
    let mut given: Vec<(usize, &KeySpec, &str, &str)> = Vec::new();
    for ks in spec.keys {
        let (Some(idx), Some(vals)) = (m.indices_of(ks.name), m.get_many::<String>(ks.name)) else { continue };
        let names = typed.get(ks.name).map(Vec::as_slice).unwrap_or_default();
        for (n, (i, v)) in idx.zip(vals).enumerate() {
            given.push((i, ks, names.get(n).map(String::as_str).unwrap_or(ks.name), v.as_str()));
        }
    }
    given.sort_by_key(|g| g.0);
    for (_, ks, typed, v) in given {
        check_flag(spec, ks, typed, v)?;
        set(spec, &mut a, ks.name, v.to_string())?;
    }
    if a.meta.is_some() {
        return Ok(a);
    }
    let positional: Vec<&String> = m.get_many::<String>(command::OPERANDS).map(Iterator::collect).unwrap_or_default();
    // `vimage net create …`: a verb with an `action` key takes its first bare word as the action.
    let mut positional = positional;
    if spec.keys.iter().any(|k| k.name == ACTION_KEY) && !positional.is_empty() && !a.values.contains_key(ACTION_KEY) {
        a.values.insert(ACTION_KEY.into(), positional.remove(0).clone());
    }
    // `cbsd jstart web1` style: a bare word is the jail name.
    if let Some(p) = positional.first() {
        let takes_name = spec.keys.iter().any(|k| k.name == JAIL_KEY) && !a.values.contains_key(JAIL_KEY);
        // The first bare word may be the jail; the one to complain about is the first that
        // cannot be (`unbridge web1 extra` is about `extra`).
        let extra = if takes_name { positional.get(1) } else { Some(p) };
        if let Some(x) = extra {
            return Err(usage(spec, format!("unexpected argument {x:?} (keys are given as key=value)")));
        }
        a.values.insert(JAIL_KEY.into(), (*p).clone());
    }
    Ok(a)
}

/// The key a verb with sub-verbs (`vimage net`) reads its sub-verb from; its first bare word.
pub const ACTION_KEY: &str = "action";

/// Refuses a flag value that is not one of [`FLAG_VALUES`], naming the key as it was typed.
fn check_flag(spec: &VerbSpec, ks: &KeySpec, typed: &str, v: &str) -> Result<()> {
    if ks.kind == KeyKind::Flag && parse_bool(v).is_none() {
        return Err(usage(spec, format!("{typed}={v:?}: {} is a flag and takes {FLAG_VALUES}", ks.name)));
    }
    Ok(())
}

/// The value of the global `syslog=V` / `--syslog=V` key (every verb takes it, before or
/// after the verb), quotes stripped; `None` when `t` is not that key.
pub fn global_syslog(t: &str) -> Option<&str> {
    t.strip_prefix("--syslog=").or_else(|| t.strip_prefix("syslog=")).map(strip_quotes)
}

fn is_key(k: &str) -> bool {
    let mut c = k.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
}

fn set(spec: &VerbSpec, a: &mut Args, key: &str, v: String) -> Result<()> {
    if let Some(old) = a.values.get(key)
        && *old != v
    {
        return Err(usage(spec, format!("{key} given twice ({old:?} and {v:?})")));
    }
    a.values.insert(key.to_string(), v);
    Ok(())
}

fn find_key(spec: &VerbSpec, k: &str) -> Result<&'static super::spec::KeySpec> {
    let want = canonical(k);
    spec.keys.iter().find(|s| canonical(s.name) == want).ok_or_else(|| {
        let mut msg = format!("unknown key '{k}' for vimage {}", spec.name);
        if let Some(s) = suggest(k, spec.keys.iter().map(|s| s.name)) {
            msg.push_str(&format!("; did you mean '{s}'?"));
        }
        usage(spec, msg).detail("vimage refuses unknown keys (CBSD would ignore them), so a typo cannot go unnoticed")
    })
}

fn usage(spec: &VerbSpec, msg: String) -> Error {
    Error::new(Kind::Usage, msg).detail(format!("see: vimage {} --help", spec.name))
}

/// The known name closest to `k`, if it is close enough to be a typo (see [`crate::suggest`]).
pub use crate::suggest::suggest;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::verb;

    fn p(args: &[&str]) -> Result<Args> {
        parse(verb("bridge").unwrap(), &args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn cbsd_and_gnu_styles_mean_the_same() {
        let a = p(&["jname=web1", "interface=\"em0\"", "--dry-run"]).unwrap();
        let b = p(&["--jname", "web1", "--interface=em0", "dry_run=1"]).unwrap();
        assert_eq!(a.values, b.values);
        assert!(a.flag("dry-run"));
        assert_eq!(a.get("interface"), Some("em0"));
    }

    #[test]
    fn value_may_contain_equals_and_spaces() {
        let a = p(&["jname=web1", "ifname=a=b c"]).unwrap();
        assert_eq!(a.get("ifname"), Some("a=b c"));
    }

    #[test]
    fn bare_word_is_the_jail() {
        assert_eq!(p(&["web1"]).unwrap().get("jname"), Some("web1"));
        assert!(p(&["web1", "web2"]).is_err());
    }

    #[test]
    fn unknown_key_is_an_error_with_a_suggestion() {
        let e = p(&["jnmae=web1"]).unwrap_err();
        assert_eq!(e.kind, Kind::Usage);
        assert!(e.message.contains("did you mean 'jname'"), "{e}");
        let e = p(&["jname=web1", "--bogus"]).unwrap_err();
        assert!(!e.message.contains("did you mean"), "{e}");
    }

    #[test]
    fn missing_required_key_and_conflicting_repeats() {
        assert!(p(&[]).unwrap_err().message.contains("jname= is required"));
        assert!(p(&["jname=a", "jname=b"]).is_err());
        assert!(p(&["jname=a", "jname=a"]).is_ok());
        assert!(p(&["jname=a", "--interface"]).is_err());
    }

    #[test]
    fn help_desc_args_win_over_missing_keys() {
        assert_eq!(p(&["--help"]).unwrap().meta, Some(Meta::Help));
        assert_eq!(p(&["--desc"]).unwrap().meta, Some(Meta::Desc));
        assert_eq!(p(&["--args"]).unwrap().meta, Some(Meta::Args));
    }

    #[test]
    fn quoted_values_split_by_cbsd_are_joined_again() {
        let a = p(&["jname=web1", "interface=\"em0", "em1\"", "ifname=\"a", "b", "c\""]).unwrap();
        assert_eq!(a.get("interface"), Some("em0 em1"));
        assert_eq!(a.get("ifname"), Some("a b c"));
        assert!(p(&["jname=web1", "interface=\"em0"]).is_ok(), "an unterminated quote just ends the value");
    }

    #[test]
    fn h_cbsd_environment_presets_keys_the_command_line_does_not_give() {
        let spec = verb("bridge").unwrap();
        let env = |k: &str| match k {
            "H_CBSD_jname" => Some("\"web9\"".to_string()),
            "H_CBSD_interface" => Some("em1".to_string()),
            _ => None,
        };
        let a = parse_with_env(spec, &["interface=em0".to_string()], &env).unwrap();
        assert_eq!(a.get("jname"), Some("web9"), "quotes stripped as init() does");
        assert_eq!(a.get("interface"), Some("em0"), "the command line wins");
    }

    #[test]
    fn flag_values_are_exactly_the_boolean_words() {
        for (v, want) in [("1", true), ("YES", true), ("True", true), ("on", true), ("0", false), ("No", false)] {
            assert_eq!(p(&["jname=a", &format!("dry_run={v}")]).unwrap().flag("dry-run"), want, "{v}");
            assert_eq!(p(&["jname=a", &format!("--force={v}")]).unwrap().flag("force"), want, "{v}");
        }
        for bad in ["--dry-run=maybe", "dry_run=y", "json=2", "force=yes?", "--json=", "dry-run=ja"] {
            let e = p(&["jname=a", bad]).unwrap_err();
            assert_eq!(e.kind, Kind::Usage, "{bad}");
            let key = bad.split('=').next().unwrap();
            assert!(e.message.contains(key) && e.message.contains(FLAG_VALUES), "{bad}: {e}");
        }
        let env = |k: &str| (k == "H_CBSD_dry_run").then(|| "maybe".to_string());
        let e = parse_with_env(verb("bridge").unwrap(), &["jname=a".to_string()], &env).unwrap_err();
        assert!(e.message.contains("H_CBSD_dry_run"), "{e}");
    }

    #[test]
    fn an_empty_jail_name_and_a_stray_word_are_usage_errors() {
        let e = p(&["jname="]).unwrap_err();
        assert_eq!(e.kind, Kind::Usage);
        assert!(e.message.contains("jname= is empty"), "{e}");
        let un = |a: &[&str]| parse(verb("unbridge").unwrap(), &a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let e = un(&["web1", "extra"]).unwrap_err();
        assert!(e.message.contains("\"extra\"") && !e.message.contains("\"web1\""), "{e}");
        let e = un(&["jname=web1", "extra"]).unwrap_err();
        assert!(e.message.contains("\"extra\""), "{e}");
        assert_eq!(un(&["web1"]).unwrap().get("jname"), Some("web1"));
    }

    #[test]
    fn syslog_is_a_global_flag_of_every_verb() {
        assert!(!p(&["jname=a"]).unwrap().no_syslog);
        assert!(p(&["jname=a", "syslog=0"]).unwrap().no_syslog);
        assert!(p(&["jname=a", "--syslog=\"no\""]).unwrap().no_syslog);
        assert!(!p(&["jname=a", "syslog=1"]).unwrap().no_syslog);
        assert_eq!(p(&["jname=a", "syslog=maybe"]).unwrap_err().kind, Kind::Usage);
        let gc = parse(verb("gc").unwrap(), &["syslog=0".to_string()]).unwrap();
        assert!(gc.no_syslog);
    }

    #[test]
    fn never_panics_on_odd_tokens() {
        for t in ["=", "==", "-", "--", "--=", "=x", "é=1", "\0", "--jname="] {
            let _ = p(&[t]);
        }
    }
}
