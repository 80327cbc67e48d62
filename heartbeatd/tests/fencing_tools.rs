//! Fencing with the real tools: cluster-glue's `stonith(8)` (its `null`
//! plugin, which resets nothing: an `external/…` plugin of our own cannot
//! be used, its directory is compiled into cluster-glue) and
//! `fence_dummy` from fence-agents; then heartbeatd processes, one of which
//! resets a crashed peer with `fence_dummy` (from `ha.cf`) before it takes
//! the peer's group. Each test
//! skips with a printed reason when its tool is not installed (Debian
//! packages `cluster-glue`, `fence-agents`).

use std::path::Path;
use std::time::Duration;

use heartbeat_core::config::{Config, FenceAgent, StonithDevice, StonithHost, StonithParams};
use heartbeat_core::engine::FenceRequest;
use heartbeat_core::runtime::Fencer;
use heartbeat_lab::{Lab, LabSpec};
use heartbeatd::fencing::{FenceExecutor, FenceTools};

const PATIENCE: Duration = Duration::from_secs(30);
const HA_CF: &str = "keepalive 100ms\ndeadtime 1\ninitdead 2\nbcast eth0\nnode node1 node2\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 fencing-tools\n";

/// The installed tools, or `None` (with the reason printed) if `program`
/// is missing.
fn tools_with(program: &str) -> Option<FenceTools> {
    let tools = FenceTools::system();
    let found = if program == "stonith" {
        tools.stonith.exists()
    } else {
        tools.agent(program).is_some()
    };
    if found {
        Some(tools)
    } else {
        eprintln!("skipped: {program} is not installed (cluster-glue / fence-agents)");
        None
    }
}

fn config(stonith: Vec<StonithDevice>, agents: Vec<FenceAgent>) -> Config {
    let mut config = Config::from_texts(HA_CF, AUTHKEYS, "", "node1").unwrap();
    config.safety.stonith = stonith;
    config.safety.fence_agents = agents;
    config.safety.fence_timeout = PATIENCE;
    config
}

fn null_device(params: StonithParams) -> StonithDevice {
    StonithDevice {
        host: StonithHost::Any,
        kind: "null".into(),
        params,
        origin: "ha.cf:9".into(),
    }
}

fn dummy_agent(status_file: &Path, kind: &str) -> FenceAgent {
    FenceAgent {
        target: "node2".into(),
        agent: "fence_dummy".into(),
        options: vec![
            ("type".into(), kind.into()),
            ("status_file".into(), status_file.display().to_string()),
        ],
        origin: "ha.cf:10".into(),
    }
}

fn request() -> FenceRequest {
    FenceRequest {
        target: "node2".into(),
        attempt: 1,
    }
}

#[tokio::test]
async fn the_stonith_null_plugin_resets_with_positional_parameters_and_a_file() {
    let Some(tools) = tools_with("stonith") else {
        return;
    };
    let positional = null_device(StonithParams::Positional(vec![
        "node1".into(),
        "node2".into(),
    ]));
    let outcome = FenceExecutor::new(&config(vec![positional], vec![]), tools.clone())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.method, "stonith null");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("null.cfg");
    std::fs::write(&file, "# hosts\nnode1 node2\n").unwrap();
    let from_file = null_device(StonithParams::ConfigFile(file));
    let outcome = FenceExecutor::new(&config(vec![from_file], vec![]), tools.clone())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");

    let unknown = StonithDevice {
        kind: "no-such-plugin".into(),
        ..null_device(StonithParams::Positional(vec!["node2".into()]))
    };
    let outcome = FenceExecutor::new(&config(vec![unknown], vec![]), tools)
        .fence(request())
        .await;
    assert!(!outcome.ok, "an unknown plugin cannot reset");
}

#[tokio::test]
async fn fence_dummy_powers_off_and_confirms() {
    let Some(tools) = tools_with("fence_dummy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("node2.status");
    std::fs::write(&status, "on").unwrap();
    let working = config(vec![], vec![dummy_agent(&status, "file")]);
    let outcome = FenceExecutor::new(&working, tools.clone())
        .fence(request())
        .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.method, "fence_dummy");
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "off");

    // `type=fail` waits power_timeout (20 s by default) for the off state.
    let mut fails = dummy_agent(&status, "fail");
    fails.options.push(("power_timeout".into(), "1".into()));
    let failing = config(vec![], vec![fails]);
    let outcome = FenceExecutor::new(&failing, tools).fence(request()).await;
    assert!(!outcome.ok, "{outcome:?}");
}

/// Two heartbeatd processes whose `ha.cf` gives node2 a `fence_dummy`;
/// node2 runs the group and crashes: node1 powers it off, then takes the
/// group.
#[test]
fn a_daemon_resets_a_crashed_peer_before_it_takes_its_group() {
    if tools_with("fence_dummy").is_none() {
        return;
    }
    let power = tempfile::tempdir().unwrap();
    let status = power.path().join("node2.power");
    std::fs::write(&status, "on").unwrap();
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.groups = vec![(1, "web".into())];
    spec.auto_failback = "off".into();
    spec.extra_ha_cf = vec![
        format!(
            "fence_agent node2 fence_dummy type=file status_file={}",
            status.display()
        ),
        "fence_delay 0".into(),
    ];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    lab.expect_running_only_on("web", 1, PATIENCE);
    lab.kill9(1);
    lab.expect_running_only_on("web", 0, PATIENCE);
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "off");
    let powered_off = std::fs::metadata(&status)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let started = lab
        .actions()
        .into_iter()
        .find(|a| a.node == "node1" && a.verb == "start")
        .expect("node1 started web");
    assert!(
        powered_off <= started.unix_ns,
        "node2 was powered off ({powered_off}) before node1 started its group ({})",
        started.unix_ns
    );
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert!(
        log.contains("Node node2 reset with fence_dummy"),
        "node1's log:\n{log}"
    );
}
