//! Whole-message compression, as Heartbeat 3.0.6 (cluster-glue 1.0.12) does it.
//!
//! # Wire format
//!
//! Read from cluster-glue's `lib/clplumbing/cl_compress.c`
//! (`cl_compressmsg`, `cl_decompressmsg`, `is_compressed_msg`),
//! `lib/clplumbing/cl_msg.c` (`msg2wirefmt_ll`, `msg2wirefmt_noac`,
//! `wirefmt2msg_ll`) and the plugins `lib/plugins/compress/zlib.c` and
//! `bz2.c`; described here in our own words.
//!
//! A compressed message is an ordinary *netstring* message with exactly two
//! fields, in this order:
//!
//! ```text
//! ###\n
//! <len>:(1)_compressed_payload=<compressed bytes, raw binary>,
//! <len>:(0)_compression_algorithm=<zlib|bz2>,
//! %%%\n
//! <len>:<key index> <hex digest>,        authentication trailer
//! ```
//!
//! - The payload, once decompressed, is the original message encoded
//!   *without* authentication trailer (`msg2wirefmt_noac`): the classic
//!   `>>>\n...<<<\n` text followed by one NUL byte when the sender uses
//!   `msgfmt classic` (then with the classic `auth` field inside, which the
//!   daemon added before encoding), or a `###\n...%%%\n` netstring message
//!   without trailer when it uses `msgfmt netstring` or the message holds
//!   nested messages.
//! - The wrapper is signed *after* compression: the trailer covers the
//!   wrapper's `###\n` through `%%%\n`, compressed bytes included. The
//!   wrapper carries no classic `auth` field.
//! - `zlib` is the zlib format (RFC 1950, zlib's `compress()` /
//!   `uncompress()`, default level); `bz2` is one bzip2 stream
//!   (`BZ2_bzBuffToBuffCompress` with block size 100k, work factor 30).
//! - A receiver recognises a compressed message by the presence of the
//!   binary field `_compressed_payload`, takes the algorithm from
//!   `_compression_algorithm`, decompresses and parses the result as a
//!   message of either encoding. Heartbeat decompresses into a 2 MiB
//!   buffer (`MAXUNCOMPRESSED`); we bound the result by
//!   [`MAX_LINUX_HA_DATAGRAM`](super::MAX_LINUX_HA_DATAGRAM) and stop reading
//!   the stream one byte past it.
//! - When: with `traditional_compression yes`, every message whose encoded
//!   length exceeds `compression_threshold` KiB (default 2) is sent
//!   compressed with the `compression` algorithm (default zlib); without it
//!   only messages of 256 KiB or more would be, which this dialect never
//!   sends. (Field-level compression, type-4 fields inside a message, is a
//!   Pacemaker feature and not handled here.)

use std::io::Read;

use super::error::HaDecodeError;

/// Name of the binary field holding the compressed message.
pub const COMPRESSED_PAYLOAD_FIELD: &str = "_compressed_payload";

/// Name of the string field naming the compression algorithm.
pub const COMPRESSION_ALGORITHM_FIELD: &str = "_compression_algorithm";

/// ha.cf `compression`: the algorithm of compressed messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `zlib` (Heartbeat's default): the zlib format.
    #[default]
    Zlib,
    /// `bz2`: one bzip2 stream.
    Bz2,
}

impl Algorithm {
    /// The name on the wire and in ha.cf.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Zlib => "zlib",
            Algorithm::Bz2 => "bz2",
        }
    }

    /// Reads a name (`zlib`, `bz2`; exact, as Heartbeat loads the plugin of
    /// that name).
    pub fn from_name(name: &[u8]) -> Option<Algorithm> {
        match name {
            b"zlib" => Some(Algorithm::Zlib),
            b"bz2" => Some(Algorithm::Bz2),
            _ => None,
        }
    }
}

/// When and how outgoing messages are compressed (Heartbeat's
/// `traditional_compression yes` mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Compression {
    /// The algorithm (`compression`).
    pub algorithm: Algorithm,
    /// Messages whose encoding (without trailer) is longer than this many
    /// bytes are compressed (`compression_threshold` × 1024).
    pub threshold: usize,
}

