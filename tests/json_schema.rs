//! `--json` against its documentation: docs/json.md's tables are the schema. Every verb runs
//! with `--json` against fbsd-sim in states that fill every array; each key printed must be
//! documented for that verb with its type, and each documented key must be printed somewhere.
//! Also: a repeat `bridge --json` still lists every NIC, and a failure prints the error
//! document on stdout, with the simulated kernel checked after each.

mod common;

use common::{World, code, stderr, stdout};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use vimage::sim::Errno;

/// Documented key paths and their types, per document (a verb's name, or `error`).
type Schema = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn schema() -> Schema {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md")).unwrap();
    let mut out = Schema::new();
    let mut docs: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            docs = if h.starts_with("Errors") {
                vec!["error".into()]
            } else {
                h.split('`').filter_map(|w| w.strip_prefix("vimage ")).map(str::to_string).collect()
            };
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, key, ty, _, ..] = cells.as_slice() else { continue };
        let Some(key) = key.strip_prefix('`').and_then(|k| k.strip_suffix('`')) else { continue };
        if ty.starts_with("---") || *ty == "type" || docs.is_empty() {
            continue;
        }
        let types: Vec<String> = ty.split(" or ").map(str::to_string).collect();
        for d in &docs {
            out.entry(d.clone()).or_default().insert(key.to_string(), types.clone());
        }
    }
    out
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks one document against `keys`, recording in `seen` every path printed and every
/// container that had elements (so coverage asks only for keys that could have appeared).
fn check(doc: &str, keys: &BTreeMap<String, Vec<String>>, v: &Value, prefix: &str, seen: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if !m.is_empty() && !prefix.is_empty() {
                seen.insert(format!("{prefix}.*"));
            }
            for (k, val) in m {
                let plain = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                let wild = format!("{prefix}.*");
                let Some(path) = [plain.clone(), wild].into_iter().find(|p| keys.contains_key(p)) else {
                    panic!("{doc}: key {plain:?} is not in docs/json.md (value {val})");
                };
                let types = &keys[&path];
                assert!(
                    types.iter().any(|t| t == type_of(val)),
                    "{doc}: {path} is {} ({val}), docs/json.md says {types:?}",
                    type_of(val)
                );
                seen.insert(path.clone());
                check(doc, keys, val, &path, seen);
            }
        }
        Value::Array(a) => {
            if !a.is_empty() {
                seen.insert(format!("{prefix}[]"));
            }
            for e in a.iter().filter(|e| e.is_object()) {
                check(doc, keys, e, &format!("{prefix}[]"), seen);
            }
        }
        _ => {}
    }
}

/// Runs `vimage <args>` (which must include --json) and returns the document, checked.
struct Checker {
    schema: Schema,
    seen: BTreeMap<String, BTreeSet<String>>,
}

impl Checker {
    fn new() -> Checker {
        Checker { schema: schema(), seen: BTreeMap::new() }
    }

