//! The measurements: failover times, false failovers under load, idle cost
//! and scale. Each returns plain rows that [`crate::report`] renders.

pub mod burners;
pub mod failover;
pub mod idle;
pub mod load;
pub mod scale;

use std::time::Duration;

/// Sleeps `d` in small steps, returning early with an error on Ctrl-C.
pub fn sleep(d: Duration) -> crate::error::Result<()> {
    let deadline = std::time::Instant::now() + d;
    loop {
        if crate::cleanup::interrupted() {
            return Err(crate::error::Error::Interrupted);
        }
        let now = std::time::Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
