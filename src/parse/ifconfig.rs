//! Reads `ifconfig` status output (sbin/ifconfig/ifconfig.c `status()`, ifbridge.c).
//!
//! Only what vimage decides on is kept: flags, MTU, MAC, description, groups, bridge members
//! and addresses. Lines it does not know are skipped, so newer ifconfig versions that add
//! lines (15.x extended errors, new options) do not break it.

use serde::Serialize;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One interface as `ifconfig` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IfStatus {
    /// The interface name, the key by which everything else refers to it.
    pub name: String,
    /// `UP` in its flags.
    pub up: bool,
    /// Its MTU: every NIC copies its uplink's, so frames fit both ways.
    pub mtu: u32,
    /// The `ether` line: the MAC, needed to avoid duplicates when vimage picks one.
    pub mac: Option<String>,
    /// The `description:` line, where vimage writes its ownership marker.
    pub description: Option<String>,
    /// Interface groups; vimage's own objects are in group `vimage`.
    pub groups: Vec<String>,
    /// Bridge members, in the order ifconfig lists them (newest first).
    pub members: Vec<String>,
    /// `inet`/`inet6` addresses as printed (`192.168.1.10`, `fe80::1%em0`).
    pub inet: Vec<String>,
    /// The `inet6` addresses as printed.
    pub inet6: Vec<String>,
    /// `inet` addresses with their prefix length (from `netmask 0x…`).
    pub inet_cidr: Vec<(Ipv4Addr, u8)>,
    /// `inet6` addresses (scope dropped) with their `prefixlen`.
    pub inet6_cidr: Vec<(Ipv6Addr, u8)>,
    /// The `nd6 options=…<…>` flag names (`IFDISABLED`, `ACCEPT_RTADV`, …).
    pub nd6: Vec<String>,
    /// The `flags=…<…>` names (`UP`, `PROMISC`, `PPROMISC`, …): `PPROMISC` says the admin (or
    /// vimage, for a vtnet uplink) asked for promiscuous mode, apart from the `PROMISC` a
    /// bridge member gets from the bridge.
    pub flags: Vec<String>,
    /// The ports of a lagg(4), from its `laggport: em0 flags=…` lines (iflagg.c
    /// `lagg_status`). A port's own status says nothing of its lagg on 14.x, so this is how
    /// vimage tells that `em0` is a lagg port, which if_bridge refuses as a member.
    pub lagg_ports: Vec<String>,
    /// A vlan(4): its tag and parent (`vlan: 100 vlanproto: 802.1q vlanpcp: 0 parent
    /// interface: em0`, ifvlan.c `vlan_status`); the parent is `None` for `<none>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<(u16, Option<String>)>,
    /// A 15.x bridge's `bridge flags=…<VLANFILTER>` (ifbridge.c `bridge_status`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub vlanfilter: bool,
    /// The `options=…<…>` capability names (`VLAN_MTU`, `RXCSUM`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// A 15.x bridge's `defuntagged=N`: the PVID new members get (`BRDGSDEFPVID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defuntagged: Option<u16>,
    /// A 15.x bridge's members' VLANs (`untagged N tagged LIST` after `path cost`), by member.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_vlans: Vec<MemberVlans>,
}

/// One bridge member's VLANs on a 15.x bridge, as `ifconfig` prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberVlans {
    /// The member.
    pub member: String,
    /// `untagged N` (its PVID), if any.
    pub untagged: Option<u16>,
    /// `tagged LIST`, expanded and sorted.
    pub tagged: Vec<u16>,
}

impl IfStatus {
    /// Bridges are recognised by their group, as jib does.
    pub fn is_bridge(&self) -> bool {
        self.groups.iter().any(|g| g == "bridge")
    }

    /// True when `flags=` holds `f` (`PPROMISC`).
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }

    /// True when the interface is in interface group `g`.
    pub fn in_group(&self, g: &str) -> bool {
        self.groups.iter().any(|x| x == g)
    }
}

