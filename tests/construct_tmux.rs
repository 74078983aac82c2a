//! The `vimage construct` wizard on a real terminal: tmux runs it in a pane, the test waits
//! for each prompt on the screen (`capture-pane`) and types the answer as a person would
//! (`send-keys`: text, Enter, arrow keys), then checks the jconf written and the `cbsd
//! jcreate` / `vimage set` the stand-ins recorded. Skipped (with a SKIP line) without tmux.

mod common;

use common::bench::Bench;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use vimage::shvars::ShFile;

/// A private tmux server (its own socket), killed when the test ends, pass or fail.
struct Tmux {
    socket: String,
    /// The socket file, removed after the server (tmux leaves it behind).
    socket_path: Option<String>,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
    }

    fn start(tag: &str, shell_command: &str) -> Tmux {
        let mut t = Tmux { socket: format!("vimage-test-{}-{tag}", std::process::id()), socket_path: None };
        let o = t.run(&["new-session", "-d", "-x", "120", "-y", "40", shell_command]);
        assert!(o.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&o.stderr));
        let p = t.run(&["display-message", "-p", "#{socket_path}"]);
        t.socket_path = Some(String::from_utf8_lossy(&p.stdout).trim().to_string()).filter(|s| !s.is_empty());
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-S", "-200"]).stdout).into_owned()
    }

    /// Waits until `text` is on the screen `n` times (a prompt asked for the n-th time).
    fn wait_for(&self, text: &str, n: usize) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if self.screen().matches(text).count() >= n {
                // Let the prompt finish drawing and switch the terminal to raw mode.
                std::thread::sleep(Duration::from_millis(150));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("waited 20 s for {text:?} (x{n}); the screen:\n{}", self.screen());
    }

    /// Types `text` literally (no key names), then Enter.
    fn type_line(&self, text: &str) {
        if !text.is_empty() {
            assert!(self.run(&["send-keys", "-l", text]).status.success());
        }
        self.keys(&["Enter"]);
    }

    /// Presses named keys: Down, Enter, BSpace, ...
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn a_person_answers_the_wizard_and_gets_a_netgraph_jail() {
    if !Tmux::available() {
        println!("SKIP construct_tmux: tmux is not installed");
        return;
    }
    let b = Bench::new(true);
    let out = b.dir.path().join("stdout.txt");
    let rc = b.dir.path().join("rc.txt");
    // The pane shows the prompts (stderr); stdout and the exit code go to files to check.
    let cmd = format!(
        "env workdir={} VIMAGE_CMD_DIR={} VIMAGE_ROOT={} {} construct > {}; echo $? > {}; sleep 60",
        quote(&b.workdir),
        quote(&b.cmd_dir),
        quote(&b.root),
        quote(&common::vimage_bin()),
        quote(&out),
        quote(&rc),
    );
    let t = Tmux::start("wizard", &cmd);

    t.wait_for("jail name:", 1);
    t.type_line("web1");
    t.wait_for("already exists in CBSD", 1);
    t.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    t.type_line("web9");
    t.wait_for("host name:", 1);
    t.type_line(""); // the default, web9.my.domain
    t.wait_for("mode:", 1);
    t.keys(&["Down", "Enter"]); // netgraph
    t.wait_for("uplink of eth0:", 1);
    t.keys(&["Enter"]); // the cursor starts on jail_interface, em0
    t.wait_for("another NIC?", 1);
    t.type_line("y");
    t.wait_for("uplink of eth1:", 1);
    t.keys(&["Down", "Enter"]); // em1
    t.wait_for("another NIC?", 2);
    t.type_line(""); // default: no
    t.wait_for("addresses:", 1);
    t.keys(&["Down", "Enter"]); // static
    t.wait_for("IPv4 address/prefix:", 1);
    t.type_line("10.0.0.9/24");
    t.wait_for("IPv4 default router:", 1);
    t.type_line("10.0.0.1");
    t.wait_for("IPv6 address/prefix:", 1);
    t.type_line(""); // none
    t.wait_for("devfs ruleset:", 1);
    t.type_line("0");
    t.wait_for("would show the jail every device", 1);
    t.keys(&["BSpace"]);
    t.type_line("7");
    t.wait_for("create the jail now?", 1);
    let summary = t.screen();
    assert!(summary.contains("uplinks") && summary.contains("em0 em1"), "{summary}");
    t.type_line("y");

    let start = Instant::now();
    while !rc.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = std::fs::read_to_string(&rc).unwrap_or_else(|_| panic!("vimage never exited; screen:\n{}", t.screen()));
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(code.trim(), "0", "stdout: {stdout}\nscreen:\n{}", t.screen());

    let path = b.jconf("web9");
    let f = ShFile::parse(&std::fs::read_to_string(&path).unwrap());
    let get = |k: &str| f.get(k).unwrap_or_else(|| panic!("{k} missing"));
    assert_eq!(get("jname"), "web9");
    assert_eq!(get("host_hostname"), "web9.my.domain");
    assert_eq!(get("vimage_mode"), "netgraph");
    assert_eq!(get("vimage_bridges"), "em0 em1");
    assert_eq!(get("interface"), "em0");
    assert_eq!(get("ip4_addr"), "10.0.0.9/24");
    assert_eq!(get("ci_gw4"), "10.0.0.1");
    assert_eq!(get("devfs_ruleset"), "7");
    assert_eq!(b.calls("cbsd"), vec![vec!["jcreate".to_string(), format!("jconf={}", path.display())]]);
    assert_eq!(b.calls("vimage"), vec![vec!["set", "jname=web9", "enable=1", "mode=netgraph", "bridges=em0 em1"]]);
    assert!(stdout.contains("jail web9 created"), "{stdout}");
}

#[test]
fn escape_leaves_without_writing_anything() {
    if !Tmux::available() {
        println!("SKIP construct_tmux: tmux is not installed");
        return;
    }
    let b = Bench::new(true);
    let rc = b.dir.path().join("rc.txt");
    let cmd = format!(
        "env workdir={} VIMAGE_CMD_DIR={} {} construct; echo $? > {}; sleep 60",
        quote(&b.workdir),
        quote(&b.cmd_dir),
        quote(&common::vimage_bin()),
        quote(&rc),
    );
    let t = Tmux::start("cancel", &cmd);
    t.wait_for("jail name:", 1);
    t.type_line("web8");
    t.wait_for("host name:", 1);
    t.keys(&["Escape"]);
    t.wait_for("cancelled; nothing was written", 1);
    let start = Instant::now();
    while !rc.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&rc).unwrap().trim(), "75");
    assert!(!b.jconf("web8").exists());
    assert!(b.calls("cbsd").is_empty());
}
