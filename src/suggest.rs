//! Did-you-mean: the known word closest to a typo. In the host wing, below everything that
//! reads a name an admin typed (command-line keys and verbs, rc.conf `vimage_NAME_*` keys), so
//! both the command line and the rc.conf reader can offer the same suggestion.

/// The known name closest to `k`, if it is close enough to be a typo (`_` and `-` are the
/// same letter here, as they are in vimage's keys).
pub fn suggest<'a>(k: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let canonical = |key: &str| key.replace('_', "-");
    let k = canonical(k);
    names
        .map(|n| (distance(&k, &canonical(n)), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
