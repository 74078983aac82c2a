//! The house rules of the product crate, checked from its source text on every test run:
//! the wings `src/lib.rs` lists (lowest first) may import only from their own wing or from a
//! wing below; no two top-level modules import each other, directly or round a loop; and no
//! two source files do either (a folder's `mod.rs` handing on its children's names with
//! `pub use` is its face, not an import, and is not counted).
//!
//! Run it alone with `cargo test --test floors`. It reads imports as text (`crate::a::b`,
//! `super::x`, `use crate::{a, b::c}`), outside comments and outside `#[cfg(test)] mod tests`
//! blocks and test files, which may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level module → its wing's rank (0 = lowest), from `src/lib.rs`'s `// ── wing:` headers.
fn wings(lib: &str) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut rank = BTreeMap::new();
    let mut names = Vec::new();
    for line in lib.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("// ── ") {
            let name = rest.split(':').next().unwrap_or("").trim().to_string();
            names.push(name);
            continue;
        }
        let module = if let Some(m) = t.strip_prefix("pub mod ") {
            m.trim_end_matches(';').to_string()
        } else if let Some(u) = t.strip_prefix("pub use ") {
            let u = u.trim_end_matches(';');
            u.rsplit([' ', ':']).next().unwrap_or("").to_string()
        } else {
            continue;
        };
        assert!(!names.is_empty(), "src/lib.rs: `{t}` stands before the first wing header");
        rank.insert(module, names.len() - 1);
    }
    (rank, names)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file (`src/plan/bridge.rs` → `plan::bridge`, `src/op/mod.rs` → `op`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

fn is_test_file(m: &[String]) -> bool {
    m.last().is_some_and(|n| n == "tests" || n.starts_with("tests_") || n.ends_with("_tests"))
}

/// The source without comments and without its unit-test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn ident_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len())
}

/// Every path the code names from the crate root (`crate::…`) or from its parent (`super::…`),
/// as a list of segments, with `use crate::{a::b, c}` groups expanded one level.
fn paths_named(code: &str, me: &[String]) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    for line in code.split(';') {
        let reexport = line.trim_start().starts_with("pub use ");
        let mut rest = line;
        while let Some(i) = [rest.find("crate::"), rest.find("super::")].into_iter().flatten().min() {
            let is_super = rest[i..].starts_with("super::");
            let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
            let after = &rest[i + "crate::".len()..];
            rest = after;
            if !before_ok {
                continue;
            }
            let base: Vec<String> = if is_super {
                // A file's module path already names its folder for a mod.rs (`facts`) and
                // its file otherwise (`facts::gather`): either way `super` drops the last part.
                me[..me.len().saturating_sub(1)].to_vec()
            } else {
                Vec::new()
            };
            let mut segs = Vec::new();
            let mut s = after;
            loop {
                if s.starts_with('{') {
                    let close = s.find('}').unwrap_or(s.len());
                    for item in s[1..close].split(',') {
                        let item = item.trim();
                        let n = ident_end(item);
                        if n > 0 {
                            let mut p = base.clone();
                            p.extend(segs.iter().cloned());
                            p.push(item[..n].to_string());
                            if let Some(more) = item[n..].strip_prefix("::") {
                                let m = ident_end(more);
                                if m > 0 {
                                    p.push(more[..m].to_string());
                                }
                            }
                            out.push((p, reexport));
                        }
                    }
                    segs.clear();
                    break;
                }
                let n = ident_end(s);
                if n == 0 {
                    break;
                }
                segs.push(s[..n].to_string());
                match s[n..].strip_prefix("::") {
                    Some(more) => s = more,
                    None => break,
                }
            }
            if !segs.is_empty() {
                let mut p = base;
                p.extend(segs);
                out.push((p, reexport));
            }
        }
    }
    out
}

/// The longest known module that `path` starts with.
fn target(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p))
}

fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[i..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

struct House {
    rank: BTreeMap<String, usize>,
    wing_names: Vec<String>,
    /// file module path → (imported module path, as a `pub use` of a mod.rs's own child)
    edges: BTreeMap<Vec<String>, BTreeSet<(Vec<String>, bool)>>,
}

fn house() -> House {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let (rank, wing_names) = wings(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.starts_with(src.join("bin")) && f != &src.join("lib.rs"));
    let mut modules = BTreeSet::new();
    for f in &files {
        modules.insert(module_of(&src, f));
    }
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(Vec<String>, bool)>> = BTreeMap::new();
    for f in &files {
        let me = module_of(&src, f);
        if is_test_file(&me) {
            continue;
        }
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
        let text = code(&fs::read_to_string(f).unwrap());
        let e = edges.entry(me.clone()).or_default();
        for (p, reexport) in paths_named(&text, &me) {
            if let Some(t) = target(&modules, &p)
                && t != me
                && !is_test_file(&t)
            {
                let face = reexport && is_mod_rs && t.starts_with(&me);
                e.insert((t, face));
            }
        }
    }
    House { rank, wing_names, edges }
}

#[test]
fn every_module_stands_in_a_wing_of_lib_rs() {
    let h = house();
    let tops: BTreeSet<&String> = h.edges.keys().filter_map(|m| m.first()).collect();
    for t in tops {
        assert!(h.rank.contains_key(t), "src/{t}: not listed under a wing in src/lib.rs");
    }
    assert!(h.wing_names.len() >= 4, "src/lib.rs names {} wings", h.wing_names.len());
}

#[test]
fn no_wing_imports_a_wing_above_it() {
    let h = house();
    let mut up = Vec::new();
    for (from, tos) in &h.edges {
        let Some(&ra) = from.first().and_then(|a| h.rank.get(a)) else { continue };
        for (to, _) in tos {
            let Some(b) = to.first() else { continue };
            let Some(&rb) = h.rank.get(b) else { continue };
            if rb > ra {
                up.push(format!(
                    "{} ({}) imports {} ({})",
                    from.join("::"),
                    h.wing_names[ra],
                    to.join("::"),
                    h.wing_names[rb]
                ));
            }
        }
    }
    assert!(up.is_empty(), "imports that run upward:\n  {}", up.join("\n  "));
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let h = house();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &h.edges {
        for (to, face) in tos {
            if !face && from[0] != to[0] {
                g.entry(from[0].clone()).or_default().insert(to[0].clone());
            }
        }
    }
    assert_eq!(cycle(&g), None, "a circle of top-level modules");
}

#[test]
fn no_two_files_import_each_other() {
    let h = house();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &h.edges {
        for (to, face) in tos {
            if !face {
                g.entry(from.join("::")).or_default().insert(to.join("::"));
            }
        }
    }
    assert_eq!(cycle(&g), None, "a circle of source files");
}

/// The checker itself: a circle and an upward import it must see.
#[test]
fn the_checker_sees_a_circle_and_an_upward_import() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("a".into());
    assert!(cycle(&g).is_some());
    let (rank, names) = wings("// ── low: x\npub mod a;\n// ── high: y\npub mod b;\npub use z::c;\n");
    assert_eq!((rank["a"], rank["b"], rank["c"], names.len()), (0, 1, 1, 2));
    let p = paths_named("use crate::{a::X, b};\nlet q = super::y::Z;", &["m".into(), "n".into()]);
    let got: Vec<Vec<String>> = p.into_iter().map(|(p, _)| p).collect();
    assert!(got.contains(&vec!["a".to_string(), "X".to_string()]), "{got:?}");
    assert!(got.contains(&vec!["b".to_string()]), "{got:?}");
    assert!(got.contains(&vec!["m".to_string(), "y".to_string(), "Z".to_string()]), "{got:?}");
}
