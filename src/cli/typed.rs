//! Typed keys per verb, so a mistyped key name does not compile: one struct per verb, derived
//! with clap, each field a key of the command table (`super::spec`), a flag as `bool` (or
//! `Option<bool>` where "not given" means something), a value as `Option<String>`. Every verb
//! reads its keys from here ([`Args::keys`]), after the pre-pass (`super::args`) has checked
//! names, flag words, repeats and `H_CBSD_<key>`; a key's name is written once, in its
//! field's attribute, and a test keeps every struct's fields equal to its verb's keys in the
//! table.

use super::args::{Args, parse_bool};
use super::spec::{DRY_RUN_KEY, JAIL_KEY, JSON_KEY};
use crate::error::{Error, Kind, Result};
use clap::{ArgAction, ArgMatches, Command, FromArgMatches};

/// A flag's value as the table's flags take it (checked again here: the struct is typed).
fn flag(v: &str) -> std::result::Result<bool, String> {
    parse_bool(v).ok_or_else(|| format!("{v:?} is not a flag value"))
}

/// A verb's typed keys: the clap definition (derived) and the verb it belongs to.
pub trait VerbKeys: clap::Args + FromArgMatches + Sized {
    /// The verb (`spec::VerbSpec::name`) these are the keys of.
    const VERB: &'static str;
}

impl Args {
    /// The keys as `T`, the typed struct of the verb they were parsed for. Every value here
    /// passed the pre-pass, which accepts nothing this refuses (an error is vimage's bug:
    /// [`Kind::Internal`]); the tests below try the odd values.
    pub fn keys<T: VerbKeys>(&self) -> Result<T> {
        let m = self.matches(T::augment_args(Command::new(T::VERB)))?;
        T::from_arg_matches(&m).map_err(|e| Error::new(Kind::Internal, e.to_string()))
    }

    /// The values matched against `c`, a verb's typed keys: each as `--name=value` (inline, so a
    /// value starting with `-`, holding `=` or empty stays one value).
    fn matches(&self, c: Command) -> Result<ArgMatches> {
        let verb = c.get_name().to_string();
        let argv = self.values.iter().map(|(k, v)| format!("--{k}={v}"));
        c.no_binary_name(true)
            .try_get_matches_from(argv)
            .map_err(|e| Error::new(Kind::Internal, format!("keys of vimage {verb}: {}", e.kind())))
    }
}

/// The clap command of verb `name`'s typed keys, to compare with the table.
pub fn command(name: &str) -> Option<Command> {
    use clap::Args as _;
    let c = Command::new("keys");
    Some(match name {
        "bridge" => BridgeKeys::augment_args(c),
        "devfs" => DevfsKeys::augment_args(c),
        "unbridge" => UnbridgeKeys::augment_args(c),
        "status" => StatusKeys::augment_args(c),
        "gc" => GcKeys::augment_args(c),
        "set" => SetKeys::augment_args(c),
        "start" => StartKeys::augment_args(c),
        "stop" => StopKeys::augment_args(c),
        "doctor" => DoctorKeys::augment_args(c),
        "construct" => ConstructKeys::augment_args(c),
        "version" => VersionKeys::augment_args(c),
        "net" => NetKeys::augment_args(c),
        "expose" | "unexpose" => ExposeKeys::augment_args(c),
        "demo" => DemoKeys::augment_args(c),
        _ => return None,
    })
}

