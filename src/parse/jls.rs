//! Reads `jls -n -q` output (usr.sbin/jls/jls.c `print_jail` with PRINT_NAMEVAL|PRINT_QUOTED).
//!
//! Each jail is one line of `name=value` words; booleans print as `name` or `noname`; a value
//! with a space is wrapped in `"` (or `'` when it holds a `"`).

use std::collections::BTreeMap;

/// One jail's parameters, by name.
pub type JailParams = BTreeMap<String, String>;

/// Parses every line; words without `=` are booleans (`dying` → "true", `nodying` → "false").
pub fn parse_nameval(text: &str) -> Vec<JailParams> {
    text.lines().filter(|l| !l.trim().is_empty()).map(parse_line).collect()
}

fn parse_line(line: &str) -> JailParams {
    let mut out = JailParams::new();
    for word in split_words(line) {
        match word.split_once('=') {
            Some((k, v)) => {
                out.insert(k.to_string(), v.to_string());
            }
            None => {
                let (k, v) = match word.strip_prefix("no") {
                    Some(rest) if !rest.is_empty() => (rest.to_string(), "false"),
                    _ => (word.clone(), "true"),
                };
                out.insert(k, v.to_string());
            }
        }
    }
    out
}

/// Splits at blanks, honouring the quotes jls -q puts around values.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has = true;
            }
            None if c == ' ' || c == '\t' => {
                if has || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => cur.push(c),
        }
    }
    if has || !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nameval_lines_with_quotes_and_booleans() {
        let v = parse_nameval(
            "jid=1 name=web1 vnet=new nodying path=/usr/jails/jails/web1\n\
             jid=7 name=db vnet=inherit dying path=\"/jails/my db\" host.hostname=\"\"\n",
        );
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["jid"], "1");
        assert_eq!(v[0]["vnet"], "new");
        assert_eq!(v[0]["dying"], "false");
        assert_eq!(v[1]["dying"], "true");
        assert_eq!(v[1]["path"], "/jails/my db");
        assert_eq!(v[1]["host.hostname"], "");
    }
}
