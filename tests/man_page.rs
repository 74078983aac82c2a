//! vimage(8) is generated from the command table; the committed page must be that output
//! (regenerate with `cargo run -- --man > share/man/man8/vimage.8`), and lint clean.

use std::path::Path;
use std::process::Command;

fn committed() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("share/man/man8/vimage.8")).unwrap()
}

#[test]
fn the_committed_page_is_the_generated_one() {
    let o = Command::new(env!("CARGO_BIN_EXE_vimage")).arg("--man").output().unwrap();
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        committed(),
        "share/man/man8/vimage.8 is stale: cargo run -- --man > share/man/man8/vimage.8"
    );
}

#[test]
fn help_and_man_page_describe_the_same_keys() {
    let page = committed();
    for v in vimage::cli::spec::VERBS {
        let help = vimage::cli::spec::help(v, &format!("vimage {}", v.name));
        for k in v.keys {
            assert!(help.contains(k.name) && page.contains(k.name), "{} {}", v.name, k.name);
            let doc_start: String = k.doc.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
            assert!(page.contains(&doc_start), "{}: {doc_start}", k.name);
        }
    }
}

#[test]
fn mandoc_lint_is_clean() {
    if Command::new("mandoc").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("mandoc is missing: .ci/run installs it");
        }
        eprintln!("SKIP: mandoc not installed");
        return;
    }
    let o = Command::new("mandoc")
        .args(["-T", "lint", "-W", "warning"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("share/man/man8/vimage.8"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}
