//! Standard base64 (`A-Z a-z 0-9 + /`, `=` padding), as Linux-HA's classic
//! encoding writes binary values, done by the `base64` crate. The decoder
//! accepts only canonical text, so that decoding and re-encoding give the same
//! bytes: padding is required and exactly what the length calls for, and the
//! unused bits of the last symbol must be zero.

use ::base64::alphabet;
use ::base64::engine::{DecodePaddingMode, Engine as _, GeneralPurpose, GeneralPurposeConfig};

/// The engine of the classic encoding: pads when encoding, and when decoding
/// requires canonical padding and rejects non-zero trailing bits (so `Zh==`,
/// which would decode to the same byte as `Zg==`, is refused).
const CLASSIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(false),
);

/// Append the base64 text of `data` to `out`.
pub(crate) fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    // 4 symbols per started group of 3 bytes; cannot overflow for any slice
    // that fits in memory.
    let len = data.len().div_ceil(3) * 4;
    out.resize(start + len, 0);
    let written = CLASSIC
        .encode_slice(data, &mut out[start..])
        .expect("buffer sized for the padded encoding");
    debug_assert_eq!(written, len);
}

/// The bytes of canonical base64 `text`, or `None` if it is not canonical
/// (bad length, bad character, misplaced padding, non-zero padding bits).
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    CLASSIC.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(data: &[u8]) -> String {
        let mut out = Vec::new();
        encode_into(data, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc4648_vectors() {
        for (plain, text) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(enc(plain.as_bytes()), text);
            assert_eq!(decode(text.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn uuid_is_24_chars() {
        assert_eq!(
            enc(&(0u8..16).collect::<Vec<_>>()),
            "AAECAwQFBgcICQoLDA0ODw=="
        );
    }

    #[test]
    fn appends_after_existing_bytes() {
        let mut out = b"uuid=".to_vec();
        encode_into(b"foo", &mut out);
        assert_eq!(out, b"uuid=Zm9v");
    }

    #[test]
    fn rejects_non_canonical() {
        for bad in [
            "Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v!A==", "====", "Zg", "Zm8", "Zm9", "Zm9=",
            "Zm9vYg", " Zm9v", "Zm9v\n",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn what_decodes_re_encodes_to_itself() {
        // Every padded last group of one or two bytes: exactly one text per
        // value decodes, and it is the one the encoder writes.
        let symbols = alphabet::STANDARD.as_str().as_bytes();
        let mut accepted = 0;
        for &a in symbols {
            for &b in symbols {
                for text in [
                    vec![a, b, b'=', b'='],
                    vec![a, b, b'A', b'='],
                    vec![a, b, b'B', b'='],
                ] {
                    if let Some(data) = decode(&text) {
                        accepted += 1;
                        let mut again = Vec::new();
                        encode_into(&data, &mut again);
                        assert_eq!(again, text);
                    }
                }
            }
        }
        // `xy==`: the 256 one-byte values (y's low 4 bits zero); `xyA=`: all
        // 4096 (A is 0); `xyB=`: none (B sets a trailing bit).
        assert_eq!(accepted, 256 + 4096);
    }
}