    fn doc(&mut self, w: &World, args: &[&str], want_code: i32) -> Value {
        let o = w.vimage(args);
        assert_eq!(code(&o), want_code, "{args:?}: {}{}", stdout(&o), stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document ({e}): {}", stdout(&o)));
        assert_eq!(v["schema"], 1, "{args:?}: {v}");
        let doc = if want_code == 0 || v.get("error").is_none() { args[0].to_string() } else { "error".into() };
        let keys = self.schema.get(&doc).unwrap_or_else(|| panic!("docs/json.md has no section for {doc}"));
        let seen = self.seen.entry(doc.clone()).or_default();
        check(&doc, keys, &v, "", seen);
        v
    }

    /// Every documented key was printed, unless its container was never printed non-empty.
    fn covered(&self) {
        for (doc, keys) in &self.schema {
            let seen = self.seen.get(doc).unwrap_or_else(|| panic!("no document of {doc} was checked"));
            for k in keys.keys() {
                let container = k.rfind(['.', '[']).map(|i| &k[..i]);
                let reachable = match container {
                    None => true,
                    Some(c) if k[c.len()..].starts_with("[]") => true,
                    Some(c) => seen.contains(&format!("{c}.*")) || seen.contains(c) && !k.ends_with(".*"),
                };
                let array_parent = k.rsplit_once("[].").map(|(p, _)| format!("{p}[]"));
                let reachable = reachable && array_parent.is_none_or(|p| seen.contains(&p));
                if reachable {
                    assert!(seen.contains(k), "{doc}: docs/json.md lists {k:?} but no document printed it");
                }
            }
        }
    }
}

const RC_CONF: &str =
    "vimage_enable=\"YES\"\nvimage_list=\"web2\"\nvimage_web2_rootdir=\"/vm/web2\"\nvimage_web2_epairs=\"em0\"\n";

/// Runs one of fbsd-sim's commands on the world's kernel, behind vimage's back.
fn sim(w: &World, prog: &str, args: &[&str]) {
    let o =
        std::process::Command::new(w.cmd_dir.join(prog)).args(args).env("FBSD_SIM_STATE", &w.state).output().unwrap();
    assert!(o.status.success(), "{prog} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn every_json_document_matches_docs_json_md() {
    let mut c = Checker::new();
    let w = World::demo();
    w.put_host_file("/etc/rc.conf", RC_CONF);
    w.jail_rc("/usr/jails/jails/web1", "hostname=\"web1\"\n");
    let v = c.doc(&w, &["bridge", "jname=web1", "--dry-run", "--json"], 0);
    assert_eq!(v["nics"][0]["host_if"], "$eth0_a", "{v}");
    c.doc(&w, &["bridge", "jname=web1", "ip4_addr=REALDHCP", "--json"], 0);
    c.doc(&w, &["bridge", "jname=web1", "bridges=em0", "--json"], 0);
    c.doc(&w, &["devfs", "jname=web1", "--json"], 0);
    c.doc(&w, &["status", "--json"], 0);
    c.doc(&w, &["set", "jname=web1", "interface=em0", "--json"], 0);
    // Private networks: a definition, a jail on it (a lease, a bridge), then released and gone.
    c.doc(&w, &["net", "create", "name=jails", "cidr=10.77.0.0/24", "cidr6=fd00:77::/64", "nat=0", "--json"], 0);
    w.jail_rc("/usr/jails/jails/lab1", "");
    w.edit(|k| {
        k.create_jail("lab1", "/usr/jails/jails/lab1", true).unwrap();
    });
    assert_eq!(code(&w.vimage(&["bridge", "jname=lab1", "interface=net:jails"])), 0);
    c.doc(&w, &["net", "list", "--json"], 0);
    c.doc(&w, &["status", "--json"], 0);
    assert_eq!(code(&w.vimage(&["unbridge", "jname=lab1"])), 0);
    c.doc(&w, &["net", "release", "jname=lab1", "--json"], 0);
    c.doc(&w, &["net", "destroy", "name=jails", "--json"], 0);
    c.doc(&w, &["doctor", "--json"], 0);
    // pf loaded, its main ruleset without vimage's anchors: the check lists the lines to add.
    w.edit(|k| k.load_module("pf"));
    c.doc(&w, &["doctor", "--json"], 0);
    w.edit(|k| k.unload_module("pf"));
    let v = c.doc(&w, &["version", "--json"], 0);
    assert_eq!((v["version"].as_str(), v["simulator"].as_bool()), (Some(env!("CARGO_PKG_VERSION")), Some(true)));
    c.doc(&w, &["start", "web2", "--json"], 0);
    c.doc(&w, &["stop", "web2", "--json"], 0);
    c.doc(&w, &["unbridge", "jname=web1", "--json"], 0);
    let v = c.doc(&w, &["status", "jname=web1", "--json"], 0);
    assert_eq!(v["jails"][0]["nics"][0]["state"], "stored", "{v}");

    // Orphans, dead records and dead bridges: web1 is removed while bridged, and vimage's
    // bridge is destroyed behind its back.
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    w.edit(|k| k.remove_jail("web1").unwrap());
    sim(&w, "ifconfig", &["bridge0", "destroy"]);
    let v = c.doc(&w, &["status", "--json"], 0);
    assert!(!v["orphans"].as_array().unwrap().is_empty(), "{v}");
    let v = c.doc(&w, &["gc", "--dry-run", "--json"], 0);
    assert!(!v["dead_bridges"].as_array().unwrap().is_empty(), "{v}");
    // A removal that fails: gc goes on, lists it as text and as an object with its command.
    w.edit(|k| k.fail_at(1, Errno::EIO));
    let v = c.doc(&w, &["gc", "--json"], 71);
    let f = &v["failures"][0];
    assert_eq!(f["object"]["kind"], "interface", "{v}");
    assert!(f["command"].as_str().is_some_and(|s| s.ends_with(" destroy")), "{v}");
    assert!(f["stderr"].as_str().is_some_and(|s| s.contains("Input/output error")), "{v}");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1), "{v}");
    c.doc(&w, &["gc", "--json"], 0);