/// The keys of `vimage bridge`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `interface=`: as given (`None`: not given).
    #[arg(long = "interface")]
    pub interface: Option<String>,
    /// `ifname=`: as given (`None`: not given).
    #[arg(long = "ifname")]
    pub ifname: Option<String>,
    /// `mac=`: as given (`None`: not given).
    #[arg(long = "mac")]
    pub mac: Option<String>,
    /// `mode=`: as given (`None`: not given).
    #[arg(long = "mode")]
    pub mode: Option<String>,
    /// `bridges=`: as given (`None`: not given).
    #[arg(long = "bridges")]
    pub bridges: Option<String>,
    /// `vnets=`: as given (`None`: not given).
    #[arg(long = "vnets")]
    pub vnets: Option<String>,
    /// `vlan=`: as given (`None`: not given).
    #[arg(long = "vlan")]
    pub vlan: Option<String>,
    /// `vlan_untagged=`: as given (`None`: not given).
    #[arg(long = "vlan_untagged")]
    pub vlan_untagged: Option<String>,
    /// `vlan_tagged=`: as given (`None`: not given).
    #[arg(long = "vlan_tagged")]
    pub vlan_tagged: Option<String>,
    /// `force`: a flag.
    #[arg(long = "force", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub force: bool,
    /// `ip4_addr=`: as given (`None`: not given).
    #[arg(long = "ip4_addr")]
    pub ip4_addr: Option<String>,
    /// `ci_gw4=`: as given (`None`: not given).
    #[arg(long = "ci_gw4")]
    pub ci_gw4: Option<String>,
    /// `devfs_ruleset=`: as given (`None`: not given).
    #[arg(long = "devfs_ruleset")]
    pub devfs_ruleset: Option<String>,
    /// `rcconf=`: as given (`None`: not given).
    #[arg(long = "rcconf")]
    pub rcconf: Option<String>,
    /// `mtu=`: as given (`None`: not given).
    #[arg(long = "mtu")]
    pub mtu: Option<String>,
    /// `flags=`: as given (`None`: not given).
    #[arg(long = "flags")]
    pub flags: Option<String>,
    /// `offload=`: as given (`None`: not given).
    #[arg(long = "offload")]
    pub offload: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for BridgeKeys {
    const VERB: &'static str = "bridge";
}

/// The keys of `vimage devfs`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DevfsKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `ruleset=`: as given (`None`: not given).
    #[arg(long = "ruleset")]
    pub ruleset: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for DevfsKeys {
    const VERB: &'static str = "devfs";
}

/// The keys of `vimage unbridge`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct UnbridgeKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for UnbridgeKeys {
    const VERB: &'static str = "unbridge";
}

/// The keys of `vimage status`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
    /// `dot`: a flag.
    #[arg(long = "dot", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dot: bool,
}

impl VerbKeys for StatusKeys {
    const VERB: &'static str = "status";
}

/// The keys of `vimage gc`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct GcKeys {
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for GcKeys {
    const VERB: &'static str = "gc";
}

/// The keys of `vimage set`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct SetKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `interface=`: as given (`None`: not given).
    #[arg(long = "interface")]
    pub interface: Option<String>,
    /// `ifname=`: as given (`None`: not given).
    #[arg(long = "ifname")]
    pub ifname: Option<String>,
    /// `mode=`: as given (`None`: not given).
    #[arg(long = "mode")]
    pub mode: Option<String>,
    /// `bridges=`: as given (`None`: not given).
    #[arg(long = "bridges")]
    pub bridges: Option<String>,
    /// `vnets=`: as given (`None`: not given).
    #[arg(long = "vnets")]
    pub vnets: Option<String>,
    /// `userland=`: as given (`None`: not given).
    #[arg(long = "userland")]
    pub userland: Option<String>,
    /// `vlan=`: as given (`None`: not given).
    #[arg(long = "vlan")]
    pub vlan: Option<String>,
    /// `vlan_untagged=`: as given (`None`: not given).
    #[arg(long = "vlan_untagged")]
    pub vlan_untagged: Option<String>,
    /// `vlan_tagged=`: as given (`None`: not given).
    #[arg(long = "vlan_tagged")]
    pub vlan_tagged: Option<String>,
    /// `mtu=`: as given (`None`: not given).
    #[arg(long = "mtu")]
    pub mtu: Option<String>,
    /// `flags=`: as given (`None`: not given).
    #[arg(long = "flags")]
    pub flags: Option<String>,
    /// `offload=`: as given (`None`: not given).
    #[arg(long = "offload")]
    pub offload: Option<String>,
    /// `nic_hwaddr=`: as given (`None`: not given).
    #[arg(long = "nic_hwaddr")]
    pub nic_hwaddr: Option<String>,
    /// `enable=`: as given (`None`: not given).
    #[arg(long = "enable")]
    pub enable: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for SetKeys {
    const VERB: &'static str = "set";
}

