//! Scale of netgraph mode: one ng_bridge with 65,530 links through SimHost, and vimage starts
//! whose cost does not grow with the number of jails on the bridge (no link probing, no
//! listing). The vimage-level run at full size is `#[ignore]`d; run it with
//! `cargo test --release --test ng_scale -- --ignored`.

use std::time::Instant;
use vimage::host::{Cmd, Host, Program, SimHost};
use vimage::model::{JailName, JailNet, Uplink};
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Kernel, Sim};

fn ngctl(h: &mut SimHost, script: String) -> vimage::host::Output {
    let out = h.run(&Cmd::new(Program::Ngctl, ["-f", "-"]).with_stdin(script)).unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

#[test]
fn an_ng_bridge_takes_65530_links_through_simhost() {
    let t = Instant::now();
    let mut h = SimHost::new(Sim::new(Kernel::demo())).without_log();
    ngctl(&mut h, "mkpeer em0: bridge lower link0\nname em0:lower br\nconnect em0: br: upper link1\n".into());
    let last = 2 + 65_530;
    for chunk in (2..last).collect::<Vec<u32>>().chunks(5_000) {
        let script: String = chunk.iter().map(|n| format!("mkpeer br: eiface link{n} ether\n")).collect();
        ngctl(&mut h, script);
    }
    let k = &h.sim().kernel;
    assert_eq!(k.ng_host_bridge_links("br"), Some((65_532, last)));
    assert!(k.host_iface("ngeth65529").is_some(), "units 0..65529");
    // A used link answers getstats, a free one is ENOTCONN; ngctl show no longer fits.
    ngctl(&mut h, "msg br: getstats 65531\n".into());
    let o = h.run(&Cmd::new(Program::Ngctl, ["msg", "br:", "getstats", "65532"])).unwrap();
    assert_eq!(o.stderr, "ngctl: send msg: Socket is not connected\n");
    let o = h.run(&Cmd::new(Program::Ngctl, ["show", "br:"])).unwrap();
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: send msg: No buffer space available\n"));
    // Shutting one down in the middle frees its link and unit, found again in O(log n).
    ngctl(&mut h, "shutdown br:link30000\n".into());
    let k = &h.sim().kernel;
    assert_eq!(k.ng_host_bridge_links("br"), Some((65_531, 30_000)));
    assert!(k.host_iface("ngeth29998").is_none());
    ngctl(&mut h, "mkpeer br: eiface link30000 ether\nmsg br:link30000 getifname\n".into());
    assert!(h.sim().kernel.host_iface("ngeth29998").is_some(), "the lowest free unit came back");
    eprintln!("65530 links on one ng_bridge: {:?}", t.elapsed());
    assert!(t.elapsed().as_secs() < 120, "{:?}", t.elapsed());
}

/// `jails` jails with `per_jail` netgraph NICs each on em0, bridged by vimage one after the
/// other; returns the commands the first and the last start ran.
fn bridge_many(jails: usize, per_jail: usize, osreldate: Option<u32>) -> (usize, usize, SimHost) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::rooted(dir.path());
    let mut k = Kernel::demo();
    if let Some(v) = osreldate {
        k.set_osreldate(v);
    }
    for j in 0..jails {
        k.create_jail(&format!("j{j}"), &format!("/j/{j}"), true).unwrap();
    }
    let mut h = SimHost::new(Sim::new(k));
    let (mut first, mut last) = (0, 0);
    for j in 0..jails {
        let mut net = JailNet::epairs(JailName::parse(&format!("j{j}")).unwrap(), &[]);
        net.add_netgraph(&vec![Uplink::parse("em0").unwrap(); per_jail]);
        h.clear_invocations();
        let mut s = Session::open(&mut h, &paths, "scale", false, std::time::Duration::from_secs(5)).unwrap();
        s.bridge(&net).unwrap_or_else(|e| panic!("jail j{j}: {e}"));
        drop(s);
        let n = h.invocations().len();
        if j == 1 {
            first = n;
        }
        last = n;
    }
    (first, last, h)
}

#[test]
fn netgraph_starts_cost_the_same_with_two_thousand_links_on_the_bridge() {
    let t = Instant::now();
    let (second, last, h) = bridge_many(200, 10, None);
    assert_eq!(h.sim().kernel.ng_host_bridge_links("vimage_em0"), Some((2_002, 2_002)));
    assert_eq!(second, last, "the 200th start runs as many commands as the 2nd");
    assert_eq!(last, 4 + 1 + 2 * 10, "4 queries, one batch, two commands per NIC");
    eprintln!("200 jails x 10 netgraph NICs: {:?}", t.elapsed());
}

#[test]
#[ignore]
fn vimage_puts_65530_eifaces_on_one_ng_bridge() {
    let t = Instant::now();
    // On 13.x: from 14.0 if_index is global and 16 bits wide (65,535 ifnets), too few
    // for 6,553 vnets' lo0 plus 65,530 eifaces; 13.x numbers each vnet's own.
    let (second, last, h) = bridge_many(6_553, 10, Some(1_303_000));
    assert_eq!(h.sim().kernel.ng_host_bridge_links("vimage_em0"), Some((65_532, 65_532)));
    assert_eq!(second, last);
    eprintln!("6553 jails x 10 netgraph NICs = 65530 links: {:?}", t.elapsed());
}
