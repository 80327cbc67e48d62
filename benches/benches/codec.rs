//! Codec micro-benchmarks: encode (build + sign) and decode (verify + parse)
//! of a heartbeat `Status` with each authentication method.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use heartbeat_core::wire::{
    native, AuthMethod, Holdings, Keyring, Message, NodeStatus, NodeUuid, Packet, Status,
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
}

criterion_group!(benches, codec);
criterion_main!(benches);
