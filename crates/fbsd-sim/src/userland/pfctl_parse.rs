//! The pf.conf grammar subset private jail networks and an admin's usual pf.conf need, read as
//! sbin/pfctl/parse.y reads it, and printed back as pfctl's `print_rule` (pfctl_parser.c)
//! prints loaded rules.
//!
//! What parse.y does and this copies: one statement per line (a `\` at the end joins the
//! next), `#` comments, macros (`ext_if = "em0"`, `$ext_if`; an undefined one is
//! `macro 'x' not defined`), every error reported as `FILE:LINE: message` and parsing going
//! on at the next line (`ruleset error '\n'`), and the section order `check_rulestate`
//! enforces. Statements: `set skip on`, `set block-policy|loginterface|optimization|
//! state-policy|require-order|debug`, `table <t> [persist] [const] [{ … }]`, `scrub`, `nat`,
//! `rdr`, `nat-anchor`, `rdr-anchor`, `anchor`, `pass`, `block`. Anything else is a
//! `syntax error`.

use crate::kernel::Ruleset;
use std::collections::HashMap;

/// A parsed file: its rules and its `set skip on` interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The rules, printed as pfctl prints them back.
    pub rules: Ruleset,
    /// `set skip on` interfaces.
    pub skip: Vec<String>,
}

/// parse.y `check_rulestate`'s message (as pfctl 14.x prints it on a real host).
const ORDER: &str = "Rules must be in order: options, normalization, queueing, translation, filtering";

/// Parses `text`, naming it `file` in messages (`stdin` for `-f -`, parse.y `pushfile`).
/// `Err` holds every message, each `FILE:LINE: …`.
pub(crate) fn parse(text: &str, file: &str) -> Result<Parsed, Vec<String>> {
    let mut p = Parsed::default();
    let mut errors = Vec::new();
    let mut macros: HashMap<String, String> = HashMap::new();
    let mut state = 0u8;
    let mut require_order = true;
    let mut block_return = false;
    for (line_no, line) in logical_lines(text) {
        let err = |m: &str| format!("{file}:{line_no}: {m}");
        let raw = match tokenize(&line) {
            Ok(t) => t,
            Err(m) => {
                errors.push(err(&m));
                continue;
            }
        };
        if raw.is_empty() {
            continue;
        }
        // A macro definition: WORD = STRING.
        if raw.len() >= 2 && raw[1] == Tok::Sym('=') {
            if let Tok::Word(name) = &raw[0]
                && raw.len() == 3
                && let Tok::Word(v) | Tok::Str(v) = &raw[2]
            {
                macros.insert(name.clone(), v.clone());
                continue;
            }
            errors.push(err("syntax error"));
            continue;
        }
        let toks = match expand(&raw, &macros) {
            Ok(t) => t,
            Err(m) => {
                errors.push(err(&m));
                continue;
            }
        };
        let mut c = Cursor { t: &toks, i: 0 };
        match statement(&mut c, block_return) {
            Ok(Stmt::Skip(ifs)) => {
                if require_order && state > 0 {
                    errors.push(err(ORDER));
                }
                p.skip.extend(ifs);
            }
            Ok(Stmt::RequireOrder(on)) => require_order = on,
            Ok(Stmt::BlockPolicy(ret)) => {
                if require_order && state > 0 {
                    errors.push(err(ORDER));
                }
                block_return = ret;
            }
            Ok(Stmt::Option) | Ok(Stmt::Table) => {
                if require_order && state > 0 {
                    errors.push(err(ORDER));
                }
            }
            Ok(Stmt::Rule(level, kind, text)) => {
                if require_order && state > level {
                    errors.push(err(ORDER));
                    continue;
                }
                state = level;
                match kind {
                    Kind::Scrub => p.rules.scrub.push(text),
                    Kind::Nat => p.rules.nat.push(text),
                    Kind::Rdr => p.rules.rdr.push(text),
                    Kind::Filter => p.rules.filter.push(text),
                }
            }
            Err(m) => errors.push(err(&m)),
        }
    }
    if errors.is_empty() { Ok(p) } else { Err(errors) }
}

