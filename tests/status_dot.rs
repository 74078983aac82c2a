//! `vimage status --dot` rendered by Graphviz: every label line comes out as its own text,
//! never with a literal `\n`. Skips (saying so) only when `dot` is not installed; CI installs
//! Debian's graphviz (.ci/run).

mod common;

use common::{World, code, stderr, stdout};
use std::io::Write;
use std::process::{Command, Stdio};

/// The `<text>` contents of an SVG, entities decoded.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")).map(|(x, _)| x))
        .map(|x| x.replace("&#45;", "-").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        .collect()
}

#[test]
fn dot_labels_render_as_separate_lines() {
    let w = World::demo();
    let o = w.vimage(&["bridge", "jname=web1", "interface=em0", "bridges=em0"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let k = w.kernel();
    let mac = k.jail_iface("web1", "eth0").unwrap().mac.unwrap();
    let host_end = k.host_ifnames().into_iter().find(|n| n.starts_with("epair")).unwrap();
    let o = w.vimage(&["status", "--dot"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let src = stdout(&o);
    assert!(!src.contains("\\\\n"), "a label line break is written once, as \\n: {src}");

    let Ok(mut dot) = Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn() else {
        eprintln!("SKIP: Graphviz `dot` is not installed (apt-get install graphviz); the DOT text was checked only");
        return;
    };
    dot.stdin.take().unwrap().write_all(src.as_bytes()).unwrap();
    let out = dot.wait_with_output().unwrap();
    assert!(out.status.success(), "dot refused the output: {}\n{src}", String::from_utf8_lossy(&out.stderr));
    let texts = svg_texts(&String::from_utf8_lossy(&out.stdout));
    assert!(!texts.iter().any(|t| t.contains("\\n") || t.contains('\\')), "a literal \\n was rendered: {texts:?}");
    for want in ["em0", "uplink", "bridge0", "vimage", "eth0", &mac, &host_end, "up", "ng0_web1", "vimage_em0"] {
        assert!(texts.iter().any(|t| t == want), "no label line {want:?} in {texts:?}");
    }
    assert!(texts.iter().any(|t| t == "jail web1 (jid 1)"), "{texts:?}");
}
