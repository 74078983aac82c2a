//! Control messages sent in ASCII form (`ngctl msg PATH CMD ARGS`, libnetgraph
//! `NgSendAsciiMsg`): each node type's command list (ng_ether.c, ng_bridge.c, ng_eiface.c
//! `ng_*_cmdlist`), argument parsing and the ASCII form of the reply.
//!
//! A command the node's type does not list is ENOSYS (ng_base.c `NGM_ASCII2BINARY`); bad
//! arguments are EINVAL. Messages that change state count one kernel operation.

use super::graph::{BridgeConf, NodeKind};
use crate::Errno;
use crate::kernel::Kernel;
use crate::kernel::cred::Ctx;
use crate::kernel::types::{Mac, VnetId};

/// A reply as `ngctl` prints it: `Rec'd response "CMD" (NUM) from "[ID]:":` then `Args:\tARGS`
/// (or `No arguments` when `args` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgReply {
    /// The command's name (`getifname`).
    pub cmdstr: &'static str,
    /// The command's number (`NGM_*`), printed in parentheses.
    pub cmd: u32,
    /// The ID of the node that answered.
    pub from: u32,
    /// The reply in ng_parse ASCII form; empty for none.
    pub args: String,
}

/// How a command's argument is parsed (ng_parse types).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Int32,
    Enaddr,
    BridgeConfig,
}

/// One entry of a type's `ng_cmdlist`: name, number, argument type, and whether it changes
/// state.
struct Cmd {
    name: &'static str,
    num: u32,
    arg: Arg,
    mutates: bool,
}

const fn c(name: &'static str, num: u32, arg: Arg, mutates: bool) -> Cmd {
    Cmd { name, num, arg, mutates }
}

/// ng_ether.h: `NGM_ETHER_GET_IFNAME = 1` … `NGM_ETHER_DETACH` (11).
const ETHER: &[Cmd] = &[
    c("getifname", 1, Arg::None, false),
    c("getifindex", 2, Arg::None, false),
    c("getenaddr", 3, Arg::None, false),
    c("setenaddr", 4, Arg::Enaddr, true),
    c("getpromisc", 5, Arg::None, false),
    c("setpromisc", 6, Arg::Int32, true),
    c("getautosrc", 7, Arg::None, false),
    c("setautosrc", 8, Arg::Int32, true),
    c("detach", 11, Arg::None, true),
];

/// ng_bridge.h: `NGM_BRIDGE_SET_CONFIG = 1` … `NGM_BRIDGE_SET_PERSISTENT` (8). `movehost`
/// (newer kernels) is not modelled.
const BRIDGE: &[Cmd] = &[
    c("setconfig", 1, Arg::BridgeConfig, true),
    c("getconfig", 2, Arg::None, false),
    c("reset", 3, Arg::None, true),
    c("getstats", 4, Arg::Int32, false),
    c("clrstats", 5, Arg::Int32, true),
    c("getclrstats", 6, Arg::Int32, true),
    c("gettable", 7, Arg::None, false),
    c("setpersistent", 8, Arg::None, true),
];

/// ng_eiface.h: `NGM_EIFACE_GET_IFNAME = 1`, `NGM_EIFACE_SET` (3).
const EIFACE: &[Cmd] = &[c("getifname", 1, Arg::None, false), c("set", 3, Arg::Enaddr, true)];

/// ng_parse `int32`: `strtol(s, &eptr, 0)` (decimal, 0x hex, leading 0 octal, sign).
fn parse_int(s: &str) -> Result<i64, Errno> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8)
    } else {
        t.parse::<i64>()
    }
    .map_err(|_| Errno::EINVAL)?;
    let v = if neg { -v } else { v };
    if !(i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v) {
        return Err(Errno::EINVAL);
    }
    Ok(v)
}

/// ng_parse `enaddr`: six hex bytes separated by `:`.
fn parse_enaddr(s: &str) -> Result<[u8; 6], Errno> {
    Mac::parse(s).map(|m| m.0).ok_or(Errno::EINVAL)
}