/// Splits `ifconfig` / `ifconfig -a` / `ifconfig IF` output into interfaces.
///
/// A block starts with a line that does not begin with white space and contains `: flags=`.
pub fn parse_status(text: &str) -> Vec<IfStatus> {
    let mut out: Vec<IfStatus> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            if let Some(st) = parse_first_line(line) {
                out.push(st);
            }
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let l = line.trim_start();
        if let Some(d) = l.strip_prefix("description: ") {
            cur.description = Some(d.to_string());
        } else if let Some(m) = l.strip_prefix("ether ") {
            cur.mac = m.split_whitespace().next().map(str::to_string);
        } else if let Some(g) = l.strip_prefix("groups: ") {
            cur.groups = g.split_whitespace().map(str::to_string).collect();
        } else if let Some(p) = l.strip_prefix("laggport: ") {
            if let Some(name) = p.split_whitespace().next() {
                cur.lagg_ports.push(name.to_string());
            }
        } else if let Some(m) = l.strip_prefix("member: ") {
            if let Some(name) = m.split_whitespace().next() {
                cur.members.push(name.to_string());
            }
        } else if l.contains("path cost") && !cur.members.is_empty() {
            // The second line of a member: ` … path cost N [untagged N] [tagged LIST]`.
            let w: Vec<&str> = l.split_whitespace().collect();
            let after = |k: &str| w.iter().position(|x| *x == k).and_then(|i| w.get(i + 1)).copied();
            let untagged = after("untagged").and_then(|v| v.parse().ok());
            let tagged = after("tagged").map(vid_ranges).unwrap_or_default();
            if (untagged.is_some() || !tagged.is_empty())
                && let Some(member) = cur.members.last().cloned()
            {
                cur.member_vlans.push(MemberVlans { member, untagged, tagged });
            }
        } else if let Some(o) = l.strip_prefix("options=")
            && let (Some(open), Some(close)) = (o.find('<'), o.rfind('>'))
            && open < close
        {
            cur.options = o[open + 1..close].split(',').filter(|f| !f.is_empty()).map(str::to_string).collect();
        } else if let Some(f) = l.strip_prefix("bridge flags=") {
            cur.vlanfilter = f.contains("VLANFILTER");
            cur.defuntagged = f.split_once("defuntagged=").and_then(|(_, v)| v.trim().parse().ok());
        } else if let Some(v) = l.strip_prefix("vlan: ") {
            let w: Vec<&str> = v.split_whitespace().collect();
            let tag = w.first().and_then(|t| t.parse().ok());
            let parent = l.split_once("parent interface: ").map(|(_, p)| p.trim()).filter(|p| *p != "<none>");
            if let Some(tag) = tag {
                cur.vlan = Some((tag, parent.map(str::to_string)));
            }
        } else if let Some(a) = l.strip_prefix("inet6 ") {
            let w: Vec<&str> = a.split_whitespace().collect();
            if let Some(addr) = w.first() {
                cur.inet6.push(addr.to_string());
                let plen = w.iter().position(|x| *x == "prefixlen").and_then(|i| w.get(i + 1)?.parse().ok());
                if let (Ok(ip), Some(p)) = (addr.split('%').next().unwrap_or(addr).parse::<Ipv6Addr>(), plen) {
                    cur.inet6_cidr.push((ip, p));
                }
            }
        } else if let Some(a) = l.strip_prefix("inet ") {
            let w: Vec<&str> = a.split_whitespace().collect();
            if let Some(addr) = w.first() {
                cur.inet.push(addr.to_string());
                let mask = w.iter().position(|x| *x == "netmask").and_then(|i| {
                    let m = w.get(i + 1)?.strip_prefix("0x")?;
                    u32::from_str_radix(m, 16).ok()
                });
                if let (Ok(ip), Some(m)) = (addr.parse::<Ipv4Addr>(), mask) {
                    cur.inet_cidr.push((ip, m.leading_ones() as u8));
                }
            }
        } else if let Some(o) = l.strip_prefix("nd6 options=")
            && let (Some(open), Some(close)) = (o.find('<'), o.rfind('>'))
            && open < close
        {
            cur.nd6 = o[open + 1..close].split(',').filter(|f| !f.is_empty()).map(str::to_string).collect();
        }
    }
    out
}

/// ifbridge.c `print_vlans`' `100-103,106` as the IDs it stands for (a garbled part is
/// skipped: this reads, it does not validate).
fn vid_ranges(v: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in v.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>())
                    && a <= b
                    && b < 4096
                {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.parse::<u16>().ok()),
        }
    }
    out
}

