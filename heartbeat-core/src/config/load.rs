//! Loading a configuration directory: the three files parsed, every error of
//! all three collected, the cross-file checks done, one [`Config`] built.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrorKind as K, ConfigErrors};
use super::safety::QUORUM_LINUX_HA_WARNING;
use super::{authkeys, hacf, haresources, Config};

/// File name of the main configuration in a configuration directory.
pub const HA_CF: &str = "ha.cf";
/// File name of the keys in a configuration directory.
pub const AUTHKEYS: &str = "authkeys";
/// File name of the resource groups in a configuration directory.
pub const HARESOURCES: &str = "haresources";

/// The texts of the three files and the names they go by in messages; a
/// `None` text is a file that could not be read (already reported).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    pub(crate) ha_cf: (PathBuf, Option<String>),
    pub(crate) authkeys: (PathBuf, Option<String>),
    pub(crate) haresources: (PathBuf, Option<String>),
    /// Whether to check this machine too (see [`hacf::Checks`]).
    pub(crate) checks: hacf::Checks,
}

impl Config {
    /// Reads `ha.cf`, `authkeys` and `haresources` in `dir` and builds the
    /// configuration of node `local_node` (any case). Refuses an `authkeys`
    /// that group or others can access. Returns every error of the three files.
    ///
    /// A missing `haresources` means no resource group (with a warning).
    pub fn load(dir: &Path, local_node: &str) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut read = |name: &str, optional: bool| {
            let path = dir.join(name);
            let text = match fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) if optional && e.kind() == io::ErrorKind::NotFound => {
                    warnings.push(format!(
                        "{}: not found: no resource groups are configured",
                        path.display()
                    ));
                    Some(String::new())
                }
                Err(e) => {
                    errors.push(ConfigError::in_file(&path, K::Unreadable(e.to_string())));
                    None
                }
            };
            (path, text)
        };
        let sources = Sources {
            ha_cf: read(HA_CF, false),
            authkeys: read(AUTHKEYS, false),
            haresources: read(HARESOURCES, true),
            checks: hacf::Checks::Environment,
        };
        if sources.authkeys.1.is_some() {
            if let Err(e) = authkeys_mode(&sources.authkeys.0) {
                errors.push(e);
            }
        }
        match Config::from_sources(&sources, local_node) {
            Ok(mut config) if errors.is_empty() => {
                warnings.append(&mut config.warnings);
                config.warnings = warnings;
                Ok(config)
            }
            Ok(config) => {
                warnings.extend(config.warnings);
                Err(ConfigErrors::new(errors, warnings))
            }
            Err(more) => {
                errors.extend(more.errors().iter().cloned());
                warnings.extend(more.warnings().iter().cloned());
                Err(ConfigErrors::new(errors, warnings))
            }
        }
    }

    /// Builds a configuration from the three texts, named `ha.cf`, `authkeys`
    /// and `haresources` in messages. No permission check (no file).
    pub fn from_texts(
        ha_cf: &str,
        authkeys: &str,
        haresources: &str,
        local_node: &str,
    ) -> Result<Config, ConfigErrors> {
        let sources = Sources {
            ha_cf: (PathBuf::from(HA_CF), Some(ha_cf.to_string())),
            authkeys: (PathBuf::from(AUTHKEYS), Some(authkeys.to_string())),
            haresources: (PathBuf::from(HARESOURCES), Some(haresources.to_string())),
            checks: hacf::Checks::TextOnly,
        };
        Config::from_sources(&sources, local_node)
    }

    /// Builds a configuration from [`Sources`]: parses the texts that are
    /// present, collects every error, checks the local node and the preferred
    /// nodes against the `node` list.
    pub(crate) fn from_sources(
        sources: &Sources,
        local_node: &str,
    ) -> Result<Config, ConfigErrors> {
        let local_node = local_node.to_ascii_lowercase();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();

        let (ha_cf_path, ha_cf_text) = &sources.ha_cf;
        let ha_cf = ha_cf_text.as_deref().map(|text| {
            let mut p = hacf::parse_with(text, ha_cf_path, sources.checks);
            errors.append(&mut p.errors);
            warnings.append(&mut p.warnings);
            p.value
        });
        if let Some(h) = &ha_cf {
            if !h.nodes.is_empty() && !h.nodes.contains(&local_node) {
                errors.push(ConfigError::in_file(
                    ha_cf_path,
                    K::LocalNodeNotListed {
                        node: local_node.clone(),
                        nodes: h.nodes.join(", "),
                    },
                ));
            }
        }

        let (keys_path, keys_text) = &sources.authkeys;
        let keys = keys_text.as_deref().map(|text| {
            let mut p = authkeys::parse(text, keys_path);
            errors.append(&mut p.errors);
            warnings.append(&mut p.warnings);
            p.value
        });

        let (res_path, res_text) = &sources.haresources;
        let nodes: &[String] = ha_cf.as_ref().map_or(&[], |h| &h.nodes);
        let groups = res_text.as_deref().map(|text| {
            let mut p = haresources::parse(text, res_path, nodes);
            errors.append(&mut p.errors);
            warnings.append(&mut p.warnings);
            p.value
        });

        if let (Some(h), Some(groups)) = (&ha_cf, &groups) {
            for t in &h.health.tracks {
                if !groups.iter().any(|g| g.key == t.group) {
                    let kind = K::UnknownTrackedGroup(t.group.clone());
                    errors.push(ConfigError::at(ha_cf_path, t.line, kind));
                }
            }
        }
        if let (Some(h), Some(keys)) = (&ha_cf, &keys) {
            warnings.extend(dialect_key_warning(h.wire_dialect, keys, keys_path));
        }
        match (ha_cf, keys, groups) {
            (Some(h), Some(keys), Some(groups)) if errors.is_empty() => Ok(Config {
                local_node,
                cluster: h.cluster,
                nodes: h.nodes,
                timing: h.timing,
                udp_port: h.udp_port,
                media: h.media,
                health: h.health,
                ping_nodes: h.ping_nodes,
                auto_failback: h.auto_failback,
                max_rexmit_delay: h.max_rexmit_delay,
                logging: h.logging,
                hopfudge: h.hopfudge,
                realtime: h.realtime,
                msgfmt: h.msgfmt,
                compression: h.compression,
                wire_dialect: h.wire_dialect,
                metrics_listen: h.metrics_listen,
                safety: h.safety,
                respawn: h.respawn,
                raw_parameters: h.raw_parameters,
                keys,
                groups,
                warnings,
            }),
            _ => Err(ConfigErrors::new(errors, warnings)),
        }
    }
}