impl SetKeys {
    /// The stored settings given (`crate::settings::KEYS`, in that order), by setting name,
    /// with their values (`None`: not given). The settings are kept by name in vimage's
    /// database, so the names are spelled here, beside the fields; a test keeps them equal
    /// to `settings::KEYS` and to the fields' keys.
    pub fn settings(&self) -> [(&'static str, Option<&str>); 12] {
        [
            ("interface", self.interface.as_deref()),
            ("ifname", self.ifname.as_deref()),
            ("mode", self.mode.as_deref()),
            ("bridges", self.bridges.as_deref()),
            ("vnets", self.vnets.as_deref()),
            ("userland", self.userland.as_deref()),
            ("vlan", self.vlan.as_deref()),
            ("vlan_untagged", self.vlan_untagged.as_deref()),
            ("vlan_tagged", self.vlan_tagged.as_deref()),
            ("mtu", self.mtu.as_deref()),
            ("flags", self.flags.as_deref()),
            ("offload", self.offload.as_deref()),
        ]
    }
}

/// The keys of `vimage start`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StartKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for StartKeys {
    const VERB: &'static str = "start";
}

/// The keys of `vimage stop`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StopKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for StopKeys {
    const VERB: &'static str = "stop";
}

/// The keys of `vimage doctor`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorKeys {
    /// `dry-run`: a flag (`doctor fix=1 --dry-run` prints the fix plan and changes nothing).
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `fix`: a flag.
    #[arg(long = "fix", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub fix: bool,
    /// `pf`: a flag; with `fix=1`, add vimage's anchor lines to /etc/pf.conf and load it.
    #[arg(long = "pf", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub pf: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for DoctorKeys {
    const VERB: &'static str = "doctor";
}

/// The keys of `vimage construct`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ConstructKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `host_hostname=`: as given (`None`: not given).
    #[arg(long = "host_hostname")]
    pub host_hostname: Option<String>,
    /// `mode=`: as given (`None`: not given).
    #[arg(long = "mode")]
    pub mode: Option<String>,
    /// `interface=`: as given (`None`: not given).
    #[arg(long = "interface")]
    pub interface: Option<String>,
    /// `bridges=`: as given (`None`: not given).
    #[arg(long = "bridges")]
    pub bridges: Option<String>,
    /// `ip4_addr=`: as given (`None`: not given).
    #[arg(long = "ip4_addr")]
    pub ip4_addr: Option<String>,
    /// `ci_gw4=`: as given (`None`: not given).
    #[arg(long = "ci_gw4")]
    pub ci_gw4: Option<String>,
    /// `devfs_ruleset=`: as given (`None`: not given).
    #[arg(long = "devfs_ruleset")]
    pub devfs_ruleset: Option<String>,
    /// `create`: a flag; `None` when not given (then the wizard asks, or `yes` decides).
    #[arg(long = "create", action = ArgAction::Set, value_parser = flag)]
    pub create: Option<bool>,
    /// `out=`: as given (`None`: not given).
    #[arg(long = "out")]
    pub out: Option<String>,
    /// `yes`: a flag.
    #[arg(long = "yes", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub yes: bool,
}

impl VerbKeys for ConstructKeys {
    const VERB: &'static str = "construct";
}

/// The keys of `vimage version`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionKeys {
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for VersionKeys {
    const VERB: &'static str = "version";
}

/// The keys of `vimage demo`: none.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoKeys {}

impl VerbKeys for DemoKeys {
    const VERB: &'static str = "demo";
}

