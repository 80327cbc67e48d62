//! The node's identity ([`Identity`]: uuid and generation), persisted in a
//! state directory ([`load_and_advance`], what heartbeatd and
//! [`super::ClusterBuilder::state_dir`] use) or made up for one run
//! ([`in_memory`]).
//!
//! The state directory holds Heartbeat 3.0.6's own file formats, so that a
//! node moving from Heartbeat to heartbeatd keeps both:
//!
//! - `hb_uuid`: the 16 raw bytes of the node uuid, created once.
//! - `hb_generation`: the generation as right-aligned decimal in 15 columns
//!   plus a newline (16 bytes). It grows by one at every start and is written
//!   and synced to disk before the caller sends its first packet. When the file
//!   is missing the count starts from the current Unix time, as Heartbeat's
//!   does, so a wiped state directory still yields a higher generation than any
//!   the peers remember.
//!
//! Peers drop packets of a generation lower than the one they know from a
//! node (a replay), so the generation must grow across restarts: persist it
//! wherever the node can keep a directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine::Identity;
use crate::wire::NodeUuid;

/// File name of the persisted uuid.
pub const UUID_FILE: &str = "hb_uuid";
/// File name of the persisted generation.
pub const GENERATION_FILE: &str = "hb_generation";

/// Why the identity could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading, writing or syncing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file exists but does not hold what it should.
    #[error("{path}: {what}")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The operating system gave no random bytes for a new uuid.
    #[error("cannot draw random bytes for the node uuid: {0}")]
    Random(io::Error),
}

/// Where a node's identity comes from when it is not given outright: what
/// [`super::ClusterBuilder::state_dir`] and
/// [`super::ClusterBuilder::identity_in_memory`] choose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// Loaded from a state directory (created with the uuid if needed), the
    /// generation advanced and synced: [`load_and_advance`].
    StateDir(PathBuf),
    /// Made up for this run: [`in_memory`].
    InMemory,
}

/// What [`super::ClusterBuilder::bind`] turns into the node's [`Identity`]:
/// an [`Identity`] itself, or an [`IdentitySource`].
pub trait ResolveIdentity: Send + 'static {
    /// The identity. May read, write and sync files: call it where blocking
    /// is allowed (`bind` does so on tokio's blocking pool).
    fn resolve(self) -> Result<Identity, IdentityError>;
}

impl ResolveIdentity for Identity {
    fn resolve(self) -> Result<Identity, IdentityError> {
        Ok(self)
    }
}

impl ResolveIdentity for IdentitySource {
    fn resolve(self) -> Result<Identity, IdentityError> {
        match self {
            IdentitySource::StateDir(dir) => load_and_advance(&dir),
            IdentitySource::InMemory => in_memory(),
        }
    }
}

/// Loads the identity from `state_dir` (creating the directory and the uuid
/// if needed), increments the generation and syncs it to disk.
pub fn load_and_advance(state_dir: &Path) -> Result<Identity, IdentityError> {
    fs::create_dir_all(state_dir).map_err(io_at(state_dir))?;
    let uuid = load_or_create_uuid(state_dir)?;
    let generation = next_generation(state_dir)?;
    Ok(Identity { uuid, generation })
}

fn load_or_create_uuid(dir: &Path) -> Result<NodeUuid, IdentityError> {
    let path = dir.join(UUID_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let raw: [u8; 16] = bytes
                .try_into()
                .map_err(|b: Vec<u8>| corrupt(&path, b.len()))?;
            Ok(NodeUuid(raw))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let uuid = random_uuid()?;
            write_synced(dir, UUID_FILE, &uuid.0)?;
            Ok(uuid)
        }
        Err(e) => Err(IdentityError::Io { path, source: e }),
    }
}

/// An identity for one run of a node that keeps no state: a random uuid,
/// and as generation the Unix time in microseconds, so that a restart, even
/// within the same second, still comes with a higher generation (as long as
/// the clock does not step back).
///
/// It is not comparable with a state directory's count (Unix seconds when
/// it was created, plus one per start): after running a node in memory,
/// moving it to a new state directory makes its generation go down, and
/// peers that still remember it drop its packets until they restart.
pub fn in_memory() -> Result<Identity, IdentityError> {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    Ok(Identity {
        uuid: random_uuid()?,
        generation: micros.max(1),
    })
}