impl Config {
    /// Speak `dialect` whatever `ha.cf` said (heartbeatd's
    /// `--wire-dialect`), with the warnings [`Config::load`] gives when the
    /// active key is one Heartbeat nodes cannot check and when `quorum on`
    /// meets Heartbeat peers. Without a `quorum` line, quorum is resolved
    /// again for the new dialect ([`super::Safety::default_quorum`]).
    pub fn set_wire_dialect(&mut self, dialect: super::WireDialect) {
        if self.wire_dialect != dialect {
            self.wire_dialect = dialect;
            self.safety.resolve_quorum(self.nodes.len(), dialect);
            if dialect == super::WireDialect::LinuxHa && self.safety.quorum_explicit == Some(true) {
                self.warnings
                    .push(format!("{HA_CF}: {QUORUM_LINUX_HA_WARNING}"));
            }
            let file = Path::new(AUTHKEYS);
            self.warnings
                .extend(dialect_key_warning(dialect, &self.keys, file));
        }
    }
}

/// The warning for a `sha256` active key on the Linux-HA wire: Heartbeat
/// 3.0.6 has no such method and rejects every packet signed with it.
fn dialect_key_warning(
    dialect: super::WireDialect,
    keys: &crate::wire::Keyring,
    keys_path: &Path,
) -> Option<String> {
    let method = keys.active_key().map(|(_, k)| k.method);
    (dialect == super::WireDialect::LinuxHa && method == Some(crate::wire::AuthMethod::Sha256))
        .then(|| {
            format!(
                "{}: the active key is sha256, which Heartbeat 3.0.6 nodes do not know: \
                 they reject every packet of this node (use sha1 in a mixed cluster)",
                keys_path.display()
            )
        })
}

/// Checks the permission bits of `authkeys`.
#[cfg(unix)]
#[allow(clippy::result_large_err)] // cold path: once per load
fn authkeys_mode(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    match fs::metadata(path) {
        Ok(meta) => authkeys::check_authkeys_permissions(meta.permissions().mode(), path),
        Err(e) => Err(ConfigError::in_file(path, K::Unreadable(e.to_string()))),
    }
}

/// No permission bits to check off Unix.
#[cfg(not(unix))]
#[allow(clippy::result_large_err)]
fn authkeys_mode(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}
