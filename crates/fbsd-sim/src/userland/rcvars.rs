//! rc.conf(5) as rc.subr's `load_rc_config` and sysrc's `f_sysrc_get` see it: the defaults
//! file sourced first, then every file of `rc_conf_files` that exists.
//!
//! The files are sh scripts; this reads the subset rc.conf files are made of — assignments
//! `name=value` (several per line allowed), values in double quotes (with `$name`/`${name}`
//! expanded and `\` escapes), single quotes or bare words, `#` comments. A line that is not an
//! assignment (a command, an `if`) is skipped, which a real sh would run.
//!
//! When the root has no `/etc/defaults/rc.conf` (a test directory), [`BUILTIN_DEFAULTS`] stands
//! in for it: the lines of libexec/rc/rc.conf that the simulated rc.d scripts and sysrc use.

use super::fs::Files;
use std::collections::BTreeMap;

/// Where rc.subr finds the defaults (`RC_DEFAULTS` in sysrc.subr).
pub(crate) const RC_DEFAULTS: &str = "/etc/defaults/rc.conf";

/// The lines of libexec/rc/rc.conf (14.x) the simulator needs, with the values they have
/// there (`kld_list` is commented out there, so it has no default).
pub(crate) const BUILTIN_DEFAULTS: &str = r#"rc_info="NO"
rc_startmsgs="YES"
local_startup="/usr/local/etc/rc.d"
rc_conf_files="/etc/rc.conf /etc/rc.conf.local"
hostname=""
synchronous_dhclient="NO"
netif_enable="YES"
network_interfaces="auto"
cloned_interfaces=""
defaultrouter="NO"
static_routes=""
gateway_enable="NO"
ipv6_network_interfaces="auto"
ipv6_activate_all_interfaces="NO"
ipv6_defaultrouter="NO"
ipv6_static_routes=""
ipv6_gateway_enable="NO"
devfs_rulesets="/etc/defaults/devfs.rules /etc/devfs.rules"
devfs_system_ruleset=""
devfs_set_rulesets=""
devfs_load_rulesets="YES"
jail_enable="NO"
"#;

/// Shell variables after sourcing some files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Vars {
    map: BTreeMap<String, String>,
}

impl Vars {
    /// The value of `name`, `None` when unset.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The value of `name`, "" when unset.
    pub(crate) fn val(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Sets a variable (what `eval name=value` would).
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.map.insert(name.to_string(), value.to_string());
    }

    /// rc.subr `checkyesno`: YES/TRUE/ON/1 in any case.
    pub(crate) fn yes(&self, name: &str) -> bool {
        matches!(self.val(name).to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1")
    }

    /// network.subr `get_if_var IF VAR`: `VAR` with `IF` replaced by the interface name, its
    /// `.-/+` turned into `_`.
    pub(crate) fn if_var(&self, ifname: &str, var: &str) -> Option<&str> {
        let cooked: String = ifname.chars().map(|c| if ".-/+".contains(c) { '_' } else { c }).collect();
        self.get(&var.replacen("IF", &cooked, 1))
    }

    /// Runs the assignments of `text` (`.` of an rc.conf file).
    pub(crate) fn source(&mut self, text: &str) {
        for (name, value) in assignments(text, self) {
            self.map.insert(name, value);
        }
    }
}

/// True for a name sh accepts as a variable (sysrc.subr `VALID_VARNAME_CHARS`, not starting
/// with a digit).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The assignments of `text` in order, values expanded against `vars` and the assignments
/// before them.
fn assignments(text: &str, vars: &Vars) -> Vec<(String, String)> {
    let mut scope = vars.clone();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line.trim_start_matches([' ', '\t']);
        while let Some(eq) = rest.find('=') {
            let name = &rest[..eq];
            if !valid_name(name) {
                break;
            }
            let (value, used) = word(&rest[eq + 1..], &scope);
            scope.set(name, &value);
            out.push((name.to_string(), value));
            rest = rest[eq + 1 + used..].trim_start_matches([' ', '\t', ';']);
            if rest.starts_with('#') {
                break;
            }
        }
    }
    out
}

/// One sh word at the start of `s`: its value and how many bytes it took.
fn word(s: &str, vars: &Vars) -> (String, usize) {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            ' ' | '\t' | ';' | '\r' => break,
            '\'' => {
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    out.push(b[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' && i + 1 < b.len() && "$`\"\\".contains(b[i + 1]) {
                        out.push(b[i + 1]);
                        i += 2;
                    } else if b[i] == '$' {
                        i += expand(&b[i..], vars, &mut out);
                    } else {
                        out.push(b[i]);
                        i += 1;
                    }
                }
                i += 1;
            }
            '\\' if i + 1 < b.len() => {
                out.push(b[i + 1]);
                i += 2;
            }
            '$' => i += expand(&b[i..], vars, &mut out),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    let used: usize = b[..i.min(b.len())].iter().map(|c| c.len_utf8()).sum();
    (out, used)
}

