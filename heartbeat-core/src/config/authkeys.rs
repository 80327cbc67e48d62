//! The `authkeys` parser: `auth N` and `N METHOD [KEY]` lines into a
//! [`Keyring`], and the file permission check.
//!
//! Linux-HA syntax (`auth.c: parse_authfile`): blank lines and lines starting
//! with `#` are ignored; `auth N` selects the index that signs outgoing
//! packets; `N METHOD [KEY]` defines index N (0..=15). `crc` takes no key,
//! `md5`, `sha1` and `sha256` need one: the single whitespace-free token after
//! the method (anything after it is ignored, with a warning here).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::error::{ConfigError, ConfigErrorKind as K, ConfigErrors, Parsed};
use super::lexer::authkeys_lines;
use crate::wire::{AuthKey, AuthMethod, Keyring};

/// Highest key index.
pub const MAX_KEY_INDEX: u8 = 15;

const INDEX_EXPECTED: &str = "a key index 0..=15";

/// Parses an `authkeys` text; `file` names it in messages. Returns every error.
/// Does not look at file permissions: see [`check_authkeys_permissions`].
pub fn parse_authkeys(text: &str, file: &Path) -> Result<Keyring, ConfigErrors> {
    parse(text, file).into_result()
}

/// Refuses permission bits that let group or others read or write the file
/// (Heartbeat refuses to start then, too). `mode` is `st_mode` or its low bits.
#[allow(clippy::result_large_err)] // cold path: at most once per load
pub fn check_authkeys_permissions(mode: u32, file: &Path) -> Result<(), ConfigError> {
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(ConfigError::in_file(
        file,
        K::InsecurePermissions {
            mode: mode & 0o7777,
            path: file.display().to_string(),
        },
    ))
}

/// Parses an authentication method name (any case).
pub fn parse_method(name: &str) -> Option<AuthMethod> {
    match name.to_ascii_lowercase().as_str() {
        "crc" => Some(AuthMethod::Crc),
        "md5" => Some(AuthMethod::Md5),
        "sha1" => Some(AuthMethod::Sha1),
        "sha256" => Some(AuthMethod::Sha256),
        _ => None,
    }
}

/// The name of a method as written in `authkeys`.
pub fn method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Crc => "crc",
        AuthMethod::Md5 => "md5",
        AuthMethod::Sha1 => "sha1",
        AuthMethod::Sha256 => "sha256",
    }
}

fn parse_index(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().filter(|i| *i <= MAX_KEY_INDEX)
}

/// Parses without stopping: the keys of the valid lines, plus errors.
pub(crate) fn parse(text: &str, file: &Path) -> Parsed<Keyring> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut err = |line: usize, kind: K| errors.push(ConfigError::at(file, line, kind));
    let mut auth: Option<(Option<u8>, usize)> = None;
    let mut keys: BTreeMap<u8, AuthKey> = BTreeMap::new();
    let mut key_lines: BTreeMap<u8, usize> = BTreeMap::new();
    // Indices that have a line, valid or not (no second error for `auth N`).
    let mut mentioned: BTreeSet<u8> = BTreeSet::new();

    for line in authkeys_lines(text) {
        let n = line.number;
        let t = &line.tokens;
        if t[0].eq_ignore_ascii_case("auth") {
            if let Some((_, first_line)) = auth {
                err(n, K::DuplicateAuthLine { first_line });
                continue;
            }
            let index = match t.get(1) {
                None => {
                    err(
                        n,
                        K::MissingValue {
                            directive: "auth".into(),
                            expected: INDEX_EXPECTED.into(),
                        },
                    );
                    None
                }
                Some(v) => {
                    let i = parse_index(v);
                    if i.is_none() {
                        err(n, invalid("auth", v, INDEX_EXPECTED));
                    }
                    i
                }
            };
            if let Some(extra) = t.get(2) {
                err(
                    n,
                    K::ExtraValue {
                        directive: "auth".into(),
                        expected: "one key index".into(),
                        extra: extra.to_string(),
                    },
                );
            }
            auth = Some((index, n));
            continue;
        }

        let Some(index) = parse_index(t[0]) else {
            err(n, K::BadKeyLine(t[0].to_string()));
            continue;
        };
        mentioned.insert(index);
        let Some(method_text) = t.get(1) else {
            err(
                n,
                K::MissingValue {
                    directive: format!("key {index}"),
                    expected: "a method: crc, md5, sha1 or sha256".into(),
                },
            );
            continue;
        };
        let Some(method) = parse_method(method_text) else {
            err(n, K::UnknownAuthMethod(method_text.to_string()));
            continue;
        };
        let secret = match (method, t.get(2)) {
            (AuthMethod::Crc, None) => Vec::new(),
            (AuthMethod::Crc, Some(key)) => {
                err(n, K::CrcWithKey(key.to_string()));
                continue;
            }
            (m, None) => {
                err(n, K::MissingKey(method_name(m).to_string()));
                continue;
            }
            (_, Some(key)) => key.as_bytes().to_vec(),
        };
        if t.len() > 3 {
            warnings.push(format!(
                "{}:{n}: text after the key of index {index} is ignored",
                file.display()
            ));
        }
        if let Some(first_line) = key_lines.get(&index) {
            err(
                n,
                K::DuplicateKeyIndex {
                    index,
                    first_line: *first_line,
                },
            );
            continue;
        }
        key_lines.insert(index, n);
        keys.insert(index, AuthKey { method, secret });
    }

    let active = match auth {
        None => {
            errors.push(ConfigError::in_file(file, K::NoAuthLine));
            0
        }
        Some((Some(index), line)) => {
            if !mentioned.contains(&index) {
                errors.push(ConfigError::at(file, line, K::ActiveKeyUndefined(index)));
            }
            index
        }
        Some((None, _)) => 0,
    };
    Parsed {
        value: Keyring { active, keys },
        errors,
        warnings,
    }
}

