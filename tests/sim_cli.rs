//! The `fbsd-sim` binary end to end: multi-call links, the state file, the lock, the log,
//! and the `sim` admin commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage::sim::{Kernel, Sim, Snapshot};

struct Host {
    dir: tempfile::TempDir,
    bin: PathBuf,
    state: PathBuf,
    log: PathBuf,
}

impl Host {
    fn new(k: Kernel) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        for p in vimage::sim::cli::COMMANDS {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_fbsd-sim"), bin.join(p)).unwrap();
        }
        let state = dir.path().join("state.json");
        Sim::new(k).save(&state).unwrap();
        let log = dir.path().join("sim.log");
        Host { dir, bin, state, log }
    }

    fn cmd(&self, prog: &str, args: &[&str]) -> Command {
        let mut c = Command::new(self.bin.join(prog));
        c.args(args).env("FBSD_SIM_STATE", &self.state).env("FBSD_SIM_LOG", &self.log);
        c
    }

    fn run(&self, prog: &str, args: &[&str]) -> Output {
        self.cmd(prog, args).output().unwrap()
    }

    fn kernel(&self) -> Kernel {
        Sim::load(&self.state).unwrap().kernel
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn multi_call_links_run_the_commands_against_the_state_file() {
    let h = Host::new(Kernel::demo());
    let o = h.run("ifconfig", &["epair", "create", "up"]);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "epair0a\n".to_string()));
    let o = h.run("ifconfig", &["epair0b", "vnet", "web1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = h.run("jexec", &["web1", "ifconfig", "epair0b", "name", "eth0"]);
    assert_eq!(text(&o.stdout), "eth0\n");
    let k = h.kernel();
    assert!(k.host_iface("epair0a").unwrap().up);
    assert!(k.jail_iface("web1", "eth0").is_some());
    let o = h.run("jls", &["-n", "-q", "-j", "web1", "jid", "name", "vnet"]);
    assert_eq!(text(&o.stdout), "jid=1 name=web1 vnet=new\n");
    let o = Command::new(env!("CARGO_BIN_EXE_fbsd-sim"))
        .args(["sysctl", "-n", "kern.osreldate"])
        .env("FBSD_SIM_STATE", &h.state)
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout), "1402000\n");
}

