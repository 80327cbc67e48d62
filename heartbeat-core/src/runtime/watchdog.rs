//! The kernel watchdog device (`ha.cf`'s `watchdog /dev/watchdog`): opened
//! when the node starts, its timeout set to
//! [`Safety::watchdog_timeout`](crate::config::Safety::watchdog_timeout)
//! of deadtime, petted with one byte whenever the engine says so
//! ([`Engine::poll_watchdog_pet`](crate::engine::Engine::poll_watchdog_pet)),
//! and disarmed with the magic `V` only after a complete graceful shutdown.
//!
//! Any other end (a crash, a shutdown that left groups running, a stalled
//! process) leaves the device armed, and the kernel resets the node one
//! timeout after the last pet: what the peers rely on before they start its
//! groups.
//!
//! The device is opened non-blocking, so a pet never holds up the driver:
//! a write that would block counts as a missed pet. A regular file or a
//! FIFO stands in for the device in tests (they take no timeout: logged and
//! ignored). A FIFO needs a reader when the node starts: opened
//! non-blocking without one, it fails at once (`ENXIO`) instead of hanging.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::libc;

/// The byte written to pet the device.
const PET: &[u8] = b".";

/// The byte that disarms the device before it is closed (the "magic close"
/// of the Linux watchdog API).
const MAGIC_CLOSE: &[u8] = b"V";

mod ioctl {
    nix::ioctl_readwrite!(
        /// `WDIOC_SETTIMEOUT`: sets the timeout in seconds; the kernel
        /// writes back the timeout the device really uses.
        wdioc_settimeout,
        b'W',
        6,
        nix::libc::c_int
    );
}

/// The watchdog device could not be opened, or refused to be armed.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the watchdog device {}: {source}", path.display())]
pub struct WatchdogError {
    /// The device, as configured.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// An open watchdog device (or its stand-in).
#[derive(Debug)]
pub(crate) struct WatchdogDevice {
    /// `None` once closed.
    file: Option<File>,
    path: PathBuf,
    timeout: Duration,
    /// Successful pets.
    pets: u64,
    /// Pets that could not be written.
    missed: u64,
    /// Whether the last pet failed (log only the first of a run).
    failing: bool,
}

impl WatchdogDevice {
    /// Opens `path` write-only and non-blocking and asks for `timeout`
    /// (whole seconds). A device that takes no timeout (`ENOTTY`,
    /// `EINVAL`: a stand-in, or a timeout out of the device's range) is
    /// used as it is, with a log line.
    pub(crate) fn open(path: &Path, timeout: Duration) -> Result<Self, WatchdogError> {
        let error = |source| WatchdogError {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(error)?;
        let asked = libc::c_int::try_from(timeout.as_secs()).unwrap_or(libc::c_int::MAX);
        match set_timeout(&file, asked) {
            Ok(granted) if granted == asked => {
                tracing::info!("watchdog {} armed: timeout {granted} s", path.display())
            }
            Ok(granted) => tracing::warn!(
                "watchdog {} armed with a timeout of {granted} s instead of {asked} s: \
                 peers wait {asked} s for it",
                path.display()
            ),
            Err(e @ (Errno::ENOTTY | Errno::EINVAL)) => tracing::warn!(
                "watchdog {} takes no timeout of {asked} s ({e}): petting it anyway; \
                 if it is a real device, its own timeout applies and peers wait {asked} s",
                path.display()
            ),
            Err(e) => return Err(error(e.into())),
        }
        Ok(WatchdogDevice {
            file: Some(file),
            path: path.to_path_buf(),
            timeout: Duration::from_secs(u64::try_from(asked).unwrap_or(0)),
            pets: 0,
            missed: 0,
            failing: false,
        })
    }

    /// Writes one pet; `false` if it could not be written (a full FIFO,
    /// an I/O error, a closed device), which is counted and logged.
    pub(crate) fn pet(&mut self) -> bool {
        let written = match self.file.as_mut() {
            Some(file) => file.write(PET),
            None => return false,
        };
        match written {
            Ok(1..) => {
                self.pets += 1;
                if std::mem::take(&mut self.failing) {
                    tracing::info!(
                        "watchdog {} petted again ({} pets missed so far)",
                        self.path.display(),
                        self.missed
                    );
                }
                true
            }
            result => {
                self.missed += 1;
                if !std::mem::replace(&mut self.failing, true) {
                    let why = match result {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            "the device would block".to_owned()
                        }
                        Err(e) => e.to_string(),
                        Ok(_) => "nothing written".to_owned(),
                    };
                    tracing::warn!(
                        "cannot pet watchdog {}: {why} ({} pets missed so far)",
                        self.path.display(),
                        self.missed
                    );
                }
                false
            }
        }
    }