/// Compress `data` with `algorithm` as Heartbeat's plugins do.
pub fn compress(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    match algorithm {
        Algorithm::Zlib => {
            let mut enc =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).expect("write to a Vec");
            enc.finish().expect("write to a Vec")
        }
        Algorithm::Bz2 => {
            // Block size 1 (100k) like Heartbeat's bz2 plugin.
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(1));
            enc.write_all(data).expect("write to a Vec");
            enc.finish().expect("write to a Vec")
        }
    }
}

/// Decompress `data`, which must be exactly one complete `algorithm`
/// stream, into at most `limit` bytes.
///
/// The stream is read through a reader that stops after `limit + 1` bytes,
/// so the output never grows past `limit + 1` whatever the input claims: a
/// stream that expands beyond `limit` is [`HaDecodeError::DecompressedOversized`],
/// a corrupt or truncated stream or bytes after its end are
/// [`HaDecodeError::BadCompressedPayload`].
pub fn decompress(
    algorithm: Algorithm,
    data: &[u8],
    limit: usize,
) -> Result<Vec<u8>, HaDecodeError> {
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    match algorithm {
        Algorithm::Zlib => {
            let mut dec = ZlibReader {
                input: data,
                z: flate2::Decompress::new(true),
                ended: false,
            };
            let out = read_bounded(&mut dec, bound, limit)?;
            if !dec.ended || !dec.input.is_empty() {
                return Err(HaDecodeError::BadCompressedPayload);
            }
            Ok(out)
        }
        Algorithm::Bz2 => {
            let mut dec = bzip2::bufread::BzDecoder::new(data);
            let out = read_bounded(&mut dec, bound, limit)?;
            if !dec.get_ref().is_empty() {
                return Err(HaDecodeError::BadCompressedPayload);
            }
            Ok(out)
        }
    }
}

/// Read `reader` through `take(bound)`; more than `limit` bytes is an error.
fn read_bounded<R: Read>(
    reader: &mut R,
    bound: u64,
    limit: usize,
) -> Result<Vec<u8>, HaDecodeError> {
    let mut out = Vec::new();
    reader
        .take(bound)
        .read_to_end(&mut out)
        .map_err(|_| HaDecodeError::BadCompressedPayload)?;
    if out.len() > limit {
        return Err(HaDecodeError::DecompressedOversized(limit));
    }
    Ok(out)
}

/// A zlib stream read from a slice: unlike flate2's readers, running out of
/// input before the stream's end (its adler32 trailer) is an error, not end
/// of file.
struct ZlibReader<'a> {
    /// Input not yet consumed.
    input: &'a [u8],
    /// The inflater (zlib header and trailer expected).
    z: flate2::Decompress,
    /// Whether the stream's end was reached.
    ended: bool,
}

