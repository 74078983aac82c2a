//! The shell completions in share/completions/ are generated from the same definitions as the
//! parser (`vimage --completions=SHELL`, clap_complete over the command table); the committed
//! files must be that output (regenerate: `for s in bash:vimage.bash zsh:_vimage
//! fish:vimage.fish; do cargo run -- --completions=${s%%:*} > share/completions/${s#*:}; done`).
//! FreeBSD's /bin/sh has no programmable completion, so there is no file for it.

use std::path::Path;
use std::process::Command;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("share/completions")
}

fn generated(shell: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vimage")).arg(format!("--completions={shell}")).output().unwrap()
}

#[test]
fn the_committed_completions_are_the_generated_ones() {
    let mut names: Vec<String> =
        std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want: Vec<&str> = vimage::cli::command::COMPLETIONS.iter().map(|(_, f)| *f).collect();
    want.sort();
    assert_eq!(names, want, "share/completions/ holds exactly one file per shell");
    for (shell, file) in vimage::cli::command::COMPLETIONS {
        let o = generated(&shell.to_string());
        assert!(o.status.success(), "{shell}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            std::fs::read_to_string(dir().join(file)).unwrap(),
            "share/completions/{file} is stale: cargo run -- --completions={shell} > share/completions/{file}"
        );
    }
}

#[test]
fn every_verb_and_key_is_completed() {
    let bash = std::fs::read_to_string(dir().join("vimage.bash")).unwrap();
    for v in vimage::cli::spec::VERBS {
        assert!(bash.contains(&format!("vimage,{})", v.name)), "{}", v.name);
        for k in v.keys {
            assert!(bash.contains(&format!("--{}", k.name)), "{} {}", v.name, k.name);
        }
    }
}

#[test]
fn bash_completes_verbs_and_keys() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("SKIP: no bash");
        return;
    }
    let script = format!(
        "source {}; COMP_WORDS=(vimage br); COMP_CWORD=1; _vimage vimage br vimage; echo \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(vimage unbridge --dr); COMP_CWORD=2; _vimage vimage --dr unbridge; echo \"${{COMPREPLY[@]}}\"",
        dir().join("vimage.bash").display()
    );
    let o = Command::new("bash").args(["--norc", "-c", &script]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "bridge\n--dry-run\n", "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let o = generated("sh");
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("FreeBSD's sh has no programmable completion"));
}