/// `{ debugLevel=N loopTimeout=N maxStaleness=N minStableAge=N }`; fields left out keep their
/// parse-type default (0).
fn parse_bridge_config(s: &str) -> Result<BridgeConf, Errno> {
    let inner = s.trim().strip_prefix('{').and_then(|x| x.strip_suffix('}')).ok_or(Errno::EINVAL)?;
    let mut conf = BridgeConf { debug_level: 0, loop_timeout: 0, max_staleness: 0, min_stable_age: 0 };
    for kv in inner.split_whitespace() {
        let (k, v) = kv.split_once('=').ok_or(Errno::EINVAL)?;
        let n = parse_int(v)?;
        match k {
            "debugLevel" => conf.debug_level = u8::try_from(n).map_err(|_| Errno::EINVAL)?,
            "loopTimeout" => conf.loop_timeout = u16::try_from(n).map_err(|_| Errno::EINVAL)?,
            "maxStaleness" => conf.max_staleness = u16::try_from(n).map_err(|_| Errno::EINVAL)?,
            "minStableAge" => conf.min_stable_age = u16::try_from(n).map_err(|_| Errno::EINVAL)?,
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(conf)
}

/// ng_parse's ASCII form of a string: double-quoted, with C escapes.
fn quote(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_ascii_graphic() || c == ' ' => o.push(c),
            c => o.push_str(&format!("\\{:03o}", c as u32 & 0xff)),
        }
    }
    o.push('"');
    o
}

/// A struct in ng_parse's ASCII form; fields equal to the parse type's default (0) are left out
/// (ng_parse.c `ng_unparse_composite`, from memory: not checked against a real host).
fn unparse_struct(fields: &[(&str, u64)]) -> String {
    let shown: Vec<String> = fields.iter().filter(|(_, v)| *v != 0).map(|(k, v)| format!("{k}={v}")).collect();
    if shown.is_empty() { "{ }".to_string() } else { format!("{{ {} }}", shown.join(" ")) }
}

