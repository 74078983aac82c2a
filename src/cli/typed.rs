//! Typed keys per verb, for code that wants a mistyped key name not to compile: one struct
//! per verb, derived with clap, each field a key of the command table (`super::spec`), a
//! flag as `bool`, a value as `Option<String>`. They are filled from the parsed [`Args`]
//! ([`Args::keys`]), so the verbs that read [`Args`] by name keep working unchanged; a test
//! keeps every struct's fields equal to its verb's keys in the table.

use super::args::{Args, parse_bool};
use crate::error::{Error, Kind, Result};
use clap::{ArgAction, Command, FromArgMatches};

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
    /// The keys as `T`, the typed struct of the verb they were parsed for.
    pub fn keys<T: VerbKeys>(&self) -> Result<T> {
        let argv = self.values.iter().map(|(k, v)| format!("--{k}={v}"));
        let m = T::augment_args(Command::new(T::VERB).no_binary_name(true))
            .try_get_matches_from(argv)
            .map_err(|e| Error::new(Kind::Internal, format!("keys of vimage {}: {}", T::VERB, e.kind())))?;
        T::from_arg_matches(&m).map_err(|e| Error::new(Kind::Internal, e.to_string()))
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
        "demo" => DemoKeys::augment_args(c),
        _ => return None,
    })
}

/// The keys of `vimage bridge`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
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
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for BridgeKeys {
    const VERB: &'static str = "bridge";
}

/// The keys of `vimage devfs`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DevfsKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
    pub jname: Option<String>,
    /// `ruleset=`: as given (`None`: not given).
    #[arg(long = "ruleset")]
    pub ruleset: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for DevfsKeys {
    const VERB: &'static str = "devfs";
}

/// The keys of `vimage unbridge`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct UnbridgeKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for UnbridgeKeys {
    const VERB: &'static str = "unbridge";
}

/// The keys of `vimage status`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
    pub jname: Option<String>,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
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
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for GcKeys {
    const VERB: &'static str = "gc";
}

/// The keys of `vimage set`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct SetKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
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
    /// `nic_hwaddr=`: as given (`None`: not given).
    #[arg(long = "nic_hwaddr")]
    pub nic_hwaddr: Option<String>,
    /// `enable=`: as given (`None`: not given).
    #[arg(long = "enable")]
    pub enable: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for SetKeys {
    const VERB: &'static str = "set";
}

/// The keys of `vimage start`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StartKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for StartKeys {
    const VERB: &'static str = "start";
}

/// The keys of `vimage stop`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct StopKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
    pub jname: Option<String>,
    /// `dry-run`: a flag.
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for StopKeys {
    const VERB: &'static str = "stop";
}

/// The keys of `vimage doctor`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorKeys {
    /// `dry-run`: a flag (`doctor fix=1 --dry-run` prints the fix plan and changes nothing).
    #[arg(long = "dry-run", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub dry_run: bool,
    /// `fix`: a flag.
    #[arg(long = "fix", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub fix: bool,
    /// `json`: a flag.
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub json: bool,
}

impl VerbKeys for DoctorKeys {
    const VERB: &'static str = "doctor";
}

/// The keys of `vimage construct`, typed.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ConstructKeys {
    /// `jname=`: as given (`None`: not given).
    #[arg(long = "jname")]
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
    /// `create`: a flag.
    #[arg(long = "create", action = ArgAction::Set, value_parser = flag, default_value = "0")]
    pub create: bool,
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
    #[arg(long = "json", action = ArgAction::Set, value_parser = flag, default_value = "0")]
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
            for k in v.keys {
                let a = c.get_arguments().find(|a| a.get_long() == Some(k.name)).unwrap();
                let is_flag = a.get_default_values().first().is_some_and(|d| d == "0");
                assert_eq!(is_flag, k.kind == crate::cli::spec::KeyKind::Flag, "{} {}", v.name, k.name);
            }
        }
        assert!(command("nosuch").is_none());
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
