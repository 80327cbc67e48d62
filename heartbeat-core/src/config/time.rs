//! Linux-HA time values (`cl_get_msec`): a decimal number, fractions allowed,
//! meaning seconds; suffix `ms`/`msec` for milliseconds, `us`/`usec` for
//! microseconds. The result is rounded to whole milliseconds.

use std::time::Duration;

/// What a time value must look like, for error messages.
pub const TIME_EXPECTED: &str =
    "a time: seconds (`30`, `0.5`), or a number followed by `ms`/`msec` or `us`/`usec`";

/// More significant digits than this are refused (keeps the arithmetic exact).
const MAX_DIGITS: usize = 18;

/// Parses a Linux-HA time value: `30` (s), `1.5` (s), `500ms`, `250msec`,
/// `1500us`, `10usec`. Rounds half up to whole milliseconds. Returns `None`
/// for anything else (empty, negative, other suffixes, too many digits).
pub fn parse_time(text: &str) -> Option<Duration> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    // Scale so that value_in_ms = mantissa * num / (10^frac_digits * den).
    let (num, den): (u128, u128) = match suffix.to_ascii_lowercase().as_str() {
        "" => (1000, 1),
        "ms" | "msec" => (1, 1),
        "us" | "usec" => (1, 1000),
        _ => return None,
    };
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if frac_part.contains('.') || int_part.len() + frac_part.len() > MAX_DIGITS {
        return None;
    }
    let mut mantissa: u128 = 0;
    for c in int_part.chars().chain(frac_part.chars()) {
        mantissa = mantissa * 10 + u128::from(c.to_digit(10)?);
    }
    let scale = 10u128.pow(frac_part.len() as u32) * den;
    let millis = (mantissa * num * 2 + scale) / (scale * 2);
    Some(Duration::from_millis(u64::try_from(millis).ok()?))
}

/// Formats a duration the way `heartbeat -D` prints times: `1000ms`.
pub fn format_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Option<Duration> {
        Some(Duration::from_millis(v))
    }

    #[test]
    fn seconds_fractions_and_suffixes() {
        assert_eq!(parse_time("30"), ms(30_000));
        assert_eq!(parse_time("0"), ms(0));
        assert_eq!(parse_time("1.5"), ms(1500));
        assert_eq!(parse_time(".25"), ms(250));
        assert_eq!(parse_time("2."), ms(2000));
        assert_eq!(parse_time("500ms"), ms(500));
        assert_eq!(parse_time("500MS"), ms(500));
        assert_eq!(parse_time("250msec"), ms(250));
        assert_eq!(parse_time("1500us"), ms(2));
        assert_eq!(parse_time("1499usec"), ms(1));
        assert_eq!(parse_time("0.0004"), ms(0));
        assert_eq!(parse_time("0.0005"), ms(1));
        assert_eq!(parse_time("1.5ms"), ms(2));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            ".",
            "-1",
            "1s",
            "1 ms",
            "1.2.3",
            "ms",
            "1m",
            "abc",
            "1e3",
            "+1",
            "1234567890123456789",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_like_heartbeat() {
        assert_eq!(format_ms(Duration::from_millis(30_000)), "30000ms");
    }
}
