//! Splitting configuration text into numbered lines of tokens.
//!
//! - `ha.cf`: `#` starts a comment anywhere; tokens are separated by space,
//!   tab and comma.
//! - `haresources`: `#` starts a comment anywhere; a line ending with `\`
//!   continues on the next; tokens are separated by whitespace.
//! - `authkeys`: a line whose first non-blank character is `#` is a comment
//!   (a key may contain `#`); tokens are separated by whitespace.

/// A non-empty line of tokens and the 1-based number of its (first) line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// 1-based line number (the first physical line of a continued line).
    pub(crate) number: usize,
    /// The tokens, never empty.
    pub(crate) tokens: Vec<&'a str>,
}

fn strip_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(before, _)| before)
}

/// The non-empty lines of an `ha.cf` text.
pub(crate) fn ha_cf_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let tokens: Vec<&str> = strip_comment(raw)
                .split([' ', '\t', ',', '\r'])
                .filter(|t| !t.is_empty())
                .collect();
            (!tokens.is_empty()).then_some(Line {
                number: i + 1,
                tokens,
            })
        })
        .collect()
}

/// The non-empty lines of an `authkeys` text.
pub(crate) fn authkeys_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            if raw.trim_start().starts_with('#') {
                return None;
            }
            let tokens: Vec<&str> = raw.split_whitespace().collect();
            (!tokens.is_empty()).then_some(Line {
                number: i + 1,
                tokens,
            })
        })
        .collect()
}

/// The non-empty logical lines of a `haresources` text, and whether the text
/// ends in the middle of a `\` continuation.
pub(crate) fn haresources_lines(text: &str) -> (Vec<Line<'_>>, bool) {
    let mut out = Vec::new();
    let mut current: Option<Line<'_>> = None;
    for (i, raw) in text.lines().enumerate() {
        let body = strip_comment(raw).trim_end();
        let (body, continued) = match body.strip_suffix('\\') {
            Some(rest) => (rest, true),
            None => (body, false),
        };
        let line = current.get_or_insert_with(|| Line {
            number: i + 1,
            tokens: Vec::new(),
        });
        line.tokens.extend(body.split_whitespace());
        if !continued {
            if let Some(line) = current.take() {
                if !line.tokens.is_empty() {
                    out.push(line);
                }
            }
        }
    }
    let dangling = current.is_some();
    if let Some(line) = current {
        if !line.tokens.is_empty() {
            out.push(line);
        }
    }
    (out, dangling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha_cf_comments_and_separators() {
        let text = "# header\n\nnode a,b\tc # trailing\n  keepalive 2#x\n#\n";
        let lines = ha_cf_lines(text);
        assert_eq!(
            lines,
            vec![
                Line {
                    number: 3,
                    tokens: vec!["node", "a", "b", "c"]
                },
                Line {
                    number: 4,
                    tokens: vec!["keepalive", "2"]
                },
            ]
        );
    }

    #[test]
    fn authkeys_keeps_hash_in_keys() {
        let lines = authkeys_lines("  # c\nauth 1\n1 sha1 ab#cd\n");
        assert_eq!(lines[0].number, 2);
        assert_eq!(lines[1].tokens, vec!["1", "sha1", "ab#cd"]);
    }

    #[test]
    fn haresources_continuations() {
        let text = "node1 a \\\n  b # c\n\n# x\nnode2 d\\\n";
        let (lines, dangling) = haresources_lines(text);
        assert!(dangling);
        assert_eq!(lines[0].number, 1);
        assert_eq!(lines[0].tokens, vec!["node1", "a", "b"]);
        assert_eq!(lines[1].number, 5);
        assert_eq!(lines[1].tokens, vec!["node2", "d"]);
        let (_, dangling) = haresources_lines("a b \\ # comment\n c\n");
        assert!(!dangling);
    }
}
