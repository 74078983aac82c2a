//! The pf side of a private network, pure: the rule text of a network's anchor, and the steps
//! that load it, flush it and turn forwarding on.
//!
//! [`AnchorSpec`] is this module's own small input (what a network and its port forwards come
//! to for pf), so the renderer does not depend on how networks are stored; the network
//! objects map onto it. The text is pf.conf(5) grammar that sbin/pfctl/parse.y accepts in an
//! anchor: translation only (`nat`, `rdr`), one rule per line, in a fixed order (nat before
//! rdr, forwards in the order given), so the same network always renders the same bytes and
//! a reload that changes nothing is recognised by comparing text.

use super::Step;
use crate::op::Op;
use std::net::{IpAddr, Ipv4Addr};

/// Every anchor vimage loads is below this one; the main ruleset reaches them with
/// `nat-anchor "vimage/*"`, `rdr-anchor "vimage/*"` and `anchor "vimage/*"`.
pub const ANCHOR_ROOT: &str = "vimage";

pub use crate::naming::IP_FORWARDING;

/// A port forward's transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proto {
    /// `proto tcp`
    Tcp,
    /// `proto udp`
    Udp,
}

impl Proto {
    /// The word pf.conf uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One port forward: the host's `host_port` to `jail_addr:jail_port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// tcp or udp.
    pub proto: Proto,
    /// The port on the NAT interface.
    pub host_port: u16,
    /// The jail's address in the network's pool.
    pub jail_addr: Ipv4Addr,
    /// The port in the jail.
    pub jail_port: u16,
}

/// What pf needs to know of one private network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorSpec {
    /// The network's name; its anchor is `vimage/<name>`.
    pub name: String,
    /// The network's IPv4 prefix (`10.77.0.0/24`).
    pub cidr4: String,
    /// Its IPv6 prefix, if it has one (NATed too when `nat_if` is set).
    pub cidr6: Option<String>,
    /// The interface to NAT out of (`nat=IF`, or the default route's for `nat=auto`); `None`
    /// for a network without NAT (then no rule is rendered: forwards need it too).
    pub nat_if: Option<String>,
    /// The port forwards into jails of the network.
    pub forwards: Vec<Forward>,
}

/// A name that may go into an anchor path or a rule unquoted: what vimage accepts as a
/// network or interface name (letters, digits, `_`, `-`, `.`), never a pf.conf metacharacter.
fn plain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn prefix(s: &str, v6: bool) -> Result<String, String> {
    let (ip, len) = s.split_once('/').ok_or_else(|| format!("{s}: not a prefix (address/length)"))?;
    let ip: IpAddr = ip.parse().map_err(|_| format!("{s}: not an address"))?;
    let len: u8 = len.parse().map_err(|_| format!("{s}: bad prefix length"))?;
    if ip.is_ipv6() != v6 || len > if v6 { 128 } else { 32 } {
        return Err(format!("{s}: not an IPv{} prefix", if v6 { 6 } else { 4 }));
    }
    Ok(format!("{ip}/{len}"))
}

impl AnchorSpec {
    /// `vimage/<name>`.
    pub fn anchor(&self) -> String {
        format!("{ANCHOR_ROOT}/{}", self.name)
    }

