//! What tests/sys/common/vnet.subr gives FreeBSD's ATF network tests, over the in-process
//! simulator: `vnet_mkepair`, `vnet_mkbridge`, `vnet_mkjail`, and `atf_check`-style helpers
//! that run one command line on the simulated host.

#![allow(dead_code)]

use vimage::host::Output;
use vimage::sim::{Kernel, Sim};

/// A simulated host for one ATF case.
pub struct Atf {
    /// The machine the case runs on.
    pub sim: Sim,
}

impl Atf {
    /// A fresh FreeBSD 14 host (no NICs, no jails).
    pub fn new() -> Atf {
        Atf { sim: Sim::new(Kernel::freebsd14()) }
    }

    /// A fresh host running FreeBSD 15 (if_bridge VLAN filtering, member_ifaddrs).
    pub fn new_15() -> Atf {
        let mut k = Kernel::freebsd14();
        k.set_osreldate(1_500_000);
        Atf { sim: Sim::new(k) }
    }

    /// Runs one command line (words split on blanks) in the host context.
    pub fn run(&mut self, line: &str) -> Output {
        let w: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        self.sim.exec(&w[0], &w[1..])
    }

    /// `atf_check -s exit:CODE line`.
    pub fn status(&mut self, code: i32, line: &str) -> Output {
        let o = self.run(line);
        assert_eq!(o.code, code, "`{line}`\nstdout: {}\nstderr: {}", o.stdout, o.stderr);
        o
    }

    /// `atf_check -s exit:0 line`; its stdout.
    pub fn ok(&mut self, line: &str) -> String {
        self.status(0, line).stdout
    }

    /// Its stdout, which must come with exit 0.
    pub fn out(&mut self, line: &str) -> String {
        self.ok(line)
    }

    /// `vnet_mkepair`: `ifconfig epair create`, printed without its `a`.
    pub fn mkepair(&mut self) -> String {
        let a = self.ok("ifconfig epair create");
        a.trim().trim_end_matches('a').to_string()
    }

    /// `vnet_mkbridge`: `ifconfig bridge create`.
    pub fn mkbridge(&mut self) -> String {
        self.ok("ifconfig bridge create").trim().to_string()
    }

    /// `vnet_mkvlan`: `ifconfig vlan create`.
    pub fn mkvlan(&mut self) -> String {
        self.ok("ifconfig vlan create").trim().to_string()
    }

    /// `vnet_mkjail NAME IF…`: `jail -c name=NAME persist vnet vnet.interface=IF…`.
    pub fn mkjail(&mut self, name: &str, ifs: &[&str]) {
        let mut line = format!("jail -c name={name} persist vnet");
        for i in ifs {
            line.push_str(&format!(" vnet.interface={i}"));
        }
        self.ok(&line);
    }

    /// The `mtu N` of an interface's flags line.
    pub fn mtu(&mut self, ifname: &str) -> u32 {
        let o = self.ok(&format!("ifconfig {ifname}"));
        let first = o.lines().next().unwrap_or("");
        first.split_whitespace().skip_while(|w| *w != "mtu").nth(1).and_then(|m| m.parse().ok()).unwrap_or(0)
    }

    /// The `ether` address in a command's output.
    pub fn ether(&mut self, line: &str) -> String {
        let o = self.ok(line);
        o.lines().find_map(|l| l.trim().strip_prefix("ether ").map(str::to_string)).unwrap_or_default()
    }
}
