//! The executor with fake `stonith` and fake agents (shell scripts in a
//! temporary directory that record how they were called).

use std::path::PathBuf;
use std::time::Duration;

use heartbeat_core::config::{Config, FenceAgent, StonithDevice, StonithHost, StonithParams};
use heartbeat_core::engine::FenceRequest;
use heartbeat_core::runtime::Fencer;

use super::{protection_warnings, FenceExecutor, FenceTools, UNPROTECTED};

const HA_CF: &str = "keepalive 100ms\ndeadtime 1\ninitdead 2\nbcast eth0\nnode node1 node2\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 fencing-test\n";

/// A temporary directory with the fake programs and what they recorded.
struct Bench {
    dir: tempfile::TempDir,
}

impl Bench {
    fn new() -> Self {
        Bench {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes an executable script `name` whose body is `body`; `$LOG` is
    /// the file it may record to (`name.log`).
    fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(name);
        let log = self.path(&format!("{name}.log"));
        let text = format!("#!/bin/sh\nLOG='{}'\n{body}\n", log.display());
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// What script `name` recorded.
    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.log"))).unwrap_or_default()
    }

    fn tools(&self) -> FenceTools {
        FenceTools {
            stonith: self.path("stonith"),
            agent_dirs: vec![self.dir.path().to_path_buf()],
        }
    }
}

/// A fake `stonith`: `-n` prints two names, a reset exits `reset_status`;
/// every call is recorded.
const FAKE_STONITH: &str = r#"echo "$@" >> "$LOG"
case " $* " in
  *" -n "*) echo "hostname  ipaddr  "; exit 0 ;;
esac
exit "${RESET_STATUS:-0}""#;

/// A fake agent: records its input; `off` exits 0, `status` reports off.
const FAKE_AGENT: &str = r#"input=$(cat)
printf '%s\n--\n' "$input" >> "$LOG"
case "$input" in
  *action=status*) echo "Status: OFF"; exit 2 ;;
  *) echo "Success: Powered OFF"; exit 0 ;;
esac"#;

fn config(stonith: Vec<StonithDevice>, agents: Vec<FenceAgent>) -> Config {
    let mut config = Config::from_texts(HA_CF, AUTHKEYS, "", "node1").unwrap();
    config.safety.stonith = stonith;
    config.safety.fence_agents = agents;
    config.safety.fence_timeout = Duration::from_secs(20);
    config
}

fn positional(kind: &str, values: &[&str]) -> StonithDevice {
    StonithDevice {
        host: StonithHost::Node("node1".into()),
        kind: kind.into(),
        params: StonithParams::Positional(values.iter().map(|v| (*v).to_owned()).collect()),
        origin: "ha.cf:5".into(),
    }
}

fn agent(name: &str) -> FenceAgent {
    FenceAgent {
        target: "node2".into(),
        agent: name.into(),
        options: vec![("ip".into(), "10.0.0.12".into())],
        origin: "ha.cf:6".into(),
    }
}

fn request() -> FenceRequest {
    FenceRequest {
        target: "node2".into(),
        attempt: 1,
    }
}

#[tokio::test]
async fn a_stonith_device_with_positional_parameters() {
    let bench = Bench::new();
    bench.script("stonith", FAKE_STONITH);
    let config = config(
        vec![positional("external/fake", &["node2", "10.0.0.2"])],
        vec![],
    );
    let outcome = FenceExecutor::new(&config, bench.tools())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.method, "stonith external/fake");
    assert_eq!(
        bench.log("stonith"),
        "-t external/fake -n\n\
         -t external/fake hostname=node2 ipaddr=10.0.0.2 -T reset node2\n"
    );
}

#[tokio::test]
async fn a_stonith_device_with_a_config_file() {
    let bench = Bench::new();
    bench.script("stonith", FAKE_STONITH);
    let device = StonithDevice {
        params: StonithParams::ConfigFile("/etc/ha.d/fake.cfg".into()),
        ..positional("external/fake", &[])
    };
    let outcome = FenceExecutor::new(&config(vec![device], vec![]), bench.tools())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(
        bench.log("stonith"),
        "-t external/fake -F /etc/ha.d/fake.cfg -T reset node2\n"
    );
}

