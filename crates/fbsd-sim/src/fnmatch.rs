//! fnmatch(3) as FreeBSD's libc does it for the simulator's callers: `ifconfig -g`/`-G`
//! group patterns (userland) and devfs rule paths (the kernel's devfs, with FNM_PATHNAME on
//! top). At the crate's root, below both the kernel model and the userland.

/// fnmatch(3) without flags: `*`, `?`, `[...]` (with `!` negation and ranges), `\` escapes.
pub(crate) fn fnmatch(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some('[') => {
                let Some(&c) = s.first() else { return false };
                let mut i = 1;
                let neg = matches!(p.get(1), Some('!') | Some('^'));
                if neg {
                    i += 1;
                }
                let mut matched = false;
                let mut first = true;
                while let Some(&pc) = p.get(i) {
                    if pc == ']' && !first {
                        break;
                    }
                    first = false;
                    if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
                        let hi = p[i + 2];
                        if pc <= c && c <= hi {
                            matched = true;
                        }
                        i += 3;
                    } else {
                        if pc == c {
                            matched = true;
                        }
                        i += 1;
                    }
                }
                if p.get(i) != Some(&']') {
                    // No closing bracket: '[' is literal.
                    return c == '[' && go(&p[1..], &s[1..]);
                }
                matched != neg && go(&p[i + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => s.first() == Some(&p[1]) && go(&p[2..], &s[1..]),
            Some(&pc) => s.first() == Some(&pc) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    if p.iter().filter(|&&c| c == '*').count() > 8 {
        // Keep pathological patterns cheap: collapse runs of '*'.
        let mut q = Vec::new();
        for c in p {
            if !(c == '*' && q.last() == Some(&'*')) {
                q.push(c);
            }
        }
        return go(&q, &s);
    }
    go(&p, &s)
}
