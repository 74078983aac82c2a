//! Reads `ngctl` output (usr.sbin/ngctl/show.c, msg.c): the node line and hook table of
//! `show`, and the replies `msg` prints. Pure; the formats are checked against the simulator's
//! own rendering of the same printf formats in the end-to-end tests.

/// The first line of `show` / each line of `list`:
/// `  Name: %-15s Type: %-15s ID: %08x   Num hooks: %d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    /// `None` for `<unnamed>`.
    pub name: Option<String>,
    /// The node type (`ether`, `bridge`, `eiface`, …).
    pub type_name: String,
    /// The node ID, which addresses it as `[id]:` even when it has no name.
    pub id: u32,
    /// How many hooks are connected.
    pub hooks: u32,
}

/// One row of `show`'s hook table (`  %-15s %-15s %-12s %-15s %-15s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRow {
    /// This node's hook name (`lower`, `link0`, …).
    pub hook: String,
    /// The peer node's name; `None` for `<unnamed>`.
    pub peer_name: Option<String>,
    /// The peer node's type.
    pub peer_type: String,
    /// The peer node's ID (hex in the output).
    pub peer_id: u32,
    /// The peer's hook that this one connects to.
    pub peer_hook: String,
}

/// Reads a node line; `None` when `line` is not one.
pub fn node_line(line: &str) -> Option<NodeLine> {
    let rest = line.trim_start().strip_prefix("Name: ")?;
    let (name, rest) = rest.split_once(" Type: ")?;
    let (ty, rest) = rest.split_once(" ID: ")?;
    let (id, hooks) = rest.split_once(" Num hooks: ")?;
    let name = name.trim();
    Some(NodeLine {
        name: (name != "<unnamed>").then(|| name.to_string()),
        type_name: ty.trim().to_string(),
        id: u32::from_str_radix(id.trim(), 16).ok()?,
        hooks: hooks.trim().parse().ok()?,
    })
}

/// Reads `ngctl show PATH` output: the node and its hooks (none with `-n`).
pub fn parse_show(text: &str) -> Option<(NodeLine, Vec<HookRow>)> {
    let mut lines = text.lines();
    let node = node_line(lines.next()?)?;
    let mut hooks = Vec::new();
    for l in lines {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() != 5 || w[0] == "Local" || w[0].starts_with("---") {
            continue;
        }
        let Ok(peer_id) = u32::from_str_radix(w[3], 16) else { continue };
        hooks.push(HookRow {
            hook: w[0].to_string(),
            peer_name: (w[1] != "<unnamed>").then(|| w[1].to_string()),
            peer_type: w[2].to_string(),
            peer_id,
            peer_hook: w[4].to_string(),
        });
    }
    Some((node, hooks))
}

/// One reply ngctl printed for a `msg` (msg.c `MsgRead`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The control message it answers (`getifname`, `getpromisc`, …).
    pub cmd: String,
    /// The node that answered (`from "[id]:"`).
    pub from: u32,
    /// The `Args:` text, empty for `No arguments`.
    pub args: String,
}

/// Every reply in ngctl's output, in order.
pub fn replies(stdout: &str) -> Vec<Reply> {
    let mut out = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(l) = lines.next() {
        let Some(rest) = l.strip_prefix("Rec'd response \"") else { continue };
        let Some((cmd, tail)) = rest.split_once('"') else { continue };
        let from = tail
            .split_once("from \"[")
            .and_then(|(_, t)| t.split_once(']'))
            .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok());
        let Some(from) = from else { continue };
        let mut args = String::new();
        if let Some(a) = lines.peek() {
            if let Some(v) = a.strip_prefix("Args:\t") {
                args = v.to_string();
                lines.next();
            } else if *a == "No arguments" {
                lines.next();
            }
        }
        out.push(Reply { cmd: cmd.to_string(), from, args });
    }
    out
}

/// An ng_parse string (`"ngeth3"`) without its quotes, if it is a plain one.
pub fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')?.strip_suffix('"').filter(|x| !x.contains(['"', '\\']))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOW: &str = "  Name: vimage_em0      Type: bridge          ID: 00000003   Num hooks: 3
  Local hook      Peer name       Peer type    Peer ID         Peer hook      
  ----------      ---------       ---------    -------         ---------      
  link2           <unnamed>       eiface       0000001a        ether          
  link1           em0             ether        00000001        upper          
  link0           em0             ether        00000001        lower          
";

    #[test]
    fn show_output_reads_back() {
        let (n, hooks) = parse_show(SHOW).unwrap();
        assert_eq!((n.name.as_deref(), n.type_name.as_str(), n.id, n.hooks), (Some("vimage_em0"), "bridge", 3, 3));
        assert_eq!(hooks.len(), 3);
        assert_eq!((hooks[0].peer_name.as_ref(), hooks[0].peer_id), (None, 0x1a));
        assert_eq!(hooks[2].peer_hook, "lower");
        let (n, hooks) =
            parse_show("  Name: <unnamed>       Type: eiface          ID: 00000004   Num hooks: 0\n").unwrap();
        assert!(n.name.is_none() && hooks.is_empty());
        assert!(parse_show("ngctl: send msg: No such file or directory\n").is_none());
    }

    #[test]
    fn msg_replies_read_back() {
        let r = replies(
            "Rec'd response \"getpromisc\" (5) from \"[1]:\":\nArgs:\t1\nRec'd response \"reset\" (3) from \"[2f]:\":\nNo arguments\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].cmd.as_str(), r[0].from, r[0].args.as_str()), ("getpromisc", 1, "1"));
        assert_eq!((r[1].from, r[1].args.as_str()), (0x2f, ""));
        assert_eq!(unquote("\"ngeth0\""), Some("ngeth0"));
        assert_eq!(unquote("ngeth0"), None);
    }

    proptest::proptest! {
        /// Whatever ngctl (or something in its place) prints, the readers never panic, and a
        /// node line they accept reads back the ID and hook count it was rendered from.
        #[test]
        fn any_output_is_read_without_panic(text in "\\PC{0,400}", id in 0u32.., hooks in 0u32..70_000) {
            let _ = parse_show(&text);
            let _ = replies(&text);
            let _ = unquote(&text);
            let line = format!("  Name: {:<15} Type: {:<15} ID: {id:08x}   Num hooks: {hooks}", "<unnamed>", "eiface");
            let n = node_line(&line).unwrap();
            proptest::prop_assert_eq!((n.name, n.id, n.hooks), (None, id, hooks));
            let _ = node_line(&format!("{line}{text}"));
        }
    }
}
