//! The standalone service's configuration: `vimage_*` variables in rc.conf, as the original
//! vimage rc.d script had them (reference/freebsd.md §9), turned into jail parameters and a
//! `JailNet` for the same planner CBSD jails use.

pub mod vars;

use crate::error::{Error, Kind, Result};
use crate::model::link::{MemberFlag, parse_mtu, parse_offload};
use crate::model::privnet::{NetDef, NetInput, NetSource};
use crate::model::{IfName, JailName, JailNet, Uplink, Userland};
use crate::paths::Paths;
use crate::resolve::{self, NicName, NicPartial, Partial, Source};
use serde::Serialize;
use vars::Vars;

/// The files rc.subr's `load_rc_config vimage` reads, in order (later wins). Under
/// `VIMAGE_ROOT`; `/etc/defaults/rc.conf` has no `vimage_*` variables, so it is skipped.
pub const RC_FILES: [&str; 4] =
    ["/etc/rc.conf", "/etc/rc.conf.local", "/etc/rc.conf.d/vimage", "/usr/local/etc/rc.conf.d/vimage"];

/// Every rc.conf variable the service reads: (name, default, meaning). The man page's
/// RC.CONF VARIABLES section is generated from this table.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    ("vimage_enable", "NO", "start the vimages in vimage_list at boot"),
    ("vimage_list", "", "the vimages, in start order (stopped in reverse)"),
    ("vimage_parallel_start", "NO", "start all vimages at once instead of one after another"),
    ("vimage_program", "/usr/local/bin/vimage", "the vimage binary the rc.d script runs"),
    (
        "vimage_NAME_rootdir",
        "",
        "the jail's root directory (required; several vimages may share one; \"/\" shares the host's, with _devfs_enable=NO)",
    ),
    ("vimage_NAME_hostname", "NAME", "the jail's host.hostname"),
    ("vimage_NAME_epairs", "", "uplinks, one epair NIC each, named eth0, eth1, ... inside the jail"),
    (
        "vimage_NAME_ifnames",
        "",
        "in-jail names of the epair NICs (keeps configurations of vimages sharing a rootdir apart)",
    ),
    (
        "vimage_NAME_vlan",
        "",
        "VLAN of each epair NIC's uplink, one word per _epairs entry or one for all (0: none): NIC on vlan(4) UPLINK.VLAN, created and destroyed by vimage when missing",
    ),
    ("vimage_NAME_bridges", "", "netgraph uplinks, one ng_eiface each, named ng0_NAME, ng1_NAME, ... (netgraph mode)"),
    ("vimage_NAME_vnets", "", "physical interfaces moved into the jail and returned on stop (passthrough)"),
    (
        "vimage_NAME_userland",
        "",
        "freebsd or linux: what runs in the jail (default: read from ROOTDIR/bin/sh); linux keeps the kernel's interface names and configures everything from the host",
    ),
    ("vimage_NAME_mtu", "", "MTU of the jail ends of the epair NICs, at most the bridge's (default: the bridge's)"),
    ("vimage_NAME_flags", "", "bridge member flags of the epairs' host ends, e.g. private"),
    ("vimage_NAME_offload", "on", "off: -txcsum -txcsum6 -tso -lro on both ends of each epair"),
    ("vimage_NAME_devfs_enable", "YES", "mount devfs in the jail"),
    ("vimage_NAME_devfs_ruleset", "5", "the devfs ruleset of the jail's /dev"),
    ("vimage_NAME_exec_start", "/bin/sh /etc/rc", "run inside the jail by its /bin/sh once the network is up"),
    ("vimage_NAME_exec_stop", "/bin/sh /etc/rc.shutdown jail", "run inside the jail before its network is taken back"),
    ("vimage_NAME_parameters", "", "further jail(8) parameters, e.g. \"allow.raw_sockets children.max=2\""),
    ("vimage_net_list", "", "private networks (vimage net) defined here; vimage reads them and never changes them"),
    ("vimage_net_NET_cidr", "", "the network's IPv4 CIDR, e.g. 10.77.0.0/24 (required)"),
    (
        "vimage_net_NET_gateway",
        "first host address",
        "the host's address on the network's bridge and the jails' router",
    ),
    ("vimage_net_NET_nat", "auto", "auto, an interface, or 0: the NAT the network wants"),
    ("vimage_net_NET_cidr6", "", "an IPv6 network; the bridge gets its first host address"),
    ("vimage_net_NET_private", "NO", "YES isolates the network's jails from each other (bridge member flag private)"),
];

