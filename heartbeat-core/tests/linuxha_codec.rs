//! Examples of the Linux-HA dialect: the byte-exact vectors of SPEC-NOTES
//! §1.2/§1.3, Linux-HA's digests, nesting, and each rejection.

use heartbeat_core::wire::linuxha::{
    self, classify, compose, crc_cksum, decode, decode_verified, digest_hex, encode,
    encode_classic, AuthError, AuthToken, Classified, Encoding, HaDecodeError, HaEncodeError,
    HaMsg, MapError, MsgFmt, Value, MAX_DEPTH, MAX_LINUX_HA_DATAGRAM,
};
use heartbeat_core::wire::{AuthKey, AuthMethod, GroupHold, Keyring, Message, Packet};

const UUID: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The status of SPEC-NOTES §1.2/§1.3.
fn notes_status() -> HaMsg {
    let mut m = HaMsg::new()
        .with_str("t", "status")
        .with_str("st", "active")
        .with_str("dt", "7530")
        .with_str("protocol", "1")
        .with_str("src", "node1");
    m.push_binary("srcuuid", UUID);
    m.with_str("seq", "1a")
        .with_str("hg", "4d2")
        .with_str("ts", "691fe000")
        .with_str("ld", "0.00 0.01 0.05 1/123 4567")
        .with_str("ttl", "3")
}

fn ring(index: u8, method: AuthMethod, secret: &str) -> Keyring {
    Keyring {
        active: index,
        keys: [(index, AuthKey::new(method, secret))].into(),
    }
}

#[test]
fn netstring_vector_of_the_installed_libplumb() {
    // SPEC-NOTES §1.3: msg2wirefmt() of libplumb 1.0.12, index 2, HMAC-SHA1 "secret".
    let keys = ring(2, AuthMethod::Sha1, "secret");
    let bytes = encode(&notes_status(), &keys, MsgFmt::Netstring).unwrap();
    let mut expected = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=7530,13:(0)protocol=1,\
12:(0)src=node1,27:(1)srcuuid="
        .to_vec();
    expected.extend_from_slice(&UUID);
    expected.extend_from_slice(
        b",9:(0)seq=1a,9:(0)hg=4d2,14:(0)ts=691fe000,31:(0)ld=0.00 0.01 0.05 1/123 4567,\
8:(0)ttl=3,%%%\n42:2 6641cbb3ffa33d09a954a5bf6739cd549f227a6f,",
    );
    assert_eq!(&bytes[..], &expected[..]);
    let r = decode_verified(&bytes, &keys).unwrap();
    assert_eq!(r.msg, notes_status());
    assert_eq!(r.msgfmt(), MsgFmt::Netstring);
}

#[test]
fn classic_form_of_the_notes_example() {
    let keys = ring(1, AuthMethod::Sha1, "somekey");
    let bytes = encode_classic(&notes_status(), &keys).unwrap();
    let text = std::str::from_utf8(&bytes[..bytes.len() - 1]).unwrap();
    let body = "t=status\nst=active\ndt=7530\nprotocol=1\nsrc=node1\n\
(1)srcuuid=AAECAwQFBgcICQoLDA0ODw==\nseq=1a\nhg=4d2\nts=691fe000\n\
ld=0.00 0.01 0.05 1/123 4567\nttl=3\n";
    let auth = digest_hex(&AuthKey::new(AuthMethod::Sha1, "somekey"), body.as_bytes());
    assert_eq!(text, format!(">>>\n{body}auth=1 {auth}\n<<<\n"));
    assert_eq!(bytes.last(), Some(&0), "classic datagrams end with NUL");
    let r = decode_verified(&bytes, &keys).unwrap();
    assert_eq!(r.encoding, Encoding::Classic);
    assert!(r.trailing_nul);
    assert_eq!(r.reencode(&keys).unwrap(), bytes);
    // Without the NUL, and with CR/LF runs between lines: still accepted.
    let loose = text.replace('\n', "\r\n").replacen("\r\n", "\n", 1);
    let r = decode_verified(loose.as_bytes(), &keys).unwrap();
    assert!(!r.trailing_nul);
    assert_eq!(r.msg.get_binary("srcuuid"), Some(&UUID[..]));
}