impl Kernel {
    /// Sends the ASCII control message `cmdstr args` to the node at `path` and returns its
    /// reply, if the command has one.
    pub(crate) fn ng_msg(
        &mut self,
        ctx: Ctx,
        here: u32,
        path: &str,
        cmdstr: &str,
        args: &str,
    ) -> Result<Option<NgReply>, Errno> {
        let v = ctx.vnet;
        let id = self.ng_path(v, here, path)?;
        let kind = self.graph(v).and_then(|g| g.node(id)).map(|n| n.kind.clone()).ok_or(Errno::ENOENT)?;
        let list: &[Cmd] = match kind {
            NodeKind::Ether { .. } => ETHER,
            NodeKind::Bridge(_) => BRIDGE,
            NodeKind::Eiface { .. } => EIFACE,
            NodeKind::Socket => &[],
        };
        let cmd = list.iter().find(|c| c.name == cmdstr).ok_or(Errno::ENOSYS)?;
        let args = args.trim();
        let int = if cmd.arg == Arg::Int32 {
            Some(parse_int(args.split_whitespace().next().ok_or(Errno::EINVAL)?)?)
        } else {
            None
        };
        let en = if cmd.arg == Arg::Enaddr {
            Some(parse_enaddr(args.split_whitespace().next().ok_or(Errno::EINVAL)?)?)
        } else {
            None
        };
        let conf = if cmd.arg == Arg::BridgeConfig { Some(parse_bridge_config(args)?) } else { None };
        if cmd.arg == Arg::None && !args.is_empty() {
            return Err(Errno::EINVAL);
        }
        if cmd.mutates {
            self.begin_op()?;
        }
        let reply = |args: String| Some(NgReply { cmdstr: cmd.name, cmd: cmd.num, from: id, args });
        fn node_kind(k: &mut Kernel, v: VnetId, id: u32) -> Option<&mut NodeKind> {
            k.graph_mut(v).and_then(|g| g.node_mut(id)).map(|n| &mut n.kind)
        }
        match (kind, cmd.name) {
            (NodeKind::Ether { ifp, .. } | NodeKind::Eiface { ifp, .. }, "getifname") => {
                Ok(reply(quote(&self.ifp(ifp).map(|i| i.name.clone()).unwrap_or_default())))
            }
            (NodeKind::Ether { ifp, .. }, "getifindex") => Ok(reply(self.ifp(ifp).map_or(0, |i| i.index).to_string())),
            (NodeKind::Ether { ifp, .. }, "getenaddr") => {
                Ok(reply(self.ifp(ifp).and_then(|i| i.mac).unwrap_or(Mac([0; 6])).to_string()))
            }
            (NodeKind::Ether { ifp, .. } | NodeKind::Eiface { ifp, .. }, "setenaddr" | "set") => {
                // if_setlladdr: a multicast address is refused for Ethernet.
                let m = en.unwrap_or_default();
                if m[0] & 1 == 1 {
                    return Err(Errno::EINVAL);
                }
                if let Some(i) = self.ifp_mut(ifp) {
                    i.mac = Some(Mac(m));
                }
                Ok(None)
            }
            (NodeKind::Ether { promisc, .. }, "getpromisc") => Ok(reply(u8::from(promisc).to_string())),
            (NodeKind::Ether { autosrc, .. }, "getautosrc") => Ok(reply(u8::from(autosrc).to_string())),
            (NodeKind::Ether { ifp, .. }, "setpromisc") => {
                let want = int.unwrap_or(0) != 0;
                if let Some(NodeKind::Ether { promisc, .. }) = node_kind(self, v, id) {
                    *promisc = want;
                }
                if let Some(i) = self.ifp_mut(ifp) {
                    i.ng_promisc = want;
                }
                Ok(None)
            }
            (NodeKind::Ether { .. }, "setautosrc") => {
                if let Some(NodeKind::Ether { autosrc, .. }) = node_kind(self, v, id) {
                    *autosrc = int.unwrap_or(0) != 0;
                }
                Ok(None)
            }
            (NodeKind::Ether { ifp, .. }, "detach") => {
                self.ng_ether_detach(ifp);
                Ok(None)
            }
            (NodeKind::Bridge(b), "getconfig") => Ok(reply(format!(
                "{{ debugLevel={} loopTimeout={} maxStaleness={} minStableAge={} }}",
                b.conf.debug_level, b.conf.loop_timeout, b.conf.max_staleness, b.conf.min_stable_age
            ))),
            (NodeKind::Bridge(_), "setconfig") => {
                if let (Some(NodeKind::Bridge(b)), Some(c)) = (node_kind(self, v, id), conf) {
                    b.conf = c;
                }
                Ok(None)
            }
            (NodeKind::Bridge(_), "reset") => Ok(None),
            (NodeKind::Bridge(_), "setpersistent") => {
                if let Some(NodeKind::Bridge(b)) = node_kind(self, v, id) {
                    b.persistent = true;
                }
                Ok(None)
            }
            (NodeKind::Bridge(_), "gettable") => Ok(reply(unparse_struct(&[("numHosts", 0)]))),
            (NodeKind::Bridge(_), "getstats" | "clrstats" | "getclrstats") => {
                // A negative number names uplink|N|; a hook that is not connected → ENOTCONN.
                let n = int.unwrap_or(0);
                let hook = if n < 0 { format!("uplink{}", -n) } else { format!("link{n}") };
                let connected = self.graph(v).and_then(|g| g.node(id)).is_some_and(|nd| nd.hooks.contains_key(&hook));
                if !connected {
                    return Err(Errno::ENOTCONN);
                }
                Ok(if cmd.name == "clrstats" { None } else { reply(unparse_struct(&[("recvOctets", 0)])) })
            }
            _ => Err(Errno::ENOSYS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ng_parse_numbers_and_addresses() {
        assert_eq!(parse_int("1"), Ok(1));
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("-3"), Ok(-3));
        assert_eq!(parse_int("x"), Err(Errno::EINVAL));
        assert_eq!(parse_enaddr("02:00:00:00:00:01"), Ok([2, 0, 0, 0, 0, 1]));
        assert_eq!(parse_enaddr("02:00"), Err(Errno::EINVAL));
        assert_eq!(quote("ng0_web1"), "\"ng0_web1\"");
        assert_eq!(unparse_struct(&[("numHosts", 0)]), "{ }");
        let c = parse_bridge_config("{ debugLevel=2 loopTimeout=5 }").unwrap();
        assert_eq!((c.debug_level, c.loop_timeout, c.max_staleness), (2, 5, 0));
    }
}
