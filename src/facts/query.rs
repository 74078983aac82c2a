//! Single questions to the host, one command each (or one `ngctl -f -` batch): the kernel's
//! facts, a jail, its interfaces, a route, a module, a netgraph node. The compositions per verb
//! in [`super::gather`], the database rebuild in [`super::rebuild`] and the devfs facts in
//! [`super::devfs`] all ask through these, so none of them imports another.

use super::{JailInfo, KernelFacts, NgPeer, NgUplink, RouteFact};
use crate::error::{Error, Kind, Result};
use crate::host::run_cmd;
use crate::host::{Cmd, Host, Output, Program};
use crate::model::JailName;
use crate::naming::GROUP;
use crate::op::{gone, ngscript};
use crate::parse::ifconfig::{IfStatus, parse_status};
use crate::parse::{jls, ngctl, route, sysctl};
/// Runs a query; a non-zero exit becomes an error naming the command and its stderr.
pub fn query(host: &mut dyn Host, cmd: Cmd) -> Result<Output> {
    let out = run_cmd(host, &cmd);
    if out.ok() {
        Ok(out)
    } else {
        Err(Error::new(Kind::Os, format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim())).command(
            cmd.to_string(),
            out.code,
            &out.stderr,
        ))
    }
}

/// Kernel facts from one `sysctl -i` (unknown OIDs, like `kern.features.vimage` on a kernel
/// without VIMAGE, are simply absent).
pub fn kernel(host: &mut dyn Host) -> Result<KernelFacts> {
    let out = query(
        host,
        Cmd::new(
            Program::Sysctl,
            [
                "-i",
                "kern.features.vimage",
                "kern.hostuuid",
                "kern.osreldate",
                "kern.boottime",
                "net.link.bridge.member_ifaddrs",
            ],
        ),
    )?;
    let m = sysctl::parse(&out.stdout);
    Ok(KernelFacts {
        vimage: m.get("kern.features.vimage").is_some_and(|v| v == "1"),
        hostuuid: m.get("kern.hostuuid").cloned().unwrap_or_default(),
        osreldate: m.get("kern.osreldate").and_then(|v| v.parse().ok()).unwrap_or(0),
        boottime: m.get("kern.boottime").and_then(|v| sysctl::boottime_sec(v)).unwrap_or(0),
        bridge_member_ifaddrs: m.get("net.link.bridge.member_ifaddrs").map(|v| v == "1"),
    })
}

const JLS_PARAMS: [&str; 6] = ["jid", "name", "vnet", "dying", "path", "devfs_ruleset"];

fn jail_info(p: &jls::JailParams) -> Option<JailInfo> {
    Some(JailInfo {
        jid: p.get("jid")?.parse().ok()?,
        name: p.get("name")?.clone(),
        vnet: p.get("vnet").is_some_and(|v| v == "new"),
        dying: p.get("dying").is_some_and(|v| v == "true"),
        path: p.get("path").cloned().unwrap_or_default(),
        devfs_ruleset: p.get("devfs_ruleset").and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

/// The jail named `name`, dying ones included; `None` when jls does not know it.
pub fn jail(host: &mut dyn Host, name: &JailName) -> Result<Option<JailInfo>> {
    let mut args = vec!["-d", "-n", "-q", "-j", name.as_str()];
    args.extend(JLS_PARAMS);
    let cmd = Cmd::new(Program::Jls, args);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if gone::no_such_jail(&out) {
            return Ok(None);
        }
        let msg = format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim());
        return Err(Error::jail(Kind::Os, name, msg).command(cmd.to_string(), out.code, &out.stderr));
    }
    Ok(jls::parse_nameval(&out.stdout).first().and_then(jail_info))
}

/// Every jail, dying ones included.
pub fn all_jails(host: &mut dyn Host) -> Result<Vec<JailInfo>> {
    let mut args = vec!["-d", "-n", "-q"];
    args.extend(JLS_PARAMS);
    let out = query(host, Cmd::new(Program::Jls, args))?;
    Ok(jls::parse_nameval(&out.stdout).iter().filter_map(jail_info).collect())
}

/// The interfaces inside a vnet jail (`ifconfig -j`, or `jexec … ifconfig` before 14.0).
pub fn jail_ifaces(host: &mut dyn Host, k: &KernelFacts, jid: u32) -> Result<Vec<IfStatus>> {
    let jid = jid.to_string();
    let cmd = if k.has_ifconfig_j() {
        Cmd::new(Program::Ifconfig, ["-j", jid.as_str()])
    } else {
        Cmd::new(Program::Jexec, [jid.as_str(), "ifconfig"])
    };
    Ok(parse_status(&query(host, cmd)?.stdout))
}

/// One host interface, or `None` when it does not exist.
pub fn iface(host: &mut dyn Host, name: &str) -> Result<Option<IfStatus>> {
    let cmd = Cmd::new(Program::Ifconfig, [name]);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if gone::no_such_interface(&out) {
            return Ok(None);
        }
        let msg = format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim());
        return Err(Error::new(Kind::Os, msg).command(cmd.to_string(), out.code, &out.stderr));
    }
    Ok(parse_status(&out.stdout).into_iter().find(|s| s.name == name))
}

