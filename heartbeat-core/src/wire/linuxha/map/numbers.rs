//! Numbers as Heartbeat writes them: lower-case hex without padding for
//! `seq`, `hg`, `ts`, `dt`, `ackseq` and a nak's `firstseq`; decimal for
//! `NS_rexmit`'s `firstseq`/`lastseq`, `ttl` and `protocol`.

/// `n` as Heartbeat's `%lx`.
pub(crate) fn hex(n: u64) -> String {
    format!("{n:x}")
}

/// A hex number of 1 to 16 digits (either case, as `sscanf("%lx")` takes).
pub(crate) fn parse_hex(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    text.iter().try_fold(0u64, |n, &c| {
        let d = char::from(c).to_digit(16)?;
        Some((n << 4) | u64::from(d))
    })
}

/// A decimal number of 1 to 20 digits that fits in a `u64`.
pub(crate) fn parse_dec(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    text.iter().try_fold(0u64, |n, &c| {
        let d = char::from(c).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_decimal() {
        assert_eq!(hex(0x2ee0), "2ee0");
        assert_eq!(parse_hex(b"6b021af4"), Some(0x6b02_1af4));
        assert_eq!(parse_hex(b"FF"), Some(255));
        assert_eq!(parse_hex(b"ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_hex(b"1ffffffffffffffff"), None);
        assert_eq!(parse_hex(b""), None);
        assert_eq!(parse_hex(b"-1"), None);
        assert_eq!(parse_dec(b"21"), Some(21));
        assert_eq!(parse_dec(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_dec(b"18446744073709551616"), None);
        assert_eq!(parse_dec(b"1a"), None);
    }
}
