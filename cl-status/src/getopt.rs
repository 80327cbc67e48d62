//! POSIX `getopt` with GNU argument permutation, as `cl_status` parses the
//! options that follow a sub-command: `nodestatus -m node1` and
//! `nodestatus node1 -m` are the same, `-mv` is `-m -v`, `-pNAME` and
//! `-p NAME` are the same, `--` ends the options.

/// Options and operands of one sub-command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Options in command-line order, with their argument if they take one.
    pub options: Vec<(char, Option<String>)>,
    /// Operands (non-option arguments) in command-line order.
    pub operands: Vec<String>,
}

impl Parsed {
    /// Whether option `c` was given.
    pub fn has(&self, c: char) -> bool {
        self.options.iter().any(|(o, _)| *o == c)
    }

    /// The argument of the last `c` option.
    pub fn value(&self, c: char) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(o, _)| *o == c)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// A bad option, with getopt's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GetoptError {
    /// An option letter not in the option string.
    #[error("invalid option -- '{0}'")]
    Invalid(char),
    /// An option that takes an argument came last.
    #[error("option requires an argument -- '{0}'")]
    MissingArgument(char),
}

/// Parses `args` (the words after the sub-command) against `optstring`
/// (`"mp:"`: letters, a colon after those that take an argument).
pub fn getopt(args: &[String], optstring: &str) -> Result<Parsed, GetoptError> {
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            parsed.operands.extend(words.cloned());
            break;
        }
        let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
            parsed.operands.push(word.clone());
            continue;
        };
        for (at, c) in letters.char_indices() {
            match takes_argument(optstring, c) {
                None => return Err(GetoptError::Invalid(c)),
                Some(false) => parsed.options.push((c, None)),
                Some(true) => {
                    let rest = &letters[at + c.len_utf8()..];
                    let value = if rest.is_empty() {
                        words
                            .next()
                            .cloned()
                            .ok_or(GetoptError::MissingArgument(c))?
                    } else {
                        rest.to_owned()
                    };
                    parsed.options.push((c, Some(value)));
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

/// `Some(takes an argument)` if `c` is an option of `optstring`.
fn takes_argument(optstring: &str, c: char) -> Option<bool> {
    if c == ':' {
        return None;
    }
    let at = optstring.find(c)?;
    Some(optstring[at + c.len_utf8()..].starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_anywhere_and_clustered() {
        let p = getopt(&words("node1 -mv"), "mv").unwrap();
        assert!(p.has('m') && p.has('v'));
        assert_eq!(p.operands, ["node1"]);
        let p = getopt(&words("-m node2 eth0"), "m").unwrap();
        assert_eq!(p.operands, ["node2", "eth0"]);
    }

    #[test]
    fn arguments_attached_or_separate() {
        let p = getopt(&words("-m -p deadtime"), "mp:").unwrap();
        assert_eq!(p.value('p'), Some("deadtime"));
        let p = getopt(&words("-mpkeepalive"), "mp:").unwrap();
        assert_eq!(p.value('p'), Some("keepalive"));
        assert!(p.has('m'));
    }

    #[test]
    fn errors_read_like_getopt() {
        let e = getopt(&words("-p"), "mp:").unwrap_err();
        assert_eq!(e.to_string(), "option requires an argument -- 'p'");
        let e = getopt(&words("node1 -x"), "m").unwrap_err();
        assert_eq!(e.to_string(), "invalid option -- 'x'");
        assert_eq!(getopt(&words("-:"), "p:"), Err(GetoptError::Invalid(':')));
    }

    #[test]
    fn double_dash_ends_options_and_dash_is_an_operand() {
        let p = getopt(&words("-- -m"), "m").unwrap();
        assert!(!p.has('m'));
        assert_eq!(p.operands, ["-m"]);
        let p = getopt(&words("-"), "m").unwrap();
        assert_eq!(p.operands, ["-"]);
    }
}