/// Physical lines joined at a trailing `\`, with the number of the first (parse.y counts
/// the statement's line as the one where its error is seen; for one-line statements the
/// same).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, l) in text.lines().enumerate() {
        let (n, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = l.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            cur = Some((n, acc));
        } else {
            acc.push_str(l);
            out.push((n, acc));
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(char),
    Arrow,
}

/// parse.y `yylex`: quoted strings, `->`, the one-character tokens, words; `#` to the end of
/// the line is a comment.
fn tokenize(line: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            break;
        } else if c == '"' {
            let start = i + 1;
            let Some(end) = cs[start..].iter().position(|&x| x == '"') else {
                return Err("unterminated quoted string".into());
            };
            out.push(Tok::Str(cs[start..start + end].iter().collect()));
            i = start + end + 1;
        } else if c == '-' && cs.get(i + 1) == Some(&'>') {
            out.push(Tok::Arrow);
            i += 2;
        } else if "(){}<>,!=/".contains(c) {
            out.push(Tok::Sym(c));
            i += 1;
        } else {
            let start = i;
            while i < cs.len() && !ends_word(&cs, i) {
                i += 1;
            }
            out.push(Tok::Word(cs[start..i].iter().collect()));
        }
    }
    Ok(out)
}

/// True when the word being lexed ends before `cs[i]`.
fn ends_word(cs: &[char], i: usize) -> bool {
    cs[i].is_whitespace() || "(){}<>,!=/#\"".contains(cs[i]) || (cs[i] == '-' && cs.get(i + 1) == Some(&'>'))
}