/// Host interfaces outside group `vimage` (or, with `ours`, inside it).
pub fn group(host: &mut dyn Host, ours: bool) -> Result<Vec<IfStatus>> {
    let sel = if ours { "-g" } else { "-G" };
    Ok(parse_status(&query(host, Cmd::new(Program::Ifconfig, ["-a", sel, GROUP]))?.stdout))
}

/// The interface of the default route, `None` when there is none.
pub fn default_if(host: &mut dyn Host) -> Result<Option<String>> {
    Ok(default_route(host)?.map(|r| r.interface))
}

/// The host's default route, `None` when there is none.
pub fn default_route(host: &mut dyn Host) -> Result<Option<RouteFact>> {
    let out = run_cmd(host, &Cmd::new(Program::Route, ["-n", "get", "default"]));
    Ok(route_fact(&out))
}

/// A default route from `route -n get [-inet6] default`, read from the printed block alone:
/// the exit status says nothing (route(8)'s netlink build exits 0 after `route has not been
/// found`, the routing-socket build 1), and a block without a gateway is no default route.
fn route_fact(out: &crate::host::Output) -> Option<RouteFact> {
    let r = route::parse_get(&out.stdout)?;
    Some(RouteFact { gateway: r.gateway?, interface: r.interface })
}

/// A jail's default route of one family through the host's route(8) (`route -j <jid> -n get
/// [-inet6] default`), for a jail without FreeBSD's route inside. `None` for the first value
/// when this route(8) has no `-j` (getopt: `illegal option -- j`, usage, exit 64).
pub fn jail_route_j(host: &mut dyn Host, jid: u32, v6: bool) -> Result<(Option<RouteFact>, bool)> {
    let jid = jid.to_string();
    let mut args = vec!["-j", jid.as_str(), "-n", "get"];
    if v6 {
        args.push("-inet6");
    }
    args.push("default");
    let out = run_cmd(host, &Cmd::new(Program::Route, args));
    if gone::no_route_j_option(&out) {
        return Ok((None, false));
    }
    Ok((route_fact(&out), true))
}

/// A jail's default route of one family (`jexec <jid> route -n get [-inet6] default`).
pub fn jail_route(host: &mut dyn Host, jid: u32, v6: bool) -> Result<Option<RouteFact>> {
    let jid = jid.to_string();
    let mut args = vec![jid.as_str(), "route", "-n", "get"];
    if v6 {
        args.push("-inet6");
    }
    args.push("default");
    let out = run_cmd(host, &Cmd::new(Program::Jexec, args));
    Ok(route_fact(&out))
}

/// Whether kernel module `m` is loaded (or compiled in): `kldstat -q -m m` (kldstat.c: exit 0
/// when modfind finds it, 1 when not).
pub fn module_loaded(host: &mut dyn Host, m: &str) -> Result<bool> {
    let cmd = Cmd::new(Program::Kldstat, ["-q", "-m", m]);
    let out = run_cmd(host, &cmd);
    match out.code {
        0 => Ok(true),
        1 => Ok(false),
        c => Err(Error::new(Kind::Os, format!("`{cmd}` failed (exit {c}): {}", out.stderr.trim()))),
    }
}

/// Each of `modules` with whether it is loaded (or compiled in), one `kldstat -q -m` each, as
/// `vimage doctor` reports them: anything but exit 0 counts as not loaded.
pub fn modules_loaded(host: &mut dyn Host, modules: &[&str]) -> Vec<(String, bool)> {
    modules.iter().map(|m| (m.to_string(), run_cmd(host, &Cmd::new(Program::Kldstat, ["-q", "-m", m])).ok())).collect()
}

/// What pf anchor `anchor` (`vimage/jails`) holds, as loadable text
/// ([`crate::op::pf::anchor_text`] of `pfctl -a A -s rules` and `-s nat`): what a
/// [`crate::op::Op::PfLoadAnchor`] records as `prev`. A missing anchor holds nothing; pf not
/// loaded is an error (the caller says what that means for it).
pub fn pf_anchor(host: &mut dyn Host, anchor: &str) -> Result<String> {
    let mut show = |what: &str| {
        let cmd = Cmd::new(Program::Pfctl, ["-a", anchor, "-s", what]);
        let out = run_cmd(host, &cmd);
        if crate::op::pf::anchor_missing(&out) {
            return Ok(String::new());
        }
        query_output(&cmd, out)
    };
    let rules = show("rules")?;
    let nat = show("nat")?;
    Ok(crate::op::pf::anchor_text(&rules, &nat))
}