#[tokio::test]
async fn a_failed_device_falls_back_to_the_agent() {
    let bench = Bench::new();
    bench.script("stonith", &format!("RESET_STATUS=1\n{FAKE_STONITH}"));
    bench.script("fence_fake", FAKE_AGENT);
    let config = config(
        vec![positional("external/fake", &["node2"])],
        vec![agent("fence_fake")],
    );
    let outcome = FenceExecutor::new(&config, bench.tools())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.method, "fence_fake");
    assert_eq!(
        bench.log("fence_fake"),
        "ip=10.0.0.12\nnodename=node2\naction=off\n--\n\
         ip=10.0.0.12\nnodename=node2\naction=status\n--\n"
    );
}

#[tokio::test]
async fn every_method_failing_names_the_last() {
    let bench = Bench::new();
    bench.script("stonith", &format!("RESET_STATUS=1\n{FAKE_STONITH}"));
    // Off succeeds, but the target is still on.
    bench.script("fence_liar", "cat > /dev/null\nexit 0");
    let config = config(
        vec![positional("external/fake", &["node2"])],
        vec![agent("fence_liar")],
    );
    let outcome = FenceExecutor::new(&config, bench.tools())
        .fence(request())
        .await;
    assert!(!outcome.ok);
    assert_eq!(outcome.method, "fence_liar");
}

#[tokio::test]
async fn missing_programs_fail_the_attempt() {
    let bench = Bench::new();
    let config = config(
        vec![positional("external/fake", &["node2"])],
        vec![agent("fence_none")],
    );
    let executor = FenceExecutor::new(&config, bench.tools());
    let outcome = executor.fence(request()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.method, "fence_none");
    let err = executor
        .attempt(super::Method::Stonith(&config.safety.stonith[0]), "node2")
        .await
        .unwrap_err();
    assert!(err.reason.contains("install cluster-glue"), "{err:?}");
    let err = executor
        .attempt(
            super::Method::Agent(&config.safety.fence_agents[0]),
            "node2",
        )
        .await
        .unwrap_err();
    assert!(err.reason.contains("fence_none not found"), "{err:?}");
}

#[tokio::test]
async fn a_hung_device_is_killed_at_the_fence_timeout() {
    let bench = Bench::new();
    bench.script(
        "stonith",
        "case \" $* \" in *\" -n \"*) echo hostlist; exit 0 ;; esac\n\
         sleep 600 &\necho $! > \"$LOG\"\nwait",
    );
    let mut config = config(vec![positional("external/fake", &["node2"])], vec![]);
    config.safety.fence_timeout = Duration::from_secs(2);
    let outcome = FenceExecutor::new(&config, bench.tools())
        .fence(request())
        .await;
    assert!(!outcome.ok);
    let pid = bench.log("stonith").trim().parse().unwrap();
    crate::child::wait_gone(pid).await;
}

#[tokio::test]
async fn nothing_configured_fails_with_none() {
    let bench = Bench::new();
    let outcome = FenceExecutor::new(&config(vec![], vec![]), bench.tools())
        .fence(request())
        .await;
    assert!(!outcome.ok);
    assert_eq!(outcome.method, "none");
}

#[test]
fn heartbeats_warning_for_groups_without_protection() {
    let bench = Bench::new();
    let with_groups = |safety: fn(&mut Config)| {
        let mut config = Config::from_texts(HA_CF, AUTHKEYS, "node1 web\n", "node1").unwrap();
        safety(&mut config);
        protection_warnings(&config, &bench.tools())
    };
    assert_eq!(
        with_groups(|_| {}),
        vec!["No STONITH device configured. Shared disks are not protected.".to_owned()]
    );
    assert_eq!(UNPROTECTED, with_groups(|_| {})[0]);
    assert!(with_groups(|c| c.safety.watchdog = Some("/dev/watchdog".into())).is_empty());
    let no_groups = Config::from_texts(HA_CF, AUTHKEYS, "", "node1").unwrap();
    assert!(protection_warnings(&no_groups, &bench.tools()).is_empty());
    let missing = with_groups(|c| {
        c.safety
            .stonith
            .push(positional("external/fake", &["node2"]));
        c.safety.fence_agents.push(agent("fence_none"));
    });
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[0].contains("cluster-glue"), "{missing:?}");
    assert!(
        missing[1].starts_with("fence agent fence_none (ha.cf:6) not found"),
        "{missing:?}"
    );
}
