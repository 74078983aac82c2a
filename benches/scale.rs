//! `cargo bench --bench scale`: how fast vimage is, and how it scales, against the simulated
//! FreeBSD host. Prints one table per question (README.md quotes the latest run):
//!
//! 1. process invocations per jail start and stop, counted from fbsd-sim's invocation log,
//!    next to the shell tools' counts (reference/peers.md §14);
//! 2. CPU time to bridge N jails (N = 10 … 10,000) on SimHost, and the growth exponent
//!    between 1,000 and 10,000 jails;
//! 3. `status --json` over 10,000 jails;
//! 4. peak memory (max RSS) of 2 and 3.
//!
//! Each measurement runs in a child process (this binary re-executed with `--child …`), so
//! its CPU time and peak RSS are its own.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use vimage::cli::{self, Ctx};
use vimage::host::{Cmd, Host, Output, SimHost, SpawnError};
use vimage::model::{JailName, JailNet, Uplink};
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Kernel, Sim};

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0;
    if !ok {
        return f64::NAN;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Peak resident set size in MiB (Linux reports ru_maxrss in KiB).
fn max_rss_mib() -> f64 {
    // SAFETY: as above.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

/// SimHost that keeps no log and adds up the time spent inside the simulated kernel and
/// userland, so vimage's own share can be told apart.
struct Timed {
    inner: SimHost,
    in_host: Duration,
    calls: u64,
}

impl Host for Timed {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        let t = Instant::now();
        let r = self.inner.run(cmd);
        self.in_host += t.elapsed();
        self.calls += 1;
        r
    }
}

fn kernel_with_jails(n: usize) -> Kernel {
    let mut k = Kernel::demo();
    for i in 0..n {
        k.create_jail(&format!("j{i}"), &format!("/j/j{i}"), true).expect("jail");
    }
    k
}

fn bridge_all(h: &mut dyn Host, root: &Path, n: usize) {
    for i in 0..n {
        let net = JailNet::epairs(JailName::parse(&format!("j{i}")).unwrap(), &[Uplink::Auto]);
        let mut s = Session::open(h, &Paths::rooted(root), "bench", false, Duration::from_secs(5)).unwrap();
        s.bridge(&net).unwrap();
    }
}

/// Child: bridge N jails; prints `cpu_total cpu_in_sim wall rss calls`.
fn child_bridge(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut h =
        Timed { inner: SimHost::new(Sim::new(kernel_with_jails(n))).without_log(), in_host: Duration::ZERO, calls: 0 };
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    bridge_all(&mut h, dir.path(), n);
    let cpu = cpu_seconds() - c0;
    println!("{cpu} {} {} {} {}", h.in_host.as_secs_f64(), t0.elapsed().as_secs_f64(), max_rss_mib(), h.calls);
}

/// Child: bridge N jails (not measured), then `vimage status --json`; prints `cpu wall rss bytes`.
fn child_status(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(kernel_with_jails(n))).without_log();
    bridge_all(&mut h, dir.path(), n);
    let argv: Vec<String> = ["vimage", "status", "--json"].iter().map(|s| s.to_string()).collect();
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let mut ctx = Ctx { paths: Paths::rooted(dir.path()), host: &mut h, lock_timeout: Duration::from_secs(5) };
    let out = cli::run(&argv, &mut ctx).unwrap();
    let cpu = cpu_seconds() - c0;
    assert!(out.stdout.contains(&format!("\"j{}\"", n - 1)));
    println!("{cpu} {} {} {}", t0.elapsed().as_secs_f64(), max_rss_mib(), out.stdout.len());
}

