//! What names and values each encoding can carry, shared by decoders and
//! encoders so that everything decoded can be encoded again.

/// Byte that replaces a newline inside a classic string value.
pub(crate) const CLASSIC_NEWLINE: u8 = 0x13;

/// Bytes that replace newlines in the classic text of a nested message, by
/// nesting depth of the field that holds it (`SPECIAL_SYMS` in cluster-glue).
pub(crate) const NESTING_SYMBOLS: [u8; super::MAX_DEPTH] = [
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x0f, 0x10, 0x11, 0x12,
];

/// Whether `b` has a meaning of its own in the classic encoding.
pub(crate) fn is_classic_special(b: u8) -> bool {
    b == b'\r' || b == b'\n' || b == CLASSIC_NEWLINE || NESTING_SYMBOLS.contains(&b)
}

/// Whether `name` is a field name both encodings carry: non-empty, UTF-8,
/// not starting with `(`, and free of `=`, NUL and classic special bytes.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name[0] != b'('
        && std::str::from_utf8(name).is_ok()
        && !name
            .iter()
            .any(|&b| b == b'=' || b == 0 || is_classic_special(b))
}

/// Whether a string value can be written in the netstring encoding (no NUL).
pub(crate) fn netstring_string_ok(value: &[u8]) -> bool {
    !value.contains(&0)
}

/// Whether a string value can be written in the classic encoding: no NUL, and
/// no byte with a classic meaning except `\n` (escaped as 0x13).
pub(crate) fn classic_string_ok(value: &[u8]) -> bool {
    !value
        .iter()
        .any(|&b| b == 0 || (b != b'\n' && is_classic_special(b)))
}
