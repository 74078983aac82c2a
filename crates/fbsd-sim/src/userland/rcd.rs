//! The bodies of the base rc.d scripts the simulator runs, as the simulated commands they
//! would run (so every rule of ifconfig, route and devfs applies, in the caller's vnet):
//!
//! * `netif` (libexec/rc/rc.d/netif + network.subr): `start` = `clone_up` (cloned_interfaces),
//!   `ifnet_rename` (ifconfig_IF_name), then `ifn_start` for each interface of
//!   `list_net_interfaces` (lo0 first; `127.0.0.1/8` on lo0 unless `ifconfig_lo0`;
//!   `ifconfig_IF` without the DHCP/NOAUTO/WPA pseudo-words, then `up`; `ifconfig_IF_aliasN`;
//!   `ifconfig_IF_descr`; DHCP interfaces brought up, SYNCDHCP ones given `dhclient`; `vlans_IF`
//!   children created), `Starting Network: …` and `ifconfig IF` of each; `stop` = `ifn_stop`
//!   (inet aliases and addresses deleted, `down`, vlan children destroyed), `Stopping
//!   Network: …`, then `clone_down`. Not modelled: IPv6 (`ifconfig_IF_ipv6`, accept_rtadv),
//!   wlan, gif, `/etc/start_if.IF`, devd-started (non-SYNC) DHCP.
//! * `routing` (rc.d/routing): `start` = `route add -inet 127.0.0.1 -iface lo0` and the
//!   default routes of `defaultrouter`/`ipv6_defaultrouter`; `stop` = `route delete` of those
//!   defaults and `route -n flush -inet`/`-inet6`. `static_routes` other than the default and
//!   the `options` sysctls are not modelled.
//! * `devfs` (rc.d/devfs): `start` = rc.subr `devfs_init_rulesets` over `devfs_rulesets` (each
//!   `[name=N]` a `devfs rule -s N delset`, each other line `devfs rule -s N …` after `$name`
//!   expansion), then `devfs_system_ruleset` and `devfs_set_rulesets`; `stop` does nothing.
//!   `/etc/devfs.conf` is not read.

use super::Proc;
use super::fs::Files;
use super::rcvars::{self, Vars};
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// Runs verb `verb` of base script `name` (rc.subr has already checked the rcvar).
pub(crate) fn run(k: &mut Kernel, ctx: Ctx, name: &str, verb: &str, extra: &[String], vars: &Vars) -> Output {
    let mut p = Proc::new("service");
    let mut sh = Sh { k, ctx, p: &mut p, script: format!("/etc/rc.d/{name}") };
    let code = match (name, verb) {
        ("netif", "start") => sh.netif_start(extra, vars),
        ("netif", "stop") => sh.netif_stop(extra, vars, true),
        ("netif", "clear") => sh.netif_stop(extra, vars, false),
        ("netif", "cloneup") => sh.clone_up(extra, vars),
        ("netif", "clonedown") => sh.clone_down(extra, vars),
        ("netif", "vnetup") | ("netif", "vnetdown") => sh.vnet(extra, vars, verb == "vnetup"),
        ("routing", "start") | ("routing", "static") => sh.routing_start(vars),
        ("routing", "options") => 0,
        ("routing", "stop") => sh.routing_stop(vars),
        ("devfs", "start") => sh.devfs_start(vars),
        ("devfs", "stop") => 0,
        _ => 0,
    };
    p.finish(code)
}

/// One running script: runs simulated commands in `ctx`, their output becoming its own.
struct Sh<'a> {
    k: &'a mut Kernel,
    ctx: Ctx,
    p: &'a mut Proc,
    script: String,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

