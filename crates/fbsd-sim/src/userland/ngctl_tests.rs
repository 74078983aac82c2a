//! `ngctl` as a command: argv, batches from stdin, output formats and exit codes
//! (usr.sbin/ngctl/main.c, show.c, list.c, msg.c, shutdown.c).

use super::run_input;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

fn ngctl(k: &mut Kernel, args: &[&str]) -> Output {
    let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_input(k, Ctx::HOST, "ngctl", &a, None)
}

fn batch(k: &mut Kernel, script: &str) -> Output {
    run_input(k, Ctx::HOST, "ngctl", &["-f".to_string(), "-".to_string()], Some(script))
}

const JNG: &str = "mkpeer em0: bridge lower link0
name em0:lower vimage_em0
connect em0: vimage_em0: upper link1
mkpeer vimage_em0: eiface link2 ether
name vimage_em0:link2 ng0_web1
msg ng0_web1: getifname
";

#[test]
fn a_batch_runs_every_line_in_one_process_and_prints_replies_msg_c() {
    let mut k = Kernel::demo();
    let o = batch(&mut k, JNG);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // em0 is node 1; the socket, the bridge and the eiface come next.
    assert_eq!(o.stdout, "Rec'd response \"getifname\" (1) from \"[4]:\":\nArgs:\t\"ngeth0\"\n");
    assert!(k.ng_host_node("ngctl4001").is_none(), "the socket node goes with the process");
}

#[test]
fn a_batch_stops_at_the_first_failing_line_main_c_readfile() {
    let mut k = Kernel::demo();
    let script = "# comment lines are skipped\nmkpeer em0: bridge lower link0\nname em0:lower br\nname em0:lower br\nmkpeer br: eiface link2 ether\n";
    let o = batch(&mut k, script);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (71, "ngctl: send msg: Address already in use\nngctl: line 4: error in file\n")
    );
    assert!(k.host_iface("ngeth0").is_none(), "line 5 never ran");
    // A usage error stops the batch too, with exit 64.
    let o = batch(&mut k, "name br:\n");
    assert_eq!(o.code, 64);
    assert_eq!(o.stderr, "ngctl: usage: name <path> <name>\nngctl: line 1: error in file\n");
}

#[test]
fn show_prints_the_node_and_its_hooks_newest_first_show_c() {
    let mut k = Kernel::demo();
    batch(&mut k, JNG);
    let o = ngctl(&mut k, &["show", "vimage_em0:"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let want = "  Name: vimage_em0      Type: bridge          ID: 00000003   Num hooks: 3
  Local hook      Peer name       Peer type    Peer ID         Peer hook      
  ----------      ---------       ---------    -------         ---------      
  link2           ng0_web1        eiface       00000004        ether          
  link1           em0             ether        00000001        upper          
  link0           em0             ether        00000001        lower          
";
    assert_eq!(o.stdout, want);
    let o = ngctl(&mut k, &["info", "-n", "em0:"]);
    assert_eq!(o.stdout, "  Name: em0             Type: ether           ID: 00000001   Num hooks: 2\n");
    let o = ngctl(&mut k, &["show", "nosuch:"]);
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: send msg: No such file or directory\n"));
}

#[test]
fn list_counts_its_own_socket_node_list_c() {
    let mut k = Kernel::demo();
    let o = ngctl(&mut k, &["ls"]);
    let want = "There are 2 total nodes:
  Name: em0             Type: ether           ID: 00000001   Num hooks: 0
  Name: ngctl4001       Type: socket          ID: 00000002   Num hooks: 0
";
    assert_eq!(o.stdout, want);
    let o = ngctl(&mut k, &["list", "-n"]);
    assert!(o.stdout.starts_with("There are 2 total named nodes:\n"), "{}", o.stdout);
}

#[test]
fn errors_usage_and_unknown_commands_main_c() {
    let mut k = Kernel::demo();
    let o = ngctl(&mut k, &["shutdown", "nosuch:"]);
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: shutdown: No such file or directory\n"));
    let o = ngctl(&mut k, &["frob"]);
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: \"frob\": unknown command\n"));
    let o = ngctl(&mut k, &["s", "x:"]);
    assert_eq!(o.stderr, "ngctl: \"s\": ambiguous command\n", "show, shutdown, status");
    let o = ngctl(&mut k, &["mkpeer", "em0:"]);
    assert_eq!((o.code, o.stderr.as_str()), (64, "ngctl: usage: mkpeer [path] <type> <hook> <peerhook>\n"));
    let o = ngctl(&mut k, &[]);
    assert_eq!(o.code, 64);
    assert!(o.stderr.starts_with("ngctl: no command specified\nusage: ngctl [-j jail]"), "{}", o.stderr);
    let o = ngctl(&mut k, &["-x"]);
    assert_eq!((o.code, o.stderr.lines().next()), (64, Some("ngctl: illegal option -- x")));
    let o = ngctl(&mut k, &["msg", "em0:", "setpromisc"]);
    assert_eq!(o.stderr, "ngctl: send msg: Invalid argument\n");
    let o = ngctl(&mut k, &["msg", "em0:", "nosuchcmd"]);
    assert_eq!(o.stderr, "ngctl: send msg: Function not implemented\n");
    let o = ngctl(&mut k, &["-f", "/etc/ng.conf"]);
    assert_eq!((o.code, o.stderr.as_str()), (66, "ngctl: /etc/ng.conf: No such file or directory\n"));
}