/// What `eval cmd $args` splits `s` into: sh words, quotes removed, `$name` expanded from
/// `vars`.
pub(crate) fn split_words(s: &str, vars: &Vars) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start_matches([' ', '\t']);
    while !rest.is_empty() && !rest.starts_with('#') {
        let (w, used) = word(rest, vars);
        out.push(w);
        rest = rest[used..].trim_start_matches([' ', '\t', ';', '\r']);
    }
    out
}

/// `$name` or `${name}` at the start of `s`, appended to `out`; returns the chars taken.
fn expand(s: &[char], vars: &Vars, out: &mut String) -> usize {
    let braced = s.get(1) == Some(&'{');
    let start = if braced { 2 } else { 1 };
    let mut j = start;
    while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == '_') {
        j += 1;
    }
    if j == start {
        out.push('$');
        return 1;
    }
    let name: String = s[start..j].iter().collect();
    out.push_str(vars.val(&name));
    if braced && s.get(j) == Some(&'}') { j + 1 } else { j }
}

/// The defaults file as process `files` sees it, or [`BUILTIN_DEFAULTS`].
pub(crate) fn defaults_text(files: &Files) -> String {
    files.read(RC_DEFAULTS).unwrap_or_else(|_| BUILTIN_DEFAULTS.to_string())
}

/// rc.subr `load_rc_config` (without a service's rc.conf.d): the defaults, then each
/// existing file of `rc_conf_files` (`conf_files` overrides it, as sysrc's `RC_CONFS` does).
pub(crate) fn load(files: &Files, conf_files: Option<&[String]>) -> Vars {
    let mut v = Vars::default();
    v.source(&defaults_text(files));
    let list: Vec<String> = match conf_files {
        Some(l) => l.to_vec(),
        None => v.val("rc_conf_files").split_whitespace().map(str::to_string).collect(),
    };
    for f in list {
        if let Ok(t) = files.read(&f) {
            v.source(&t);
        }
    }
    v
}

/// True when `text` has a line assigning `name` (sysrc.subr `f_sysrc_find`'s
/// `grep -E "^[[:space:]]*NAME="`).
pub(crate) fn assigns(text: &str, name: &str) -> bool {
    text.lines().any(|l| l.trim_start_matches([' ', '\t']).strip_prefix(name).is_some_and(|r| r.starts_with('=')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc_conf_values_are_read_like_sh_reads_them() {
        let mut v = Vars::default();
        v.source("# comment\nhostname=\"web1\"\t# the host\nifconfig_em0='inet 10.0.0.1/24'\nx=bare y=\"$hostname.lan\"\nkld_list=\"${kld_list} ng_ether\"\necho hi\n  gateway_enable=\"YES\"\n");
        assert_eq!(v.get("hostname"), Some("web1"));
        assert_eq!(v.get("ifconfig_em0"), Some("inet 10.0.0.1/24"));
        assert_eq!(v.get("x"), Some("bare"));
        assert_eq!(v.get("y"), Some("web1.lan"));
        assert_eq!(v.get("kld_list"), Some(" ng_ether"));
        assert!(v.yes("gateway_enable"));
        assert_eq!(v.get("echo"), None);
        assert_eq!(
            split_words("inet 10.0.0.1/24 description \"my $hostname\" # c", &v),
            ["inet", "10.0.0.1/24", "description", "my web1"]
        );
    }

    #[test]
    fn get_if_var_cooks_the_interface_name_network_subr() {
        let mut v = Vars::default();
        v.source("ifconfig_em0_100=\"up\"\nifconfig_eth0=\"DHCP\"\n");
        assert_eq!(v.if_var("em0.100", "ifconfig_IF"), Some("up"));
        assert_eq!(v.if_var("eth0", "ifconfig_IF"), Some("DHCP"));
        assert_eq!(v.if_var("eth0", "ifconfig_IF_ipv6"), None);
    }

    #[test]
    fn the_builtin_defaults_are_libexec_rc_rc_conf_values() {
        let v = load(&Files::of(&crate::Kernel::demo(), crate::kernel::Ctx::HOST), None);
        assert_eq!(v.get("rc_conf_files"), Some("/etc/rc.conf /etc/rc.conf.local"));
        assert!(v.yes("netif_enable"));
        assert_eq!(v.get("kld_list"), None, "commented out in defaults/rc.conf");
        assert!(assigns("  kld_list=\"a\"\n", "kld_list"));
        assert!(!assigns("kld_listx=\"a\"\n#kld_list=\"\"\n", "kld_list"));
    }
}
