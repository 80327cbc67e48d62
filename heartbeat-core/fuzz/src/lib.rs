//! The bodies of heartbeat-core's fuzz targets, kept in a library so that
//! the cargo-fuzz binaries (`fuzz_targets/`) and the corpus replay
//! (`tests/replay.rs`, run by CI on stable) call the same code.
//!
//! Every function here must return normally for every input: a panic, an
//! overflow or an endless loop is a bug in heartbeat-core (or a broken
//! invariant that the function checks).
//!
//! - [`native_decode`]: the native codec, with a round trip of what decodes.
//! - [`linuxha_decode`]: the Linux-HA (`ha_msg`) codec, verification and
//!   mapping to our messages.
//! - [`decode_any`]: either dialect, with a key of each method.
//! - [`config_files`]: `ha.cf`, `authkeys` and `haresources` parsers.
//! - [`control_request`]: the control socket's request parser.
//! - [`engine_pair`]: authenticated, arbitrary messages fed to a 2-node
//!   engine pair, with invariants checked after every step.

mod engine_pair;

use std::path::Path;

use heartbeat_core::config::{parse_authkeys, parse_ha_cf, parse_haresources, Config};
use heartbeat_core::control::{parse_request_bytes, request_line};
use heartbeat_core::wire::{self, linuxha, native, AuthMethod, Keyring};

pub use engine_pair::{engine_pair, run as run_engine_pair, Scenario, Step};

/// The secret every target's keys use: the one of the reference captures
/// (`1 sha1 somekey`), so that their packets, the Linux-HA seeds, verify.
pub const SECRET: &[u8] = b"somekey";

/// A target's body: runs one input.
pub type Body = fn(&[u8]);

/// Every target by its binary name (and corpus folder), with its body.
pub const TARGETS: [(&str, Body); 6] = [
    ("native_decode", native_decode),
    ("linuxha_decode", linuxha_decode),
    ("decode_any", decode_any),
    ("config_files", config_files),
    ("control_request", control_request),
    ("engine_pair", engine_pair),
];

/// A one-key ring of `method` with [`SECRET`].
pub fn keys(method: AuthMethod) -> Keyring {
    Keyring::single(method, SECRET)
}

/// The key method a selector byte names (the first byte of the
/// [`decode_any`] and [`native_decode`] inputs).
pub fn method_of(selector: u8) -> AuthMethod {
    match selector % 4 {
        0 => AuthMethod::Crc,
        1 => AuthMethod::Md5,
        2 => AuthMethod::Sha1,
        _ => AuthMethod::Sha256,
    }
}

/// First byte: key method; the rest: a native datagram. What decodes must
/// encode again to a datagram that decodes to the same packet.
pub fn native_decode(data: &[u8]) {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let keys = keys(method_of(selector));
    if let Ok(packet) = native::decode(datagram, &keys) {
        let again = native::encode(&packet, &keys).expect("a decoded packet encodes");
        assert_eq!(native::decode(&again, &keys).as_ref(), Ok(&packet));
    }
}

/// A Linux-HA datagram: parsed, verified with a sha1 key, mapped to our
/// message types.
pub fn linuxha_decode(data: &[u8]) {
    let Ok(received) = linuxha::decode(data) else {
        return;
    };
    let _ = received.msg.msg_type();
    if received.verify(&keys(AuthMethod::Sha1)).is_ok() {
        let _ = linuxha::classify(&received.msg);
    }
}

/// First byte: key method; the rest: a datagram of either dialect.
pub fn decode_any(data: &[u8]) {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let _ = wire::decode_any(datagram, &keys(method_of(selector)));
}

/// The three configuration files, split at `\0` bytes (missing ones are
/// empty), each parsed alone and then together as a node's configuration.
pub fn config_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let ha_cf = parts.next().unwrap_or("");
    let authkeys = parts.next().unwrap_or("");
    let haresources = parts.next().unwrap_or("");
    let _ = parse_ha_cf(ha_cf, Path::new("ha.cf"));
    let _ = parse_authkeys(authkeys, Path::new("authkeys"));
    let nodes = ["node1".to_owned(), "node2".to_owned()];
    let _ = parse_haresources(haresources, Path::new("haresources"), &nodes);
    if let Ok(config) = Config::from_texts(ha_cf, authkeys, haresources, "node1") {
        let _ = config.effective().to_string();
    }
}

/// A control-socket request line; what parses must survive a round trip.
pub fn control_request(data: &[u8]) {
    if let Ok(request) = parse_request_bytes(data) {
        let line = request_line(&request);
        assert_eq!(parse_request_bytes(line.trim_end().as_bytes()), Ok(request));
    }
}