    /// The anchor's rules, exactly as loaded (`pfctl -a vimage/<name> -f -`):
    ///
    /// ```text
    /// nat on em0 inet from 10.77.0.0/24 to any -> (em0)
    /// rdr on em0 inet proto tcp from any to any port 8080 -> 10.77.0.2 port 80
    /// ```
    ///
    /// `(IF)` follows the interface's address as it changes (pf.conf(5) "interface name in
    /// parentheses"), so a DHCP uplink keeps working. Refuses names that are not
    /// plain words, prefixes that are not prefixes, a port 0, and forwards without a NAT
    /// interface.
    pub fn render(&self) -> Result<String, String> {
        if !plain(&self.name) {
            return Err(format!("network name {:?} cannot name a pf anchor", self.name));
        }
        let v4 = prefix(&self.cidr4, false)?;
        let v6 = self.cidr6.as_deref().map(|c| prefix(c, true)).transpose()?;
        let Some(ifn) = &self.nat_if else {
            if self.forwards.is_empty() {
                return Ok(String::new());
            }
            return Err(format!("network {}: port forwards need a NAT interface (nat=auto or nat=IF)", self.name));
        };
        if !plain(ifn) {
            return Err(format!("{ifn:?} is not an interface name"));
        }
        let mut s = format!("nat on {ifn} inet from {v4} to any -> ({ifn})\n");
        if let Some(v6) = v6 {
            s.push_str(&format!("nat on {ifn} inet6 from {v6} to any -> ({ifn})\n"));
        }
        for f in &self.forwards {
            if f.host_port == 0 || f.jail_port == 0 {
                return Err(format!("network {}: port 0 cannot be forwarded", self.name));
            }
            s.push_str(&format!(
                "rdr on {ifn} inet proto {} from any to any port {} -> {} port {}\n",
                f.proto.as_str(),
                f.host_port,
                f.jail_addr,
                f.jail_port
            ));
        }
        Ok(s)
    }
}

/// A rule as pfctl lists it back, reduced to what vimage rendered: pfctl adds the default
/// pool type to a translation to an interface (sbin/pfctl/pfctl_parser.c `print_pool`:
/// ` round-robin`) and prints a port as `port = N`. Used only to recognise an anchor that
/// already holds what vimage would load, so a start that changes nothing runs nothing.
fn as_rendered(line: &str) -> String {
    line.trim_end().trim_end_matches(" round-robin").replace("port = ", "port ")
}

/// True when the anchor's listing (`current`) is the rendered `rules`, as far as
/// [`as_rendered`] can tell.
pub fn same_rules(rules: &str, current: &str) -> bool {
    let norm = |t: &str| t.lines().filter(|l| !l.trim().is_empty()).map(as_rendered).collect::<Vec<_>>();
    norm(rules) == norm(current)
}

/// The step that makes the anchor hold `rules`, given what it holds now (`current`, as
/// [`crate::op::pf::anchor_text`] reads it): `None` when they are the same rules already.
/// Empty `rules` flush it.
pub fn load_step(anchor: &str, rules: &str, current: &str) -> Option<Step> {
    if rules == current || same_rules(rules, current) {
        return None;
    }
    Some(Step::new(if rules.is_empty() {
        Op::PfFlushAnchor { anchor: anchor.to_string(), prev: current.to_string() }
    } else {
        Op::PfLoadAnchor { anchor: anchor.to_string(), rules: rules.to_string(), prev: current.to_string() }
    }))
}

