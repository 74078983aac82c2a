//! `cargo bench --bench scale`: how fast vimage is, and how it scales, against the simulated
//! FreeBSD host. Prints one table per question (README.md quotes the latest run):
//!
//! 1. process invocations per jail start and stop, counted from fbsd-sim's invocation log,
//!    next to the shell tools' counts (reference/peers.md §14);
//! 2. CPU time to bridge N jails (N = 10 … 10,000) on SimHost, and the growth exponent
//!    between 1,000 and 10,000 jails;
//! 3. `status --json` over 10,000 jails;
//! 4. netgraph: 6,553 jails × 10 NICs = 65,530 eifaces on one ng_bridge (a 13.x kernel: see
//!    `child_netgraph`);
//! 5. peak memory (max RSS) of 2, 3 and 4.
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

/// Child: bridge N jails (not measured), then `vimage status --json` in the same process
/// with the simulated kernel in it; prints `cpu wall rss bytes`.
fn child_status(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(kernel_with_jails(n))).without_log();
    bridge_all(&mut h, dir.path(), n);
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let bytes = status_json(&mut h, dir.path(), n);
    let cpu = cpu_seconds() - c0;
    println!("{cpu} {} {} {bytes}", t0.elapsed().as_secs_f64(), max_rss_mib());
}

/// Child: bridge N jails into `dir` and save the simulated kernel as `dir/sim.json`, for
/// [`child_status_alone`].
fn child_status_setup(n: usize, dir: &Path) {
    let mut h = SimHost::new(Sim::new(kernel_with_jails(n))).without_log();
    bridge_all(&mut h, dir, n);
    h.sim().save(&dir.join("sim.json")).unwrap();
}

/// Child: `vimage status --json` as it runs on FreeBSD, the kernel outside the process: the
/// commands go to fbsd-sim (`dir/bin`, state `FBSD_SIM_STATE`), so CPU and peak RSS are
/// vimage's alone. Prints `cpu wall rss bytes`.
fn child_status_alone(n: usize, dir: &Path) {
    let mut h = vimage::host::FreeBsdHost::new(Some(dir.join("bin")));
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let bytes = status_json(&mut h, dir, n);
    let cpu = cpu_seconds() - c0;
    println!("{cpu} {} {} {bytes}", t0.elapsed().as_secs_f64(), max_rss_mib());
}

/// Runs `vimage status --json` on `h`; returns the size of the JSON.
fn status_json(h: &mut dyn Host, root: &Path, n: usize) -> usize {
    let argv: Vec<String> = ["vimage", "status", "--json"].iter().map(|s| s.to_string()).collect();
    let mut ctx = Ctx { paths: Paths::rooted(root), host: h, lock_timeout: Duration::from_secs(5) };
    let out = cli::run(&argv, &mut ctx).unwrap();
    assert!(out.stdout.contains(&format!("\"j{}\"", n - 1)));
    out.stdout.len()
}

/// Child: bridge `jails` jails with 10 netgraph NICs each on em0, one session per jail;
/// prints `cpu cpu_in_sim rss links commands_of_2nd_start commands_of_last_start`.
fn child_netgraph(jails: usize) {
    let dir = tempfile::tempdir().unwrap();
    // FreeBSD 13.x: from 14.0 if_index is one global space, and it is 16 bits wide in struct
    // ifnet (65,535 ifnets); 6,553 vnets with a lo0 each plus 65,530 eifaces do not fit
    // in it; on 13.x each vnet numbers its own, as this case was first measured.
    let mut k = kernel_with_jails(jails);
    k.set_osreldate(1_303_000);
    let inner = SimHost::new(Sim::new(k)).without_log();
    let mut h = Timed { inner, in_host: Duration::ZERO, calls: 0 };
    let c0 = cpu_seconds();
    let (mut second, mut last) = (0, 0);
    for j in 0..jails {
        let mut net = JailNet::epairs(JailName::parse(&format!("j{j}")).unwrap(), &[]);
        net.add_netgraph(&vec![Uplink::parse("em0").unwrap(); 10]);
        let before = h.calls;
        let mut s = Session::open(&mut h, &Paths::rooted(dir.path()), "bench", false, Duration::from_secs(5)).unwrap();
        s.bridge(&net).unwrap_or_else(|e| panic!("jail j{j}: {e}"));
        drop(s);
        if j == 1 {
            second = h.calls - before;
        }
        last = h.calls - before;
    }
    let cpu = cpu_seconds() - c0;
    let links = h.inner.sim().kernel.ng_host_bridge_links("vimage_em0").map_or(0, |(n, _)| n);
    println!("{cpu} {} {} {links} {second} {last}", h.in_host.as_secs_f64(), max_rss_mib());
}

fn run_child(args: &[&str]) -> Vec<f64> {
    run_child_env(args, &[])
}