#[test]
fn netstring_with_classic_auth_field_as_3_0_6_sends() {
    let keys = ring(1, AuthMethod::Sha1, "somekey");
    let bytes = encode(&notes_status(), &keys, MsgFmt::Classic).unwrap();
    let r = decode_verified(&bytes, &keys).unwrap();
    assert_eq!(r.msg.fields.last().unwrap().name, "auth");
    linuxha::verify_auth_field(&r.msg, &keys).unwrap();
    // Re-encoding sets the auth field in place rather than adding one.
    assert_eq!(encode(&r.msg, &keys, MsgFmt::Classic).unwrap(), bytes);
}

#[test]
fn linux_ha_digests() {
    assert_eq!(crc_cksum(b"123456789"), 0x765e_7680);
    let crc = AuthKey::new(AuthMethod::Crc, "");
    assert_eq!(digest_hex(&crc, b"123456789"), "765e7680");
    // Printed without leading zeros (`%lx`).
    let short = (0u32..)
        .map(|i| i.to_string())
        .find(|s| crc_cksum(s.as_bytes()) < 0x1000_0000)
        .unwrap();
    let hex = digest_hex(&crc, short.as_bytes());
    assert!(hex.len() < 8 && !hex.starts_with('0'), "{hex}");
    // RFC 2202 test case 2.
    let data = b"what do ya want for nothing?";
    assert_eq!(
        digest_hex(&AuthKey::new(AuthMethod::Md5, "Jefe"), data),
        "750c783e6ab0b503eaa86e310a5db738"
    );
    assert_eq!(
        digest_hex(&AuthKey::new(AuthMethod::Sha1, "Jefe"), data),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
    // Keys longer than the block are hashed first (RFC 2202 test case 6).
    assert_eq!(
        digest_hex(
            &AuthKey::new(AuthMethod::Sha1, vec![0xaa; 80]),
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        ),
        "aa4ae5e15272d00e95705637ce8a3b55ed402112"
    );
}

#[test]
fn tokens_sign_and_verify_with_every_method() {
    for (method, secret) in [
        (AuthMethod::Crc, ""),
        (AuthMethod::Md5, "k"),
        (AuthMethod::Sha1, "k"),
    ] {
        let keys = ring(3, method, secret);
        let bytes = encode(&notes_status(), &keys, MsgFmt::Classic).unwrap();
        let r = decode_verified(&bytes, &keys).unwrap();
        let token = r.trailer.unwrap();
        assert_eq!(token.index, 3);
        let body_len = bytes.len() - (token.to_string().len() + 4);
        assert_eq!(
            token.digest,
            digest_hex(&AuthKey::new(method, secret), &bytes[..body_len])
        );
        let classic = encode_classic(&notes_status(), &keys).unwrap();
        decode_verified(&classic, &keys).unwrap();
        let mut tampered = classic.to_vec();
        tampered[10] ^= 0x20;
        assert!(decode_verified(&tampered, &keys).is_err());
    }
    let t = AuthToken::parse(b"15 0a").unwrap();
    assert_eq!((t.index, t.digest.as_str()), (15, "0a"));
}

/// `msg` nested `levels` times inside struct fields named `inner`.
fn nested(levels: usize) -> HaMsg {
    let mut msg = HaMsg::new().with_str("leaf", "a\nb");
    for _ in 0..levels {
        let mut outer = HaMsg::new().with_str("t", "x");
        outer.push("inner", Value::Struct(msg));
        msg = outer;
    }
    msg
}

#[test]
fn nested_messages_lists_and_newlines() {
    let keys = ring(1, AuthMethod::Md5, "k");
    let mut msg = nested(3);
    msg.push("l", Value::List(vec![b"a b".to_vec(), b"c".to_vec()]));
    msg.push("z", Value::Compress(vec![0, 1, 2, 255]));
    msg.push("u", Value::Uncompress(HaMsg::new().with_str("k", "v")));
    msg.push_str("empty", "");
    for bytes in [
        encode(&msg, &keys, MsgFmt::Netstring).unwrap(),
        encode_classic(&msg, &keys).unwrap(),
    ] {
        let r = decode_verified(&bytes, &keys).unwrap();
        assert_eq!(r.reencode(&keys).unwrap(), bytes);
        let mut got = r.msg.clone();
        got.remove("auth");
        assert_eq!(got, msg);
    }
    let classic = encode_classic(&msg, &keys).unwrap();
    // Depth-0 symbol 0x14 for the first struct, 0x13 for the string newline,
    // and the list packed as netstrings.
    assert!(classic.contains(&0x14) && classic.contains(&0x15) && classic.contains(&0x13));
    assert!(classic.windows(10).any(|w| w == b"(3)l=3:a b"));
}

#[test]
fn nesting_is_bounded() {
    let keys = ring(1, AuthMethod::Sha1, "k");
    let deepest = nested(MAX_DEPTH);
    decode_verified(&encode(&deepest, &keys, MsgFmt::Netstring).unwrap(), &keys).unwrap();
    decode_verified(&encode_classic(&deepest, &keys).unwrap(), &keys).unwrap();
    let too_deep = nested(MAX_DEPTH + 1);
    assert_eq!(
        encode(&too_deep, &keys, MsgFmt::Netstring),
        Err(HaEncodeError::TooDeep)
    );
    assert_eq!(
        encode_classic(&too_deep, &keys),
        Err(HaEncodeError::TooDeep)
    );
    // A hand-made netstring 17 levels deep.
    let mut inner = b"###\n%%%\n".to_vec();
    for _ in 0..=MAX_DEPTH {
        let field = [b"(2)s=".as_slice(), &inner].concat();
        inner = [
            b"###\n".as_slice(),
            field.len().to_string().as_bytes(),
            b":",
            &field,
            b",%%%\n",
        ]
        .concat();
    }
    assert_eq!(decode(&inner), Err(HaDecodeError::TooDeep));
}

#[test]
fn every_rejection_is_typed() {
    use HaDecodeError::*;
    let cases: &[(&[u8], HaDecodeError)] = &[
        (b"", Truncated),
        (b"##", Truncated),
        (b"HB\x01", BadStart),
        (b"###\n", Truncated),
        (b"###\n6:(0)t=x", Truncated),
        (b"###\n5:(0)t=x", MissingComma),
        (b"###\n05:(0)t=x,%%%\n", BadLength),
        (b"###\n1234567:", BadLength),
        (b"###\n99:(0)t=x,%%%\n", BadLength),
        (b"###\n5:(0)t=xy%%%\n", MissingComma),
        (b"###\n3:t=x,%%%\n", MissingType),
        (b"###\n6:(9)t=x,%%%\n", UnknownType(b'9')),
        (b"###\n4:(0)t,%%%\n", MissingEquals),
        (b"###\n5:(0)=x,%%%\n", BadName),
        (b"###\n7:(0)t=\0x,%%%\n", BadString),
        (b"###\n7:(3)l=0:,%%%\n", BadList),
        (b"###\n%%%\nx", BadTrailer),
        (b"###\n%%%\n3:1 x,", BadTrailer),
        (b"###\n%%%\n4:1 ab,x", TrailingBytes),
        (b">>>\nt=x\n", Truncated),
        (b">>>\n(0)t=x\n<<<\n", StringPrefixInClassic),
        (b">>>\n(1)u=AA=\n<<<\n", BadBase64),
        (b">>>\n>>>\n<<<\n", NestedStart),
        (b">>>\nt\n<<<\n", MissingEquals),
        (b">>>\nt=\x14\n<<<\n", BadString),
        (b">>>\nt=x\n<<<\n\0\0", TrailingBytes),
        (b">>>\n(2)s=>>>\x14<<<\x14x\n<<<\n", TrailingBytes),
    ];
    for (bytes, error) in cases {
        assert_eq!(
            decode(bytes).as_ref().map(|_| ()),
            Err(error),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(
        decode(&vec![b'#'; MAX_LINUX_HA_DATAGRAM + 1]),
        Err(Oversized(MAX_LINUX_HA_DATAGRAM + 1))
    );
    let keys = ring(1, AuthMethod::Sha1, "k");
    for unsigned in [&b"###\n%%%\n"[..], b">>>\nt=x\n<<<\n\0"] {
        assert_eq!(
            decode_verified(unsigned, &keys),
            Err(HaDecodeError::Auth(AuthError::Missing))
        );
    }
}

#[test]
fn encoder_refuses_what_it_cannot_carry() {
    let keys = ring(1, AuthMethod::Sha1, "k");
    let bad_name = HaMsg::new().with_str("a=b", "x");
    assert!(matches!(
        encode(&bad_name, &keys, MsgFmt::Netstring),
        Err(HaEncodeError::BadName(_))
    ));
    let nul = HaMsg::new().with_str("a", "x\0");
    assert!(matches!(
        encode(&nul, &keys, MsgFmt::Netstring),
        Err(HaEncodeError::BadValue(_))
    ));
    let cr = HaMsg::new().with_str("a", "x\r");
    // Netstring carries a CR, the classic auth field's text cannot.
    assert!(encode(&cr, &keys, MsgFmt::Netstring).is_ok());
    assert!(encode(&cr, &keys, MsgFmt::Classic).is_err());
    assert!(encode_classic(&cr, &keys).is_err());
    let big = HaMsg::new().with_str("a", vec![b'x'; MAX_LINUX_HA_DATAGRAM]);
    assert!(matches!(
        encode(&big, &keys, MsgFmt::Netstring),
        Err(HaEncodeError::Oversized(_))
    ));
    let no_key = Keyring {
        active: 4,
        keys: Default::default(),
    };
    assert_eq!(
        encode(&notes_status(), &no_key, MsgFmt::Netstring),
        Err(HaEncodeError::NoActiveKey(4))
    );
}

#[test]
fn mapping_errors_and_other_types() {
    let mut dead = notes_status();
    dead.set("st", Value::Str(b"dead".to_vec()));
    assert_eq!(classify(&dead), Err(MapError::Invalid("st")));
    let mut no_uuid = notes_status();
    no_uuid.remove("srcuuid");
    assert_eq!(classify(&no_uuid), Err(MapError::Missing("srcuuid")));
    let mut text_uuid = notes_status();
    text_uuid.set("srcuuid", Value::Str(b"x".to_vec()));
    assert_eq!(classify(&text_uuid), Err(MapError::Invalid("srcuuid")));
    let mut no_seq = notes_status();
    no_seq.remove("seq");
    assert_eq!(classify(&no_seq), Err(MapError::Missing("seq")));
    let mut compressed = HaMsg::new();
    compressed.push_binary("_compressed_payload", [1, 2]);
    assert_eq!(classify(&compressed), Err(MapError::Compressed));
    let mut other = notes_status();
    other.set("t", Value::Str(b"hbapi-clstat".to_vec()));
    let Ok(Classified::Other { msg_type, envelope }) = classify(&other) else {
        panic!("unknown types are kept");
    };
    assert_eq!(msg_type, "hbapi-clstat");
    assert_eq!(envelope.unwrap().seq, 0x1a);
    let ping = HaMsg::new()
        .with_str("t", "NS_st")
        .with_str("st", "ping")
        .with_str("src", "10.0.0.1");
    assert!(matches!(
        classify(&ping),
        Ok(Classified::Other { envelope: None, .. })
    ));
    // Types compare case-insensitively, as in Heartbeat.
    let mut upper = notes_status();
    upper.set("t", Value::Str(b"STATUS".to_vec()));
    assert!(matches!(classify(&upper), Ok(Classified::Known { .. })));
    let Ok(Classified::Known { packet, extras }) = classify(&notes_status()) else {
        panic!("status maps");
    };
    let app = Packet {
        message: Message::App {
            payload: bytes::Bytes::from_static(b"x"),
        },
        ..packet
    };
    // Our own types: application payloads and ownership announcements
    // travel as `hbrs-app` (sequenced) and `NS_hbrs_ownership` (with the
    // high-water mark in `hiseq`), and read back as they were.
    let msg = compose(&app, &extras).unwrap();
    assert_eq!(msg.msg_type(), Some("hbrs-app"));
    let Ok(Classified::Known { packet: back, .. }) = classify(&msg) else {
        panic!("hbrs-app maps back");
    };
    assert_eq!(back, app);
    let own = Packet {
        message: Message::Ownership(heartbeat_core::wire::Ownership {
            serial: 9,
            groups_digest: 0xdead_beef,
            first: 2,
            holds: vec![GroupHold::Free, GroupHold::Held, GroupHold::Unmanaged],
            faults: vec![false, true, false],
        }),
        ..app
    };
    let msg = compose(&own, &extras).unwrap();
    assert_eq!(msg.msg_type(), Some("NS_hbrs_ownership"));
    assert_eq!(msg.get_str("seq"), None, "unsequenced");
    let Ok(Classified::Known { packet: back, .. }) = classify(&msg) else {
        panic!("ownership maps back");
    };
    assert_eq!(back, own);
    let mut bad = msg.clone();
    bad.set("holds", Value::Str(b"fhx".to_vec()));
    assert_eq!(classify(&bad), Err(MapError::Invalid("holds")));
}