impl Sh<'_> {
    /// Runs a command with its output shown; returns its status.
    fn cmd(&mut self, prog: &str, args: &[String]) -> i32 {
        let o = super::run(self.k, self.ctx, prog, args);
        self.p.out.push_str(&o.stdout);
        self.p.err.push_str(&o.stderr);
        o.code
    }

    /// `cmd > /dev/null 2>&1`: the status only.
    fn quiet(&mut self, prog: &str, args: &[String]) -> i32 {
        super::run(self.k, self.ctx, prog, args).code
    }

    /// rc.subr `warn`.
    fn warn(&mut self, msg: &str) {
        self.p.stderr(&format!("{}: WARNING: {msg}\n", self.script));
    }

    fn exists(&mut self, ifname: &str) -> bool {
        self.quiet("ifconfig", &s(&["-n", ifname])) == 0
    }

    fn iflist(&mut self) -> Vec<String> {
        let o = super::run(self.k, self.ctx, "ifconfig", &s(&["-l"]));
        o.stdout.split_whitespace().map(str::to_string).collect()
    }

    /// network.subr `list_net_interfaces`.
    fn list_net_interfaces(&mut self, vars: &Vars) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if vars.val("network_interfaces").eq_ignore_ascii_case("auto") {
            let mut lo = false;
            for i in self.iflist() {
                if !autoif(vars, &i) {
                    continue;
                }
                if i == "lo0" {
                    lo = true;
                } else {
                    out.push(i);
                }
            }
            if lo {
                out.insert(0, "lo0".to_string());
            }
        } else {
            for i in vars
                .val("network_interfaces")
                .split_whitespace()
                .chain(vars.val("cloned_interfaces").split_whitespace())
            {
                if is_epair_unit(i) {
                    out.push(format!("{i}a"));
                    out.push(format!("{i}b"));
                } else {
                    out.push(i.to_string());
                }
            }
            if !out.iter().any(|i| i == "lo0") {
                out.insert(0, "lo0".to_string());
            }
        }
        out
    }

    /// The interfaces `netif_common` works on: the command line's, or the listed ones, with
    /// `epairN` expanded to `epairNa epairNb`.
    fn cooked(&mut self, cmdifn: &[String], vars: &Vars) -> Vec<String> {
        let base = if cmdifn.is_empty() { self.list_net_interfaces(vars) } else { cmdifn.to_vec() };
        let mut out = Vec::new();
        for i in base {
            if is_epair_unit(&i) {
                out.push(format!("{i}a"));
                out.push(format!("{i}b"));
            } else {
                out.push(i);
            }
        }
        out
    }

    fn netif_start(&mut self, cmdifn: &[String], vars: &Vars) -> i32 {
        self.clone_up(cmdifn, vars);
        // ifnet_rename.
        let names = if cmdifn.is_empty() { self.iflist() } else { cmdifn.to_vec() };
        for i in names {
            if let Some(new) = vars.if_var(&i, "ifconfig_IF_name").filter(|n| !n.is_empty()) {
                let new = new.to_string();
                self.cmd("ifconfig", &[i, "name".into(), new]);
            }
        }
        let list = self.cooked(cmdifn, vars);
        let mut ok = Vec::new();
        for i in list {
            if self.ifn_start(&i, vars) {
                ok.push(i);
            }
        }
        self.report("Starting", &ok, vars);
        0
    }

    fn netif_stop(&mut self, cmdifn: &[String], vars: &Vars, clones: bool) -> i32 {
        let list = self.cooked(cmdifn, vars);
        let mut ok = Vec::new();
        for i in list {
            if !self.exists(&i) {
                self.warn(&format!("{i} does not exist.  Skipped."));
                continue;
            }
            if self.ifn_stop(&i, vars) {
                ok.push(i);
            }
        }
        self.report("Stopping", &ok, vars);
        if clones {
            self.clone_down(cmdifn, vars);
        }
        0
    }

    /// `startmsg "… Network: IF….";` then `ifconfig IF` of each (rc_startmsgs).
    fn report(&mut self, what: &str, ok: &[String], vars: &Vars) {
        if ok.is_empty() || !vars.yes("rc_startmsgs") {
            return;
        }
        self.p.out.push_str(&format!("{what} Network: {}.\n", ok.join(" ")));
        for i in ok {
            self.cmd("ifconfig", std::slice::from_ref(i));
        }
    }

    /// network.subr `ifn_start`: true when something was configured.
    fn ifn_start(&mut self, ifn: &str, vars: &Vars) -> bool {
        let mut cfg = ifn == "lo0";
        let args = ifconfig_getargs(vars, ifn);
        if !args.is_empty() {
            let mut a = vec![ifn.to_string()];
            a.extend(args);
            self.cmd("ifconfig", &a);
            cfg = true;
        }
        if let Some(d) = vars.if_var(ifn, "ifconfig_IF_descr").filter(|d| !d.is_empty()) {
            let d = d.to_string();
            self.cmd("ifconfig", &[ifn.to_string(), "description".into(), d]);
        }
        if cfg {
            self.cmd("ifconfig", &[ifn.to_string(), "up".into()]);
        }
        if dhcpif(vars, ifn) {
            if !cfg {
                self.cmd("ifconfig", &[ifn.to_string(), "up".into()]);
            }
            if syncdhcpif(vars, ifn) {
                self.cmd("dhclient", &[ifn.to_string()]);
            }
            cfg = true;
        }
        // ipv4_up.
        if ifn == "lo0" && vars.if_var(ifn, "ifconfig_IF").is_none_or(str::is_empty) {
            self.cmd("ifconfig", &s(&["lo0", "inet", "127.0.0.1/8", "alias"]));
        }
        if self.aliases(ifn, vars, "alias") {
            cfg = true;
        }
        if self.childif_create(ifn, vars) {
            cfg = true;
        }
        cfg
    }

    /// network.subr `ifn_stop`.
    fn ifn_stop(&mut self, ifn: &str, vars: &Vars) -> bool {
        let mut cfg = self.aliases(ifn, vars, "-alias");
        let o = super::run(self.k, self.ctx, "ifconfig", &[ifn.to_string()]);
        for line in o.stdout.lines() {
            let mut w = line.split_whitespace();
            if w.next() == Some("inet")
                && let Some(a) = w.next()
            {
                self.cmd("ifconfig", &[ifn.to_string(), "inet".into(), a.to_string(), "delete".into()]);
                cfg = true;
            }
        }
        if self.exists(ifn) {
            self.cmd("ifconfig", &[ifn.to_string(), "down".into()]);
            cfg = true;
        }
        for child in children(vars, ifn) {
            if self.exists(&child) && self.cmd("ifconfig", &[child, "destroy".into()]) == 0 {
                cfg = true;
            }
        }
        cfg
    }

    /// `ifalias IF inet alias|-alias`: `ifconfig_IF_aliasN` for N = 0, 1, … while set.
    fn aliases(&mut self, ifn: &str, vars: &Vars, action: &str) -> bool {
        let mut any = false;
        for n in 0.. {
            let Some(a) = vars.if_var(ifn, &format!("ifconfig_IF_alias{n}")) else { break };
            let mut words = rcvars::split_words(a, vars);
            if words.first().map(String::as_str) != Some("inet") {
                continue;
            }
            words.insert(0, ifn.to_string());
            words.push(action.to_string());
            self.cmd("ifconfig", &words);
            any = true;
        }
        any
    }

    /// network.subr `childif_create`: `vlans_IF`.
    fn childif_create(&mut self, ifn: &str, vars: &Vars) -> bool {
        let mut cfg = false;
        let Some(list) = vars.if_var(ifn, "vlans_IF").map(str::to_string) else { return false };
        for child in list.split_whitespace() {
            let (name, mut a) = if child.chars().all(|c| c.is_ascii_digit()) && !child.starts_with('0') {
                let n = format!("{ifn}.{child}");
                (n.clone(), vec![n, "create".to_string()])
            } else {
                (child.to_string(), vec![child.to_string(), "create".into(), "vlandev".into(), ifn.to_string()])
            };
            if let Some(ca) = vars.if_var(&name, "create_args_IF") {
                a.extend(rcvars::split_words(ca, vars));
            }
            if self.cmd("ifconfig", &a) == 0 {
                cfg = true;
            }
            if autoif(vars, &name) {
                self.ifn_start(&name, vars);
            }
        }
        cfg
    }

    fn clone_up(&mut self, cmdifn: &[String], vars: &Vars) -> i32 {
        let mut made = Vec::new();
        for entry in vars.val("cloned_interfaces").split_whitespace() {
            let ifn = entry.split(':').next().unwrap_or(entry).to_string();
            if !cmdifn.is_empty() && !cmdifn.contains(&ifn) {
                continue;
            }
            let epair = is_epair_unit(&ifn);
            let exists = if epair {
                self.exists(&format!("{ifn}a")) || self.exists(&format!("{ifn}b"))
            } else {
                self.exists(&ifn)
            };
            if exists {
                continue;
            }
            let mut a = vec![ifn.clone(), "create".to_string()];
            if let Some(ca) = vars.if_var(&ifn, "create_args_IF") {
                a.extend(rcvars::split_words(ca, vars));
            }
            if self.cmd("ifconfig", &a) == 0 {
                if epair {
                    made.push(format!("{ifn}a"));
                    made.push(format!("{ifn}b"));
                } else {
                    made.push(ifn);
                }
            }
        }
        if !made.is_empty() {
            self.p.out.push_str(&format!("Created clone interfaces: {}.\n", made.join(" ")));
        }
        0
    }

    fn clone_down(&mut self, cmdifn: &[String], vars: &Vars) -> i32 {
        let sticky = vars.yes("cloned_interfaces_sticky");
        let mut gone = Vec::new();
        for entry in vars.val("cloned_interfaces").split_whitespace() {
            let mut it = entry.split(':');
            let ifn = it.next().unwrap_or(entry).to_string();
            match (it.next(), sticky) {
                (Some("sticky"), _) => continue,
                (Some("nosticky"), _) => {}
                (_, true) => continue,
                _ => {}
            }
            if !cmdifn.is_empty() && !cmdifn.contains(&ifn) {
                continue;
            }
            let target = if is_epair_unit(&ifn) {
                if self.exists(&format!("{ifn}a")) {
                    format!("{ifn}a")
                } else if self.exists(&format!("{ifn}b")) {
                    format!("{ifn}b")
                } else {
                    continue;
                }
            } else if self.exists(&ifn) {
                ifn.clone()
            } else {
                continue;
            };
            if self.cmd("ifconfig", &s(&["-n", &target, "destroy"])) == 0 {
                if is_epair_unit(&ifn) {
                    gone.push(format!("{ifn}a"));
                    gone.push(format!("{ifn}b"));
                } else {
                    gone.push(ifn);
                }
            }
        }
        if !gone.is_empty() {
            self.p.out.push_str(&format!("Destroyed clone interfaces: {}.\n", gone.join(" ")));
        }
        0
    }

    /// `vnetup`/`vnetdown`: `ifconfig IF vnet J` for the interfaces whose `ifconfig_IF` says
    /// `vnet J` (network.subr `vnetif`).
    fn vnet(&mut self, cmdifn: &[String], vars: &Vars, up: bool) -> i32 {
        let list = self.cooked(cmdifn, vars);
        let mut ok = Vec::new();
        for i in list {
            let words: Vec<String> =
                vars.if_var(&i, "ifconfig_IF").map(|a| rcvars::split_words(a, vars)).unwrap_or_default();
            let Some(j) = words.iter().position(|w| w == "vnet").and_then(|n| words.get(n + 1)) else { continue };
            let verb = if up { "vnet" } else { "-vnet" };
            if self.cmd("ifconfig", &[i.clone(), verb.into(), j.clone()]) == 0 {
                ok.push(i);
            }
        }
        if !ok.is_empty() && vars.yes("rc_startmsgs") {
            let what = if up { "Moving" } else { "Reclaiming" };
            self.p.out.push_str(&format!("{what} Network: {}.\n", ok.join(" ")));
        }
        0
    }

    fn routing_start(&mut self, vars: &Vars) -> i32 {
        let mut ret = 0;
        if self.cmd("route", &s(&["add", "-inet", "127.0.0.1", "-iface", "lo0"])) != 0 {
            ret = 1;
        }
        for (var, fam) in [("defaultrouter", "-inet"), ("ipv6_defaultrouter", "-inet6")] {
            let gw = vars.val(var);
            if gw.is_empty() || gw.eq_ignore_ascii_case("no") {
                continue;
            }
            let gw = gw.to_string();
            if self.cmd("route", &[fam.to_string(), "add".into(), "default".into(), gw]) != 0 {
                ret = 1;
            }
        }
        ret
    }

    fn routing_stop(&mut self, vars: &Vars) -> i32 {
        for (var, fam) in [("defaultrouter", "-inet"), ("ipv6_defaultrouter", "-inet6")] {
            let gw = vars.val(var);
            if !(gw.is_empty() || gw.eq_ignore_ascii_case("no")) {
                let gw = gw.to_string();
                self.cmd("route", &[fam.to_string(), "delete".into(), "default".into(), gw]);
            }
            self.cmd("route", &s(&["-n", "flush", fam]));
        }
        0
    }

    fn devfs_start(&mut self, vars: &Vars) -> i32 {
        let load = vars.yes("devfs_load_rulesets")
            || !vars.val("devfs_system_ruleset").is_empty()
            || !vars.val("devfs_set_rulesets").is_empty();
        if !load {
            return 0;
        }
        let mut names = Vars::default();
        let files = Files::of(self.k, self.ctx);
        for file in vars.val("devfs_rulesets").split_whitespace() {
            let text = match files.read(file) {
                Ok(t) => t,
                // The stock file is part of the base system even when the test root lacks it.
                Err(_) if file == "/etc/defaults/devfs.rules" => vimage_base::devfs_rules::STOCK_FILE.to_string(),
                Err(_) => continue,
            };
            if !self.rulesets_from(&text, &mut names) {
                self.warn(&format!("devfs_init_rulesets: could not read rules from {file}"));
                return 1;
            }
        }
        if let Some(n) = names.get(vars.val("devfs_system_ruleset")).map(str::to_string) {
            self.cmd("devfs", &s(&["-m", "/dev", "ruleset", &n]));
            self.cmd("devfs", &s(&["-m", "/dev", "rule", "-s", &n, "applyset"]));
        }
        for ds in vars.val("devfs_set_rulesets").split_whitespace() {
            let Some((dir, set)) = ds.split_once('=') else { continue };
            if let Some(n) = names.get(set).map(str::to_string) {
                self.cmd("devfs", &s(&["-m", dir, "ruleset", &n]));
                self.cmd("devfs", &s(&["-m", dir, "rule", "-s", &n, "applyset"]));
            }
        }
        0
    }

    /// rc.subr `devfs_rulesets_from_file`: false on the first failing `devfs` command.
    fn rulesets_from(&mut self, text: &str, names: &mut Vars) -> bool {
        let mut cur: Option<String> = None;
        for raw in text.lines() {
            let line = raw.trim_matches([' ', '\t', '\r']);
            if line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') && line[1..].contains(']') {
                let Some(h) = vimage_base::devfs_rules::header(line) else { continue };
                let Some(n) = h.number else {
                    self.warn(&format!("devfs_rulesets_from_file: cannot extract rule number ({line})"));
                    return false;
                };
                names.set(&h.name, &n.to_string());
                cur = Some(n.to_string());
                if self.cmd("devfs", &s(&["rule", "-s", &n.to_string(), "delset"])) != 0 {
                    return false;
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let mut a = vec!["rule".to_string(), "-s".to_string(), cur.clone().unwrap_or_default()];
            a.extend(rcvars::split_words(line, names));
            if self.cmd("devfs", &a) != 0 {
                return false;
            }
        }
        true
    }
}