fn run_child_env(args: &[&str], env: &[(&str, &Path)]) -> Vec<f64> {
    let me = std::env::current_exe().unwrap();
    let mut c = Command::new(me);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.arg("--child").args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

/// `dir/bin` with every FreeBSD program as a link to the release fbsd-sim; returns it and the
/// release `vimage` binary.
fn sim_bin_dir(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().and_then(Path::parent).unwrap();
    let sim = target.join("fbsd-sim");
    let vimage = target.join("vimage");
    assert!(sim.exists() && vimage.exists(), "build the binaries first: cargo build --release --bins");
    for p in vimage::host::Program::ALL {
        std::os::unix::fs::symlink(&sim, bin.join(p.name())).unwrap();
    }
    (bin, vimage)
}

/// Invocations of one action through the real binaries, from fbsd-sim's log.
fn invocation_log(setup: &[&[&str]], action: &[&str], extra: impl Fn(&mut Kernel)) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (bin, vimage) = sim_bin_dir(dir.path());
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
    std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect()
}

/// Invocations of one action, all and those that change the kernel (ifconfig commands that
/// modify an interface).
fn invocations(setup: &[&[&str]], action: &[&str], extra: impl Fn(&mut Kernel)) -> (usize, usize) {
    let lines = invocation_log(setup, action, extra);
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

/// Section 1b: invocations per NIC, per mode, as the marginal cost of NICs 2 and 3 of one jail
/// (the per-jail queries are paid once), at start and at stop, against the targets.
fn per_nic_table() {
    println!("\n## 1b. Process invocations per NIC, per mode (jail with 1 NIC vs 3 NICs on one uplink)\n");
    println!(
        "| mode | start, 1 NIC | start, 3 NICs | per NIC at start | target | stop, 1 NIC | stop, 3 NICs | per NIC at stop | target | ngctl runs per start |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ethers = |k: &mut Kernel| {
        for (i, name) in ["em2", "em3", "em4"].iter().enumerate() {
            k.add_ether(name, &format!("00:1b:21:aa:bb:c{i}"), 1500);
        }
    };
    let modes: [(&str, &str, &str, &str, &str); 3] = [
        ("epair", "interface=em0", "interface=em0,em0,em0", "≤ 4", "≤ 2"),
        ("netgraph", "bridges=em0", "bridges=em0 em0 em0", "1 batch + ≤ 2", "–"),
        ("passthrough", "vnets=em2", "vnets=em2 em3 em4", "–", "–"),
    ];
    for (mode, one, three, start_target, stop_target) in modes {
        let start = |nics: &str| invocation_log(&[], &["bridge", "jname=web1", nics], ethers);
        let stop = |nics: &str| invocation_log(&[&["bridge", "jname=web1", nics]], &["unbridge", "jname=web1"], ethers);
        let (s1, s3) = (start(one), start(three));
        let (t1, t3) = (stop(one).len(), stop(three).len());
        let ngctl = s3.iter().filter(|l| l.starts_with("ngctl")).count();
        let per = |a: usize, b: usize| (b as f64 - a as f64) / 2.0;
        println!(
            "| {mode} | {} | {} | {} | {start_target} | {t1} | {t3} | {} | {stop_target} | {ngctl} |",
            s1.len(),
            s3.len(),
            per(s1.len(), s3.len()),
            per(t1, t3)
        );
    }
    println!(
        "\n(netgraph's ngctl runs: one query of the uplink's ng_ether node and one batch that makes every eiface; \
         the per-jail queries — sysctl, jls, ifconfig -j, ifconfig -a -G vimage — are in the 1-NIC column)"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n: usize = args.get(i + 2).and_then(|v| v.parse().ok()).unwrap_or(10);
        match args.get(i + 1).map(String::as_str) {
            Some("bridge") => child_bridge(n),
            Some("status") => child_status(n),
            Some("status-setup") => child_status_setup(n, Path::new(&args[i + 3])),
            Some("status-alone") => child_status_alone(n, Path::new(&args[i + 3])),
            Some("netgraph") => child_netgraph(n),
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

    per_nic_table();

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
    let dir = tempfile::tempdir().unwrap();
    sim_bin_dir(dir.path());
    let d = dir.path().to_str().unwrap();
    run_child(&["status-setup", &n.to_string(), d]);
    let alone =
        run_child_env(&["status-alone", &n.to_string(), d], &[("FBSD_SIM_STATE", &dir.path().join("sim.json"))]);
    let with_sim = run_child(&["status", &n.to_string()]);
    println!("| jails | process | CPU (s) | wall (s) | peak RSS (MiB) | JSON bytes |");
    println!("|---:|---|---:|---:|---:|---:|");
    for (what, v) in [
        ("vimage alone, commands answered by fbsd-sim processes (as on FreeBSD)", alone),
        ("vimage and the simulated kernel of N jails in one process (after bridging them there)", with_sim),
    ] {
        println!("| {n} | {what} | {:.3} | {:.3} | {:.1} | {} |", v[0], v[1], v[2], v[3]);
    }
    println!("\n(targets: under 1 s of CPU, peak memory under 100 MiB)");

    let jails = if quick { 655 } else { 6_553 };
    println!("\n## 4. Netgraph: {jails} jails × 10 NICs on one ng_bridge (SimHost, one session per jail)\n");
    let v = run_child(&["netgraph", &jails.to_string()]);
    println!(
        "| eifaces | bridge links incl. ng_ether's two | CPU total (s) | in simulated FreeBSD (s) | vimage itself (s) | commands, 2nd start | commands, last start | peak RSS (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {:.1} |",
        jails * 10,
        v[3],
        v[0],
        v[1],
        (v[0] - v[1]).max(0.0),
        v[4],
        v[5],
        v[2]
    );
}
