//! A CBSD workdir from the fixtures plus a VIMAGE_CMD_DIR of recorders, for `vimage construct`
//! (tests/construct.rs without a terminal, tests/construct_tmux.rs with one).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage_testkit::fixture::{FixtureSpec, build_workdir};

/// A CBSD workdir plus a VIMAGE_CMD_DIR holding a recording `cbsd` (and, optionally, `vimage`).
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub workdir: PathBuf,
    pub cmd_dir: PathBuf,
    pub root: PathBuf,
}

/// Records each call as its arguments, one per line, then a line `--`. `cbsd` also refuses a
/// jconf= that does not exist (as jcreate does) and keeps a copy of the one it got.
const RECORDER: &str = r#"#!/bin/sh
me=$(basename "$0")
d=$(dirname "$0")
for a in "$@"; do printf '%s\n' "$a"; done >> "$d/$me.calls"
echo -- >> "$d/$me.calls"
if [ "$me" = cbsd ]; then
	for a in "$@"; do
		case "$a" in
		jconf=*) f=${a#jconf=}; [ -f "$f" ] || { echo "no such jconf file: $f" >&2; exit 1; }; cp "$f" "$d/jcreate.jconf" ;;
		esac
	done
	echo "Creating complete: Enjoy!"
fi
[ -f "$d/$me.fail" ] && { echo "$me: told to fail" >&2; exit 1; }
exit 0
"#;

impl Bench {
    pub fn new(with_vimage_recorder: bool) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let workdir = dir.path().join("cbsd");
        let spec = FixtureSpec::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd")).unwrap();
        build_workdir(&workdir, &spec).unwrap();
        let cmd_dir = dir.path().join("bin");
        std::fs::create_dir_all(&cmd_dir).unwrap();
        let mut names = vec!["cbsd"];
        if with_vimage_recorder {
            names.push("vimage");
        }
        for n in names {
            let p = cmd_dir.join(n);
            std::fs::write(&p, RECORDER).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        Bench { dir, workdir, cmd_dir, root }
    }

    /// `vimage construct <args>` with stdin closed (so: no terminal).
    pub fn construct(&self, args: &[&str]) -> Output {
        Command::new(super::vimage_bin())
            .arg("construct")
            .args(args)
            .env("workdir", &self.workdir)
            .env("VIMAGE_CMD_DIR", &self.cmd_dir)
            .env("VIMAGE_ROOT", &self.root)
            .output()
            .unwrap()
    }

    /// The recorded calls of `prog`, each as its argument list.
    pub fn calls(&self, prog: &str) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.cmd_dir.join(format!("{prog}.calls"))).unwrap_or_default();
        let mut out = Vec::new();
        let mut cur = Vec::new();
        for l in text.lines() {
            if l == "--" {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(l.to_string());
            }
        }
        out
    }

    pub fn jconf(&self, jname: &str) -> PathBuf {
        self.workdir.join("tmp").join(format!("{jname}.jconf"))
    }
}