/// The keys of `vimage net`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct NetKeys {
    /// `action=` (or the first bare word): create, list, destroy or release.
    #[arg(long = "action")]
    pub action: Option<String>,
    /// `name=`: as given.
    #[arg(long = "name")]
    pub name: Option<String>,
    /// `cidr=`: as given.
    #[arg(long = "cidr")]
    pub cidr: Option<String>,
    /// `gateway=`: as given.
    #[arg(long = "gateway")]
    pub gateway: Option<String>,
    /// `nat=`: as given.
    #[arg(long = "nat")]
    pub nat: Option<String>,
    /// `cidr6=`: as given.
    #[arg(long = "cidr6")]
    pub cidr6: Option<String>,
    /// `private`: a flag.
    #[arg(long = "private", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub private: bool,
    /// `persist`: a flag (`gateway_enable="YES"` in rc.conf for a NAT network).
    #[arg(long = "persist", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub persist: bool,
    /// `force`: a flag.
    #[arg(long = "force", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub force: bool,
    /// `jname=`: as given.
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for NetKeys {
    const VERB: &'static str = "net";
}

/// The keys of `vimage expose` and `vimage unexpose`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ExposeKeys {
    /// `jname=`: as given.
    #[arg(long = JAIL_KEY)]
    pub jname: Option<String>,
    /// `port=`: as given.
    #[arg(long = "port")]
    pub port: Option<String>,
    /// `hostport=`: as given.
    #[arg(long = "hostport")]
    pub hostport: Option<String>,
    /// `proto=`: as given.
    #[arg(long = "proto")]
    pub proto: Option<String>,
    /// `net=`: as given.
    #[arg(long = "net")]
    pub net: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = DRY_RUN_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = JSON_KEY, action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for ExposeKeys {
    const VERB: &'static str = "expose";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::VERBS;

    #[test]
    fn every_verb_has_typed_keys_equal_to_its_table_keys() {
        for v in VERBS {
            let c = command(v.name).unwrap_or_else(|| panic!("no typed keys for {}", v.name));
            let mut typed: Vec<String> = c.get_arguments().filter_map(|a| a.get_long()).map(str::to_string).collect();
            let mut table: Vec<String> = v.keys.iter().map(|k| k.name.to_string()).collect();
            typed.sort();
            table.sort();
            assert_eq!(typed, table, "vimage {}", v.name);
            // Every key given as 1: a flag's field is a bool (`bool` or `Option<bool>`), a value's a string.
            let m = c
                .clone()
                .no_binary_name(true)
                .try_get_matches_from(v.keys.iter().map(|k| format!("--{}=1", k.name)))
                .unwrap_or_else(|e| panic!("vimage {}: {e}", v.name));
            for k in v.keys {
                let a = c.get_arguments().find(|a| a.get_long() == Some(k.name)).unwrap();
                let is_flag = m.try_get_one::<bool>(a.get_id().as_str()).is_ok();
                assert_eq!(is_flag, k.kind == crate::cli::spec::KeyKind::Flag, "{} {}", v.name, k.name);
            }
        }
        assert!(command("nosuch").is_none());
    }

    /// What the pre-pass accepts, the typed keys take as it is: for every verb and key, odd
    /// values in every form the command line allows (`key=value`, `--key=value`,
    /// `--key value`, `H_CBSD_<key>`).
    #[test]
    fn every_value_the_pre_pass_accepts_converts_to_the_typed_keys() {
        use crate::cli::args::{parse, parse_with_env};
        use crate::cli::spec::KeyKind;
        let values =
            ["", "-", "--", "-x", "--x", "-1", "a=b", "=", "==x", "a b", " ", "é", "\"q\"", "\"", "a,b c", "\t"];
        let words = ["1", "0", "yes", "NO", "True", "false", "On", "off"];
        let mut tried = 0;
        for v in VERBS {
            let c = command(v.name).unwrap();
            // A required jail name, given plainly, beside the key under test.
            let base: Vec<String> =
                if v.keys.iter().any(|k| k.name == JAIL_KEY && k.required) { vec!["jname=j1".into()] } else { vec![] };
            for k in v.keys {
                let odd: &[&str] = if k.kind == KeyKind::Flag { &words } else { &values };
                for val in odd {
                    let mut forms = vec![vec![format!("{}={val}", k.name)], vec![format!("--{}={val}", k.name)]];
                    // A bare `--flag` takes no value from the next word.
                    if k.kind == KeyKind::Value {
                        forms.push(vec![format!("--{}", k.name.replace('_', "-")), val.to_string()]);
                    }
                    let env_var = format!("H_CBSD_{}", k.name.replace('-', "_"));
                    let mut parsed = Vec::new();
                    for f in forms {
                        let argv: Vec<String> =
                            if k.name == JAIL_KEY { f } else { base.iter().cloned().chain(f).collect() };
                        parsed.push((format!("{argv:?}"), parse(v, &argv)));
                    }
                    let env = |name: &str| (name == env_var).then(|| val.to_string());
                    let env_argv = if k.name == JAIL_KEY { vec![] } else { base.clone() };
                    parsed.push((format!("{env_var}={val:?}"), parse_with_env(v, &env_argv, &env)));
                    for (how, a) in parsed {
                        let Ok(a) = a else { continue };
                        tried += 1;
                        let m = a.matches(c.clone()).unwrap_or_else(|e| panic!("vimage {} {how}: {e}", v.name));
                        let id = c.get_arguments().find(|x| x.get_long() == Some(k.name)).unwrap().get_id().as_str();
                        if k.kind == KeyKind::Flag {
                            let want = parse_bool(val.trim_matches('"'));
                            assert_eq!(m.get_one::<bool>(id).copied(), want, "vimage {} {how}", v.name);
                        } else {
                            let got = m.get_one::<String>(id).map(String::as_str);
                            assert_eq!(got, a.values.get(k.name).map(String::as_str), "vimage {} {how}", v.name);
                        }
                    }
                }
            }
        }
        assert!(tried > 500, "{tried}");
        // The values as typed, through the struct: a leading dash, an `=` and an empty value.
        let argv: Vec<String> = ["web1", "interface=-em0", "ifname=a=b", "mac=", "--bridges", "-x y"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let k: BridgeKeys = parse(crate::cli::spec::verb("bridge").unwrap(), &argv).unwrap().keys().unwrap();
        assert_eq!(
            (k.interface.as_deref(), k.ifname.as_deref(), k.mac.as_deref(), k.bridges.as_deref()),
            (Some("-em0"), Some("a=b"), Some(""), Some("-x y"))
        );
        let k: ConstructKeys = parse(crate::cli::spec::verb("construct").unwrap(), &[]).unwrap().keys().unwrap();
        assert_eq!(k.create, None, "not given is not create=0");
        let k: ConstructKeys =
            parse(crate::cli::spec::verb("construct").unwrap(), &["create=0".to_string()]).unwrap().keys().unwrap();
        assert_eq!(k.create, Some(false));
    }

    #[test]
    fn the_settings_of_set_are_its_stored_settings_by_name() {
        let names: Vec<&str> = crate::settings::KEYS.iter().map(|(n, _)| *n).collect();
        let set = crate::cli::spec::verb("set").unwrap();
        let none = SetKeys::default();
        let given = none.settings();
        assert_eq!(given.iter().map(|(n, _)| *n).collect::<Vec<_>>(), names);
        for n in names {
            let argv = vec!["jname=j1".to_string(), format!("{n}=v-{n}")];
            let k: SetKeys = crate::cli::args::parse(set, &argv).unwrap().keys().unwrap();
            let want = format!("v-{n}");
            for (m, v) in k.settings() {
                assert_eq!(v, (m == n).then_some(want.as_str()), "{n}: {m}");
            }
        }
    }

    #[test]
    fn parsed_args_convert_to_the_typed_keys() {
        let argv: Vec<String> = ["web1", "interface=em0,em1", "dry_run=yes", "--mac", "02:00:00:00:00:01"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let a = crate::cli::args::parse(crate::cli::spec::verb("bridge").unwrap(), &argv).unwrap();
        let k: BridgeKeys = a.keys().unwrap();
        assert_eq!(k.jname.as_deref(), Some("web1"));
        assert_eq!(k.interface.as_deref(), Some("em0,em1"));
        assert_eq!(k.mac.as_deref(), Some("02:00:00:00:00:01"));
        assert!(k.dry_run && !k.json && !k.force);
        assert_eq!(k.ip4_addr, None);
        let g: GcKeys = crate::cli::args::parse(crate::cli::spec::verb("gc").unwrap(), &[]).unwrap().keys().unwrap();
        assert_eq!(g, GcKeys::default());
    }
}
