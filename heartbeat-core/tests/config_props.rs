//! Property tests: the parsers never panic, and time values read back exactly.

use std::path::Path;
use std::time::Duration;

use heartbeat_core::config::{
    parse_authkeys, parse_ha_cf, parse_haresources, parse_resource, parse_time, Config,
};
use proptest::prelude::*;

/// Text made of the characters the parsers care about, plus some noise.
fn config_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("node ".to_string()),
            Just("keepalive ".to_string()),
            Just("deadtime ".to_string()),
            Just("mcast ".to_string()),
            Just("ucast ".to_string()),
            Just("auth ".to_string()),
            Just("sha256 ".to_string()),
            Just("crc".to_string()),
            Just("::".to_string()),
            Just("\\\n".to_string()),
            Just("\n".to_string()),
            Just("#".to_string()),
            Just(",".to_string()),
            Just("\t".to_string()),
            "[0-9.]{1,8}",
            "[a-z0-9/:.]{1,8}",
            any::<String>(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn parsers_never_panic(a in config_like(), b in config_like(), c in config_like()) {
        let file = Path::new("f");
        let _ = parse_ha_cf(&a, file);
        let _ = parse_authkeys(&b, file);
        let _ = parse_haresources(&c, file, &["node1".to_string()]);
        let _ = Config::from_texts(&a, &b, &c, "node1");
        for token in a.split_whitespace() {
            let _ = parse_time(token);
            let _ = parse_resource(token);
        }
    }

    #[test]
    fn whole_values_read_back(n in 0u64..1_000_000_000) {
        prop_assert_eq!(parse_time(&n.to_string()), Some(Duration::from_secs(n)));
        prop_assert_eq!(parse_time(&format!("{n}ms")), Some(Duration::from_millis(n)));
        prop_assert_eq!(parse_time(&format!("{n}000usec")), Some(Duration::from_millis(n)));
    }

    #[test]
    fn fractions_round_to_the_nearest_millisecond(whole in 0u64..100_000, micros in 0u64..1_000_000) {
        let text = format!("{whole}.{micros:06}");
        let exact_us = whole * 1_000_000 + micros;
        let expected = (exact_us + 500) / 1000;
        prop_assert_eq!(parse_time(&text), Some(Duration::from_millis(expected)));
    }

    #[test]
    fn every_error_is_located(a in config_like()) {
        if let Err(errors) = parse_ha_cf(&a, Path::new("ha.cf")) {
            for e in errors.errors() {
                prop_assert!(e.to_string().starts_with("ha.cf"));
                if let Some(line) = e.line {
                    prop_assert!(line >= 1 && line <= a.lines().count());
                }
            }
        }
    }
}
