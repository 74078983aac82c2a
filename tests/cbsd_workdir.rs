//! The CBSD data layer against a workdir built from the SQL text in tests/fixtures/cbsd:
//! every reader, both jailnic shapes, the JailNet conversion, MAC write-back, and the
//! failure modes (locked → 75, corrupt → 65, missing → 69).

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vimage::cbsd::{self, CbsdDb, DbOptions, Inventory, NicShape, Workdir, jailnic, jails};
use vimage::model::{IfName, JailName, Mac, Uplink};
use vimage::shvars::ShFile;
use vimage_testkit::fixture::{FixtureSpec, build_workdir};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd")
}

fn workdir() -> (tempfile::TempDir, Workdir) {
    let dir = tempfile::tempdir().unwrap();
    let spec = FixtureSpec::from_dir(&fixtures()).unwrap();
    let wd = build_workdir(dir.path(), &spec).unwrap();
    (dir, wd)
}

fn j(name: &str) -> JailName {
    JailName::parse(name).unwrap()
}

/// Short enough to keep lock tests fast, long enough not to flake.
fn quick() -> DbOptions {
    DbOptions { busy_timeout: Duration::from_millis(300) }
}

fn names(net: &vimage::model::JailNet) -> Vec<&str> {
    net.nics.iter().map(|n| n.name.as_str()).collect()
}

#[test]
fn fixtures_are_sql_text_and_the_workdir_looks_like_cbsds() {
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".sqlite") && !name.ends_with(".db"), "binary fixture {name} in the repository");
    }
    let (_d, wd) = workdir();
    let link = std::fs::read_link(wd.local_db()).unwrap();
    assert_eq!(link, PathBuf::from("inv.node1.sqlite"));
    let conn = Connection::open(wd.jail_db(&j("web2"))).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert!(wd.etcdir().is_dir() && wd.tmpdir().is_dir());
}

#[test]
fn inventory_sample_reads_and_edits_line_preservingly() {
    let (_d, wd) = workdir();
    let inv = Inventory::read(&wd.inventory()).unwrap();
    assert_eq!(inv.nodename().unwrap(), "node1");
    assert!(inv.vimage_feature().unwrap());
    assert_eq!(inv.nics(), ["em0", "em1"]);
    assert_eq!(inv.get("repo"), None, "(null) is unset");
    assert_eq!(inv.get("mod_vimage_bridge_enabled"), Some("YES"));
    let text = std::fs::read_to_string(wd.inventory()).unwrap();
    let mut f = ShFile::parse(&text);
    assert_eq!(f.render(), text);
    f.set("mod_vimage_bridge_enabled", "NO").unwrap();
    let out = f.render();
    assert_eq!(out.lines().count(), text.lines().count());
    let changed: Vec<_> = text.lines().zip(out.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed, [("mod_vimage_bridge_enabled=\"YES\"", "mod_vimage_bridge_enabled=\"NO\"")]);
    vimage::shvars::write_atomic(&wd.inventory(), out.as_bytes()).unwrap();
    assert_eq!(Inventory::read(&wd.inventory()).unwrap().get("mod_vimage_bridge_enabled"), Some("NO"));
}

