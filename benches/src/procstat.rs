//! CPU time and memory of processes, from `/proc`.

/// Clock ticks per second of `/proc/PID/stat` times (USER_HZ; 100 on Linux).
pub const USER_HZ: f64 = 100.0;

/// utime + stime (ticks, all threads) from the text of `/proc/PID/stat`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    // The command name may contain spaces and parentheses: split after the last ')'.
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// The value in KiB of `key` (e.g. `Pss:`, `VmRSS:`) in a `/proc` key-value file.
pub fn parse_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU ticks used so far by `pids` together (vanished processes count 0).
pub fn cpu_ticks(pids: &[i32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|s| parse_stat_ticks(&s))
        .sum()
}

/// Memory of `pids` together: (sum of RSS, sum of PSS) in KiB. PSS splits
/// pages shared between the processes (Heartbeat forks four per node), so
/// it is the fair "what this node costs" figure.
pub fn memory_kib(pids: &[i32]) -> (u64, u64) {
    let mut rss = 0;
    let mut pss = 0;
    for p in pids {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/status")) {
            rss += parse_kib(&s, "VmRSS:").unwrap_or(0);
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")) {
            pss += parse_kib(&s, "Pss:").unwrap_or(0);
        }
    }
    (rss, pss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_survive_a_name_with_spaces_and_parens() {
        let stat = "4242 (heartbeat: (x) y) S 1 4242 4242 0 -1 4194560 1405 0 0 0 \
                    17 5 0 0 -99 0 1 0 1234 10000000 1100 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat), Some(22));
    }

    #[test]
    fn kib_values_are_read_by_key() {
        let status = "Name:\tkeepalived\nVmRSS:\t   10028 kB\nPss:  3001 kB\n";
        assert_eq!(parse_kib(status, "VmRSS:"), Some(10028));
        assert_eq!(parse_kib(status, "Pss:"), Some(3001));
        assert_eq!(parse_kib(status, "VmSwap:"), None);
    }
}