fn run_child(args: &[&str]) -> Vec<f64> {
    let me = std::env::current_exe().unwrap();
    let o = Command::new(me).arg("--child").args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

/// Invocations of one action through the real binaries, from fbsd-sim's log.
fn invocations(setup: &[&[&str]], action: &[&str], extra: impl Fn(&mut Kernel)) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().and_then(Path::parent).unwrap();
    let sim = target.join("fbsd-sim");
    let vimage = target.join("vimage");
    assert!(sim.exists() && vimage.exists(), "build the binaries first: cargo build --release --bins");
    for p in vimage::host::Program::ALL {
        std::os::unix::fs::symlink(&sim, bin.join(p.name())).unwrap();
    }
    let state = dir.path().join("sim.json");
    let mut k = Kernel::demo();
    extra(&mut k);
    Sim::new(k).save(&state).unwrap();
    let log = dir.path().join("log");
    let run = |args: &[&str]| {
        let o = Command::new(&vimage)
            .args(args)
            .env("VIMAGE_CMD_DIR", &bin)
            .env("FBSD_SIM_STATE", &state)
            .env("FBSD_SIM_LOG", &log)
            .env("VIMAGE_ROOT", dir.path())
            .env_remove("workdir")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    for s in setup {
        run(s);
    }
    let _ = std::fs::remove_file(&log);
    run(action);
    let lines: Vec<String> = std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect();
    let changes = lines
        .iter()
        .filter(|l| {
            let w: Vec<&str> = l.split('\t').collect();
            w.first() == Some(&"ifconfig")
                && w.len() > 2
                && !(w.len() == 2 || w[1] == "-a" || (w[1] == "-j" && w.len() == 3))
        })
        .count();
    (lines.len(), changes)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n: usize = args.get(i + 2).and_then(|v| v.parse().ok()).unwrap_or(10);
        match args.get(i + 1).map(String::as_str) {
            Some("bridge") => child_bridge(n),
            Some("status") => child_status(n),
            _ => panic!("unknown child"),
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");

    println!("## 1. Process invocations (fbsd-sim's log; changes = ifconfig commands that modify)\n");
    println!(
        "| action | vimage: all | vimage: changes | jib | jng (2016/v4) | jng 9.1 | CBSD 14.x | ratio (jib / vimage all) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let web2 = |k: &mut Kernel| {
        k.create_jail("web2", "/j/web2", true).unwrap();
    };
    let em1 = |k: &mut Kernel| k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
    /// (action, (all, changes), jib, jng, jng 9.1, CBSD, jib as a number)
    type Row<'a> = (&'a str, (usize, usize), &'a str, &'a str, &'a str, &'a str, f64);
    let rows: Vec<Row> = vec![
        (
            "start, first jail on an uplink (1 NIC)",
            invocations(&[], &["bridge", "jname=web1"], |_| {}),
            "16",
            "16",
            "20",
            "12",
            16.0,
        ),
        (
            "start, later jail (1 NIC)",
            invocations(&[&["bridge", "jname=web1"]], &["bridge", "jname=web2"], web2),
            "12",
            "12 + k",
            "20 + k",
            "6",
            12.0,
        ),
        (
            "start, 2 NICs on 2 uplinks",
            invocations(&[], &["bridge", "jname=web1", "interface=em0,em1"], em1),
            "28",
            "28",
            "40",
            "-",
            28.0,
        ),
        (
            "stop (1 NIC, last jail)",
            invocations(&[&["bridge", "jname=web1"]], &["unbridge", "jname=web1"], |_| {}),
            "2",
            "2",
            "2",
            "-",
            2.0,
        ),
    ];
    for (what, (all, changes), jib, jng, jng91, cbsd, peer) in rows {
        println!("| {what} | {all} | {changes} | {jib} | {jng} | {jng91} | {cbsd} | {:.1}× |", peer / all as f64);
    }
    println!(
        "\nvimage's fixed per-run queries: sysctl, jls, ifconfig -j <jid>, ifconfig -a -G vimage, route get (only for an \
         automatic uplink), and once per boot ifconfig -a -g vimage. jng's k = jails already on the bridge (link probing)."
    );

    println!("\n## 2. CPU time to bridge N jails on SimHost (one vimage session per jail, release build)\n");
    println!(
        "| N | CPU total (s) | in simulated FreeBSD (s) | vimage itself (s) | per jail, vimage (ms) | commands | peak RSS (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let ns: &[usize] = if quick { &[10, 100, 1000] } else { &[10, 100, 1000, 10_000] };
    let mut own = Vec::new();
    for &n in ns {
        let v = run_child(&["bridge", &n.to_string()]);
        let (cpu, sim, rss, calls) = (v[0], v[1], v[3], v[4]);
        let mine = (cpu - sim).max(0.0);
        own.push((n, cpu, mine));
        println!("| {n} | {cpu:.3} | {sim:.3} | {mine:.3} | {:.3} | {calls} | {rss:.1} |", mine * 1000.0 / n as f64);
    }
    if let (Some(a), Some(b)) = (own.iter().find(|x| x.0 == 1000), own.iter().find(|x| x.0 == 10_000)) {
        let e_own = (b.2 / a.2).log10();
        let e_all = (b.1 / a.1).log10();
        println!(
            "\ngrowth exponent 1,000 → 10,000 jails: vimage itself {e_own:.3}, including the simulated host {e_all:.3} (target ≤ 1.1)"
        );
    }

    let n = if quick { 1000 } else { 10_000 };
    println!("\n## 3. `vimage status --json` over {n} bridged jails\n");
    let v = run_child(&["status", &n.to_string()]);
    println!("| jails | CPU (s) | wall (s) | peak RSS of the whole process (MiB) | JSON bytes |");
    println!("|---:|---:|---:|---:|---:|");
    println!("| {n} | {:.3} | {:.3} | {:.1} | {} |", v[0], v[1], v[2], v[3]);
    println!(
        "\n(targets: under 1 s of CPU, peak memory under 100 MiB; the RSS includes the simulated host holding {n} jails)"
    );
}
