//! Creating a vnet jail for CBSD: the answers `vimage construct` collects, their defaults,
//! their validation, and the jconf they become. No I/O here, so every rule is unit-tested.
//!
//! The command line and the interactive wizard both fill the same [`Answers`] (raw text,
//! `None` = not given) and turn them into a [`JailSpec`] with [`JailSpec::build`]; the
//! wizard only asks for what is `None`, checking each line with the same
//! [`validate`] function that checks a `key=value`. [`render`] turns a spec into the jconf
//! that `cbsd jcreate jconf=` reads, from the templates in `jconf-templates/`.

mod defaults;
pub mod render;
#[cfg(test)]
mod tests;
pub mod validate;

pub use defaults::Defaults;
pub use render::{render, set_args, summary, template_name};

use crate::cbsd::Workdir;
use crate::error::{Error, Kind, Result};
use crate::model::{Invalid, JailName, ModeKind, Uplink};
use std::fmt;
use std::net::IpAddr;

/// How vimage builds the jail's NICs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// epair(4) pairs whose host end joins an if_bridge(4) with the uplink.
    Epair,
    /// ng_eiface NICs on an ng_bridge(4) hooked to the uplink's ng_ether(4).
    Netgraph,
}

impl Mode {
    /// The word used in keys, jconf and `vimage set`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Epair => ModeKind::Epair.as_str(),
            Mode::Netgraph => ModeKind::Netgraph.as_str(),
        }
    }
}

/// A validated host name (see [`validate::hostname`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An interface address with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The interface's own address.
    pub addr: IpAddr,
    /// Its prefix length: 1–32 for IPv4, 1–128 for IPv6.
    pub prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside this address's subnet (same family, same network bits).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// How the jail gets its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressing {
    /// CBSD's `REALDHCP`: dhclient on eth0 inside the jail.
    Dhcp,
    /// Fixed addresses (one IPv4 and/or one IPv6) and their default routers.
    Static {
        /// Written to `ip4_addr`: one IPv4 and/or one IPv6 address, each with its prefix length.
        addrs: Vec<Cidr>,
        /// Written to `ci_gw4`: the jail's default routers, one per address family.
        routers: Vec<IpAddr>,
    },
}

impl Addressing {
    /// `ip4_addr` as CBSD writes it.
    pub fn ip4_addr(&self) -> String {
        match self {
            Addressing::Dhcp => "REALDHCP".into(),
            Addressing::Static { addrs, .. } => join(addrs, ","),
        }
    }

    /// `ci_gw4` as CBSD writes it: `0` for none.
    pub fn ci_gw4(&self) -> String {
        match self {
            Addressing::Static { routers, .. } if !routers.is_empty() => join(routers, ","),
            _ => "0".into(),
        }
    }
}

fn join<T: fmt::Display>(items: &[T], sep: &str) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
}

/// Everything a new vimage jail is made from, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JailSpec {
    /// The jail's name in CBSD and jail(8).
    pub jname: JailName,
    /// `host.hostname` inside the jail.
    pub host_hostname: Hostname,
    /// How vimage builds the NICs.
    pub mode: Mode,
    /// One per NIC, in order: exactly one for epair, 1..=[`validate::MAX_NICS`] for netgraph.
    pub uplinks: Vec<Uplink>,
    /// DHCP or static addresses with their routers.
    pub addressing: Addressing,
    /// The devfs ruleset of the jail's /dev.
    pub devfs_ruleset: u16,
}

/// The answers as given, one per key; `None` = not given (take the default, or ask).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// `jname=`: the new jail's name.
    pub jname: Option<String>,
    /// `host_hostname=`: the name inside the jail (default `<jname>.<domain>`).
    pub host_hostname: Option<String>,
    /// `mode=`: `epair` or `netgraph`.
    pub mode: Option<String>,
    /// `interface=`: the first NIC's uplink, or `auto`.
    pub interface: Option<String>,
    /// `bridges=`: netgraph only, one uplink per NIC.
    pub bridges: Option<String>,
    /// `ip4_addr=`: `REALDHCP` or the static addresses, as CBSD writes them.
    pub ip4_addr: Option<String>,
    /// `ci_gw4=`: the default routers, `0` for none.
    pub ci_gw4: Option<String>,
    /// `devfs_ruleset=`: the ruleset of the jail's /dev.
    pub devfs_ruleset: Option<String>,
}