/// `epair[0-9]*` without the a/b suffix.
fn is_epair_unit(i: &str) -> bool {
    i.strip_prefix("epair").is_some_and(|u| !u.is_empty() && u.chars().all(|c| c.is_ascii_digit()))
}

/// `_ifconfig_getargs`: `ifconfig_IF`, else `ifconfig_DEFAULT`.
fn raw_args(vars: &Vars, ifn: &str) -> Vec<String> {
    let a = vars.if_var(ifn, "ifconfig_IF").or(vars.get("ifconfig_DEFAULT")).unwrap_or("");
    rcvars::split_words(a, vars)
}

/// network.subr `ifconfig_getargs`: without DHCP, NOAUTO, (NO)SYNCDHCP, WPA, HOSTAP and
/// `vnet J`.
fn ifconfig_getargs(vars: &Vars, ifn: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for a in raw_args(vars, ifn) {
        if skip_next {
            skip_next = false;
            continue;
        }
        match a.to_ascii_lowercase().as_str() {
            "dhcp" | "noauto" | "nosyncdhcp" | "syncdhcp" | "wpa" | "hostap" => {}
            "vnet" if a == "vnet" => skip_next = true,
            _ => out.push(a),
        }
    }
    out
}

fn autoif(vars: &Vars, ifn: &str) -> bool {
    !raw_args(vars, ifn).iter().any(|a| a.eq_ignore_ascii_case("noauto"))
}

fn dhcpif(vars: &Vars, ifn: &str) -> bool {
    if ["lo", "stf", "lp", "sl"]
        .iter()
        .any(|p| ifn.strip_prefix(p).is_some_and(|u| u.starts_with(|c: char| c.is_ascii_digit())))
    {
        return false;
    }
    raw_args(vars, ifn).iter().any(|a| matches!(a.to_ascii_lowercase().as_str(), "dhcp" | "nosyncdhcp" | "syncdhcp"))
}

fn syncdhcpif(vars: &Vars, ifn: &str) -> bool {
    for a in raw_args(vars, ifn) {
        match a.to_ascii_lowercase().as_str() {
            "nosyncdhcp" => return false,
            "syncdhcp" => return true,
            _ => {}
        }
    }
    vars.yes("synchronous_dhclient")
}

/// The vlan children `vlans_IF` names (`IF.N` for a bare number).
fn children(vars: &Vars, ifn: &str) -> Vec<String> {
    vars.if_var(ifn, "vlans_IF")
        .map(|l| {
            l.split_whitespace()
                .map(|c| if c.chars().all(|x| x.is_ascii_digit()) { format!("{ifn}.{c}") } else { c.to_string() })
                .collect()
        })
        .unwrap_or_default()
}
