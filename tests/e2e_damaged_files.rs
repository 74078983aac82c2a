//! Damaged host files never block a teardown and never half-do a setup (issue 12, item 6):
//! the `vimage` binary against `fbsd-sim`, asserting the simulated kernel's state.
//!
//! A teardown runs its kernel part first and completely; a host file it cannot read or write
//! is reported afterwards (exit 73) with what was not done to it, and left byte for byte as
//! it was. A setup that would have to edit a file it cannot read refuses before any change,
//! naming the file and the first bad byte.

mod common;

use common::{World, code, stderr, stdout};

const WEB1: &str = "/usr/jails/jails/web1";
const WEB1_DEV: &str = "/usr/jails/jails/web1/dev";
const JAIL_RC: &str = "# the jail's own settings\nhostname=\"web1\"\n";
/// A Latin-1 comment (`café`), as an admin's editor may write it: 0xe9 is not UTF-8.
const LATIN1: &[u8] = b"# caf\xe9 (the admin's comment)\n";

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// The demo host with web1's rc.conf in place, bridged with DHCP: an epair, vimage's bridge,
/// vimage's devfs ruleset 50 on web1's /dev and its section in /etc/devfs.rules.
fn dhcp_world() -> World {
    let w = World::demo();
    w.jail_rc(WEB1, JAIL_RC);
    ok(&w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]));
    assert_eq!(w.kernel().devfs_mount_ruleset(WEB1_DEV), Some(50));
    w
}

fn append(path: &std::path::Path, bytes: &[u8]) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    b.extend_from_slice(bytes);
    std::fs::write(path, &b).unwrap();
    b
}

#[test]
fn unbridge_with_a_damaged_devfs_rules_tears_the_kernel_down_first_then_says_73() {
    // The same teardown with an undamaged file, for the kernel state it must end in.
    let clean = dhcp_world();
    ok(&clean.vimage(&["unbridge", "jname=web1"]));
    let want = clean.kernel().snapshot();

    let w = dhcp_world();
    let rules = w.root.join("etc/devfs.rules");
    let damaged = append(&rules, LATIN1);
    let o = w.vimage(&["unbridge", "jname=web1"]);
    assert_eq!(code(&o), 73, "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    let k = w.kernel();
    assert_eq!(k.snapshot(), want, "the kernel teardown ran completely: {}", stderr(&o));
    assert!(!k.host_ifnames().iter().any(|n| n.starts_with("epair") || n.starts_with("bridge")));
    assert_eq!(k.devfs_show(50), None, "vimage's ruleset left the kernel");
    assert_eq!(k.devfs_mount_ruleset(WEB1_DEV), Some(5), "web1's /dev has its ruleset back");
    assert_eq!(std::fs::read(&rules).unwrap(), damaged, "the damaged file is left byte for byte");
    let e = stderr(&o);
    // Counted from 1, as cmp(1) counts: `# caf` is five bytes.
    let at = damaged.len() - LATIN1.len() + 6;
    assert!(e.contains("/etc/devfs.rules") && e.contains(&format!("byte {at}")), "names the file and byte: {e}");
    assert!(
        e.contains("not done: /etc/devfs.rules: remove vimage's section [vimage_vnet_bpf="),
        "says what was not done: {e}"
    );
    assert!(e.contains("kernel teardown is complete"), "{e}");

    // Again: the kernel has nothing left of web1, so nothing to do.
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), want);

    // The admin mends the file; gc takes the section out, every other line stays.
    let mended: Vec<u8> = damaged.iter().map(|&b| if b == 0xe9 { b'e' } else { b }).collect();
    std::fs::write(&rules, &mended).unwrap();
    let o = w.vimage(&["gc"]);
    ok(&o);
    assert!(stdout(&o).contains("/etc/devfs.rules"), "{}", stdout(&o));
    assert_eq!(w.host_file("/etc/devfs.rules"), "# cafe (the admin's comment)\n");
    assert_eq!(w.kernel().snapshot(), want);
}

#[test]
fn unbridge_with_a_damaged_jail_rc_conf_tears_down_and_leaves_the_file_alone() {
    let clean = dhcp_world();
    ok(&clean.vimage(&["unbridge", "jname=web1"]));
    let want = clean.kernel().snapshot();

    let w = dhcp_world();
    let rc = w.root.join(WEB1.trim_start_matches('/')).join("etc/rc.conf");
    let damaged = append(&rc, LATIN1);
    let o = w.vimage(&["unbridge", "jname=web1"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), want);
    assert_eq!(std::fs::read(&rc).unwrap(), damaged, "unbridge keeps the jail's rc.conf, damaged or not");
    assert_eq!(w.host_file("/etc/devfs.rules"), "", "vimage's section went with its last jail");
}

