//! Property tests: no input from the network makes the engine panic, and
//! its timer never goes backwards.

use proptest::prelude::*;

use super::*;
use crate::wire::{Holdings, NodeStatus, StandbyPhase, Status};

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (0u8..3, any::<u32>(), 0u8..4, any::<u64>()).prop_map(|(s, dt, h, ts)| {
            Message::Status(Status {
                status: [NodeStatus::Init, NodeStatus::Up, NodeStatus::Active][s as usize],
                deadtime_ms: dt,
                holdings: [
                    Holdings::None,
                    Holdings::Local,
                    Holdings::Foreign,
                    Holdings::All,
                ][h as usize],
                timestamp_ms: ts,
                view: None,
            })
        }),
        "[a-z0-9]{1,8}".prop_map(|group| Message::IpRequest { group }),
        ("[a-z0-9]{1,8}", any::<bool>(), any::<bool>())
            .prop_map(|(group, we_own, ok)| Message::IpRequestResp { group, we_own, ok }),
        (any::<u64>(), any::<u64>()).prop_map(|(first_seq, last_seq)| Message::RexmitRequest {
            first_seq,
            last_seq
        }),
        any::<u64>().prop_map(|seq| Message::NakRexmit { seq }),
        (any::<u64>(), any::<u32>())
            .prop_map(|(ack_seq, delay_us)| Message::Ack { ack_seq, delay_us }),
        Just(Message::Starting),
        (any::<bool>(), any::<bool>()).prop_map(|(full, stable)| Message::ResourceReport {
            holdings: Holdings::All,
            full,
            stable
        }),
        Just(Message::AskResources {
            holdings: Holdings::Foreign,
            phase: StandbyPhase::Me
        }),
        Just(Message::Shutdone),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(|p| Message::App {
            payload: Bytes::from(p)
        }),
    ]
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("zed")],
        0usize..4,
        prop_oneof![Just(100u64), Just(99), Just(101), any::<u64>()],
        prop_oneof![0u64..20, any::<u64>(), Just(u64::MAX)],
        proptest::option::of(prop_oneof![Just("a"), Just("b"), Just("q")]),
        message(),
    )
        .prop_map(|(from, u, generation, seq, dest, message)| Packet {
            from: from.into(),
            from_uuid: uuid(u),
            generation,
            seq,
            dest: dest.map(Into::into),
            message,
        })
}

/// One input: a packet, raw bytes, or time passing.
#[derive(Debug, Clone)]
enum Input {
    Packet(usize, Packet),
    Raw(usize, Vec<u8>),
    Wait(u64),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        6 => (0usize..3, packet()).prop_map(|(m, p)| Input::Packet(m, p)),
        1 => (0usize..3, proptest::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(m, b)| Input::Raw(m, b)),
        2 => (0u64..3000).prop_map(Input::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_network_input_never_panics(inputs in proptest::collection::vec(input(), 1..60)) {
        let t0 = Instant::now();
        let mut cfg = config("a", &["a", "b", "c"]);
        cfg.groups = vec![ResourceGroup {
            key: "g".into(),
            preferred_node: "b".into(),
            resources: vec![],
        }];
        let mut e = Engine::new(cfg, Identity { uuid: uuid(0), generation: 100 }, t0, 1);
        let mut now = t0;
        for input in inputs {
            match input {
                Input::Packet(m, p) => {
                    if let Ok(bytes) = native::encode(&p, &keys()) {
                        e.handle_datagram(now, MediumId(m), &bytes);
                    }
                }
                Input::Raw(m, b) => e.handle_datagram(now, MediumId(m), &b),
                Input::Wait(ms) => {
                    let until = now + Duration::from_millis(ms);
                    while let Some(t) = e.poll_timeout().filter(|&t| t <= until) {
                        prop_assert!(t >= now, "timer in the past");
                        now = t;
                        e.handle_timeout(now);
                        while e.poll_transmit().is_some() {}
                        while e.poll_event().is_some() {}
                        while let Some(a) = e.poll_action() {
                            e.handle_command(now, Command::ActionFinished {
                                group: a.group, kind: a.kind, ok: true,
                            });
                        }
                    }
                    now = until;
                }
            }
            while e.poll_transmit().is_some() {}
            while e.poll_event().is_some() {}
            let _ = e.status();
        }
    }
}