/// `vimage_NAME_exec_stop`'s default, as rc.d/jail's: also what stops a vimage whose rc.conf
/// lines were removed after `vimage start` started it.
pub const DEFAULT_EXEC_STOP: &str = "/bin/sh /etc/rc.shutdown jail";

/// One vimage: a vnet jail started by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VimageConf {
    /// The `NAME` in `vimage_NAME_*`: the jail's name.
    pub name: JailName,
    /// `vimage_NAME_rootdir` (several vimages may share one); `None` when it is not set, which
    /// `vimage start` refuses: the host's own `/` is a jail's root only when written as such.
    pub rootdir: Option<String>,
    /// `vimage_NAME_hostname`, default NAME.
    pub hostname: String,
    /// `vimage_NAME_epairs`: uplinks, one epair NIC each (`eth0`, `eth1`, … or `_ifnames`).
    pub epairs: Vec<String>,
    /// `vimage_NAME_ifnames`: in-jail names of the epair NICs, for vimages sharing a rootdir.
    pub ifnames: Vec<String>,
    /// `vimage_NAME_vlan`: the VLAN of each epair NIC's uplink (one word per `_epairs` entry,
    /// or one for all; `0`: none), as `vlan=` on the command line.
    pub vlan: Vec<String>,
    /// `vimage_NAME_bridges`: netgraph uplinks (`ng<i>_NAME`).
    pub bridges: Vec<String>,
    /// `vimage_NAME_vnets`: physical interfaces passed through.
    pub vnets: Vec<String>,
    /// `vimage_NAME_devfs_enable` (default YES): mount devfs in the jail.
    pub devfs_enable: bool,
    /// `vimage_NAME_devfs_ruleset` (default 5, FreeBSD's devfsrules_jail_vnet).
    pub devfs_ruleset: u32,
    /// `vimage_NAME_exec_start` (default `/bin/sh /etc/rc`), run inside the jail by its sh.
    pub exec_start: String,
    /// `vimage_NAME_exec_stop` (default `/bin/sh /etc/rc.shutdown jail`).
    pub exec_stop: String,
    /// `vimage_NAME_parameters`: extra `jail -c` parameters (`allow.raw_sockets children.max=2`).
    pub parameters: Vec<String>,
    /// `vimage_NAME_userland`: `freebsd` or `linux`; unset, vimage reads the jail's /bin/sh.
    pub userland: Option<Userland>,
    /// `vimage_NAME_mtu`, `_flags`, `_offload`: link settings of every epair NIC.
    #[serde(skip)]
    pub link: crate::resolve::LinkPartial,
}

/// The service's global settings and every vimage in `vimage_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceConf {
    /// `vimage_enable`: the service does anything at all.
    pub enable: bool,
    /// `vimage_parallel_start`: start every vimage at once instead of one after another.
    pub parallel_start: bool,
    /// The vimages of `vimage_list`, in its order (the start order).
    pub list: Vec<VimageConf>,
}

fn words(v: Option<&str>) -> Vec<String> {
    v.unwrap_or_default().split_whitespace().map(str::to_string).collect()
}