impl Read for ZlibReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::{Error, ErrorKind};
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        loop {
            let (in_before, out_before) = (self.z.total_in(), self.z.total_out());
            let status = self
                .z
                .decompress(self.input, buf, flate2::FlushDecompress::None)
                .map_err(|e| Error::new(ErrorKind::InvalidData, e))?;
            // Both deltas are bounded by the slices handed in.
            let consumed = usize::try_from(self.z.total_in() - in_before).unwrap_or(usize::MAX);
            let produced = usize::try_from(self.z.total_out() - out_before).unwrap_or(usize::MAX);
            self.input = self.input.get(consumed..).unwrap_or_default();
            if status == flate2::Status::StreamEnd {
                self.ended = true;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if consumed == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "truncated zlib stream",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 64 * 1024;

    #[test]
    fn names() {
        for a in [Algorithm::Zlib, Algorithm::Bz2] {
            assert_eq!(Algorithm::from_name(a.as_str().as_bytes()), Some(a));
        }
        assert_eq!(Algorithm::from_name(b"ZLIB"), None);
        assert_eq!(Algorithm::from_name(b"gzip"), None);
    }

    #[test]
    fn round_trips() {
        let data: Vec<u8> = (0..40_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .take(40_000)
            .collect();
        for a in [Algorithm::Zlib, Algorithm::Bz2] {
            let c = compress(a, &data);
            assert!(c.len() < data.len());
            assert_eq!(decompress(a, &c, LIMIT).unwrap(), data);
            assert_eq!(decompress(a, &compress(a, b""), LIMIT).unwrap(), b"");
            // Exactly at the limit passes, one more byte does not.
            let at = vec![7u8; LIMIT];
            assert_eq!(
                decompress(a, &compress(a, &at), LIMIT).unwrap().len(),
                LIMIT
            );
            let over = vec![7u8; LIMIT + 1];
            assert_eq!(
                decompress(a, &compress(a, &over), LIMIT),
                Err(HaDecodeError::DecompressedOversized(LIMIT))
            );
        }
    }

    #[test]
    fn zlib_stream_is_rfc1950() {
        // 0x78 header byte: deflate, 32K window, as zlib's compress() writes.
        assert_eq!(compress(Algorithm::Zlib, b"x")[0], 0x78);
        assert!(compress(Algorithm::Bz2, b"x").starts_with(b"BZh1"));
    }

    #[test]
    fn truncated_and_garbage_payloads_are_refused() {
        let data = b"###\n11:(0)t=status,%%%\n".repeat(50);
        for a in [Algorithm::Zlib, Algorithm::Bz2] {
            let c = compress(a, &data);
            for cut in [0, 1, 2, c.len() / 2, c.len() - 1] {
                assert!(
                    decompress(a, &c[..cut], LIMIT).is_err(),
                    "{a:?} cut at {cut}"
                );
            }
            let mut trailing = c.clone();
            trailing.push(0);
            assert_eq!(
                decompress(a, &trailing, LIMIT),
                Err(HaDecodeError::BadCompressedPayload)
            );
            let mut flipped = c.clone();
            let mid = flipped.len() / 2;
            flipped[mid] ^= 0x55;
            assert!(decompress(a, &flipped, LIMIT).is_err());
            assert!(decompress(a, b"this is not compressed at all", LIMIT).is_err());
        }
        // The other algorithm's stream.
        let z = compress(Algorithm::Zlib, &data);
        assert!(decompress(Algorithm::Bz2, &z, LIMIT).is_err());
        let b = compress(Algorithm::Bz2, &data);
        assert!(decompress(Algorithm::Zlib, &b, LIMIT).is_err());
    }

    /// 100 MB of zeros compressed: refused, and the decoder's output buffer
    /// never holds more than the bound plus one byte (peak memory stays small).
    #[test]
    fn bombs_stop_at_the_bound() {
        const HUNDRED_MB: usize = 100 * 1024 * 1024;
        for a in [Algorithm::Zlib, Algorithm::Bz2] {
            // Compress 100 MB of zeros without holding them: stream chunks.
            let bomb = {
                use std::io::Write;
                let chunk = vec![0u8; 1 << 20];
                match a {
                    Algorithm::Zlib => {
                        let mut e = flate2::write::ZlibEncoder::new(
                            Vec::new(),
                            flate2::Compression::best(),
                        );
                        for _ in 0..HUNDRED_MB / chunk.len() {
                            e.write_all(&chunk).unwrap();
                        }
                        e.finish().unwrap()
                    }
                    Algorithm::Bz2 => {
                        let mut e =
                            bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
                        for _ in 0..HUNDRED_MB / chunk.len() {
                            e.write_all(&chunk).unwrap();
                        }
                        e.finish().unwrap()
                    }
                }
            };
            assert!(
                bomb.len() < 200 * 1024,
                "{a:?} bomb is {} bytes",
                bomb.len()
            );
            assert_eq!(
                decompress(a, &bomb, LIMIT),
                Err(HaDecodeError::DecompressedOversized(LIMIT))
            );
            // The bounded read never holds more than limit + 1 bytes.
            let mut out = Vec::new();
            let n = match a {
                Algorithm::Zlib => ZlibReader {
                    input: &bomb,
                    z: flate2::Decompress::new(true),
                    ended: false,
                }
                .take(LIMIT as u64 + 1)
                .read_to_end(&mut out),
                Algorithm::Bz2 => bzip2::bufread::BzDecoder::new(&bomb[..])
                    .take(LIMIT as u64 + 1)
                    .read_to_end(&mut out),
            }
            .unwrap();
            assert_eq!(n, LIMIT + 1);
            assert!(out.capacity() <= 2 * (LIMIT + 1), "{}", out.capacity());
        }
    }

    mod wrapper {
        use super::super::super::codec::{decode, decode_verified, encode_compressed, MsgFmt};
        use super::super::super::msg::HaMsg;
        use super::super::*;
        use crate::wire::{AuthMethod, Keyring};

        fn keys() -> Keyring {
            Keyring::single(AuthMethod::Sha1, "secret")
        }

        fn big_message(size: usize) -> HaMsg {
            let mut m = HaMsg::new();
            m.push_str("t", "hbapi-msg");
            m.push_str("src", "node1");
            m.push_str("payload", "0123456789abcdef".repeat(size / 16));
            m
        }

        #[test]
        fn encode_and_decode_round_trip() {
            let msg = big_message(20_000);
            for algorithm in [Algorithm::Zlib, Algorithm::Bz2] {
                for fmt in [MsgFmt::Classic, MsgFmt::Netstring] {
                    let c = Some(Compression {
                        algorithm,
                        threshold: 1024,
                    });
                    let bytes = encode_compressed(&msg, &keys(), fmt, c).unwrap();
                    assert!(bytes.len() < 2_000, "{algorithm:?} {}", bytes.len());
                    assert!(bytes.starts_with(b"###\n"));
                    let r = decode_verified(&bytes, &keys()).unwrap();
                    assert_eq!(r.compressed, Some(algorithm));
                    assert_eq!(r.msgfmt(), fmt);
                    let mut got = r.msg.clone();
                    got.remove("auth");
                    assert_eq!(got, msg);
                    // Signed after compression: a wrong key fails.
                    let other = Keyring::single(AuthMethod::Sha1, "other");
                    assert!(decode_verified(&bytes, &other).is_err());
                    assert_eq!(r.reencode(&keys()).unwrap(), bytes);
                    // Under the threshold: sent as is.
                    let small = encode_compressed(&big_message(500), &keys(), fmt, c).unwrap();
                    assert_eq!(decode(&small).unwrap().compressed, None);
                }
            }
        }

        /// A wrapper built by hand around `inner` bytes, as Heartbeat would.
        fn wrap(algorithm: &str, payload: Vec<u8>) -> Vec<u8> {
            let mut w = HaMsg::new();
            w.push_binary(COMPRESSED_PAYLOAD_FIELD, payload);
            w.push_str(COMPRESSION_ALGORITHM_FIELD, algorithm);
            super::super::super::codec::encode(&w, &keys(), MsgFmt::Netstring)
                .unwrap()
                .to_vec()
        }

        #[test]
        fn heartbeat_style_classic_payload_decodes() {
            let inner = b">>>\nt=status\nsrc=node2\nst=active\n<<<\n\0".to_vec();
            let bytes = wrap("bz2", compress(Algorithm::Bz2, &inner));
            let r = decode_verified(&bytes, &keys()).unwrap();
            assert_eq!(r.msg.get_str("src"), Some("node2"));
            assert_eq!(r.compressed, Some(Algorithm::Bz2));
        }

        #[test]
        fn bad_wrappers_are_refused() {
            let inner = b"###\n12:(0)t=status,%%%\n".to_vec();
            assert_eq!(
                decode(&wrap("lzma", compress(Algorithm::Zlib, &inner))).unwrap_err(),
                HaDecodeError::UnknownCompression
            );
            let truncated = compress(Algorithm::Zlib, &inner);
            let truncated = truncated[..truncated.len() - 3].to_vec();
            assert_eq!(
                decode(&wrap("zlib", truncated)).unwrap_err(),
                HaDecodeError::BadCompressedPayload
            );
            assert!(decode(&wrap("bz2", b"garbage".to_vec())).is_err());
            // A wrapper in a wrapper.
            let nested = wrap("zlib", compress(Algorithm::Zlib, &inner));
            let nested = nested[..nested.iter().position(|&b| b == b'%').unwrap() + 4].to_vec();
            assert_eq!(
                decode(&wrap("zlib", compress(Algorithm::Zlib, &nested))).unwrap_err(),
                HaDecodeError::BadCompressedPayload
            );
            // A payload that expands past the datagram limit.
            let huge = vec![b'a'; 10 * 1024 * 1024];
            assert_eq!(
                decode(&wrap("bz2", compress(Algorithm::Bz2, &huge))).unwrap_err(),
                HaDecodeError::DecompressedOversized(crate::wire::linuxha::MAX_LINUX_HA_DATAGRAM)
            );
        }
    }
}