#[test]
fn msg_replies_for_ints_and_free_links() {
    let mut k = Kernel::demo();
    batch(&mut k, JNG);
    let o = ngctl(&mut k, &["msg", "em0:", "getautosrc"]);
    assert_eq!(o.stdout, "Rec'd response \"getautosrc\" (7) from \"[1]:\":\nArgs:\t0\n", "ng_ether_attach: M_ZERO");
    let o = ngctl(&mut k, &["cmd", "vimage_em0:", "getstats", "3"]);
    assert_eq!((o.code, o.stderr.as_str()), (71, "ngctl: send msg: Socket is not connected\n"));
    let o = ngctl(&mut k, &["msg", "[4]:", "set", "02:00:00:00:00:01"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, ""));
    assert_eq!(k.host_iface("ngeth0").unwrap().mac.as_deref(), Some("02:00:00:00:00:01"));
}

#[test]
fn ngctl_j_works_in_the_jails_graph() {
    let mut k = Kernel::demo();
    let o = ngctl(&mut k, &["-j", "web1", "ls"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("There are 1 total nodes:\n"), "only its socket: {}", o.stdout);
    let o = ngctl(&mut k, &["-j", "nosuch", "ls"]);
    assert_eq!((o.code, o.stderr.as_str()), (68, "ngctl: jail \"nosuch\" not found\n"));
}

#[test]
fn types_lists_the_installed_types_newest_first_with_living_nodes_types_c() {
    let mut k = Kernel::demo();
    assert_eq!(batch(&mut k, JNG).code, 0);
    let o = ngctl(&mut k, &["types"]);
    assert_eq!(o.code, 0);
    // The demo loads ng_socket, ng_ether, ng_bridge, ng_eiface, ng_iface in that order;
    // ng_newtype puts each new type at the head of the list. ngctl's own socket is alive.
    assert_eq!(
        o.stdout,
        "There are 5 total types:\n      Type name   Number of living nodes\n      ---------   ----------------------\n          iface       0\n         eiface       1\n         bridge       1\n          ether       1\n         socket       1\n"
    );
    assert_eq!(ngctl(&mut k, &["types", "x"]).code, 64);
}

#[test]
fn dot_prints_the_graph_as_graphviz_dot_c() {
    let mut k = Kernel::demo();
    assert_eq!(batch(&mut k, "mkpeer em0: bridge lower link0\nname em0:lower br\n").code, 0);
    let o = ngctl(&mut k, &["dot"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("graph netgraph {\n\tedge [ weight = 1.0 ];\n\tnode [ shape = record, fontsize = 12 ] {\n\t\t\"1\" [ label = \"{em0:|{ether|[1]:}}\" ];\n"), "{}", o.stdout);
    assert!(o.stdout.contains("\t\t\"4\" [ label = \"{ngctl"), "ngctl's own socket: {}", o.stdout);
    assert!(
        o.stdout.contains("\tsubgraph cluster_disconnected {\n\t\tbgcolor = pink;\n\t\t\"4\";\n\t};\n"),
        "{}",
        o.stdout
    );
    // Each edge once, from the node with the higher ID.
    assert!(o.stdout.contains("\t\"3.link0\" -- \"1.lower\";\n"), "{}", o.stdout);
    assert!(!o.stdout.contains("\"1.lower\" -- "), "{}", o.stdout);
    assert!(o.stdout.ends_with("};\n"));
}