#[test]
fn bridge_refuses_before_any_change_when_a_file_it_must_edit_is_damaged() {
    // /etc/devfs.rules, for a DHCP jail.
    let w = World::demo();
    w.jail_rc(WEB1, JAIL_RC);
    w.put_host_file("/etc/devfs.rules", "[mine=7]\nadd hide\n");
    let rules = w.root.join("etc/devfs.rules");
    let damaged = append(&rules, LATIN1);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=REALDHCP"]);
    assert_eq!(code(&o), 65, "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("/etc/devfs.rules") && e.contains("byte 24") && e.contains("line 3"), "{e}");
    assert_eq!(w.kernel().snapshot(), before, "nothing half-done");
    assert_eq!(std::fs::read(&rules).unwrap(), damaged);

    // The jail's rc.conf, for static addresses.
    let w = World::demo();
    let rc = w.jail_rc(WEB1, JAIL_RC);
    let damaged = append(&rc, LATIN1);
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24"]);
    assert_eq!(code(&o), 65, "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("etc/rc.conf") && e.contains(&format!("byte {}", JAIL_RC.len() + 6)), "{e}");
    assert_eq!(w.kernel().snapshot(), before, "nothing half-done");
    assert_eq!(std::fs::read(&rc).unwrap(), damaged);

    // A jail rc.conf whose directory does not exist (a typo in rcconf=) cannot be written:
    // refused before the kernel is touched, not after.
    let w = World::demo();
    let before = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "jname=web1", "ip4_addr=192.168.1.50/24", "rcconf=/nosuch/etc/rc.conf"]);
    assert_eq!(code(&o), 73, "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("/nosuch/etc/rc.conf"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), before, "nothing half-done");
}

const SERVICE_RC: &str =
    "vimage_enable=\"YES\"\nvimage_list=\"web3\"\nvimage_web3_rootdir=\"/vm/web3\"\nvimage_web3_epairs=\"em0\"\n";

/// A service jail web3 with vimage's devfs ruleset on its /dev.
fn service_world() -> World {
    let w = World::demo();
    w.put_host_file("/etc/rc.conf", SERVICE_RC);
    std::fs::create_dir_all(w.root.join("vm/web3/etc")).unwrap();
    ok(&w.vimage(&["start", "web3"]));
    ok(&w.vimage(&["devfs", "jname=web3"]));
    assert_eq!(w.kernel().devfs_mount_ruleset("/vm/web3/dev"), Some(50));
    w
}

#[test]
fn service_stop_takes_vimages_devfs_section_out_of_the_rules_file() {
    let w = World::new(vimage::sim::Kernel::demo());
    let before = w.kernel().snapshot();
    let w2 = service_world();
    ok(&w2.vimage(&["stop", "web3"]));
    let k = w2.kernel();
    assert_eq!(k.jail_jid("web3"), None);
    assert_eq!(k.devfs_show(50), None);
    assert_eq!(w2.host_file("/etc/devfs.rules"), "", "the section goes with the last jail using it");
    let host =
        |s: &vimage::sim::Snapshot| s.interfaces.iter().filter(|i| i.vnet == "host").cloned().collect::<Vec<_>>();
    assert_eq!(host(&k.snapshot()), host(&before));
}

#[test]
fn service_stop_with_a_damaged_devfs_rules_stops_the_jail_then_says_73() {
    let clean = service_world();
    ok(&clean.vimage(&["stop", "web3"]));
    let want = clean.kernel().snapshot();

    let w = service_world();
    let rules = w.root.join("etc/devfs.rules");
    let damaged = append(&rules, LATIN1);
    let o = w.vimage(&["stop", "web3"]);
    assert_eq!(code(&o), 73, "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    assert_eq!(w.kernel().snapshot(), want, "jail, epair, bridge and ruleset are gone: {}", stderr(&o));
    assert_eq!(std::fs::read(&rules).unwrap(), damaged);
    assert!(stderr(&o).contains("not done: /etc/devfs.rules: remove vimage's section"), "{}", stderr(&o));
    let o = w.vimage(&["stop", "web3"]);
    ok(&o);
    assert!(stdout(&o).contains("not running"), "{}", stdout(&o));
}

#[test]
fn service_stop_reads_an_rc_conf_with_a_latin1_comment_as_sh_does() {
    let clean = service_world();
    ok(&clean.vimage(&["stop", "web3"]));
    let want = clean.kernel().snapshot();

    let w = service_world();
    let rc = w.root.join("etc/rc.conf");
    let mut text = LATIN1.to_vec();
    text.extend_from_slice(SERVICE_RC.as_bytes());
    text.extend_from_slice(b"vimage_web3_exec_stop=\"/bin/sh /etc/rc.shutdown jail\"\n");
    std::fs::write(&rc, &text).unwrap();
    w.take_log();
    let o = w.vimage(&["stop", "web3"]);
    ok(&o);
    assert_eq!(w.kernel().snapshot(), want);
    assert!(w.take_log().iter().any(|l| l.contains("/etc/rc.shutdown jail")), "exec_stop ran");
    assert_eq!(std::fs::read(&rc).unwrap(), text, "rc.conf is only read");
}
