//! Stable, unique MAC addresses for jail interfaces.
//!
//! Peers derive MACs from 16 to 24 bits of a name hash plus the host NIC's vendor prefix, and
//! their users get duplicates (reference/peers.md §0.4). vimage hashes the host identity
//! (`kern.hostuuid`), the jail name and the NIC index with SHA-256 and keeps 46 of the bits:
//! the first octet's two low bits are forced to "locally administered, unicast", which also
//! guarantees the result is never inside FreeBSD's OUI 58:9c:fc (that OUI is not local).
//! The chosen address is stored, so later versions of this function cannot change it.

use crate::model::{JailName, Mac};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// How many candidates are tried before giving up; each is an independent 46-bit draw, so
/// running out means the taken set is absurd (or adversarial), not bad luck.
pub const MAX_CANDIDATES: u32 = 64;

/// The `attempt`-th candidate for a NIC. Attempt 0 is the normal case; higher attempts are
/// only used when an earlier candidate is already taken, and are equally deterministic.
pub fn candidate(hostuuid: &str, jail: &JailName, nic_index: u32, attempt: u32) -> Mac {
    let mut h = Sha256::new();
    h.update(b"vimage-mac-v1\0");
    h.update(hostuuid.as_bytes());
    h.update(b"\0");
    h.update(jail.as_str().as_bytes());
    h.update(b"\0");
    h.update(nic_index.to_le_bytes());
    h.update(attempt.to_le_bytes());
    let d = h.finalize();
    let mut m = [0u8; 6];
    m.copy_from_slice(&d[..6]);
    m[0] = (m[0] & 0xfc) | 0x02;
    Mac(m)
}

/// Every candidate for a NIC, in the order they are tried: what the gatherer asks vimage's
/// records about, so [`choose`] sees every holder of each.
pub fn candidates<'a>(hostuuid: &'a str, jail: &'a JailName, nic_index: u32) -> impl Iterator<Item = Mac> + 'a {
    (0..MAX_CANDIDATES).map(move |a| candidate(hostuuid, jail, nic_index, a))
}

/// The one place a MAC is chosen for a NIC that has none (the planner's `bridge`, `vimage set
/// enable=1`): the first candidate not in `taken` (every MAC on the host and in vimage's records).
/// `taken` is what the gathered view holds: the kernel's interfaces' MACs and other NICs' in
/// vimage's records, plus those given already in this run. `None` only after
/// [`MAX_CANDIDATES`] collisions.
pub fn choose(hostuuid: &str, jail: &JailName, nic_index: u32, taken: &HashSet<Mac>) -> Option<Mac> {
    candidates(hostuuid, jail, nic_index).find(|m| !taken.contains(m))
}

/// Why a NIC cannot have a MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The fixed MAC (the admin's, or the stored one) is held by someone else.
    Held {
        /// The MAC.
        mac: Mac,
        /// Who holds it (`interface em0`, `NIC 1 of jail db (vimage's records)`).
        by: String,
    },
    /// Every one of the [`MAX_CANDIDATES`] candidates is taken.
    Exhausted,
}

/// The MAC NIC `nic_index` of `jail` gets, decided the same way wherever a MAC is given (the
/// planner's `bridge`, `vimage set`): `fixed` unless `held` names another holder of it (`own`
/// says a holder is the NIC itself, which is no clash); without `fixed`, [`choose`] over every
/// MAC in `held` and `given` (MACs given already in this run). `held` is the gathered view's:
/// the kernel's interfaces and vimage's records.
pub fn decide(
    hostuuid: &str,
    jail: &JailName,
    nic_index: u32,
    fixed: Option<Mac>,
    held: &BTreeMap<Mac, String>,
    own: &dyn Fn(&Mac) -> bool,
    given: &HashSet<Mac>,
) -> Result<Mac, Refused> {
    match fixed {
        Some(m) => match held.get(&m).filter(|_| !own(&m)) {
            Some(by) => Err(Refused::Held { mac: m, by: by.clone() }),
            None => Ok(m),
        },
        None => {
            let taken: HashSet<Mac> = held.keys().chain(given).copied().collect();
            choose(hostuuid, jail, nic_index, &taken).ok_or(Refused::Exhausted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn j(s: &str) -> JailName {
        JailName::parse(s).unwrap()
    }

    #[test]
    fn golden_values_never_change() {
        // Stored MACs survive upgrades, but freshly generated ones must not drift either:
        // an admin's DHCP reservation may be keyed on them.
        let m = candidate("c0ffee00-0000-4000-8000-000000000001", &j("web1"), 0, 0);
        assert_eq!(m.to_string(), "c6:53:ce:a7:b0:48");
        assert!(m.is_local() && !m.is_multicast());
        assert_ne!(m, candidate("c0ffee00-0000-4000-8000-000000000001", &j("web1"), 1, 0));
        assert_ne!(m, candidate("c0ffee00-0000-4000-8000-000000000002", &j("web1"), 0, 0));
        assert_ne!(m, candidate("c0ffee00-0000-4000-8000-000000000001", &j("web2"), 0, 0));
    }

    #[test]
    fn collision_picks_the_next_candidate_deterministically() {
        let first = candidate("u", &j("web1"), 0, 0);
        let second = candidate("u", &j("web1"), 0, 1);
        let taken: HashSet<Mac> = [first].into();
        assert_eq!(choose("u", &j("web1"), 0, &taken), Some(second));
        assert_eq!(choose("u", &j("web1"), 0, &taken), Some(second));
        let all: HashSet<Mac> = (0..MAX_CANDIDATES).map(|a| candidate("u", &j("web1"), 0, a)).collect();
        assert_eq!(choose("u", &j("web1"), 0, &all), None);
    }

    #[test]
    fn ten_thousand_jails_get_distinct_macs() {
        let set: HashSet<Mac> = (0..10_000).map(|i| candidate("u", &j(&format!("jail{i}")), 0, 0)).collect();
        assert_eq!(set.len(), 10_000);
    }

    #[test]
    fn decide_refuses_a_held_fixed_mac_and_avoids_held_and_given_candidates() {
        let (c0, c1, c2) =
            (candidate("u", &j("web1"), 0, 0), candidate("u", &j("web1"), 0, 1), candidate("u", &j("web1"), 0, 2));
        let held: BTreeMap<Mac, String> = [(c0, "interface em7".to_string())].into();
        let no = |_: &Mac| false;
        assert_eq!(decide("u", &j("web1"), 0, None, &held, &no, &HashSet::new()), Ok(c1), "the kernel holds c0");
        assert_eq!(decide("u", &j("web1"), 0, None, &held, &no, &[c1].into()), Ok(c2), "c1 given already");
        let refused = decide("u", &j("web1"), 0, Some(c0), &held, &no, &HashSet::new());
        assert_eq!(refused, Err(Refused::Held { mac: c0, by: "interface em7".into() }));
        assert_eq!(decide("u", &j("web1"), 0, Some(c0), &held, &|m: &Mac| *m == c0, &HashSet::new()), Ok(c0));
    }

    proptest! {
        #[test]
        fn always_local_unicast_and_never_freebsd_oui(uuid in ".{0,40}", name in "[a-z][a-z0-9_]{0,20}", idx in 0u32..64, att in 0u32..64) {
            let m = candidate(&uuid, &j(&name), idx, att);
            prop_assert!(m.is_local());
            prop_assert!(!m.is_multicast());
            prop_assert!(m.0[..3] != [0x58, 0x9c, 0xfc]);
        }
    }
}