/// Reads the rc.conf files under `paths`. sh reads them byte for byte, so a byte that is not
/// UTF-8 (a Latin-1 comment) is read as U+FFFD and keeps no other line from being read: a
/// damaged comment cannot keep the service from stopping its jails.
pub fn load(paths: &Paths) -> Result<Vars> {
    let mut v = Vars::default();
    for f in RC_FILES {
        let p = paths.host(f);
        match std::fs::read(&p) {
            Ok(t) => v.read(&String::from_utf8_lossy(&t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::new(Kind::Os, format!("cannot read {}: {e}", p.display()))),
        }
    }
    Ok(v)
}

/// `vimage_NAME_userland` of `jail` in the rc.conf files under `paths`, so `vimage bridge`
/// and `status` see the same userland the service does; `None` when it is not set (or the
/// jail's name cannot be a `vimage_NAME_` variable).
pub fn userland_of(paths: &Paths, jail: &JailName) -> Result<Option<Userland>> {
    let name = jail.as_str();
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Ok(None);
    }
    let var = format!("vimage_{name}_userland");
    match load(paths)?.get(&var).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Userland::parse(v).map(Some).map_err(|e| Error::jail(Kind::Data, jail, format!("{var}: {}", e.0))),
    }
}

/// The private networks `vimage_net_list` names, each from its `vimage_net_NET_*` variables,
/// validated as `vimage net create` validates its keys (an error names the variable).
pub fn networks(v: &Vars) -> Result<Vec<NetDef>> {
    let mut out = Vec::new();
    for n in words(v.get("vimage_net_list")) {
        let var = |k: &str| v.get(&format!("vimage_net_{n}_{k}")).unwrap_or_default().to_string();
        let (cidr, gateway, nat, cidr6) = (var("cidr"), var("gateway"), var("nat"), var("cidr6"));
        let private = v.yes(&format!("vimage_net_{n}_private"));
        let input = NetInput { name: &n, cidr: &cidr, gateway: &gateway, nat: &nat, cidr6: &cidr6, private };
        let d = NetDef::from_input(&input, NetSource::RcConf).map_err(|e| {
            Error::new(Kind::Data, format!("rc.conf: network {n:?} (vimage_net_list): {}", e.0))
                .about(crate::error::Object::network(&n))
        })?;
        out.push(d);
    }
    Ok(out)
}

/// The whole service configuration.
pub fn service(v: &Vars) -> Result<ServiceConf> {
    let list = words(v.get("vimage_list")).iter().map(|n| vimage(v, n)).collect::<Result<_>>()?;
    Ok(ServiceConf { enable: v.yes("vimage_enable"), parallel_start: v.yes("vimage_parallel_start"), list })
}

/// The per-vimage variable names without their `vimage_NAME_` prefix (`rootdir`, `epairs`, …).
fn per_vimage_keys() -> impl Iterator<Item = &'static str> {
    VARIABLES.iter().filter_map(|(n, _, _)| n.strip_prefix("vimage_NAME_"))
}

/// True when `name` is a vimage the admin configured: it is in `vimage_list`, or one of its
/// `vimage_NAME_*` variables is set. Only then may `vimage start` create a jail of that name
/// (a typo must never become a jail on the host's `/`), and `vimage stop` remove one.
pub fn configured(v: &Vars, name: &str) -> bool {
    words(v.get("vimage_list")).iter().any(|n| n == name)
        || per_vimage_keys().any(|k| v.get(&format!("vimage_{name}_{k}")).is_some())
}

/// The refusal for a name that is not a vimage (exit 64, nothing touched), with the closest
/// configured name when there is one.
pub fn not_a_vimage(v: &Vars, name: &str) -> Error {
    let mut e = Error::jail(
        Kind::Usage,
        name,
        format!(
            "is not a vimage: it is not in vimage_list and no vimage_{name}_* variable is set \
             (/etc/rc.conf, /etc/rc.conf.local, rc.conf.d/vimage); nothing was done"
        ),
    );
    let known: Vec<String> = configured_names(v);
    if let Some(s) = crate::suggest::suggest(name, known.iter().map(String::as_str)) {
        e = e.detail(format!("did you mean {s}?"));
    }
    e.detail(format!("configure it first, e.g. sysrc vimage_list+=\" {name}\" vimage_{name}_rootdir=/jails/{name}"))
}

