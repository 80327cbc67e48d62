//! Helpers shared by the config integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use heartbeat_core::config::{Config, ConfigErrors};

/// A minimal valid ha.cf for node1/node2.
pub(crate) const HA_CF: &str = "node node1 node2\nucast eth0 10.0.0.2\n";
/// A minimal valid authkeys.
pub(crate) const AUTHKEYS: &str = "auth 1\n1 sha256 secret\n";
/// A minimal valid haresources.
pub(crate) const HARESOURCES: &str = "node1 10.0.0.10 httpd\n";

/// Builds a config from ha.cf text with the minimal other files, for node1.
pub(crate) fn ha_cf(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_texts(text, AUTHKEYS, HARESOURCES, "node1")
}

/// The error messages of a failed build; panics if it succeeded.
pub(crate) fn messages(result: Result<Config, ConfigErrors>) -> Vec<String> {
    match result {
        Ok(config) => panic!("expected errors, got {config:?}"),
        Err(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
    }
}

/// Asserts exactly one error, starting with `prefix` (`file:line: ...`).
pub(crate) fn one_error(result: Result<Config, ConfigErrors>, prefix: &str) -> String {
    let m = messages(result);
    assert_eq!(m.len(), 1, "expected one error, got {m:#?}");
    assert!(
        m[0].starts_with(prefix),
        "{:?} does not start with {prefix:?}",
        m[0]
    );
    m.into_iter().next().unwrap()
}

/// The sample `ha.d/` of the repository.
pub(crate) fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ha.d")
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh empty directory.
    pub(crate) fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "heartbeat-rs-config-test-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file with the given mode.
    pub(crate) fn write(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the sample `ha.d` into a temp dir and makes authkeys 0600.
pub(crate) fn sample_copy() -> TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    for name in ["ha.cf", "authkeys", "haresources"] {
        std::fs::copy(sample_dir().join(name), dir.path().join(name)).unwrap();
    }
    std::fs::set_permissions(
        dir.path().join("authkeys"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    dir
}
