//! `authkeys`: syntax, every error class with its file:line, and the
//! permission check on a real file.

mod common;

use std::path::Path;

use common::{messages, one_error, TempDir, HARESOURCES, HA_CF};
use heartbeat_core::config::{parse_authkeys, Config};
use heartbeat_core::wire::AuthMethod;

fn keys(text: &str) -> Result<Config, heartbeat_core::config::ConfigErrors> {
    Config::from_texts(HA_CF, text, HARESOURCES, "node1")
}

#[test]
fn methods_indices_and_active_key() {
    let text =
        "# rotation in progress\n\nauth 2\n1 sha1 oldkey\n2 SHA256 newkey\n0 md5 k0\n15 crc\n";
    let k = parse_authkeys(text, Path::new("authkeys")).unwrap();
    assert_eq!(k.active, 2);
    assert_eq!(
        k.keys.keys().copied().collect::<Vec<_>>(),
        vec![0, 1, 2, 15]
    );
    assert_eq!(k.keys[&1].method, AuthMethod::Sha1);
    assert_eq!(k.keys[&1].secret, b"oldkey");
    assert_eq!(k.keys[&2].method, AuthMethod::Sha256);
    assert_eq!(k.keys[&0].method, AuthMethod::Md5);
    assert_eq!(k.keys[&15].method, AuthMethod::Crc);
    assert!(k.keys[&15].secret.is_empty());
}

#[test]
fn missing_auth_line() {
    one_error(keys("1 sha256 k\n"), "authkeys: no `auth N` line");
}

#[test]
fn active_index_without_key() {
    one_error(
        keys("auth 3\n1 sha256 k\n"),
        "authkeys:1: `auth 3` names key index 3, but no line `3 METHOD [KEY]` defines it",
    );
}

#[test]
fn bad_indices() {
    one_error(
        keys("auth 16\n"),
        "authkeys:1: `auth`: invalid value `16`: expected a key index 0..=15",
    );
    one_error(
        keys("auth 1\n1 sha256 k\n-1 sha256 k\n"),
        "authkeys:3: `-1` is not a key index",
    );
    one_error(keys("auth\n1 crc\n"), "authkeys:1: `auth` needs a value");
    one_error(
        keys("auth 1 2\n1 crc\n"),
        "authkeys:1: `auth` takes one key index, found extra value `2`",
    );
}

#[test]
fn crc_takes_no_key_others_need_one() {
    one_error(
        keys("auth 1\n1 crc secret\n"),
        "authkeys:2: method crc takes no key",
    );
    for m in ["md5", "sha1", "sha256"] {
        one_error(
            keys(&format!("auth 1\n1 {m}\n")),
            &format!("authkeys:2: method {m} needs a key"),
        );
    }
    one_error(
        keys("auth 1\n1\n"),
        "authkeys:2: `key 1` needs a value: expected a method",
    );
}

#[test]
fn unknown_method_and_duplicates() {
    one_error(
        keys("auth 1\n1 blowfish k\n"),
        "authkeys:2: unknown authentication method `blowfish`: expected crc, md5, sha1 or sha256",
    );
    one_error(
        keys("auth 1\n1 crc\n1 sha1 k\n"),
        "authkeys:3: key index 1 is defined twice (first at line 2)",
    );
    one_error(
        keys("auth 1\n1 crc\nauth 1\n"),
        "authkeys:3: second `auth` line",
    );
}

#[test]
fn text_after_the_key_is_ignored_with_a_warning() {
    let c = keys("auth 1\n1 sha256 key and more\n").unwrap();
    assert_eq!(c.keys.keys[&1].secret, b"key");
    assert_eq!(
        c.warnings,
        vec!["authkeys:2: text after the key of index 1 is ignored"]
    );
}

#[test]
fn group_or_world_access_is_refused() {
    for mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
        let dir = TempDir::new();
        dir.write("ha.cf", HA_CF, 0o644);
        let path = dir.write("authkeys", common::AUTHKEYS, mode);
        dir.write("haresources", HARESOURCES, 0o644);
        let m = messages(Config::load(dir.path(), "node1"));
        assert_eq!(m.len(), 1, "{m:#?}");
        let e = &m[0];
        assert!(e.starts_with(&format!("{}: ", path.display())), "{e}");
        assert!(e.contains(&format!("mode is {mode:04o}")), "{e}");
        assert!(e.contains("readable or writable by group or others"), "{e}");
        assert!(e.contains(&format!("chmod 600 {}", path.display())), "{e}");
    }
    for mode in [0o600, 0o400] {
        let dir = TempDir::new();
        dir.write("ha.cf", HA_CF, 0o644);
        dir.write("authkeys", common::AUTHKEYS, mode);
        dir.write("haresources", HARESOURCES, 0o644);
        Config::load(dir.path(), "node1").unwrap();
    }
}

#[test]
fn permission_and_content_errors_come_together() {
    let dir = TempDir::new();
    dir.write("ha.cf", HA_CF, 0o644);
    dir.write("authkeys", "auth 1\n1 crc key\n", 0o644);
    dir.write("haresources", HARESOURCES, 0o644);
    let m = messages(Config::load(dir.path(), "node1"));
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(m[0].contains("mode is 0644"));
    assert!(m[1].contains("authkeys:2: method crc takes no key"));
}