/// Every name that [`configured`] accepts: `vimage_list`, then names of other `vimage_*_KEY`
/// variables.
fn configured_names(v: &Vars) -> Vec<String> {
    let mut names = words(v.get("vimage_list"));
    for key in v.keys() {
        for k in per_vimage_keys() {
            if let Some(n) = key.strip_prefix("vimage_").and_then(|r| r.strip_suffix(&format!("_{k}")))
                && !n.is_empty()
                && !names.iter().any(|x| x == n)
            {
                names.push(n.to_string());
            }
        }
    }
    names
}

/// The configuration of vimage `name`, which must be [`configured`] (in `vimage_list` or with
/// a `vimage_NAME_*` variable): any other name is refused with [`not_a_vimage`].
pub fn vimage(v: &Vars, name: &str) -> Result<VimageConf> {
    let jail = JailName::parse(name).map_err(|e| Error::new(Kind::Data, format!("vimage_list: {e}")))?;
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::jail(
            Kind::Data,
            name,
            "cannot be a vimage: rc.conf variable names (vimage_NAME_…) allow only letters, digits and _",
        ));
    }
    if !configured(v, name) {
        return Err(not_a_vimage(v, name));
    }
    let get = |k: &str| v.get(&format!("vimage_{name}_{k}"));
    let bad = |k: &str, why: String| Error::jail(Kind::Data, name, format!("vimage_{name}_{k}: {why}"));
    let devfs_ruleset = match get("devfs_ruleset") {
        None | Some("") => 5,
        Some(s) => s.parse().map_err(|_| bad("devfs_ruleset", format!("{s:?} is not a ruleset number")))?,
    };
    let conf = VimageConf {
        name: jail,
        rootdir: get("rootdir").filter(|s| !s.is_empty()).map(str::to_string),
        hostname: get("hostname").filter(|s| !s.is_empty()).unwrap_or(name).to_string(),
        epairs: words(get("epairs")),
        ifnames: words(get("ifnames")),
        vlan: words(get("vlan")),
        bridges: words(get("bridges")),
        vnets: words(get("vnets")),
        devfs_enable: get("devfs_enable").is_none_or(|_| v.yes(&format!("vimage_{name}_devfs_enable"))),
        devfs_ruleset,
        exec_start: get("exec_start").unwrap_or("/bin/sh /etc/rc").to_string(),
        exec_stop: exec_stop(v, name),
        parameters: words(get("parameters")),
        userland: match get("userland").filter(|s| !s.is_empty()) {
            None => None,
            Some(u) => Some(Userland::parse(u).map_err(|e| bad("userland", e.0))?),
        },
        link: crate::resolve::LinkPartial {
            mtu: get("mtu").filter(|s| !s.is_empty()).map(parse_mtu).transpose().map_err(|e| bad("mtu", e.0))?,
            flags: get("flags")
                .filter(|s| !s.is_empty())
                .map(MemberFlag::parse_list)
                .transpose()
                .map_err(|e| bad("flags", e.0))?,
            offload_off: get("offload")
                .filter(|s| !s.is_empty())
                .map(parse_offload)
                .transpose()
                .map_err(|e| bad("offload", e.0))?,
        },
    };
    if let Some(r) = conf.rootdir.as_deref().filter(|r| !r.starts_with('/')) {
        return Err(bad("rootdir", format!("{r:?} is not an absolute path")));
    }
    for p in &conf.parameters {
        let key = p.split('=').next().unwrap_or_default();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_') {
            return Err(bad("parameters", format!("{p:?} is not a jail parameter")));
        }
        if matches!(key, "name" | "path" | "vnet" | "host.hostname" | "persist" | "jid") {
            return Err(bad("parameters", format!("{key} is set by vimage itself")));
        }
    }
    if !conf.ifnames.is_empty() && conf.ifnames.len() != conf.epairs.len() {
        return Err(bad(
            "ifnames",
            format!("names {} NICs but _epairs lists {}", conf.ifnames.len(), conf.epairs.len()),
        ));
    }
    if conf.vlan.len() > 1 && conf.vlan.len() != conf.epairs.len() {
        return Err(bad(
            "vlan",
            format!("gives {} VLANs but _epairs lists {} NICs", conf.vlan.len(), conf.epairs.len()),
        ));
    }
    Ok(conf)
}