/// A random (RFC 4122 version 4, variant 1) uuid, from the operating
/// system's generator (`getrandom`(2) on Linux, no file needed).
fn random_uuid() -> Result<NodeUuid, IdentityError> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| IdentityError::Random(io::Error::other(e)))?;
    raw[6] = (raw[6] & 0x0f) | 0x40;
    raw[8] = (raw[8] & 0x3f) | 0x80;
    Ok(NodeUuid(raw))
}

fn next_generation(dir: &Path) -> Result<u64, IdentityError> {
    let path = dir.join(GENERATION_FILE);
    let previous = match fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| IdentityError::Corrupt {
                path: path.clone(),
                what: format!(
                    "expected a decimal generation number, found {:?}",
                    text.trim()
                ),
            })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => unix_time_now(),
        Err(e) => return Err(IdentityError::Io { path, source: e }),
    };
    let generation = previous.saturating_add(1);
    write_synced(
        dir,
        GENERATION_FILE,
        format!("{generation:>15}\n").as_bytes(),
    )?;
    Ok(generation)
}

/// Writes `name` in `dir` through a temporary file, syncs it, renames it into
/// place and syncs the directory, so a crash leaves the old or the new content.
fn write_synced(dir: &Path, name: &str, content: &[u8]) -> Result<(), IdentityError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_at(&tmp))?;
    file.write_all(content).map_err(io_at(&tmp))?;
    file.sync_all().map_err(io_at(&tmp))?;
    fs::rename(&tmp, &target).map_err(io_at(&target))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

fn unix_time_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(path: &Path, len: usize) -> IdentityError {
    IdentityError::Corrupt {
        path: path.to_path_buf(),
        what: format!("expected 16 bytes of uuid, found {len}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hb-identity-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn generation_grows_and_uuid_stays() {
        let dir = temp_dir("grow");
        let first = load_and_advance(&dir).unwrap();
        let second = load_and_advance(&dir).unwrap();
        assert_eq!(first.uuid, second.uuid);
        assert_eq!(second.generation, first.generation + 1);
        assert!(
            first.generation > 1_600_000_000,
            "starts from the Unix time"
        );
        let text = fs::read_to_string(dir.join(GENERATION_FILE)).unwrap();
        assert_eq!(text.len(), 16, "Heartbeat's 16-byte format");
        assert_eq!(text.trim().parse::<u64>().unwrap(), second.generation);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_heartbeat_generation_file() {
        let dir = temp_dir("hbfile");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(GENERATION_FILE), format!("{:>15}\n", 41)).unwrap();
        assert_eq!(load_and_advance(&dir).unwrap().generation, 42);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_files_are_reported_with_their_path() {
        let dir = temp_dir("corrupt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(UUID_FILE), b"short").unwrap();
        let err = load_and_advance(&dir).unwrap_err().to_string();
        assert!(err.contains("hb_uuid") && err.contains("16 bytes"), "{err}");
        fs::write(dir.join(UUID_FILE), [7u8; 16]).unwrap();
        fs::write(dir.join(GENERATION_FILE), "banana\n").unwrap();
        let err = load_and_advance(&dir).unwrap_err().to_string();
        assert!(
            err.contains("hb_generation") && err.contains("banana"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn in_memory_identities_are_random_and_grow() {
        let first = in_memory().unwrap();
        let second = in_memory().unwrap();
        assert_ne!(first.uuid, second.uuid);
        assert!(second.generation >= first.generation);
        assert!(
            first.generation > 1_600_000_000_000_000,
            "Unix time in microseconds"
        );
        for uuid in [first.uuid, second.uuid] {
            assert_eq!(uuid.0[6] >> 4, 4, "version 4");
            assert_eq!(uuid.0[8] >> 6, 0b10, "variant 1");
        }
    }

    #[test]
    fn created_uuid_is_version_4() {
        let dir = temp_dir("v4");
        let identity = load_and_advance(&dir).unwrap();
        assert_eq!(fs::read(dir.join(UUID_FILE)).unwrap(), identity.uuid.0);
        assert_eq!(identity.uuid.0[6] >> 4, 4);
        assert_eq!(identity.uuid.0[8] >> 6, 0b10);
        fs::remove_dir_all(&dir).unwrap();
    }
}