#[test]
fn exit_codes_and_stderr_are_the_simulated_programs() {
    let h = Host::new(Kernel::demo());
    let o = h.run("ifconfig", &["nosuch0", "up"]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (Some(1), "ifconfig: interface nosuch0 does not exist\n".to_string())
    );
    let o = h.run("sysctl", &["a.b", "c.d", "kern.osreldate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = h.run("jexec", &["nosuch", "ifconfig"]);
    assert_eq!(text(&o.stderr), "jexec: jail \"nosuch\" not found\n");
    let o = h.run("ngctl", &["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("There are 2 total nodes:\n"), "{}", text(&o.stdout));
    let o = h.run("service", &["vimage", "status"]);
    assert_eq!(o.status.code(), Some(1), "service.sh: no such rc.d script on this host");
    assert!(text(&o.stdout).starts_with("vimage does not exist in /etc/rc.d"), "{}", text(&o.stdout));
    let o = h.run("route", &["-n", "get", "default"]);
    assert!(text(&o.stdout).contains("  interface: em0\n"));
}

#[test]
fn ngctl_f_dash_reads_its_batch_from_stdin() {
    use std::io::Write;
    let h = Host::new(Kernel::demo());
    let mut child = h
        .cmd("ngctl", &["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"mkpeer em0: bridge lower link0\nname em0:lower br0\nmkpeer br0: eiface link2 ether\nmsg br0:link2 getifname\nname em0: em0\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(71));
    assert!(text(&o.stdout).contains("Args:\t\"ngeth0\""), "{}", text(&o.stdout));
    assert_eq!(text(&o.stderr), "ngctl: send msg: Address already in use\nngctl: line 5: error in file\n");
    assert!(h.kernel().host_iface("ngeth0").is_some(), "lines 1-4 stay done");
}

#[test]
fn files_live_under_fbsd_sim_root_or_vimage_root_sysrc_service_ngctl_f() {
    let h = Host::new(Kernel::demo());
    let root = h.dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let o = h.cmd("sysrc", &["gateway_enable=YES"]).env("FBSD_SIM_ROOT", &root).output().unwrap();
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "gateway_enable: NO -> YES\n".to_string()));
    assert_eq!(std::fs::read_to_string(root.join("etc/rc.conf")).unwrap(), "gateway_enable=\"YES\"\n");
    // VIMAGE_ROOT is the fallback, so vimage and the commands it runs see the same files.
    let o = h.cmd("sysrc", &["-n", "gateway_enable"]).env("VIMAGE_ROOT", &root).output().unwrap();
    assert_eq!(text(&o.stdout), "YES\n");
    std::fs::write(root.join("batch.ng"), "mkpeer . eiface hook ether\n").unwrap();
    let o = h.cmd("ngctl", &["-f", "/batch.ng"]).env("FBSD_SIM_ROOT", &root).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(h.kernel().host_iface("ngeth0").is_some());
    let o = h.run("ngctl", &["-f", "/batch.ng"]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (Some(66), "ngctl: /batch.ng: No such file or directory\n".to_string()),
        "no root: no files"
    );
}

#[test]
fn jexec_without_a_command_runs_the_jail_shell_on_stdin() {
    use std::io::Write;
    let h = Host::new(Kernel::demo());
    let mut child = h
        .cmd("jexec", &["web1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ifconfig lo0 inet 127.0.0.1/8\nifconfig -l\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "lo0\n".to_string()), "{}", text(&o.stderr));
    // A command that does not read stdin does not wait for it.
    assert!(!vimage::sim::cli::reads_stdin(&["jexec".into(), "web1".into(), "ifconfig".into()]));
    assert!(vimage::sim::cli::reads_stdin(&["fbsd-sim".into(), "jexec".into(), "-l".into(), "web1".into()]));
    assert!(!vimage::sim::cli::reads_stdin(&["ngctl".into(), "list".into()]));
    let pf = |a: &[&str]| vimage::sim::cli::reads_stdin(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert!(pf(&["pfctl", "-a", "vimage/jails", "-f", "-"]) && pf(&["pfctl", "-nf", "-"]));
    assert!(!pf(&["pfctl", "-f", "/etc/pf.conf"]) && !pf(&["pfctl", "-a", "vimage/jails", "-s", "nat"]));
}

#[test]
fn missing_or_unreadable_state_is_exit_70() {
    let h = Host::new(Kernel::demo());
    let o = Command::new(h.bin.join("ifconfig")).env_remove("FBSD_SIM_STATE").output().unwrap();
    assert_eq!(o.status.code(), Some(70));
    assert!(text(&o.stderr).contains("FBSD_SIM_STATE"));
    let bad = h.dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let o = h.cmd("ifconfig", &[]).env("FBSD_SIM_STATE", &bad).output().unwrap();
    assert_eq!(o.status.code(), Some(70));
    let o = h.cmd("ifconfig", &[]).env("FBSD_SIM_STATE", h.dir.path().join("absent.json")).output().unwrap();
    assert_eq!(o.status.code(), Some(70));
}

#[test]
fn read_only_commands_do_not_rewrite_the_state() {
    let h = Host::new(Kernel::demo());
    let before = std::fs::read(&h.state).unwrap();
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let i0 = ino(&h.state);
    assert_eq!(h.run("ifconfig", &["-a"]).status.code(), Some(0));
    assert_eq!(h.run("jls", &[]).status.code(), Some(0));
    assert_eq!(std::fs::read(&h.state).unwrap(), before);
    assert_eq!(ino(&h.state), i0, "not even replaced by rename");
    assert_eq!(h.run("ifconfig", &["em0", "down"]).status.code(), Some(0));
    assert_ne!(ino(&h.state), i0);
}

#[test]
fn concurrent_invocations_serialize_on_the_lock_and_get_distinct_units() {
    let h = Host::new(Kernel::freebsd14());
    let children: Vec<_> = (0..12)
        .map(|_| {
            h.cmd("ifconfig", &["epair", "create"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut names: Vec<String> = Vec::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        names.push(text(&o.stdout).trim().to_string());
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 12, "every process got its own unit: {names:?}");
    let k = h.kernel();
    for u in 0..12 {
        assert!(k.host_iface(&format!("epair{u}a")).is_some(), "epair{u}a");
    }
    assert_eq!(std::fs::read_to_string(&h.log).unwrap().lines().count(), 12);
}

#[test]
fn the_log_has_one_tab_separated_line_per_invocation() {
    let h = Host::new(Kernel::demo());
    h.run("ifconfig", &["bridge", "create", "description", "a b"]);
    h.run("jls", &["-d"]);
    let log = std::fs::read_to_string(&h.log).unwrap();
    assert_eq!(log, "ifconfig\tbridge\tcreate\tdescription\ta b\njls\t-d\n");
}

#[test]
fn sim_admin_commands_init_fail_at_and_snapshot() {
    let h = Host::new(Kernel::demo());
    let sim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fbsd-sim"))
            .arg("sim")
            .args(args)
            .env("FBSD_SIM_STATE", &h.state)
            .env("FBSD_SIM_LOG", &h.log)
            .output()
            .unwrap()
    };
    assert_eq!(sim(&["init", "--preset", "freebsd14"]).status.code(), Some(0));
    assert_eq!(h.kernel().host_ifnames(), vec!["lo0".to_string()]);
    assert_eq!(sim(&["init"]).status.code(), Some(0));
    assert!(h.kernel().host_iface("em0").is_some());
    let snap = |o: Output| -> Snapshot { serde_json::from_slice(&o.stdout).unwrap() };
    let before = snap(sim(&["snapshot"]));
    assert_eq!(sim(&["fail-at", "2", "ENOMEM"]).status.code(), Some(0));
    let o = h.run("ifconfig", &["bridge", "create", "addm", "em0", "up"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "bridge0\n");
    assert_eq!(text(&o.stderr), "ifconfig: BRDGADD em0: Cannot allocate memory\n");
    let after = snap(sim(&["snapshot"]));
    assert_ne!(before, after, "the create (op 1) happened");
    assert_eq!(h.run("ifconfig", &["bridge0", "destroy"]).status.code(), Some(0));
    assert_eq!(snap(sim(&["snapshot"])), before);
    let dump: serde_json::Value = serde_json::from_slice(&sim(&["dump"]).stdout).unwrap();
    assert!(dump["kernel"].is_object());
    assert_eq!(sim(&["fail-at", "1", "EWHAT"]).status.code(), Some(64));
    assert!(!std::fs::read_to_string(&h.log).unwrap_or_default().contains("sim"), "admin commands are not logged");
}

#[test]
fn simulate_without_vimage_root_keeps_the_database_and_lock_beside_the_state_file() {
    // Issue 12, item 19: `--simulate=STATE` without VIMAGE_ROOT wrote /var/db/vimage and
    // /var/run/vimage.lock on the real machine.
    let real = [std::path::Path::new("/var/db/vimage"), std::path::Path::new("/var/run/vimage.lock")];
    let existed: Vec<bool> = real.iter().map(|p| p.exists()).collect();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("host.json");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vimage"))
            .arg(format!("--simulate={}", state.display()))
            .args(args)
            .env_remove("VIMAGE_ROOT")
            .env_remove("workdir")
            .env_remove("VIMAGE_CMD_DIR")
            .output()
            .unwrap()
    };
    let o = run(&["bridge", "jname=web1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let beside = dir.path().join("host.json.vimage");
    assert!(beside.join("var/db/vimage/vimage.sqlite").exists());
    assert!(beside.join("var/run/vimage.lock").exists());
    let k = vimage::sim::Sim::load(&state).unwrap().kernel;
    assert!(k.jail_iface("web1", "eth0").is_some(), "the simulated host kept its state");
    let o = run(&["unbridge", "jname=web1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for (p, was) in real.iter().zip(existed) {
        assert!(was || !p.exists(), "{} was created on the real machine", p.display());
    }
}
