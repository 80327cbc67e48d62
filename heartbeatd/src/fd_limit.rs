//! The process's file-descriptor limit: heartbeatd raises its soft
//! `RLIMIT_NOFILE` to the hard limit at start, so that the bounds on
//! control clients (see [`crate::control_socket::ClientLimits`]) sit well
//! below what resource scripts, checks and hooks need.

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// The soft limit before and after [`raise_to_hard_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raised {
    /// The soft limit the process started with.
    pub before: u64,
    /// The soft limit now (the hard limit, unless raising failed).
    pub now: u64,
}

/// Raises the soft fd limit to the hard limit.
pub fn raise_to_hard_limit() -> nix::Result<Raised> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    Ok(Raised {
        before: soft,
        now: hard.max(soft),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let raised = raise_to_hard_limit().unwrap();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!((raised.now, soft), (hard, hard));
        assert!(raised.before <= raised.now);
    }
}