    /// After a complete graceful shutdown: disarms the device (magic `V`)
    /// and closes it.
    pub(crate) fn disarm(&mut self) {
        let Some(mut file) = self.file.take() else {
            return;
        };
        match file.write(MAGIC_CLOSE) {
            Ok(1..) => tracing::info!("watchdog {} disarmed", self.path.display()),
            result => tracing::error!(
                "cannot disarm watchdog {} ({}): it resets this node within {} s",
                self.path.display(),
                result.map_or_else(|e| e.to_string(), |_| "nothing written".to_owned()),
                self.timeout.as_secs()
            ),
        }
    }

    /// After a shutdown that left groups running here: closes the device
    /// without disarming it, so that it resets the node.
    pub(crate) fn abandon(&mut self) {
        if self.file.take().is_some() {
            tracing::error!(
                "watchdog {} closed armed: groups may still run here, so it resets this \
                 node within {} s",
                self.path.display(),
                self.timeout.as_secs()
            );
        }
    }

    /// Pets written so far.
    #[cfg(test)]
    pub(crate) fn pets(&self) -> u64 {
        self.pets
    }

    /// Pets that could not be written so far.
    #[cfg(test)]
    pub(crate) fn missed(&self) -> u64 {
        self.missed
    }
}

/// `WDIOC_SETTIMEOUT` on `file`: the timeout the device granted.
#[allow(unsafe_code)]
fn set_timeout(file: &File, seconds: libc::c_int) -> nix::Result<libc::c_int> {
    let mut value = seconds;
    // SAFETY: the descriptor is borrowed from `file`, open for the whole
    // call; `value` is a live, initialised c_int the kernel reads and
    // writes back, as WDIOC_SETTIMEOUT's argument is defined.
    unsafe { ioctl::wdioc_settimeout(file.as_raw_fd(), &mut value) }?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::OpenOptionsExt;

    use super::*;

    #[test]
    fn a_regular_file_stands_in_for_the_device() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watchdog");
        std::fs::write(&path, b"").unwrap();
        let mut device = WatchdogDevice::open(&path, Duration::from_secs(3)).unwrap();
        assert!(device.pet());
        assert!(device.pet());
        device.disarm();
        assert!(!device.pet(), "closed");
        assert_eq!(std::fs::read(&path).unwrap(), b"..V");
        assert_eq!((device.pets(), device.missed()), (2, 0));
    }

    #[test]
    fn an_abandoned_device_gets_no_magic_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watchdog");
        std::fs::write(&path, b"").unwrap();
        let mut device = WatchdogDevice::open(&path, Duration::from_secs(3)).unwrap();
        assert!(device.pet());
        device.abandon();
        device.disarm();
        assert_eq!(std::fs::read(&path).unwrap(), b".");
    }

    #[test]
    fn a_full_fifo_misses_pets_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // A reader that never reads: the pipe fills up.
        let _reader = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .unwrap();
        let mut device = WatchdogDevice::open(&path, Duration::from_secs(3)).unwrap();
        let mut petted = 0;
        while device.pet() {
            petted += 1;
            assert!(petted <= 1 << 20, "a pipe holds far less");
        }
        assert!(petted > 0);
        assert!(!device.pet());
        assert_eq!(device.missed(), 2);
    }

    #[test]
    fn a_fifo_without_reader_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let error = WatchdogDevice::open(&path, Duration::from_secs(3)).unwrap_err();
        assert_eq!(error.source.raw_os_error(), Some(libc::ENXIO), "{error}");
    }

    #[test]
    fn a_missing_device_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-watchdog");
        let error = WatchdogDevice::open(&path, Duration::from_secs(3)).unwrap_err();
        assert_eq!(error.path, path);
        assert!(error.to_string().contains("no-such-watchdog"), "{error}");
    }
}
