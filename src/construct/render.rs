//! A [`JailSpec`] → the jconf text `cbsd jcreate jconf=` reads, and the `vimage set` call that
//! records vimage's own settings once the jail exists.
//!
//! The templates live in `jconf-templates/` (installed as share/vimage/jconf-templates for
//! admins to read and copy) and are compiled in, so the binary never depends on finding them.
//! Placeholders are `%%key%%`. The result is checked by reading it back with [`ShFile`], the
//! way sh would see it: a template edit that breaks a line fails loudly here, not in jcreate.

use super::{JailSpec, Mode};
use crate::error::{Error, Kind, Result};
use crate::shvars::ShFile;

/// The four templates by name (file name without `.jconf`), in the order of [`template_name`].
pub const TEMPLATES: [(&str, &str); 4] = [
    ("epair-dhcp", include_str!("../../jconf-templates/epair-dhcp.jconf")),
    ("epair-static", include_str!("../../jconf-templates/epair-static.jconf")),
    ("netgraph-dhcp", include_str!("../../jconf-templates/netgraph-dhcp.jconf")),
    ("netgraph-static", include_str!("../../jconf-templates/netgraph-static.jconf")),
];

/// Which template a spec is written from.
pub fn template_name(spec: &JailSpec) -> &'static str {
    let dhcp = matches!(spec.addressing, super::Addressing::Dhcp);
    match (spec.mode, dhcp) {
        (Mode::Epair, true) => "epair-dhcp",
        (Mode::Epair, false) => "epair-static",
        (Mode::Netgraph, true) => "netgraph-dhcp",
        (Mode::Netgraph, false) => "netgraph-static",
    }
}

/// The values a spec gives each jconf key (and so each `%%key%%` placeholder).
pub fn values(spec: &JailSpec) -> Vec<(&'static str, String)> {
    let first = spec.uplinks.first().map(ToString::to_string).unwrap_or_else(|| "auto".into());
    let mut v = vec![
        ("jname", spec.jname.to_string()),
        ("host_hostname", spec.host_hostname.as_str().to_string()),
        ("ip4_addr", spec.addressing.ip4_addr()),
        ("ci_gw4", spec.addressing.ci_gw4()),
        ("interface", first),
        ("devfs_ruleset", spec.devfs_ruleset.to_string()),
        ("vimage_mode", spec.mode.as_str().to_string()),
    ];
    if spec.mode == Mode::Netgraph {
        v.push(("vimage_bridges", bridges(spec)));
    }
    v
}

fn bridges(spec: &JailSpec) -> String {
    spec.uplinks.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// The jconf for `spec`. Errors are `Internal` (70): validated values always fit, so a
/// failure means a template or a validator is wrong.
pub fn render(spec: &JailSpec) -> Result<String> {
    let name = template_name(spec);
    let text = TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or_default();
    render_template(name, text, &values(spec))
}

/// Fills `%%key%%` in `text` from `values` and checks the result reads back as intended.
pub fn render_template(name: &str, text: &str, values: &[(&str, String)]) -> Result<String> {
    let internal = |msg: String| Error::new(Kind::Internal, format!("jconf template {name}: {msg}"));
    let mut out = text.to_string();
    for (k, v) in values {
        if let Some(c) = v.chars().find(|c| "\"$`\\#\n\r\0'".contains(*c)) {
            return Err(internal(format!("value of {k} holds {c:?}, which a jconf line cannot carry")));
        }
        out = out.replace(&format!("%%{k}%%"), v);
    }
    if let Some(i) = out.find("%%") {
        let rest = &out[i..];
        let end = rest[2..].find("%%").map_or(rest.len().min(40), |e| e + 4);
        return Err(internal(format!("placeholder {} has no value", &rest[..end])));
    }
    let f = ShFile::parse(&out);
    for (k, v) in values {
        if text.contains(&format!("{k}=")) && f.get(k).as_deref() != Some(v.as_str()) {
            return Err(internal(format!("{k} reads back as {:?}, not {v:?}", f.get(k))));
        }
    }
    Ok(out)
}

/// Arguments (after the program) of the `vimage set` that makes the new jail a vimage jail:
/// `enable=1` (CBSD hook, exec_poststart, vimage's MACs in jailnic before the first start),
/// plus for netgraph what CBSD has no column for (`mode=netgraph bridges="IF ..."`).
pub fn set_args(spec: &JailSpec) -> Option<Vec<String>> {
    let mut v = vec!["set".into(), format!("jname={}", spec.jname), "enable=1".into()];
    if spec.mode == Mode::Netgraph {
        v.push("mode=netgraph".into());
        v.push(format!("bridges={}", bridges(spec)));
    }
    Some(v)
}

/// What the jail will be, for the admin to check before it is created.
pub fn summary(spec: &JailSpec, out: &std::path::Path) -> String {
    let list = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(", ") };
    let (addrs, routers) = match &spec.addressing {
        super::Addressing::Dhcp => ("REALDHCP (dhclient inside the jail)".to_string(), "- (from DHCP)".to_string()),
        super::Addressing::Static { addrs, routers } => (
            list(&addrs.iter().map(ToString::to_string).collect::<Vec<_>>()),
            list(&routers.iter().map(ToString::to_string).collect::<Vec<_>>()),
        ),
    };
    let uplinks = spec.uplinks.iter().map(ToString::to_string).collect::<Vec<_>>();
    let rows = [
        ("jail", spec.jname.to_string()),
        ("host name", spec.host_hostname.as_str().to_string()),
        ("mode", spec.mode.as_str().to_string()),
        (if uplinks.len() > 1 { "uplinks" } else { "uplink" }, uplinks.join(" ")),
        ("addresses", addrs),
        ("routers", routers),
        ("devfs ruleset", spec.devfs_ruleset.to_string()),
        ("jconf", format!("{} (template {})", out.display(), template_name(spec))),
    ];
    rows.iter().map(|(k, v)| format!("  {k:<14} {v}\n")).collect()
}