    // Errors: a usage error, a jail that is not running, a command that fails.
    c.doc(&w, &["bridge", "jnmae=web1", "--json"], 64);
    c.doc(&w, &["bridge", "jname=web1", "--json"], 69);
    w.edit(|k| {
        k.create_jail("web3", "/usr/jails/jails/web3", true).unwrap();
    });
    // A refusal of the planner about one object names it.
    let v = c.doc(&w, &["bridge", "jname=web3", "interface=nosuch0", "--json"], 69);
    assert_eq!(v["error"]["object"], serde_json::json!({"kind": "uplink", "name": "nosuch0"}), "{v}");
    w.edit(|k| k.fail_at(2, Errno::ENOSPC));
    let v = c.doc(&w, &["bridge", "jname=web3", "--json"], 71);
    assert!(v["error"]["command"].as_str().is_some_and(|s| s.starts_with("ifconfig ")), "{v}");
    assert!(v["error"]["object"]["name"].is_string(), "the failed step's object: {v}");
    // A teardown step that fails: the error document lists it with its own command and object.
    assert_eq!(code(&w.vimage(&["bridge", "jname=web3"])), 0);
    w.edit(|k| k.fail_at(1, Errno::EIO));
    let v = c.doc(&w, &["unbridge", "jname=web3", "--json"], 71);
    let f = &v["error"]["errors"][0];
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("teardown steps failed")), "{v}");
    assert_eq!((f["jail"].as_str(), f["kind"].as_str()), (Some("web3"), Some("oserr")), "{v}");
    assert!(f["object"]["name"].as_str().is_some_and(|n| f["command"].as_str().unwrap().contains(n)), "{v}");
    assert!(f["stderr"].as_str().is_some_and(|s| s.contains("Input/output error")), "{v}");

    // status's notes: the state database lost, records rebuilt from the kernel's markers.
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    std::fs::remove_file(w.state_db()).unwrap();
    let v = c.doc(&w, &["status", "--json"], 0);
    assert!(v["notes"].to_string().contains("not saved"), "{v}");
    assert_eq!(v["jails"][0]["nics"][0]["state"], "up", "rebuilt from the epair's marker: {v}");
    assert!(!w.state_db().exists(), "status saved nothing");
    // A NAT network (pf with vimage's anchors), a jail on it, a port forward in and out.
    let w = World::demo();
    w.edit(|k| k.load_module("pf"));
    w.put_host_file("/etc/pf.conf", "nat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\nanchor \"vimage/*\"\n");
    assert_eq!(code(&w.sim("pfctl", &["-f", "/etc/pf.conf"])), 0);
    w.jail_rc("/usr/jails/jails/web1", "hostname=\"web1\"\n");
    assert_eq!(code(&w.vimage(&["net", "create", "name=jails", "cidr=10.77.0.0/24"])), 0);
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1", "interface=net:jails"])), 0);
    let v = c.doc(&w, &["expose", "jname=web1", "port=80", "hostport=8080", "--json"], 0);
    let cmd = v["commands"][0].as_str().unwrap_or_default();
    assert!(cmd.starts_with("pfctl -a vimage/jails -f - <<'EOF'\nnat on em0") && cmd.contains("port 8080"), "{v}");
    let v = c.doc(&w, &["status", "--json"], 0);
    assert_eq!(v["networks"][0]["forwards"][0]["host_port"], 8080, "{v}");
    assert_eq!(v["networks"][0]["nat_configured"], true, "{v}");
    c.doc(&w, &["unexpose", "jname=web1", "port=80", "--json"], 0);
    c.doc(&w, &["unexpose", "jname=web1", "port=80", "--json"], 0);
    c.covered();
}

