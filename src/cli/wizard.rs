//! The interactive side of `vimage construct`: one prompt per unanswered key, in order.
//!
//! Each typed line is checked by the same function that checks the key on the command line
//! (`crate::construct::validate`), so the wizard cannot produce an answer the key would
//! refuse; a bad line is answered with the reason and asked again. Prompts go to stderr
//! (inquire's terminal), so stdout keeps only the result.

use crate::cbsd::Workdir;
use crate::construct::{Addressing, Answers, Defaults, JailSpec, Mode, validate};
use crate::error::{Error, Kind, Result};
use crate::model::{Invalid, JailName};
use inquire::validator::Validation;
use inquire::{Confirm, InquireError, Select, Text};
use std::net::IpAddr;
use std::path::Path;

type Checked = std::result::Result<Validation, inquire::CustomUserError>;

fn verdict<T>(r: std::result::Result<T, Invalid>) -> Checked {
    Ok(match r {
        Ok(_) => Validation::Valid,
        Err(e) => Validation::Invalid(e.0.into()),
    })
}

/// inquire's errors as vimage's: Esc or ^C leaves without writing anything (75).
fn asked<T>(r: std::result::Result<T, InquireError>) -> Result<T> {
    r.map_err(|e| match e {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => {
            Error::new(Kind::TempFail, "vimage construct: cancelled; nothing was written")
        }
        InquireError::NotTTY => Error::new(Kind::Usage, "vimage construct needs a terminal to ask; give keys instead")
            .detail("see: vimage construct --help"),
        other => Error::new(Kind::Os, format!("vimage construct: terminal: {other}")),
    })
}

/// Asks every question whose key was not given, in the wizard's order, and stores the
/// answers as the text the key would have held.
pub fn ask(a: &mut Answers, d: &Defaults, wd: Option<&Workdir>) -> Result<()> {
    if a.jname.is_none() {
        let wd = wd.cloned();
        let check = move |s: &str| {
            verdict(JailName::parse(s.trim()).and_then(|j| {
                crate::construct::refuse_existing(wd.as_ref(), &j).map_err(|e| Invalid(e.message)).map(|_| j)
            }))
        };
        let help = "letters, digits, _ @ % : and - (not first); no dots";
        a.jname = Some(asked(Text::new("jail name:").with_help_message(help).with_validator(check).prompt())?);
    }
    let jname =
        JailName::parse(a.jname.as_deref().unwrap_or_default().trim()).map_err(|e| Error::new(Kind::Data, e.0))?;
    if a.host_hostname.is_none() {
        let def = d.hostname_for(&jname);
        let check = |s: &str| verdict(validate::hostname(s));
        a.host_hostname = Some(asked(Text::new("host name:").with_default(&def).with_validator(check).prompt())?);
    }
    let mode = match &a.mode {
        Some(m) => validate::mode(m).map_err(|e| Error::new(Kind::Data, e.0))?,
        None => {
            let options = vec![
                "epair: epair(4) pairs on an if_bridge(4) with the uplink",
                "netgraph: ng_eiface NICs on an ng_bridge(4) with the uplink",
            ];
            let pick = asked(Select::new("mode:", options).without_filtering().raw_prompt())?;
            let m = if pick.index == 0 { Mode::Epair } else { Mode::Netgraph };
            a.mode = Some(m.as_str().into());
            m
        }
    };
    ask_uplinks(a, d, mode)?;
    if a.ip4_addr.is_none() {
        ask_addresses(a)?;
    }
    if a.devfs_ruleset.is_none() {
        let dhcp = matches!(a.ip4_addr.as_deref().map(validate::ip4_addr), Some(Ok(Addressing::Dhcp)));
        let help = if dhcp {
            "5 = devfsrules_jail_vnet, which hides bpf: dhclient needs vimage's bpf ruleset, set up by `vimage devfs`"
        } else {
            "5 = devfsrules_jail_vnet; vimage's bpf ruleset (for DHCP) is set up by `vimage devfs`"
        };
        let def = d.devfs_ruleset.to_string();
        let check = |s: &str| verdict(validate::devfs_ruleset(s));
        let r = Text::new("devfs ruleset:").with_default(&def).with_help_message(help).with_validator(check);
        a.devfs_ruleset = Some(asked(r.prompt())?);
    }
    Ok(())
}