fn invalid(directive: &str, value: &str, expected: &str) -> K {
    K::InvalidValue {
        directive: directive.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(text: &str) -> Vec<String> {
        parse(text, Path::new("authkeys"))
            .errors
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn parses_all_methods() {
        let text =
            "# keys\nauth 2\n1 crc\n2 sha256 s3cret extra\n3 SHA1 k\n15 md5 x\n0 sha256 zero\n";
        let p = parse(text, Path::new("authkeys"));
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            p.warnings,
            vec!["authkeys:4: text after the key of index 2 is ignored"]
        );
        let k = p.value;
        assert_eq!(k.active, 2);
        assert_eq!(k.keys.len(), 5);
        assert_eq!(k.keys[&1].method, AuthMethod::Crc);
        assert!(k.keys[&1].secret.is_empty());
        assert_eq!(k.keys[&2].secret, b"s3cret");
        assert_eq!(k.keys[&3].method, AuthMethod::Sha1);
    }

    #[test]
    fn every_error_is_located() {
        let e = errs("auth 1\nauth 2\n1 crc abc\n2 sha1\n3 rot13 k\n16 md5 k\n4 md5 a\n4 md5 b\n");
        assert_eq!(
            e,
            vec![
                "authkeys:2: second `auth` line: expected exactly one (the first is at line 1)",
                "authkeys:3: method crc takes no key (it only checks integrity), found `abc`",
                "authkeys:4: method sha1 needs a key: expected `N sha1 KEY`",
                "authkeys:5: unknown authentication method `rot13`: expected crc, md5, sha1 or sha256",
                "authkeys:6: `16` is not a key index: expected `auth N` or `N METHOD [KEY]` with N in 0..=15",
                "authkeys:8: key index 4 is defined twice (first at line 7)",
            ]
        );
        assert_eq!(
            errs("1 sha1 k\n"),
            vec!["authkeys: no `auth N` line: expected one naming the key index used to sign (0..=15)"]
        );
        assert_eq!(errs("auth 99\n").len(), 1);
        assert_eq!(
            errs("auth 3\n1 crc\n"),
            vec!["authkeys:1: `auth 3` names key index 3, but no line `3 METHOD [KEY]` defines it"]
        );
    }

    #[test]
    fn permissions() {
        let p = Path::new("/etc/ha.d/authkeys");
        assert!(check_authkeys_permissions(0o100600, p).is_ok());
        assert!(check_authkeys_permissions(0o400, p).is_ok());
        let e = check_authkeys_permissions(0o100644, p)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/etc/ha.d/authkeys: "), "{e}");
        assert!(e.contains("mode is 0644"), "{e}");
        assert!(e.contains("readable or writable by group or others"), "{e}");
        assert!(e.contains("chmod 600 /etc/ha.d/authkeys"), "{e}");
        assert!(check_authkeys_permissions(0o602, p).is_err());
    }
}
