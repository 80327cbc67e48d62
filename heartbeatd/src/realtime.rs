//! `realtime on` (ha.cf; on by default, as in Heartbeat): every thread of
//! the daemon runs under `SCHED_RR` at the lowest realtime priority, so
//! that busy ordinary processes cannot delay heartbeats (at a 10 ms
//! keepalive a saturated CPU otherwise causes false failovers, see
//! `benches/RESULTS.md`). The policy carries `SCHED_RESET_ON_FORK`:
//! resource scripts, health checks and notify hooks start at normal
//! priority, and so does every new thread until it asks for realtime
//! itself ([`make_thread_realtime`], run by each runtime thread at start).
//! Needs root (`CAP_SYS_NICE`); without it the daemon warns and runs at
//! normal priority, as Heartbeat does. Memory is not locked.

use std::io;

/// Puts the calling thread under `SCHED_RR | SCHED_RESET_ON_FORK` at the
/// lowest realtime priority.
#[allow(unsafe_code)]
pub fn make_thread_realtime() -> io::Result<()> {
    // SAFETY: sched_get_priority_min only reads its integer argument.
    let priority = unsafe { libc::sched_get_priority_min(libc::SCHED_RR) };
    if priority < 0 {
        return Err(io::Error::last_os_error());
    }
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: pid 0 is the calling thread; `param` is a valid, initialised
    // sched_param that outlives the call.
    let rc =
        unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The scheduling policy of thread `tid` of process `pid` (0 normal, 2
/// `SCHED_RR`, ...), for tests and diagnostics.
pub fn thread_policy(pid: u32, tid: u32) -> io::Result<u32> {
    policy_in_stat(&std::fs::read_to_string(format!(
        "/proc/{pid}/task/{tid}/stat"
    ))?)
}

/// Field 41 (`policy`) of a `/proc/.../stat` line.
pub fn policy_in_stat(stat: &str) -> io::Result<u32> {
    // The command name (field 2) may contain spaces: count from its ')'.
    let (_, rest) = stat
        .rsplit_once(')')
        .ok_or_else(|| io::Error::other("malformed stat"))?;
    rest.split_whitespace()
        .nth(41 - 3)
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| io::Error::other("no policy field"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_applies_to_the_thread_and_not_to_its_children() {
        let tid = nix::unistd::gettid().as_raw() as u32;
        let pid = std::process::id();
        assert_eq!(thread_policy(pid, tid).unwrap(), 0);
        // A thread of its own, so that the test harness is not changed.
        let outcome = std::thread::spawn(|| {
            let tid = nix::unistd::gettid().as_raw() as u32;
            let result = make_thread_realtime();
            let policy = thread_policy(std::process::id(), tid).unwrap();
            let child = std::process::Command::new("/bin/sh")
                .args(["-c", "cat /proc/self/stat"])
                .output()
                .unwrap();
            let child_policy = policy_in_stat(&String::from_utf8_lossy(&child.stdout)).unwrap();
            (result, policy, child_policy)
        })
        .join()
        .unwrap();
        match outcome {
            (Ok(()), policy, child_policy) => {
                assert_eq!(policy, libc::SCHED_RR as u32);
                assert_eq!(child_policy, 0, "children start at normal priority");
            }
            (Err(e), policy, _) => {
                // Not root: refused, nothing changed.
                assert_eq!(e.raw_os_error(), Some(libc::EPERM));
                assert_eq!(policy, 0);
            }
        }
    }
}
