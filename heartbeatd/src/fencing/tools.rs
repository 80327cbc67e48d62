//! Where the fencing programs are: cluster-glue's `stonith(8)` and the fence
//! agents.

use std::path::PathBuf;

use crate::child::{find_program, is_executable};

/// Where the fencing programs are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceTools {
    /// cluster-glue's `stonith(8)`.
    pub stonith: PathBuf,
    /// Where fence agents named without a path are looked up, in order.
    pub agent_dirs: Vec<PathBuf>,
}

impl FenceTools {
    /// The installed programs: `stonith` and agents in `/usr/sbin`,
    /// `/sbin`, then the directories of `PATH`.
    pub fn system() -> Self {
        let mut dirs = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path).filter(|d| d.is_absolute()));
        }
        let stonith =
            find_program(&dirs, "stonith").unwrap_or_else(|| PathBuf::from("/usr/sbin/stonith"));
        FenceTools {
            stonith,
            agent_dirs: dirs,
        }
    }

    /// The executable of fence agent `agent`: an absolute path as it is,
    /// a bare name looked up in [`FenceTools::agent_dirs`]. Anything else
    /// (a relative path) is refused.
    pub fn agent(&self, agent: &str) -> Option<PathBuf> {
        if agent.starts_with('/') {
            let path = PathBuf::from(agent);
            is_executable(&path).then_some(path)
        } else {
            find_program(&self.agent_dirs, agent)
        }
    }
}
