//! getopt(3) as FreeBSD's libc implements it: options end at the first non-option word (no
//! GNU reordering) or at `--`; errors print `illegal option -- c` or `option requires an
//! argument -- c`.

/// One parsed option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Opt {
    /// A known option, with its argument when the optstring says it takes one.
    Flag(char, Option<String>),
    /// An unknown option or a missing argument; the message is getopt's text without the
    /// program name.
    Bad(String),
}

/// An iterator over the options of `args` (argv without `argv[0]`).
pub(crate) struct Getopt<'a> {
    args: &'a [String],
    optstring: &'a str,
    /// Index of the first argument not consumed yet (getopt's `optind - 1`).
    pub optind: usize,
    pos: usize,
}

impl<'a> Getopt<'a> {
    /// Starts parsing `args` with a getopt optstring such as `"adj:hNnqsv"`.
    pub fn new(args: &'a [String], optstring: &'a str) -> Getopt<'a> {
        Getopt { args, optstring, optind: 0, pos: 0 }
    }

    /// The arguments left after the options.
    pub fn rest(&self) -> &'a [String] {
        self.args.get(self.optind..).unwrap_or(&[])
    }

    fn takes_arg(&self, c: char) -> Option<bool> {
        if c == ':' {
            return None;
        }
        let mut it = self.optstring.chars().peekable();
        while let Some(o) = it.next() {
            let arg = it.peek() == Some(&':');
            if o == c {
                return Some(arg);
            }
        }
        None
    }
}

impl Iterator for Getopt<'_> {
    type Item = Opt;

    fn next(&mut self) -> Option<Opt> {
        let word = self.args.get(self.optind)?;
        if self.pos == 0 {
            if word == "--" {
                self.optind += 1;
                return None;
            }
            if !word.starts_with('-') || word.len() < 2 {
                return None;
            }
            self.pos = 1;
        }
        let chars: Vec<char> = word.chars().collect();
        let c = chars[self.pos];
        self.pos += 1;
        let at_end = self.pos >= chars.len();
        match self.takes_arg(c) {
            None => {
                if at_end {
                    self.optind += 1;
                    self.pos = 0;
                }
                Some(Opt::Bad(format!("illegal option -- {c}")))
            }
            Some(false) => {
                if at_end {
                    self.optind += 1;
                    self.pos = 0;
                }
                Some(Opt::Flag(c, None))
            }
            Some(true) => {
                let arg = if !at_end {
                    Some(chars[self.pos..].iter().collect::<String>())
                } else {
                    self.args.get(self.optind + 1).cloned()
                };
                let consumed = if at_end { 2 } else { 1 };
                self.pos = 0;
                match arg {
                    Some(a) => {
                        self.optind += consumed;
                        Some(Opt::Flag(c, Some(a)))
                    }
                    None => {
                        self.optind += 1;
                        Some(Opt::Bad(format!("option requires an argument -- {c}")))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn clusters_arguments_and_stop_at_first_operand() {
        let a = v(&["-dnq", "-j", "web1", "jid", "-x"]);
        let mut g = Getopt::new(&a, "adj:hNnqsv");
        let got: Vec<Opt> = g.by_ref().collect();
        assert_eq!(
            got,
            vec![Opt::Flag('d', None), Opt::Flag('n', None), Opt::Flag('q', None), Opt::Flag('j', Some("web1".into()))]
        );
        assert_eq!(g.rest(), &v(&["jid", "-x"])[..]);
    }

    #[test]
    fn attached_argument_and_errors() {
        let a = v(&["-jweb1", "-z"]);
        let got: Vec<Opt> = Getopt::new(&a, "j:").collect();
        assert_eq!(got, vec![Opt::Flag('j', Some("web1".into())), Opt::Bad("illegal option -- z".into())]);
        let a = v(&["-j"]);
        let got: Vec<Opt> = Getopt::new(&a, "j:").collect();
        assert_eq!(got, vec![Opt::Bad("option requires an argument -- j".into())]);
        let a = v(&["--", "-a"]);
        let mut g = Getopt::new(&a, "a");
        assert_eq!(g.next(), None);
        assert_eq!(g.rest(), &v(&["-a"])[..]);
    }
}