/// Replaces `$name` words by their macro's tokens.
fn expand(toks: &[Tok], macros: &HashMap<String, String>) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    for t in toks {
        match t {
            Tok::Word(w) if w.starts_with('$') => {
                let name = &w[1..];
                let v = macros.get(name).ok_or_else(|| format!("macro '{name}' not defined"))?;
                out.extend(tokenize(v)?);
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

struct Cursor<'a> {
    t: &'a [Tok],
    i: usize,
}

impl Cursor<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.t.get(self.i) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }
    fn eat(&mut self, w: &str) -> bool {
        if self.peek_word() == Some(w) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn sym(&mut self, c: char) -> bool {
        if self.t.get(self.i) == Some(&Tok::Sym(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> Result<String, String> {
        match self.t.get(self.i) {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => {
                self.i += 1;
                Ok(w.clone())
            }
            _ => Err(SYNTAX.into()),
        }
    }
    fn done(&self) -> bool {
        self.i >= self.t.len()
    }
}

const SYNTAX: &str = "syntax error";

enum Kind {
    Scrub,
    Nat,
    Rdr,
    Filter,
}

enum Stmt {
    Skip(Vec<String>),
    RequireOrder(bool),
    /// `set block-policy return` (true) or `drop`: what a `block` without either does.
    BlockPolicy(bool),
    Option,
    Table,
    /// Section level (parse.y's PFCTL_STATE_*: 1 scrub, 3 nat, 4 filter), kind, printed text.
    Rule(u8, Kind, String),
}

fn statement(c: &mut Cursor<'_>, block_return: bool) -> Result<Stmt, String> {
    let head = c.word()?;
    let s = match head.as_str() {
        "set" => set_option(c)?,
        "table" => table(c)?,
        "scrub" => Stmt::Rule(1, Kind::Scrub, scrub(c)?),
        "nat" => Stmt::Rule(3, Kind::Nat, nat(c)?),
        "rdr" => Stmt::Rule(3, Kind::Rdr, rdr(c)?),
        "nat-anchor" => Stmt::Rule(3, Kind::Nat, anchor(c, "nat-anchor")?),
        "rdr-anchor" => Stmt::Rule(3, Kind::Rdr, anchor(c, "rdr-anchor")?),
        "anchor" => Stmt::Rule(4, Kind::Filter, anchor(c, "anchor")?),
        "pass" | "block" => Stmt::Rule(4, Kind::Filter, filter(c, &head, block_return)?),
        _ => return Err(SYNTAX.into()),
    };
    if !c.done() {
        return Err(SYNTAX.into());
    }
    Ok(s)
}

/// A `{ a, b }` list or one word.
fn word_list(c: &mut Cursor<'_>) -> Result<Vec<String>, String> {
    if !c.sym('{') {
        return Ok(vec![c.word()?]);
    }
    let mut v = Vec::new();
    loop {
        if c.sym('}') {
            return Ok(v);
        }
        if c.sym(',') {
            continue;
        }
        v.push(c.word()?);
    }
}

fn set_option(c: &mut Cursor<'_>) -> Result<Stmt, String> {
    let opt = c.word()?;
    let one_of = |v: &str, ok: &[&str]| if ok.contains(&v) { Ok(Stmt::Option) } else { Err(SYNTAX.to_string()) };
    match opt.as_str() {
        "skip" => {
            if !c.eat("on") {
                return Err(SYNTAX.into());
            }
            Ok(Stmt::Skip(word_list(c)?))
        }
        "block-policy" => match c.word()?.as_str() {
            "drop" => Ok(Stmt::BlockPolicy(false)),
            "return" => Ok(Stmt::BlockPolicy(true)),
            _ => Err(SYNTAX.into()),
        },
        "state-policy" => one_of(&c.word()?, &["if-bound", "floating"]),
        "optimization" => one_of(&c.word()?, &["normal", "high-latency", "satellite", "aggressive", "conservative"]),
        "debug" => one_of(&c.word()?, &["none", "urgent", "misc", "loud"]),
        "loginterface" => c.word().map(|_| Stmt::Option),
        "require-order" => match c.word()?.as_str() {
            "yes" => Ok(Stmt::RequireOrder(true)),
            "no" => Ok(Stmt::RequireOrder(false)),
            _ => Err(SYNTAX.into()),
        },
        _ => Err(SYNTAX.into()),
    }
}

/// `table <name> [persist] [const] [{ addresses }]`: accepted, not shown by `-s rules`.
fn table(c: &mut Cursor<'_>) -> Result<Stmt, String> {
    if !(c.sym('<') && c.word().is_ok() && c.sym('>')) {
        return Err(SYNTAX.into());
    }
    while c.eat("persist") || c.eat("const") || c.eat("counters") {}
    if c.t.get(c.i) == Some(&Tok::Sym('{')) {
        for a in word_list(c)? {
            address(&a)?;
        }
    }
    Ok(Stmt::Table)
}

fn af(c: &mut Cursor<'_>, out: &mut String) {
    for a in ["inet6", "inet"] {
        if c.eat(a) {
            out.push(' ');
            out.push_str(a);
            return;
        }
    }
}

fn on_if(c: &mut Cursor<'_>, out: &mut String) -> Result<bool, String> {
    if !c.eat("on") {
        return Ok(false);
    }
    out.push_str(" on ");
    out.push_str(&c.word()?);
    Ok(true)
}

/// An address or network (`10.77.0.0/24`, `fd00::1`); a host route's `/32` or `/128` is not
/// printed (pfctl_parser.c `print_addr` prints the mask only when it is not a host's).
fn address(a: &str) -> Result<String, String> {
    let (ip, len) = match a.split_once('/') {
        Some((i, l)) => (i, Some(l)),
        None => (a, None),
    };
    let addr: std::net::IpAddr = ip.parse().map_err(|_| format!("no IP address found for {a}"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match len {
        None => Ok(addr.to_string()),
        Some(l) => {
            let n: u32 = l.parse().map_err(|_| SYNTAX.to_string())?;
            if n > max {
                return Err(format!("illegal netmask value {a}"));
            }
            Ok(if n == max { addr.to_string() } else { format!("{addr}/{n}") })
        }
    }
}

/// A host: `any`, `(IF)`, `<table>`, `self`, an address (with a `/len` lexed as its own
/// tokens, parse.y `host: STRING '/' NUMBER`).
fn host(c: &mut Cursor<'_>) -> Result<String, String> {
    if c.sym('(') {
        let i = c.word()?;
        if !c.sym(')') {
            return Err(SYNTAX.into());
        }
        return Ok(format!("({i})"));
    }
    if c.sym('<') {
        let t = c.word()?;
        if !c.sym('>') {
            return Err(SYNTAX.into());
        }
        return Ok(format!("<{t}>"));
    }
    let w = c.word()?;
    if w == "any" || w == "self" {
        return Ok(w);
    }
    let full = if c.sym('/') { format!("{w}/{}", c.word()?) } else { w };
    address(&full)
}

/// The few /etc/services names pfctl prints for well-known ports (pfctl_parser.c
/// `print_port` uses `getservbyport` unless `-n`).
fn service_name(port: u16) -> Option<&'static str> {
    Some(match port {
        21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        53 => "domain",
        80 => "http",
        110 => "pop3",
        143 => "imap",
        443 => "https",
        3306 => "mysql",
        5432 => "postgresql",
        8080 => "http-alt",
        _ => return None,
    })
}

fn service_port(name: &str) -> Option<u16> {
    (1..=u16::MAX).find(|p| service_name(*p) == Some(name))
}

/// `port [=] N|name` after a host; the number.
fn port(c: &mut Cursor<'_>) -> Result<Option<u16>, String> {
    if !c.eat("port") {
        return Ok(None);
    }
    c.sym('=');
    let w = c.word()?;
    if let Ok(n) = w.parse::<u64>() {
        return u16::try_from(n).map(Some).map_err(|_| format!("illegal port value {n}"));
    }
    service_port(&w).map(Some).ok_or_else(|| format!("unknown port {w}"))
}

fn shown_port(p: u16) -> String {
    service_name(p).map_or(p.to_string(), str::to_string)
}

/// `all` or `from H [port] to H [port]`, printed as `print_fromto` does: ` all` when both
/// ends are `any` without ports. Returns the text and the destination port.
fn fromto(c: &mut Cursor<'_>) -> Result<(String, Option<u16>), String> {
    if c.eat("all") {
        return Ok((" all".into(), None));
    }
    let (mut src, mut sport) = ("any".to_string(), None);
    if c.eat("from") {
        src = host(c)?;
        sport = port(c)?;
    }
    let (mut dst, mut dport) = ("any".to_string(), None);
    if c.eat("to") {
        dst = host(c)?;
        dport = port(c)?;
    }
    if src == "any" && dst == "any" && sport.is_none() && dport.is_none() {
        return Ok((" all".into(), None));
    }
    let mut s = format!(" from {src}");
    if let Some(p) = sport {
        s.push_str(&format!(" port = {}", shown_port(p)));
    }
    s.push_str(&format!(" to {dst}"));
    if let Some(p) = dport {
        s.push_str(&format!(" port = {}", shown_port(p)));
    }
    Ok((s, dport))
}

fn proto(c: &mut Cursor<'_>, out: &mut String) -> Result<Option<String>, String> {
    if !c.eat("proto") {
        return Ok(None);
    }
    let p = c.word()?;
    if !["tcp", "udp", "icmp", "icmp6"].contains(&p.as_str()) {
        return Err(format!("unknown protocol {p}"));
    }
    out.push_str(" proto ");
    out.push_str(&p);
    Ok(Some(p))
}

fn scrub(c: &mut Cursor<'_>) -> Result<String, String> {
    let mut s = "scrub".to_string();
    for d in ["in", "out"] {
        if c.eat(d) {
            s.push(' ');
            s.push_str(d);
        }
    }
    on_if(c, &mut s)?;
    af(c, &mut s);
    let (ft, _) = fromto(c)?;
    s.push_str(&ft);
    let (mut nodf, mut rid) = (false, false);
    loop {
        if c.eat("no-df") {
            nodf = true;
        } else if c.eat("random-id") {
            rid = true;
        } else if c.eat("fragment") {
            if !c.eat("reassemble") {
                return Err(SYNTAX.into());
            }
        } else {
            break;
        }
    }
    if nodf {
        s.push_str(" no-df");
    }
    if rid {
        s.push_str(" random-id");
    }
    s.push_str(" fragment reassemble");
    Ok(s)
}

/// `nat [pass] on IF [af] [proto P] from … to … -> TARGET [static-port]`. A target that is an
/// interface's addresses, `(IF)`, gets the round-robin pool (parse.y `natrule`: a dynamic
/// address with several possible addresses, `DYNIF_MULTIADDR`).
fn nat(c: &mut Cursor<'_>) -> Result<String, String> {
    let mut s = "nat".to_string();
    if c.eat("pass") {
        s.push_str(" pass");
    }
    if !on_if(c, &mut s)? {
        return Err(SYNTAX.into());
    }
    af(c, &mut s);
    proto(c, &mut s)?;
    let (ft, _) = fromto(c)?;
    s.push_str(&ft);
    if c.t.get(c.i) != Some(&Tok::Arrow) {
        return Err(SYNTAX.into());
    }
    c.i += 1;
    let target = host(c)?;
    s.push_str(" -> ");
    s.push_str(&target);
    // `round-robin` as pfctl printed it reads back (a listing is loadable again).
    if c.eat("round-robin") || target.starts_with('(') {
        s.push_str(" round-robin");
    }
    if c.eat("static-port") {
        s.push_str(" static-port");
    }
    Ok(s)
}

/// `rdr [pass] on IF [af] proto tcp|udp from … to … port N -> ADDR [port M]`; without
/// `port M` the original port is kept and printed (parse.y sets the pool's `proxy_port`).
fn rdr(c: &mut Cursor<'_>) -> Result<String, String> {
    let mut s = "rdr".to_string();
    if c.eat("pass") {
        s.push_str(" pass");
    }
    if !on_if(c, &mut s)? {
        return Err(SYNTAX.into());
    }
    af(c, &mut s);
    let pr = proto(c, &mut s)?;
    let (ft, dport) = fromto(c)?;
    if dport.is_some() && !matches!(pr.as_deref(), Some("tcp" | "udp")) {
        return Err("port only applies to tcp/udp".into());
    }
    s.push_str(&ft);
    if c.t.get(c.i) != Some(&Tok::Arrow) {
        return Err(SYNTAX.into());
    }
    c.i += 1;
    let target = host(c)?;
    s.push_str(" -> ");
    s.push_str(&target);
    let to_port = port(c)?.or(dport);
    if let Some(p) = to_port {
        s.push_str(&format!(" port {p}"));
    }
    Ok(s)
}

/// `nat-anchor|rdr-anchor|anchor NAME [all]`; `*` only as the last component (parse.y
/// `anchorrule`: "wildcard anchor … only allowed at end").
fn anchor(c: &mut Cursor<'_>, kind: &str) -> Result<String, String> {
    let name = c.word()?;
    if name.is_empty() || name.split('/').rev().skip(1).any(|p| p.contains('*')) {
        return Err(SYNTAX.into());
    }
    if c.t.get(c.i) == Some(&Tok::Sym('{')) {
        return Err("inline anchors are not simulated".into());
    }
    c.eat("all");
    Ok(format!("{kind} \"{name}\" all"))
}

/// `pass|block [drop|return] [in|out] [log] [quick] [on IF] [af] [proto P] all|from … to …
/// [flags F/M] [keep state|no state|modulate state]`, printed as pfctl shows it: `block drop`,
/// or `block return` under `set block-policy return` (parse.y `blockpolicy`), and a pass rule's implicit `flags S/SA keep state` (tcp or
/// any protocol) or `keep state` (FreeBSD keeps state by default since 7.0).
fn filter(c: &mut Cursor<'_>, action: &str, block_return: bool) -> Result<String, String> {
    let mut s = action.to_string();
    if action == "block" {
        if c.eat("return") || (!c.eat("drop") && block_return) {
            s.push_str(" return");
        } else {
            s.push_str(" drop");
        }
    }
    for d in ["in", "out"] {
        if c.eat(d) {
            s.push(' ');
            s.push_str(d);
            break;
        }
    }
    for w in ["log", "quick"] {
        if c.eat(w) {
            s.push(' ');
            s.push_str(w);
        }
    }
    on_if(c, &mut s)?;
    af(c, &mut s);
    let pr = proto(c, &mut s)?;
    let (ft, _) = fromto(c)?;
    s.push_str(&ft);
    let mut flags = None;
    if c.eat("flags") {
        let a = c.word()?;
        flags = Some(if c.sym('/') { format!("{a}/{}", c.word()?) } else { a });
    }
    let mut state = action == "pass";
    if c.eat("no") {
        if !c.eat("state") {
            return Err(SYNTAX.into());
        }
        state = false;
    } else if c.eat("keep") || c.eat("modulate") {
        if !c.eat("state") {
            return Err(SYNTAX.into());
        }
        state = true;
    }
    let tcpish = matches!(pr.as_deref(), None | Some("tcp"));
    if state {
        if tcpish {
            s.push_str(&format!(" flags {}", flags.as_deref().unwrap_or("S/SA")));
        }
        s.push_str(" keep state");
    } else if let Some(f) = flags {
        s.push_str(&format!(" flags {f}"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> Parsed {
        parse(t, "stdin").unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn nat_and_rdr_print_back_as_pfctl_print_rule_does() {
        let p = ok("nat on em0 inet from 10.77.0.0/24 to any -> (em0)\n\
                    rdr on em0 inet proto tcp from any to any port 8080 -> 10.77.0.2 port 80\n\
                    rdr on em0 inet proto udp from any to any port 5353 -> 10.77.0.3\n");
        assert_eq!(p.rules.nat, ["nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin"]);
        let again: String = p.rules.nat.iter().chain(&p.rules.rdr).map(|l| format!("{l}\n")).collect();
        let q = ok(&again);
        assert_eq!(
            (q.rules.nat, q.rules.rdr),
            (p.rules.nat.clone(), p.rules.rdr.clone()),
            "what pfctl prints reads back"
        );
        assert_eq!(
            p.rules.rdr,
            [
                "rdr on em0 inet proto tcp from any to any port = http-alt -> 10.77.0.2 port 80",
                "rdr on em0 inet proto udp from any to any port = 5353 -> 10.77.0.3 port 5353"
            ]
        );
    }

    #[test]
    fn an_admins_pf_conf_with_macros_skip_scrub_and_pass_parses_parse_y() {
        let p = ok("# my firewall\next_if = \"em0\"\nset skip on lo0\nscrub in\n\
                    nat on $ext_if from 192.168.5.0/24 to any -> ($ext_if)\n\
                    nat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\n\
                    block in all\npass out all keep state\npass in on $ext_if proto tcp to any port ssh\n\
                    anchor \"vimage/*\"\n");
        assert_eq!(p.skip, ["lo0"]);
        let r = ok("set block-policy return\nblock in all\nblock drop out all\n");
        assert_eq!(r.rules.filter, ["block return in all", "block drop out all"], "parse.y blockpolicy");
        assert_eq!(p.rules.scrub, ["scrub in all fragment reassemble"]);
        assert_eq!(p.rules.nat[1], "nat-anchor \"vimage/*\" all");
        assert_eq!(p.rules.rdr, ["rdr-anchor \"vimage/*\" all"]);
        assert_eq!(
            p.rules.filter,
            [
                "block drop in all",
                "pass out all flags S/SA keep state",
                "pass in on em0 proto tcp from any to any port = ssh flags S/SA keep state",
                "anchor \"vimage/*\" all"
            ]
        );
    }

    #[test]
    fn errors_name_file_and_line_and_parsing_goes_on_parse_y_yyerror() {
        let e = parse("pass all\nfrobnicate\nnat on em0 from $nope to any -> (em0)\n", "stdin").unwrap_err();
        assert_eq!(e, ["stdin:2: syntax error", "stdin:3: macro 'nope' not defined"]);
        let e = parse("pass all\nnat on em0 from 10.0.0.0/8 to any -> (em0)\n", "/etc/pf.conf").unwrap_err();
        assert_eq!(e, [format!("/etc/pf.conf:2: {ORDER}")], "check_rulestate");
        assert!(parse("set require-order no\npass all\nnat on em0 from 10.0.0.0/8 to any -> (em0)\n", "x").is_ok());
        assert_eq!(
            parse("rdr on em0 proto tcp to any port 70000 -> 10.0.0.1\n", "stdin").unwrap_err(),
            ["stdin:1: illegal port value 70000"]
        );
        assert_eq!(parse("anchor \"a/*/b\"\n", "stdin").unwrap_err(), ["stdin:1: syntax error"]);
    }
}