#[test]
fn jails_table_rows_are_normalised() {
    let (_d, wd) = workdir();
    let db = CbsdDb::open_read(&wd.local_db(), &DbOptions::default()).unwrap();
    assert_eq!(jails::jail_names(&db).unwrap(), ["odd1", "plain1", "web1", "web2"], "vm1 is a bhyve VM");

    let web1 = cbsd::load_jail(&wd, &j("web1"), &quick()).unwrap();
    assert!(web1.vnet && web1.is_jail() && web1.wants_dhclient());
    assert_eq!((web1.jid, web1.status, web1.devfs_ruleset), (None, 0, Some(5)));
    assert_eq!(web1.interface.as_deref(), Some("auto"));
    assert_eq!(web1.ci_gw4, None);
    assert_eq!(web1.path.as_deref(), Some("/usr/jails/jails/web1"));
    assert_eq!(web1.columns.get("exec_start"), Some(&Some("0".to_string())));
    assert_eq!(web1.columns.get("sysvsem"), Some(&Some("new".to_string())));

    let web2 = cbsd::load_jail(&wd, &j("web2"), &quick()).unwrap();
    assert_eq!((web2.jid, web2.status), (Some(7), 1));
    assert_eq!(web2.ip4_addrs(), ["10.0.0.20/24"]);
    assert_eq!(web2.ci_gw4.as_deref(), Some("10.0.0.1"));
    assert!(!web2.wants_dhclient());

    let plain1 = cbsd::load_jail(&wd, &j("plain1"), &quick()).unwrap();
    assert!(!plain1.vnet);
    assert_eq!(plain1.devfs_ruleset, Some(4));

    // Text in integer columns ('(null)', '') is tolerated and means unset.
    let odd1 = cbsd::load_jail(&wd, &j("odd1"), &quick()).unwrap();
    assert_eq!((odd1.jid, odd1.status, odd1.devfs_ruleset), (None, 0, None));
    assert_eq!((odd1.ci_gw4.as_deref(), odd1.interface.as_deref(), odd1.ip4_addr.as_deref()), (None, None, None));
    assert!(odd1.vnet);

    let e = cbsd::load_jail(&wd, &j("nosuch"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.to_string().contains("nosuch") && e.to_string().contains("local.sqlite"), "{e}");

    let json = serde_json::to_value(&web2).unwrap();
    assert_eq!(json["jid"], 7);
}

#[test]
fn meaningless_text_in_an_integer_column_names_jail_and_column() {
    let (_d, wd) = workdir();
    Connection::open(wd.local_db())
        .unwrap()
        .execute("UPDATE jails SET devfs_ruleset = 'five' WHERE jname = 'odd1'", [])
        .unwrap();
    let e = cbsd::load_jail(&wd, &j("odd1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert_eq!(e.jail.as_deref(), Some("odd1"));
    assert!(e.message.contains("devfs_ruleset") && e.message.contains("five"), "{e}");
    // Other jails stay readable.
    assert!(cbsd::load_jail(&wd, &j("web1"), &quick()).is_ok());

    Connection::open(wd.jail_db(&j("web1")))
        .unwrap()
        .execute("UPDATE jailnic SET nic_order = 'first' WHERE name = 'nic1'", [])
        .unwrap();
    let e = cbsd::load_nics(&wd, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(e.message.contains("nic1") && e.message.contains("nic_order") && e.message.contains("first"), "{e}");
}

#[test]
fn jailnic_14_and_15_shapes() {
    let (_d, wd) = workdir();
    let v14 = cbsd::load_nics(&wd, &j("web1"), &quick()).unwrap();
    assert_eq!(v14.shape, NicShape::V14);
    let rows: Vec<_> = v14.rows.iter().map(|r| (r.id, r.name.as_str(), r.nic_parent.as_deref())).collect();
    assert_eq!(rows, [(1, "epairb", Some("auto")), (2, "nic1", Some("em1"))]);
    assert_eq!(v14.rows[0].nic_hwaddr, None, "'0' is unset");
    assert_eq!(v14.rows[1].nic_address.as_deref(), Some("10.1.0.1/24"));
    assert_eq!(v14.rows[1].nic_mtu, None);

    let v15 = cbsd::load_nics(&wd, &j("web2"), &quick()).unwrap();
    assert_eq!(v15.shape, NicShape::V15);
    let eth1 = &v15.rows[1];
    assert_eq!((eth1.name.as_str(), eth1.nic_mtu, eth1.nic_flags.as_deref()), ("eth1", Some(9000), Some("private")));
    assert_eq!(eth1.nic_vlan_untagged.as_deref(), Some("100"));
    assert_eq!(eth1.nic_vlan_tagged, None);
    assert_eq!(serde_json::to_value(&v15).unwrap()["shape"], "15.x");

    // The fixtures carry exactly CBSD's column lists (share/local-jailnic.schema, 14.1.3a / 15.0.x).
    let cols = |jail: &str| CbsdDb::open_read(&wd.jail_db(&j(jail)), &quick()).unwrap().columns("jailnic").unwrap();
    let v14_cols = "id name nic_order nic_slot nic_parent nic_hwaddr nic_address nic_persistent";
    assert_eq!(cols("web1").join(" "), v14_cols);
    assert_eq!(cols("web2").join(" "), format!("{v14_cols} nic_mtu nic_flags nic_vlan_untagged nic_vlan_tagged"));
}

#[test]
fn cbsd_jails_become_jailnets() {
    let (_d, wd) = workdir();
    let web1 = cbsd::load_cbsd_jail(&wd, &j("web1"), &quick()).unwrap().net;
    assert_eq!(names(&web1), ["eth0", "eth1"], "14.x: positional names, not epairb/nic1");
    assert_eq!(web1.nics[0].uplink(), Some(&Uplink::Auto));
    assert_eq!(web1.nics[0].mac, None);
    assert_eq!(web1.nics[1].uplink(), Some(&Uplink::Named(IfName::parse("em1").unwrap())));
    assert_eq!(web1.nics[1].mac, Some(Mac::parse("00:a0:98:12:34:56").unwrap()));
    assert_eq!(web1.nics.iter().map(|n| n.index).collect::<Vec<_>>(), [0, 1]);

    let web2 = cbsd::load_cbsd_jail(&wd, &j("web2"), &quick()).unwrap();
    assert_eq!(names(&web2.net), ["eth0", "eth1"]);
    assert_eq!(web2.net.nics[0].uplink(), Some(&Uplink::Named(IfName::parse("em0").unwrap())));
    assert_eq!(web2.net.nics[1].uplink(), Some(&Uplink::Named(IfName::parse("bridge0").unwrap())));
    assert_eq!(web2.net.nics[1].mac, Some(Mac::parse("02:ff:f0:aa:bb:01").unwrap()));

    // A 15.x name is the in-jail name, and nic_order decides the order before id.
    let conn = Connection::open(wd.jail_db(&j("web2"))).unwrap();
    conn.execute("UPDATE jailnic SET name = 'wan', nic_order = 1 WHERE name = 'eth0'", []).unwrap();
    let net = cbsd::load_cbsd_jail(&wd, &j("web2"), &quick()).unwrap().net;
    assert_eq!(names(&net), ["eth1", "wan"]);
    assert_eq!(net.nics[1].index, 1);

    // A multicast MAC is refused with jail, NIC and value.
    conn.execute("UPDATE jailnic SET nic_hwaddr = '01:00:5e:00:00:01' WHERE name = 'wan'", []).unwrap();
    let e = cbsd::load_cbsd_jail(&wd, &j("web2"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(
        e.to_string().contains("web2") && e.message.contains("wan") && e.message.contains("01:00:5e:00:00:01"),
        "{e}"
    );
}

#[test]
fn generated_mac_is_written_back_to_jailnic() {
    let (_d, wd) = workdir();
    let mac = Mac::parse("02:5e:00:00:00:01").unwrap();
    let prev = jailnic::set_nic_hwaddr(&wd, &j("web1"), 1, mac, &quick()).unwrap();
    assert_eq!(prev, None);
    let net = cbsd::load_cbsd_jail(&wd, &j("web1"), &quick()).unwrap().net;
    assert_eq!(net.nics[0].mac, Some(mac));
    assert_eq!(net.nics[1].mac, Some(Mac::parse("00:a0:98:12:34:56").unwrap()), "other rows untouched");
    let again =
        jailnic::set_nic_hwaddr(&wd, &j("web1"), 1, Mac::parse("02:5e:00:00:00:02").unwrap(), &quick()).unwrap();
    assert_eq!(again.as_deref(), Some("02:5e:00:00:00:01"));
    // Written as CBSD writes MACs, and the database stays in WAL mode.
    let conn = Connection::open(wd.jail_db(&j("web1"))).unwrap();
    let stored: String = conn.query_row("SELECT nic_hwaddr FROM jailnic WHERE id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, "02:5e:00:00:00:02");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");

    let e = jailnic::set_nic_hwaddr(&wd, &j("web1"), 99, mac, &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.message.contains("id 99"), "{e}");
    let e = jailnic::set_nic_hwaddr(&wd, &j("plain1"), 1, mac, &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
}

#[test]
fn a_locked_database_is_tempfail_75_naming_the_file() {
    let (_d, wd) = workdir();
    // WAL (CBSD's mode): a writer holding the lock blocks writers, never readers.
    let holder = Connection::open(wd.jail_db(&j("web1"))).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE; UPDATE jailnic SET nic_slot = '9' WHERE id = 2;").unwrap();
    let start = Instant::now();
    let mac = Mac::parse("02:5e:00:00:00:01").unwrap();
    let e = jailnic::set_nic_hwaddr(&wd, &j("web1"), 1, mac, &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 75, "{e}");
    assert!(e.message.contains(&wd.jail_db(&j("web1")).display().to_string()), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5), "the busy timeout applies");
    assert!(cbsd::load_nics(&wd, &j("web1"), &quick()).is_ok(), "WAL readers do not wait");
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(jailnic::set_nic_hwaddr(&wd, &j("web1"), 1, mac, &quick()).is_ok());

    // Rollback-journal mode (an old or hand-made database): an exclusive lock blocks readers.
    let main = wd.dbdir().join("inv.node1.sqlite");
    let conn = Connection::open(&main).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete");
    conn.execute_batch("BEGIN EXCLUSIVE; UPDATE jails SET status = 1 WHERE jname = 'web1';").unwrap();
    let e = cbsd::load_jail(&wd, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 75, "{e}");
    assert!(e.message.contains("local.sqlite"), "{e}");
    conn.execute_batch("ROLLBACK").unwrap();
    assert!(cbsd::load_jail(&wd, &j("web1"), &quick()).is_ok());
}

#[test]
fn a_corrupt_database_is_data_65_naming_the_file() {
    let (_d, wd) = workdir();
    let db = wd.jail_db(&j("web1"));
    let _ = std::fs::remove_file(db.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(db.with_extension("sqlite-shm"));
    // Random bytes (xorshift, deterministic).
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&db, &bytes).unwrap();
    let e = cbsd::load_nics(&wd, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65, "{e}");
    assert!(e.message.contains(&db.display().to_string()), "{e}");
    assert_eq!(e.jail.as_deref(), Some("web1"));

    // A valid header over garbage pages: also 65, never a panic.
    let mut damaged = std::fs::read(wd.dbdir().join("inv.node1.sqlite")).unwrap();
    for b in damaged.iter_mut().skip(100) {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &damaged).unwrap();
    let e = cbsd::load_nics(&wd, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65, "{e}");
}

#[test]
fn missing_files_are_unavailable_69_with_a_clear_message() {
    let (_d, wd) = workdir();
    let e = cbsd::load_nics(&wd, &j("plain1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert_eq!(e.jail.as_deref(), Some("plain1"));
    assert!(e.message.contains("jails-system/plain1/local.sqlite") && e.message.contains("does not exist"), "{e}");

    let nowhere = Workdir::new("/nonexistent/cbsd");
    let e = cbsd::load_jail(&nowhere, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 69);
    assert!(e.message.contains("/nonexistent/cbsd/var/db/local.sqlite"), "{e}");
    assert_eq!(Inventory::read(&nowhere.inventory()).unwrap_err().exit_code(), 69);

    // A dangling local.sqlite symlink (inv.<node>.sqlite removed) is also "does not exist".
    std::fs::remove_file(wd.dbdir().join("inv.node1.sqlite")).unwrap();
    assert_eq!(cbsd::load_jail(&wd, &j("web1"), &quick()).unwrap_err().exit_code(), 69);

    // A database without the expected table is bad data, not a crash.
    let (_d2, wd2) = workdir();
    Connection::open(wd2.jail_db(&j("web1"))).unwrap().execute_batch("DROP TABLE jailnic").unwrap();
    let e = cbsd::load_nics(&wd2, &j("web1"), &quick()).unwrap_err();
    assert_eq!(e.exit_code(), 65);
    assert!(e.message.contains("no table jailnic"), "{e}");
}