#[test]
fn a_repeat_bridge_json_still_lists_every_nic_with_mac_host_end_and_bridge() {
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0"])), 0);
    let snap = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), snap, "the repeat changes nothing");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changed"], false, "{v}");
    let nics = v["nics"].as_array().unwrap();
    assert_eq!(nics.len(), 2, "{v}");
    let k = w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert_eq!(nics[0]["name"], "eth0");
    assert_eq!(nics[0]["mac"], eth0.mac.clone().unwrap().as_str());
    assert_eq!(k.host_iface(nics[0]["host_if"].as_str().unwrap()).unwrap().peer.as_deref(), Some("eth0"));
    let br = k.host_iface(nics[0]["bridge"].as_str().unwrap()).unwrap();
    assert!(br.members.contains(&nics[0]["host_if"].as_str().unwrap().to_string()), "{v}");
    let ng0 = k.jail_iface("web1", "ng0_web1").unwrap();
    assert_eq!(nics[1]["mode"], "netgraph");
    assert_eq!(nics[1]["mac"], ng0.mac.clone().unwrap().as_str());
    assert_eq!(nics[1]["bridge"], "vimage_em0");
    assert!(nics[1]["node_id"].as_str().is_some_and(|s| s.starts_with('[')), "{v}");
}

#[test]
fn a_failure_under_json_is_an_error_document_on_stdout_and_text_on_stderr() {
    let w = World::demo();
    let before = w.kernel().snapshot();
    w.edit(|k| k.fail_at(2, Errno::ENOSPC));
    let o = w.vimage(&["bridge", "jname=web1", "--json"]);
    assert_eq!(code(&o), 71, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot().interfaces, before.interfaces, "rolled back");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    let e = &v["error"];
    assert_eq!(v["schema"], 1);
    assert_eq!(e["kind"], "oserr", "{v}");
    assert_eq!(e["exit"], 71);
    assert_eq!(e["jail"], "web1");
    let cmd = e["command"].as_str().unwrap();
    assert!(w.take_log().iter().any(|l| l == cmd), "the command named is one that ran: {cmd}");
    assert_eq!(e["command_exit"], 1, "{v}");
    assert!(e["stderr"].as_str().unwrap().contains("No space left on device"), "{v}");
    assert!(e["details"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("rolled back")), "{v}");
    assert!(stderr(&o).starts_with("vimage: jail web1: `ifconfig"), "{}", stderr(&o));

    // A usage error, before anything runs, is a document too.
    let o = w.vimage(&["statsu", "--json"]);
    assert_eq!(code(&o), 64);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["details"][0].as_str().unwrap().contains("did you mean 'status'"), "{v}");
}

#[test]
fn a_repair_that_fails_on_the_way_in_is_a_gc_failure_with_its_command_and_object() {
    use vimage::model::JailName;
    use vimage::op::Op;
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    // A run a crash left open: em9 was passed through to jail 999, which is gone, so putting
    // it back fails.
    let db = vimage::state::StateDb::open(&w.state_db()).unwrap();
    let boottime = db.attachments("web1").unwrap()[0].boottime;
    let run = db.begin_run("web1", "bridge", boottime).unwrap();
    let vnet = Op::Vnet { iface: "em9".into(), jail: JailName::parse("web1").unwrap(), jid: 999, was_up: false };
    db.step_intent(run, 0, &vnet, vnet.undo().as_ref(), "ifconfig em9 vnet 999").unwrap();
    db.step_outcome(run, 0, vimage::state::StepState::Done, None, None).unwrap();
    drop(db);
    let mut c = Checker::new();
    let v = c.doc(&w, &["gc", "--json"], 0);
    let f = &v["failures"][0];
    assert_eq!(f["jail"], "web1", "{v}");
    assert_eq!(f["object"], serde_json::json!({"kind": "interface", "name": "em9"}), "{v}");
    assert_eq!(f["command"], "ifconfig em9 -vnet 999", "{v}");
    let text = format!("warning: jail web1: `ifconfig em9 -vnet 999` failed (exit {}): ", f["command_exit"]);
    assert!(v["repairs"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with(&text)), "{v}");
}

#[test]
fn a_host_file_a_teardown_cannot_edit_is_named_as_the_object_of_its_failure() {
    let w = World::demo();
    w.jail_rc("/usr/jails/jails/web1", "hostname=\"web1\"\n");
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"])), 0);
    let rules = w.root.join("etc/devfs.rules");
    let mut b = std::fs::read(&rules).unwrap();
    b.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(&rules, &b).unwrap();
    let mut c = Checker::new();
    let v = c.doc(&w, &["unbridge", "jname=web1", "--json"], 73);
    let f = &v["error"]["errors"][0];
    assert_eq!(f["object"], serde_json::json!({"kind": "file", "name": "/etc/devfs.rules"}), "{v}");
    assert_eq!(f["kind"], "dataerr", "{v}");
    assert!(v["error"]["details"].to_string().contains("not done: /etc/devfs.rules"), "text unchanged: {v}");
}