/// `vimage_NAME_exec_stop`, or its default.
pub fn exec_stop(v: &Vars, name: &str) -> String {
    v.get(&format!("vimage_{name}_exec_stop")).unwrap_or(DEFAULT_EXEC_STOP).to_string()
}

impl VimageConf {
    /// The network the planner should give this vimage: its rc.conf is the only source.
    pub fn jailnet(&self) -> Result<JailNet> {
        resolve::layer(&self.name, &[(Source::RcConf, &self.partial()?)]).map(|(net, _)| net)
    }

    /// What rc.conf says about the vimage's network: `_epairs` (named by `_ifnames`, else
    /// the resolver's `eth<i>`), `_bridges`, `_vnets` and `_userland`.
    pub fn partial(&self) -> Result<Partial> {
        let bad = |e: crate::model::Invalid| Error::jail(Kind::Data, &self.name, e.0);
        let mut list = Vec::with_capacity(self.epairs.len());
        for (i, up) in self.epairs.iter().enumerate() {
            let name = self.ifnames.get(i).map(|n| IfName::parse(n).map_err(bad)).transpose()?;
            let vlan = match self.vlan.get(i).or(if self.vlan.len() == 1 { self.vlan.first() } else { None }) {
                None => crate::resolve::VlanPartial::default(),
                Some(w) if w == "0" => crate::resolve::VlanPartial { vlan: Some(None), ..Default::default() },
                Some(w) => {
                    let v = crate::model::vlan::parse_vid(w).map_err(|e| {
                        Error::jail(Kind::Data, &self.name, format!("vimage_{}_vlan: {}", self.name, e.0))
                    })?;
                    crate::resolve::VlanPartial { vlan: Some(Some(v)), ..Default::default() }
                }
            };
            list.push(NicPartial {
                uplink: Some(Uplink::parse(up).map_err(bad)?),
                name: name.map(NicName::Chosen),
                mac: None,
                vlan,
                link: Default::default(),
            });
        }
        Ok(Partial {
            list: Some(list),
            bridges: Some(self.bridges.iter().map(|b| Uplink::parse(b).map_err(bad)).collect::<Result<Vec<_>>>()?),
            vnets: Some(self.vnets.iter().map(|v| IfName::parse(v).map_err(bad)).collect::<Result<Vec<_>>>()?),
            userland: self.userland,
            link: self.link.clone(),
            ..Partial::default()
        })
    }

    /// The jail's root directory, refusing what `vimage start` must not do: no
    /// `vimage_NAME_rootdir` (the host's `/` is a jail's root only when written as `"/"`), and
    /// `/` with devfs mounted (jail(8)'s mount.devfs would mount a second devfs, with the
    /// jail's ruleset, over the host's own /dev).
    pub fn root(&self) -> Result<&str> {
        let name = &self.name;
        let Some(r) = self.rootdir.as_deref() else {
            return Err(Error::jail(
                Kind::Data,
                name,
                format!("vimage_{name}_rootdir is not set, so there is no root directory for the jail"),
            )
            .detail(format!("set it, e.g. sysrc vimage_{name}_rootdir=/jails/{name} (\"/\" shares the host's root)")));
        };
        if r.trim_end_matches('/').is_empty() && self.devfs_enable {
            return Err(Error::jail(
                Kind::Data,
                name,
                format!(
                    "vimage_{name}_rootdir is \"/\" and devfs would be mounted on /dev, covering the host's own /dev"
                ),
            )
            .detail(format!("set vimage_{name}_devfs_enable=NO for a vimage that shares the host's root")));
        }
        Ok(r)
    }

