//! Address parsing as ifconfig does it: inet_aton(3) and `a.b.c.d/len` (af_inet.c
//! `in_getaddr`), IPv6 `addr/len` (af_inet6.c), and link_addr(3) for `ether`/`lladdr`.

use std::net::{Ipv4Addr, Ipv6Addr};

/// inet_aton(3): one to four parts, each decimal, octal (leading 0) or hex (0x).
pub(crate) fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let s = s.trim_end_matches([' ', '\t', '\n']);
    if s.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for p in s.split('.') {
        if parts.len() == 4 {
            return None;
        }
        parts.push(parse_c_number(p)?);
    }
    let v: u64 = match parts.as_slice() {
        [a] => *a,
        [a, b] if *a <= 0xff && *b <= 0xff_ffff => (a << 24) | b,
        [a, b, c] if *a <= 0xff && *b <= 0xff && *c <= 0xffff => (a << 24) | (b << 16) | c,
        [a, b, c, d] if *a <= 0xff && *b <= 0xff && *c <= 0xff && *d <= 0xff => (a << 24) | (b << 16) | (c << 8) | d,
        _ => return None,
    };
    u32::try_from(v).ok().map(Ipv4Addr::from)
}

fn parse_c_number(p: &str) -> Option<u64> {
    if p.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        (h, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        return if radix == 16 { Some(0) } else { None };
    }
    u64::from_str_radix(digits, radix).ok().filter(|v| *v <= u64::from(u32::MAX))
}

/// strtonum(3)'s error string for `s` in [lo, hi], `None` when valid.
fn strtonum(s: &str, lo: i64, hi: i64) -> Result<i64, &'static str> {
    let v: i64 = s.parse().map_err(|_| "invalid")?;
    if v < lo {
        Err("too small")
    } else if v > hi {
        Err("too large")
    } else {
        Ok(v)
    }
}

/// `in_getaddr(s, ADDR)`: address and optional `/len`. Errors are ifconfig's errx texts.
pub(crate) fn in_getaddr(s: &str) -> Result<(Ipv4Addr, Option<u8>), String> {
    let (a, len) = match s.rfind('/') {
        Some(i) => {
            let width = &s[i + 1..];
            let r =
                if width.starts_with(|c: char| c.is_ascii_digit()) { strtonum(width, 0, 32) } else { Err("invalid") };
            match r {
                Ok(v) => (&s[..i], Some(v as u8)),
                Err(e) => return Err(format!("{s}: bad value (width {e})")),
            }
        }
        None => (s, None),
    };
    match inet_aton(a) {
        Some(v) => Ok((v, len)),
        None if a == "localhost" => Ok((Ipv4Addr::LOCALHOST, len)),
        None => Err(format!("{a}: bad value")),
    }
}

/// A plain IPv4 address (netmask, broadcast, destination).
pub(crate) fn in_getaddr_plain(s: &str) -> Result<Ipv4Addr, String> {
    inet_aton(s).ok_or_else(|| format!("{s}: bad value"))
}

/// `in6_getaddr(s, ADDR)`: address and optional `/len` (atoi, 0..128).
pub(crate) fn in6_getaddr(s: &str) -> Result<(Ipv6Addr, Option<u8>), String> {
    let (a, len) = match s.rfind('/') {
        Some(i) => (&s[..i], Some(in6_getprefix(&s[i + 1..])?)),
        None => (s, None),
    };
    let a6 = a.split('%').next().unwrap_or(a);
    a6.parse::<Ipv6Addr>().map(|v| (v, len)).map_err(|_| format!("{a}: bad value"))
}

/// `in6_getprefix`: atoi, then 0..128 or `bad value`.
pub(crate) fn in6_getprefix(p: &str) -> Result<u8, String> {
    let v = super::atoi(p);
    if (0..=128).contains(&v) { Ok(v as u8) } else { Err(format!("{p}: bad value")) }
}

/// link_addr(3) on `":" + s` (af_link.c `link_getaddr`): hex digit pairs, any other
/// character ends a byte. Never fails; the kernel rejects a wrong length later.
pub(crate) fn link_addr(s: &str) -> Vec<u8> {
    #[derive(PartialEq)]
    enum St {
        Reset,
        GotOne,
        GotTwo,
    }
    let mut out = Vec::new();
    let mut st = St::Reset;
    let mut byte: u8 = 0;
    for c in s.chars() {
        if out.len() >= 46 {
            break;
        }
        match c.to_digit(16) {
            Some(d) => {
                let d = d as u8;
                match st {
                    St::Reset => {
                        byte = d;
                        st = St::GotOne;
                    }
                    St::GotOne => {
                        byte = (byte << 4) | d;
                        st = St::GotTwo;
                    }
                    St::GotTwo => {
                        out.push(byte);
                        byte = d;
                        st = St::GotOne;
                    }
                }
            }
            None => {
                out.push(byte);
                byte = 0;
                st = St::Reset;
            }
        }
    }
    if st != St::Reset {
        out.push(byte);
    }
    out
}

/// The prefix length of a netmask (leading one bits).
pub(crate) fn mask_to_prefix(mask: Ipv4Addr) -> u8 {
    u32::from(mask).leading_ones() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_accepts_the_classic_forms() {
        assert_eq!(inet_aton("192.168.1.10"), Some(Ipv4Addr::new(192, 168, 1, 10)));
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(inet_aton("010.0.0.1"), Some(Ipv4Addr::new(8, 0, 0, 1)));
        assert_eq!(inet_aton("0xffffff00"), Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(inet_aton("256.1.1.1"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("abc"), None);
    }

    #[test]
    fn in_getaddr_reports_like_af_inet_c() {
        assert_eq!(in_getaddr("10.0.0.1/24"), Ok((Ipv4Addr::new(10, 0, 0, 1), Some(24))));
        assert_eq!(in_getaddr("10.0.0.1/33").unwrap_err(), "10.0.0.1/33: bad value (width too large)");
        assert_eq!(in_getaddr("10.0.0.1/x").unwrap_err(), "10.0.0.1/x: bad value (width invalid)");
        assert_eq!(in_getaddr("10.0.0.x/24").unwrap_err(), "10.0.0.x: bad value");
    }

    #[test]
    fn link_addr_parses_like_libc() {
        assert_eq!(link_addr("02:00:d2:aa:bb:cc"), vec![2, 0, 0xd2, 0xaa, 0xbb, 0xcc]);
        assert_eq!(link_addr("2:0:d2:aa:bb:c"), vec![2, 0, 0xd2, 0xaa, 0xbb, 0xc]);
        // jib's 7-octet b-side MAC: the kernel refuses its length.
        assert_eq!(link_addr("0e2:00:d2:aa:bb:cc").len(), 7);
        assert_eq!(link_addr("zz").len(), 2);
    }

    #[test]
    fn in6_prefix() {
        let (a, p) = in6_getaddr("2001:db8::1/64").unwrap();
        assert_eq!(a, "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p, Some(64));
        assert!(in6_getaddr("2001:db8::1/129").is_err());
        assert!(in6_getaddr("nonsense").is_err());
    }
}
