//! Reads `route -n get default` (sbin/route/route.c `print_getmsg`).

/// The `interface:` line's value: where the default route leaves the host.
pub fn default_interface(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("interface: "))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// The `gateway:` line's value.
pub fn gateway(text: &str) -> Option<String> {
    text.lines().filter_map(|l| l.trim_start().strip_prefix("gateway: ")).map(|v| v.trim().to_string()).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_interface_and_gateway() {
        let t = "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n";
        assert_eq!(default_interface(t).as_deref(), Some("em0"));
        assert_eq!(gateway(t).as_deref(), Some("192.168.1.1"));
        assert_eq!(default_interface("route: route has not been found\n"), None);
    }
}