    /// `jail -c` parameters, as `key=value` words (no shell involved); refused as [`Self::root`]
    /// says.
    pub fn jail_params(&self) -> Result<Vec<String>> {
        let mut p = vec![
            format!("name={}", self.name),
            format!("path={}", self.root()?),
            format!("host.hostname={}", self.hostname),
            "vnet".to_string(),
            "persist".to_string(),
        ];
        if self.devfs_enable {
            p.push("mount.devfs".into());
            p.push(format!("devfs_ruleset={}", self.devfs_ruleset));
        }
        p.extend(self.parameters.iter().cloned());
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vars {
        let mut v = Vars::default();
        v.read(text);
        v
    }

    #[test]
    fn defaults_and_overrides() {
        let v = vars(
            "vimage_enable=YES\nvimage_list=\"web db\"\nvimage_web_epairs=\"em0 em1\"\nvimage_web_rootdir=/j/shared\n\
             vimage_db_rootdir=/j/shared\nvimage_db_hostname=db.example.org\nvimage_db_devfs_enable=NO\n\
             vimage_db_parameters=\"allow.raw_sockets children.max=2\"\n",
        );
        let s = service(&v).unwrap();
        assert!(s.enable && !s.parallel_start);
        assert_eq!(s.list.len(), 2);
        let web = &s.list[0];
        assert_eq!((web.rootdir.as_deref(), web.hostname.as_str(), web.devfs_ruleset), (Some("/j/shared"), "web", 5));
        assert_eq!(web.exec_start, "/bin/sh /etc/rc");
        let n = web.jailnet().unwrap();
        assert_eq!(n.nics.iter().map(|n| n.name.to_string()).collect::<Vec<_>>(), ["eth0", "eth1"]);
        assert_eq!(
            web.jail_params().unwrap(),
            ["name=web", "path=/j/shared", "host.hostname=web", "vnet", "persist", "mount.devfs", "devfs_ruleset=5"]
        );
        assert_eq!(n.userland, None, "unset: read from the jail's /bin/sh");
        assert!(!n.nics[0].name_given);
        let db = &s.list[1];
        assert!(!db.devfs_enable);
        assert_eq!(db.jail_params().unwrap()[5..], ["allow.raw_sockets", "children.max=2"]);
        assert!(db.jailnet().unwrap().nics.is_empty());
    }

    #[test]
    fn rcconf_link_settings_reach_every_epair_nic_and_bad_ones_name_the_variable() {
        let v = vars(
            "vimage_list=web\nvimage_web_rootdir=/j/web\nvimage_web_epairs=\"em0 em1\"\nvimage_web_mtu=1400\n\
             vimage_web_flags=\"private -learn\"\nvimage_web_offload=off\n",
        );
        let n = vimage(&v, "web").unwrap().jailnet().unwrap();
        for nic in &n.nics {
            assert_eq!(nic.link.mtu, Some(1400));
            assert_eq!(nic.link.flags.iter().map(|f| f.to_string()).collect::<Vec<_>>(), ["private", "-learn"]);
            assert!(nic.link.offload_off);
        }
        let bad = vars("vimage_list=web\nvimage_web_rootdir=/j/web\nvimage_web_flags=span\n");
        let e = vimage(&bad, "web").unwrap_err().to_string();
        assert!(e.contains("vimage_web_flags") && e.contains("unknown bridge member flag"), "{e}");
    }

    #[test]
    fn an_rcconf_vimage_resolves_alone_with_the_one_default_name() {
        let v = vars(
            "vimage_list=web\nvimage_web_rootdir=/j/web\nvimage_web_epairs=\"em0 auto\"\n\
             vimage_web_ifnames=\"lan0 eth1\"\nvimage_web_bridges=em1\nvimage_web_vnets=em2\nvimage_web_userland=linux\n",
        );
        let web = vimage(&v, "web").unwrap();
        let (n, source) = resolve::layer(&web.name, &[(Source::RcConf, &web.partial().unwrap())]).unwrap();
        assert_eq!(source, Source::RcConf);
        let got: Vec<(&str, &str, bool)> =
            n.nics.iter().map(|x| (x.name.as_str(), x.mode.as_str(), x.name_given)).collect();
        assert_eq!(
            got,
            [
                ("lan0", "epair", true),
                ("eth1", "epair", true),
                ("ng0_web", "netgraph", false),
                ("em2", "passthrough", false)
            ]
        );
        assert_eq!(n.userland, Some(Userland::Linux));
        assert_eq!(n, web.jailnet().unwrap());
        // Without _ifnames the names are the resolver's eth<i>, not the admin's.
        let v = vars("vimage_list=db\nvimage_db_epairs=\"em0 em1\"\n");
        let n = vimage(&v, "db").unwrap().jailnet().unwrap();
        assert_eq!(
            n.nics.iter().map(|x| (x.name.as_str(), x.name_given)).collect::<Vec<_>>(),
            [("eth0", false), ("eth1", false)]
        );
    }

    #[test]
    fn only_configured_names_are_vimages() {
        let v = vars("vimage_list=\"web\"\nvimage_db_epairs=em0\nvimage_web_1_rootdir=/j/w1\n");
        assert!(configured(&v, "web") && configured(&v, "db") && configured(&v, "web_1"));
        for typo in ["typo", "wb", "list", "1", "web_"] {
            assert!(!configured(&v, typo), "{typo}");
        }
        let e = vimage(&v, "wbe").unwrap_err();
        assert_eq!(e.exit_code(), 64, "{e}");
        assert!(e.to_string().contains("is not a vimage") && e.to_string().contains("did you mean web?"), "{e}");
        assert!(vimage(&v, "db").is_ok());
    }

    #[test]
    fn the_hosts_root_only_when_written_and_never_with_devfs_on_it() {
        let v = vars("vimage_list=\"a b c\"\nvimage_b_rootdir=\"/\"\nvimage_c_rootdir=/\nvimage_c_devfs_enable=NO\n");
        let e = vimage(&v, "a").unwrap().jail_params().unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(e.to_string().contains("vimage_a_rootdir is not set"), "{e}");
        let e = vimage(&v, "b").unwrap().jail_params().unwrap_err();
        assert!(e.to_string().contains("covering the host's own /dev"), "{e}");
        assert_eq!(vimage(&v, "c").unwrap().jail_params().unwrap()[1], "path=/");
    }

    #[test]
    fn refusals_name_the_variable() {
        let e = service(&vars("vimage_list=\"we-b\"\n")).unwrap_err();
        assert!(e.message.contains("letters, digits and _"), "{e}");
        let e = service(&vars("vimage_list=a\nvimage_a_rootdir=rel\n")).unwrap_err();
        assert!(e.message.contains("vimage_a_rootdir"), "{e}");
        let e = service(&vars("vimage_list=a\nvimage_a_parameters=\"name=x\"\n")).unwrap_err();
        assert!(e.message.contains("set by vimage"), "{e}");
        let e = service(&vars("vimage_list=a\nvimage_a_parameters=\"$(reboot)\"\n")).unwrap_err();
        assert_eq!(e.exit_code(), 65);
        let e = service(&vars("vimage_list=a\nvimage_a_devfs_ruleset=x\n")).unwrap_err();
        assert!(e.message.contains("not a ruleset number"), "{e}");
        let e = service(&vars("vimage_list=a\nvimage_a_userland=debian\n")).unwrap_err();
        assert!(e.message.contains("vimage_a_userland") && e.message.contains("freebsd or linux"), "{e}");
        let e = service(&vars("vimage_list=a\nvimage_a_epairs=em0\nvimage_a_ifnames=\"a b\"\n")).unwrap_err();
        assert!(e.message.contains("_ifnames") || e.message.contains("ifnames"), "{e}");
    }
}