/// epair: one uplink (`interface`). netgraph: one per NIC (`bridges`), asked until the admin
/// says there are no more.
fn ask_uplinks(a: &mut Answers, d: &Defaults, mode: Mode) -> Result<()> {
    let (choices, at) = d.uplink_choices();
    let pick = |msg: &str| -> Result<String> {
        let help = "auto = the interface of the host's default route";
        asked(Select::new(msg, choices.clone()).with_starting_cursor(at).with_help_message(help).prompt())
    };
    match mode {
        Mode::Epair if a.interface.is_none() => a.interface = Some(pick("uplink:")?),
        Mode::Netgraph if a.bridges.is_none() && a.interface.is_none() => {
            let mut list = vec![pick("uplink of eth0:")?];
            while list.len() < validate::MAX_NICS {
                let more = Confirm::new("another NIC?")
                    .with_default(false)
                    .with_help_message("netgraph: one ng_eiface NIC per uplink; the same uplink may be chosen twice");
                if !asked(more.prompt())? {
                    break;
                }
                list.push(pick(&format!("uplink of eth{}:", list.len()))?);
            }
            a.bridges = Some(list.join(" "));
        }
        _ => {}
    }
    Ok(())
}

/// DHCP, or an IPv4 and/or an IPv6 address with prefix, each with an optional router.
fn ask_addresses(a: &mut Answers) -> Result<()> {
    let options = vec!["DHCP: dhclient inside the jail (REALDHCP)", "static addresses"];
    let pick = asked(Select::new("addresses:", options).without_filtering().raw_prompt())?;
    if pick.index == 0 {
        a.ip4_addr = Some("REALDHCP".into());
        return Ok(());
    }
    let mut addrs = Vec::new();
    let mut routers = Vec::new();
    for (fam, v4) in [("IPv4", true), ("IPv6", false)] {
        let need = !v4 && addrs.is_empty();
        let check = move |s: &str| -> Checked {
            if s.trim().is_empty() {
                return verdict(if need { Err(Invalid("give at least one address".into())) } else { Ok(()) });
            }
            verdict(validate::cidr(s).and_then(|c| {
                if c.addr.is_ipv4() == v4 { Ok(c) } else { Err(Invalid(format!("{c} is not an {fam} address"))) }
            }))
        };
        let help = if v4 { "e.g. 192.0.2.10/24; empty: no IPv4" } else { "e.g. 2001:db8::10/64; empty: no IPv6" };
        let q = format!("{fam} address/prefix:");
        let ans = asked(Text::new(&q).with_help_message(help).with_validator(check).prompt())?;
        if ans.trim().is_empty() {
            continue;
        }
        addrs.push(ans.trim().to_string());
        if a.ci_gw4.is_none() {
            let net = validate::ip4_addr(ans.trim()).map_err(|e| Error::new(Kind::Data, e.0))?;
            let check = move |s: &str| -> Checked {
                if s.trim().is_empty() { Ok(Validation::Valid) } else { verdict(validate::routers(s, &net)) }
            };
            let q = format!("{fam} default router:");
            let r = Text::new(&q).with_help_message("empty: none").with_validator(check);
            let ans = asked(r.prompt())?;
            if let Ok(ip) = ans.trim().parse::<IpAddr>() {
                routers.push(ip.to_string());
            }
        }
    }
    a.ip4_addr = Some(addrs.join(","));
    if a.ci_gw4.is_none() {
        a.ci_gw4 = Some(if routers.is_empty() { "0".into() } else { routers.join(",") });
    }
    Ok(())
}

/// Shows what will be written and asks whether to create the jail now.
pub fn confirm_create(spec: &JailSpec, out: &Path, cbsd: bool) -> Result<bool> {
    // Not eprint!: a stderr gone away (a closed pipe) must not panic; the prompt then fails.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), crate::construct::summary(spec, out).as_bytes());
    let help =
        if cbsd { "no: only write the jconf and print the commands" } else { "workdir is not set: is CBSD here?" };
    asked(Confirm::new("create the jail now?").with_default(cbsd).with_help_message(help).prompt())
}
