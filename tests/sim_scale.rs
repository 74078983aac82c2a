//! Scale: the simulator must stay fast when vimage bridges thousands of jails and a bridge
//! holds tens of thousands of members (name lookups and unit allocation are indexed, never a
//! scan). The full-size runs are `#[ignore]`d; run them with
//! `cargo test --release --test sim_scale -- --ignored`.

use std::time::Instant;
use vimage::sim::{Kernel, Sim};

fn exec(sim: &mut Sim, line: &str) -> String {
    let a: Vec<String> = line.split_whitespace().map(String::from).collect();
    let (prog, args) = a.split_first().expect("a command");
    let o = sim.exec(prog, args);
    assert_eq!(o.code, 0, "{line}: {}", o.stderr);
    o.stdout
}

/// jib's sequence for `jails` vnet jails on one bridge.
fn bridge_jails(jails: usize) -> Sim {
    let mut sim = Sim::new(Kernel::demo());
    exec(&mut sim, "ifconfig bridge create addm em0 up");
    for i in 0..jails {
        let name = format!("j{i}");
        exec(&mut sim, &format!("jail -c name={name} path=/j/{name} vnet persist"));
        let a = exec(&mut sim, "ifconfig epair create up").trim().to_string();
        let b = format!("{}b", a.trim_end_matches('a'));
        exec(&mut sim, &format!("ifconfig bridge0 addm {a}"));
        exec(&mut sim, &format!("ifconfig {b} vnet {name}"));
        exec(&mut sim, &format!("ifconfig -j {name} {b} name eth0 up"));
        exec(&mut sim, &format!("jls -n -q -j {name} jid name vnet"));
    }
    sim
}

fn check_bridged(sim: &Sim, jails: usize) {
    let k = &sim.kernel;
    assert_eq!(k.host_iface("bridge0").unwrap().members.len(), jails + 1);
    assert_eq!(k.jail_ifnames(&format!("j{}", jails - 1)), vec!["eth0".to_string(), "lo0".to_string()]);
}

#[test]
fn a_thousand_jails_bridge_in_linear_time() {
    let t = Instant::now();
    let sim = bridge_jails(1000);
    check_bridged(&sim, 1000);
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
}

#[test]
#[ignore]
fn ten_thousand_jails_bridge() {
    let t = Instant::now();
    let sim = bridge_jails(10_000);
    check_bridged(&sim, 10_000);
    eprintln!("10000 jails: {:?}", t.elapsed());
}

fn big_bridge(epairs: usize) -> Sim {
    let mut sim = Sim::new(Kernel::freebsd14());
    exec(&mut sim, "ifconfig bridge create up");
    for _ in 0..epairs {
        let a = exec(&mut sim, "ifconfig epair create up").trim().to_string();
        let b = format!("{}b", a.trim_end_matches('a'));
        exec(&mut sim, &format!("ifconfig bridge0 addm {a} addm {b}"));
    }
    sim
}

#[test]
fn thousands_of_members_on_one_bridge() {
    let mut sim = big_bridge(2000);
    assert_eq!(sim.kernel.host_iface("bridge0").unwrap().members.len(), 4000);
    exec(&mut sim, "ifconfig epair1000a destroy");
    assert_eq!(sim.kernel.host_iface("bridge0").unwrap().members.len(), 3998);
}

#[test]
#[ignore]
fn a_bridge_with_65530_members() {
    let t = Instant::now();
    let mut sim = big_bridge(32_765);
    assert_eq!(sim.kernel.host_iface("bridge0").unwrap().members.len(), 65_530);
    exec(&mut sim, "ifconfig epair32700a destroy");
    assert_eq!(sim.kernel.host_iface("bridge0").unwrap().members.len(), 65_528);
    eprintln!("65530 members: {:?}", t.elapsed());
}
