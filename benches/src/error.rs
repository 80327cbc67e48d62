//! The harness's error type.

use std::io;

/// Everything that can go wrong while building hosts or driving daemons.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// An external command exited non-zero.
    #[error("`{command}` failed: {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// Something did not happen in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The machine lacks something the benchmark needs.
    #[error("setup: {0}")]
    Setup(String),
    /// The run was interrupted (Ctrl-C or SIGTERM).
    #[error("interrupted")]
    Interrupted,
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Adds a context to an `io::Result`.
pub trait IoContext<T> {
    /// Maps an I/O error to [`Error::Io`] with `context`.
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}