/// Why answers do not make a spec: a required key is missing, or a value is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// The key has no default and was not given.
    Missing(&'static str),
    /// The key's value is unusable; the text says why.
    Invalid(&'static str, Invalid),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::Missing(k) => write!(f, "{k}= is required"),
            SpecError::Invalid(k, e) => write!(f, "{k}=: {e}"),
        }
    }
}

impl JailSpec {
    /// Validates `a`, filling what is not given from `d`. Only `jname` has no default.
    pub fn build(a: &Answers, d: &Defaults) -> Result<JailSpec, SpecError> {
        let bad = |k: &'static str| move |e: Invalid| SpecError::Invalid(k, e);
        let jname_text = a.jname.as_deref().map(str::trim).ok_or(SpecError::Missing("jname"))?;
        let jname = JailName::parse(jname_text).map_err(bad("jname"))?;
        let host_hostname = match &a.host_hostname {
            Some(h) => validate::hostname(h).map_err(bad("host_hostname"))?,
            None => validate::hostname(&d.hostname_for(&jname)).map_err(bad("host_hostname"))?,
        };
        let mode = a.mode.as_deref().map(validate::mode).transpose().map_err(bad("mode"))?.unwrap_or(Mode::Epair);
        let uplinks = build_uplinks(a, d, mode)?;
        let mut addressing = match &a.ip4_addr {
            Some(s) => validate::ip4_addr(s).map_err(bad("ip4_addr"))?,
            None => Addressing::Dhcp,
        };
        if let Some(gw) = &a.ci_gw4 {
            let rs = validate::routers(gw, &addressing).map_err(bad("ci_gw4"))?;
            if let Addressing::Static { routers, .. } = &mut addressing {
                *routers = rs;
            }
        }
        let devfs_ruleset =
            a.devfs_ruleset.as_deref().map(validate::devfs_ruleset).transpose().map_err(bad("devfs_ruleset"))?;
        Ok(JailSpec {
            jname,
            host_hostname,
            mode,
            uplinks,
            addressing,
            devfs_ruleset: devfs_ruleset.unwrap_or(d.devfs_ruleset),
        })
    }
}

/// epair: `interface` (one uplink). netgraph: `bridges` (one per NIC), else `interface`;
/// when both are given, `interface` must be the first of `bridges` (it is what CBSD stores
/// as the first NIC's parent).
fn build_uplinks(a: &Answers, d: &Defaults, mode: Mode) -> Result<Vec<Uplink>, SpecError> {
    let iface =
        a.interface.as_deref().map(validate::uplink).transpose().map_err(|e| SpecError::Invalid("interface", e))?;
    match mode {
        Mode::Epair => {
            if a.bridges.is_some() {
                return Err(SpecError::Invalid(
                    "bridges",
                    Invalid("bridges= is for mode=netgraph; with epair give the uplink as interface=".into()),
                ));
            }
            Ok(vec![iface.unwrap_or_else(|| d.uplink.clone())])
        }
        Mode::Netgraph => {
            let bridges = a
                .bridges
                .as_deref()
                .map(validate::uplinks)
                .transpose()
                .map_err(|e| SpecError::Invalid("bridges", e))?;
            match (bridges, iface) {
                (Some(b), Some(i)) if b.first() != Some(&i) => Err(SpecError::Invalid(
                    "interface",
                    Invalid(format!(
                        "interface={i} differs from the first of bridges= ({}); drop interface= or make them agree",
                        b.first().map(ToString::to_string).unwrap_or_default()
                    )),
                )),
                (Some(b), _) => Ok(b),
                (None, Some(i)) => Ok(vec![i]),
                (None, None) => Ok(vec![d.uplink.clone()]),
            }
        }
    }
}

/// Refuses a name CBSD already has: `cbsd jcreate` would fail late, after the admin typed all.
/// Here, below the command line, because both the wizard and `key=value` runs ask it.
pub fn refuse_existing(wd: Option<&Workdir>, jname: &JailName) -> Result<()> {
    match wd.map(|w| w.jail_sysdir(jname)) {
        Some(dir) if dir.exists() => Err(Error::jail(
            Kind::Data,
            jname,
            format!("already exists in CBSD ({} is there); choose another name", dir.display()),
        )),
        _ => Ok(()),
    }
}
