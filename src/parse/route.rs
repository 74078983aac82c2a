//! Reads `route -n get DEST` (sbin/route/route.c `print_getmsg` on 13.x, route_netlink.c
//! `print_getmsg` on 14.x and later: the same lines).
//!
//! Whether a route was found is read from the block itself, never from the exit status: the
//! netlink build of 14.x warns `route has not been found` and exits 0, the routing-socket build
//! of 13.x exits 1.

/// One `route get` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteGet {
    /// `destination:` (`0.0.0.0` for the default route with `-n`).
    pub destination: Option<String>,
    /// `gateway:`; absent for a route that leaves straight through an interface.
    pub gateway: Option<String>,
    /// `interface:`: where the route leaves.
    pub interface: String,
}

/// The `route get` block in `text`, or `None` when there is none (no route, or an error).
pub fn parse_get(text: &str) -> Option<RouteGet> {
    let field = |name: &str| {
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix(name))
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty())
    };
    // Every answer starts with `route to:`; without it the text is not a route get block.
    field("route to: ")?;
    Some(RouteGet {
        destination: field("destination: "),
        gateway: field("gateway: "),
        interface: field("interface: ")?,
    })
}

/// The `interface:` line's value: where the default route leaves the host.
pub fn default_interface(text: &str) -> Option<String> {
    parse_get(text).map(|r| r.interface)
}

/// The `gateway:` line's value.
pub fn gateway(text: &str) -> Option<String> {
    parse_get(text).and_then(|r| r.gateway)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOUND: &str = "   route to: 0.0.0.0\ndestination: 0.0.0.0\n       mask: 0.0.0.0\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      1500         1         0 \n";

    #[test]
    fn reads_interface_and_gateway() {
        assert_eq!(default_interface(FOUND).as_deref(), Some("em0"));
        assert_eq!(gateway(FOUND).as_deref(), Some("192.168.1.1"));
        assert_eq!(parse_get(FOUND).unwrap().destination.as_deref(), Some("0.0.0.0"));
    }

    #[test]
    fn nothing_found_is_none_whatever_the_build_route_c_route_netlink_c() {
        // 13.x (exit 1) and 14.x (exit 0) both print nothing on stdout; only stderr differs.
        assert_eq!(parse_get(""), None);
        assert_eq!(default_interface("route: route has not been found\n"), None);
        assert_eq!(parse_get("route: route has not been found: No error: 0\n"), None);
        // An interface route has no gateway line.
        let connected = "   route to: 192.168.1.7\ndestination: 192.168.1.0\n       mask: 255.255.255.0\n        fib: 0\n  interface: em0\n      flags: <UP,DONE,PINNED>\n";
        let r = parse_get(connected).unwrap();
        assert_eq!((r.gateway, r.interface.as_str()), (None, "em0"));
    }
}