fn query_output(cmd: &Cmd, out: Output) -> Result<String> {
    if out.ok() {
        return Ok(out.stdout);
    }
    Err(Error::new(Kind::Os, format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim())).command(
        cmd.to_string(),
        out.code,
        &out.stderr,
    ))
}

/// `sysctl -n net.inet.ip.forwarding` is `1` (an unreadable value counts as off).
pub fn ip_forwarding(host: &mut dyn Host) -> bool {
    let out = run_cmd(host, &Cmd::new(Program::Sysctl, ["-n", "net.inet.ip.forwarding"]));
    out.ok() && out.stdout.trim() == "1"
}

/// One `ngctl -f -` query of an uplink's ng_ether node: `show`, `getpromisc`, `getautosrc`.
/// A node that is not there (ng_ether not loaded; not an Ethernet interface) is reported as
/// such, not as an error.
pub fn ng_uplink(host: &mut dyn Host, uplink: &str) -> Result<NgUplink> {
    let node = crate::naming::ether_node(uplink);
    let script = format!(
        "show {node}:
msg {node}: getpromisc
msg {node}: getautosrc
"
    );
    let cmd = Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script);
    let out = run_cmd(host, &cmd);
    if !out.ok() {
        if ngscript::completed(3, &out) == 0 && gone::no_such_file(&out) {
            return Ok(NgUplink { node, ..NgUplink::default() });
        }
        return Err(Error::new(
            Kind::Os,
            format!("`ngctl -f -` (show {node}:) failed (exit {}): {}", out.code, out.stderr.trim()),
        ));
    }
    let shown = node.clone();
    let bad = || Error::new(Kind::Os, format!("cannot read `ngctl show {shown}:` output: {:?}", out.stdout));
    let (_, rows) = ngctl::parse_show(&out.stdout).ok_or_else(bad)?;
    let replies = ngctl::replies(&out.stdout);
    let flag = |cmd: &str| replies.iter().find(|r| r.cmd == cmd).map(|r| r.args.trim() != "0");
    let hooks = rows
        .into_iter()
        .map(|r| {
            let peer = NgPeer {
                name: r.peer_name.unwrap_or_else(|| "<unnamed>".into()),
                type_name: r.peer_type,
                id: r.peer_id,
                peer_hook: r.peer_hook,
            };
            (r.hook, peer)
        })
        .collect();
    Ok(NgUplink {
        node,
        exists: true,
        hooks,
        promisc: flag("getpromisc").ok_or_else(bad)?,
        autosrc: flag("getautosrc").ok_or_else(bad)?,
    })
}

/// Which eiface nodes (by ID) still exist, with their interface's current name: one
/// `ngctl -f -` of `msg [id]: getifname` lines (see [`ngctl_lines`]).
pub fn ng_nodes_alive(host: &mut dyn Host, ids: &[u32]) -> Result<std::collections::BTreeMap<u32, String>> {
    let lines: Vec<String> = ids.iter().map(|id| format!("msg [{id:x}]: getifname")).collect();
    let mut alive = std::collections::BTreeMap::new();
    for (first, done, out) in ngctl_lines(host, &lines)? {
        for (id, r) in ids[first..].iter().zip(ngctl::replies(&out.stdout)).take(done) {
            if let Some(name) = ngctl::unquote(&r.args) {
                alive.insert(*id, name.to_string());
            }
        }
    }
    Ok(alive)
}

/// Runs independent query lines as `ngctl -f -` batches. A batch stops at its first line
/// that fails (a node that is gone), so it is run again from the next line: one invocation,
/// plus one per failing line. Returns, per invocation, the index of its first line, how many
/// lines completed, and its output.
pub fn ngctl_lines(host: &mut dyn Host, lines: &[String]) -> Result<Vec<(usize, usize, Output)>> {
    let mut runs = Vec::new();
    let mut first = 0;
    while first < lines.len() {
        let script: String = lines[first..].iter().map(|l| format!("{l}\n")).collect();
        let out = run_cmd(host, &Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script));
        let done = ngscript::completed(lines.len() - first, &out);
        let ok = out.ok();
        if !ok && ngscript::failed_line(&out).is_none() {
            return Err(Error::new(
                Kind::Os,
                format!("`ngctl -f -` failed (exit {}): {}", out.code, out.stderr.trim()),
            ));
        }
        runs.push((first, done, out));
        if ok {
            break;
        }
        first += done + 1;
    }
    Ok(runs)
}