/// The step that turns IPv4 forwarding on, given its value now; `None` when it is on.
pub fn forwarding_step(current: &str) -> Option<Step> {
    (current.trim() != "1").then(|| {
        Step::new(Op::SysctlSet { name: IP_FORWARDING.into(), value: "1".into(), prev: current.trim().to_string() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jails() -> AnchorSpec {
        AnchorSpec {
            name: "jails".into(),
            cidr4: "10.77.0.0/24".into(),
            cidr6: None,
            nat_if: Some("em0".into()),
            forwards: vec![Forward {
                proto: Proto::Tcp,
                host_port: 8080,
                jail_addr: "10.77.0.2".parse().unwrap(),
                jail_port: 80,
            }],
        }
    }

    #[test]
    fn renders_nat_then_rdr_exactly() {
        let s = jails();
        assert_eq!(s.anchor(), "vimage/jails");
        assert_eq!(
            s.render().unwrap(),
            "nat on em0 inet from 10.77.0.0/24 to any -> (em0)\n\
             rdr on em0 inet proto tcp from any to any port 8080 -> 10.77.0.2 port 80\n"
        );
        let mut six = jails();
        six.cidr6 = Some("fd00:77::/64".into());
        six.forwards[0].proto = Proto::Udp;
        assert_eq!(
            six.render().unwrap(),
            "nat on em0 inet from 10.77.0.0/24 to any -> (em0)\n\
             nat on em0 inet6 from fd00:77::/64 to any -> (em0)\n\
             rdr on em0 inet proto udp from any to any port 8080 -> 10.77.0.2 port 80\n"
        );
    }

    #[test]
    fn refuses_what_would_be_a_bad_or_foreign_rule() {
        let bad = |f: &dyn Fn(&mut AnchorSpec)| {
            let mut s = jails();
            f(&mut s);
            s.render().unwrap_err()
        };
        assert!(bad(&|s| s.name = "x\"y".into()).contains("anchor"));
        assert!(bad(&|s| s.name = "a/b".into()).contains("anchor"));
        assert!(bad(&|s| s.nat_if = Some("em0 pass".into())).contains("interface"));
        assert!(bad(&|s| s.cidr4 = "10.77.0.0".into()).contains("prefix"));
        assert!(bad(&|s| s.cidr4 = "fd00::/64".into()).contains("IPv4"));
        assert!(bad(&|s| s.forwards[0].host_port = 0).contains("port 0"));
        assert!(bad(&|s| s.nat_if = None).contains("NAT interface"));
        let mut none = jails();
        none.nat_if = None;
        none.forwards.clear();
        assert_eq!(none.render().unwrap(), "");
    }

    #[test]
    fn steps_change_only_what_differs_and_undo_to_what_was_found() {
        let r = jails().render().unwrap();
        assert!(load_step("vimage/jails", &r, &r).is_none());
        let listed = "nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin\n\
                      rdr on em0 inet proto tcp from any to any port = 8080 -> 10.77.0.2 port 80\n";
        assert!(load_step("vimage/jails", &r, listed).is_none(), "pfctl's listing of the same rules");
        let s = load_step("vimage/jails", &r, "").unwrap();
        assert_eq!(s.undo, Some(Op::PfFlushAnchor { anchor: "vimage/jails".into(), prev: r.clone() }));
        let f = load_step("vimage/jails", "", &r).unwrap();
        assert!(matches!(&f.op, Op::PfFlushAnchor { prev, .. } if *prev == r));
        assert!(forwarding_step("1\n").is_none());
        let fw = forwarding_step("0").unwrap();
        assert_eq!(fw.undo, Some(Op::SysctlSet { name: IP_FORWARDING.into(), value: "0".into(), prev: "1".into() }));
    }

    /// The rendered text is what the simulator's pfctl (parse.y's grammar) loads, and pfctl
    /// lists it back in its own normalised form.
    #[cfg(feature = "simulator")]
    #[test]
    fn the_simulated_pfctl_accepts_the_rendered_anchor() {
        use crate::host::{Host, SimHost};
        let mut k = crate::sim::Kernel::demo();
        k.load_module("pf");
        let mut h = SimHost::new(crate::sim::Sim::new(k));
        let mut six = jails();
        six.cidr6 = Some("fd00:77::/64".into());
        let step = load_step(&six.anchor(), &six.render().unwrap(), "").unwrap();
        let out = h.run(&step.op.command(&Default::default())).unwrap();
        assert!(out.ok(), "{out:?}");
        let a = h.sim().kernel.host_pf().unwrap().anchors["vimage/jails"].clone();
        assert_eq!(
            a.nat,
            [
                "nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin",
                "nat on em0 inet6 from fd00:77::/64 to any -> (em0) round-robin"
            ]
        );
        assert_eq!(a.rdr, ["rdr on em0 inet proto tcp from any to any port = http-alt -> 10.77.0.2 port 80"]);
        // What the anchor holds now reads back as the same rules (the reload of an undo).
        let held = crate::facts::query::pf_anchor(&mut h, "vimage/jails").unwrap();
        assert_eq!(held.lines().count(), 3, "{held}");
        let again = load_step("vimage/jails", &held, "").unwrap();
        assert!(h.run(&again.op.command(&Default::default())).unwrap().ok(), "pfctl's listing loads again");
        assert_eq!(h.sim().kernel.host_pf().unwrap().anchors["vimage/jails"], a.clone());
        let undo = step.undo.unwrap().command(&Default::default());
        assert!(h.run(&undo).unwrap().ok());
        assert!(h.sim().kernel.host_pf().unwrap().anchors.is_empty(), "the undo flushed it");
        assert_eq!(
            crate::facts::query::pf_anchor(&mut h, "vimage/jails").unwrap(),
            "",
            "a missing anchor holds nothing"
        );
    }
}