fn parse_first_line(line: &str) -> Option<IfStatus> {
    let (name, rest) = line.split_once(": flags=")?;
    let mut st = IfStatus { name: name.to_string(), ..IfStatus::default() };
    // flags=1008843<UP,BROADCAST,...> metric 0 mtu 1500
    if let (Some(open), Some(close)) = (rest.find('<'), rest.find('>'))
        && open < close
    {
        st.flags = rest[open + 1..close].split(',').filter(|f| !f.is_empty()).map(str::to_string).collect();
        st.up = st.flags.iter().any(|f| f == "UP");
    }
    let mut words = rest.split_whitespace();
    while let Some(w) = words.next() {
        if w == "mtu" {
            st.mtu = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    Some(st)
}

/// Reads `ifconfig -l` (names on one line).
pub fn parse_names(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\toptions=4e524bb<RXCSUM,TXCSUM,VLAN_MTU>
\tether 00:1b:21:aa:bb:cc
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
\tinet6 fe80::21b:21ff:feaa:bbcc%em0 prefixlen 64 scopeid 0x1
\tmedia: Ethernet autoselect (1000baseT <full-duplex>)
\tstatus: active
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tdescription: vimage:em0
\tether 58:9c:fc:10:ff:b6
\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 5 priority 128 path cost 2000
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 1 priority 128 path cost 20000
\tgroups: bridge vimage
\tnd6 options=9<PERFORMNUD,IFDISABLED>
epair0b: flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 9000
\tdescription: has: colons and spaces
\tether 02:59:9b:e2:cb:0b
\tgroups: epair
";

    #[test]
    fn reads_freebsd_14_status_blocks() {
        let v = parse_status(SAMPLE);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].name, "em0");
        assert!(v[0].up);
        assert_eq!(v[0].mtu, 1500);
        assert_eq!(v[0].mac.as_deref(), Some("00:1b:21:aa:bb:cc"));
        assert_eq!(v[0].inet, ["192.168.1.10"]);
        assert_eq!(v[0].inet_cidr, [("192.168.1.10".parse().unwrap(), 24)]);
        assert_eq!(v[0].inet6.len(), 1);
        assert_eq!(v[0].inet6_cidr, [("fe80::21b:21ff:feaa:bbcc".parse().unwrap(), 64)]);
        assert_eq!(v[0].nd6, ["PERFORMNUD", "IFDISABLED", "AUTO_LINKLOCAL"]);
        assert!(v[1].is_bridge() && v[1].in_group("vimage"));
        assert_eq!(v[1].members, ["epair0a", "em0"]);
        assert_eq!(v[1].description.as_deref(), Some("vimage:em0"));
        assert!(!v[2].up);
        assert_eq!(v[2].mtu, 9000);
        assert_eq!(v[2].description.as_deref(), Some("has: colons and spaces"));
    }

    #[test]
    fn reads_flags_and_lagg_ports_iflagg_c_lagg_status() {
        let t = "lagg0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\tether 00:1b:21:aa:bb:cc
\tlaggproto failover lagghash l2,l3,l4
\tlaggport: em0 flags=5<MASTER,ACTIVE>
\tlaggport: em1 flags=0<>
\tgroups: lagg
vtnet0: flags=1028943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,PPROMISC,LOWER_UP> metric 0 mtu 1500
\tether 52:54:00:12:34:56
";
        let v = parse_status(t);
        assert_eq!(v[0].lagg_ports, ["em0", "em1"]);
        assert!(v[0].has_flag("PROMISC") && !v[0].has_flag("PPROMISC"));
        assert!(v[1].has_flag("PPROMISC") && v[1].up && v[1].lagg_ports.is_empty());
    }

    #[test]
    fn tolerates_garbage() {
        assert!(parse_status("").is_empty());
        assert!(parse_status("\tether 00:00:00:00:00:01\nnonsense\n").is_empty());
        let v = parse_status("x: flags=zzz mtu\n");
        assert_eq!(v[0].mtu, 0);
    }

    #[test]
    fn reads_vlans_and_15x_bridge_vlan_filtering_ifvlan_c_vlan_status_ifbridge_c_bridge_status() {
        let text = "em0.100: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tdescription: vimage:vlan/em0.100
\tether 00:1b:21:aa:bb:cc
\tgroups: vlan vimage
\tvlan: 100 vlanproto: 802.1q vlanpcp: 0 parent interface: em0
vlan0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tvlan: 0 vlanproto: 802.1q vlanpcp: 0 parent interface: <none>
bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tether 58:9c:fc:10:ff:b6
\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
\tbridge flags=1<VLANFILTER> defuntagged=10
\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        port 5 priority 128 path cost 2000 untagged 20 tagged 100-102,200
\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        port 1 priority 128 path cost 20000
\tgroups: bridge
";
        let v = parse_status(text);
        assert_eq!(v[0].vlan, Some((100, Some("em0".to_string()))));
        assert_eq!(v[1].vlan, Some((0, None)));
        assert!(v[2].vlanfilter && !v[0].vlanfilter);
        assert_eq!((v[2].defuntagged, v[0].defuntagged), (Some(10), None));
        assert_eq!(
            v[2].member_vlans,
            [MemberVlans { member: "epair0a".into(), untagged: Some(20), tagged: vec![100, 101, 102, 200] }]
        );
    }
}
