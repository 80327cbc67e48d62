//! Codec micro-benchmarks: encode (build + sign) and decode (verify + parse)
//! of a heartbeat `Status` with each authentication method, natively and in
//! the Linux-HA dialect (netstring with trailer and classic `auth` field, as
//! Heartbeat 3.0.6 sends it; read back to a `Packet`).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use heartbeat_core::wire::linuxha::{self, Extras, MsgFmt};
use heartbeat_core::wire::{
    decode_any, native, AuthMethod, Holdings, Keyring, Message, NodeStatus, NodeUuid, Packet,
    Status,
};

/// A heartbeat from a node with a 16-character name, as sent every keepalive.
fn heartbeat() -> Packet {
    Packet {
        from: "node-name-16-chr".into(),
        from_uuid: NodeUuid([0x5a; 16]),
        generation: 7,
        seq: 123_456,
        dest: None,
        message: Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: 30_000,
            holdings: Holdings::Local,
            timestamp_ms: 86_400_000,
            view: None,
        }),
    }
}

fn keyring(method: AuthMethod) -> Keyring {
    let secret: &[u8] = if method.needs_secret() {
        b"a-typical-authkeys-secret"
    } else {
        b""
    };
    Keyring::single(method, secret)
}

fn codec(c: &mut Criterion) {
    let packet = heartbeat();
    for method in AuthMethod::ALL {
        let keys = keyring(method);
        let bytes = native::encode(&packet, &keys).expect("encodes");
        let mut group = c.benchmark_group(format!("status/{method}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("encode", |b| {
            b.iter(|| native::encode(black_box(&packet), black_box(&keys)))
        });
        group.bench_function("decode", |b| {
            b.iter(|| native::decode(black_box(&bytes), black_box(&keys)))
        });
        group.finish();
    }
    linux_ha(c, &packet);
}

/// The same status in the Linux-HA dialect, with the methods Heartbeat has.
fn linux_ha(c: &mut Criterion, packet: &Packet) {
    let extras = Extras {
        ts: 1_795_300_000,
        load: None,
        ttl: Some(3),
        dest_uuid: None,
        protocol: Some(1),
        info: None,
    };
    for method in [AuthMethod::Crc, AuthMethod::Md5, AuthMethod::Sha1] {
        let keys = keyring(method);
        let encode = |p: &Packet| {
            let msg = linuxha::compose(p, &extras).expect("composes");
            linuxha::encode(&msg, &keys, MsgFmt::Classic)
        };
        let bytes = encode(packet).expect("encodes");
        let mut group = c.benchmark_group(format!("linux-ha status/{method}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("encode", |b| b.iter(|| encode(black_box(packet))));
        group.bench_function("decode", |b| {
            b.iter(|| decode_any(black_box(&bytes), black_box(&keys)))
        });
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
