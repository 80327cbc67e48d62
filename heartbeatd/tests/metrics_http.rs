//! The `metrics_listen` HTTP listener on real processes: `/metrics`, the
//! status page and `/status.json` of a 2-node loopback cluster, a real
//! Prometheus server scraping it (Debian's `prometheus`, skipped when
//! missing), `promtool check metrics` on a scrape, the page in headless
//! Chromium (Debian's `chromium`, `chromium-driver` and `python3-selenium`,
//! skipped when missing), and hostile clients that must not delay a
//! heartbeat.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use heartbeat_lab::{Lab, LabSpec};

const PATIENCE: Duration = Duration::from_secs(60);

/// A TCP port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One HTTP/1.0 exchange: the status code, the head and the body.
fn http(address: SocketAddr, request: &str) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, head.to_owned(), body.to_owned()))
}

/// `GET path`: the status code, the head and the body.
fn get(address: SocketAddr, path: &str) -> (u16, String, String) {
    http(
        address,
        &format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"),
    )
    .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The value of the series `name{labels}` (labels as written, in order) in
/// a Prometheus text scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// A 2-node loopback lab (keepalive 100 ms, deadtime 1 s) whose node1
/// serves HTTP on the returned address; both nodes see each other.
fn lab_with_listener() -> (Lab, SocketAddr) {
    let spec = LabSpec::new(2, 100, 1000);
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    lab.start_with(0, &["--metrics-listen", &address.to_string()])
        .expect("node1");
    lab.start(1).expect("node2");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    let listening = lab.wait_for(PATIENCE, |_| http(address, "").ok());
    assert!(listening.is_some(), "node1 listens on {address}");
    (lab, address)
}

const PEER_ACTIVE: &str = r#"heartbeat_node_state{node="node2",state="active"}"#;
const PEER_DEAD: &str = r#"heartbeat_node_state{node="node2",state="dead"}"#;

#[test]
fn metrics_page_and_status_json_follow_the_cluster_and_are_read_only() {
    let (mut lab, address) = lab_with_listener();
    let (code, head, scrape) = get(address, "/metrics");
    assert_eq!(code, 200, "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert_eq!(sample(&scrape, PEER_ACTIVE), Some(1.0), "{scrape}");
    assert_eq!(sample(&scrape, PEER_DEAD), Some(0.0));
    for series in [
        r#"heartbeat_link_state{node="node2",link="lo",state="up"}"#,
        r#"heartbeat_group_state{group="lab-logger::web",state="running_here"}"#,
        r#"heartbeat_node_dead_links{node="node2"}"#,
        r#"heartbeat_group_failovers_total{group="lab-logger::web"}"#,
        "heartbeat_packets_sent_total",
        "process_open_fds",
    ] {
        assert!(sample(&scrape, series).is_some(), "{series} in {scrape}");
    }
    assert!(scrape.contains("heartbeat_build_info{"));
    assert!(scrape.contains("# TYPE heartbeat_node_late_heartbeats_total counter"));
    assert!(scrape.contains("heartbeat_resource_action_duration_seconds_bucket{"));

    let openmetrics = http(
        address,
        "GET /metrics HTTP/1.0\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
    )
    .expect("OpenMetrics scrape");
    assert!(openmetrics.1.contains("application/openmetrics-text"));
    assert!(openmetrics.2.trim_end().ends_with("# EOF"));

    let (code, head, page) = get(address, "/");
    assert_eq!(code, 200);
    assert!(head.contains("text/html"), "{head}");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    let (code, _, json) = get(address, "/status.json");
    assert_eq!(code, 200);
    assert!(json.contains("\"local_node\":\"node1\"") && json.contains("\"timeline\""));

    let (code, head, _) = http(
        address,
        "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    )
    .expect("POST");
    assert_eq!(code, 405, "{head}");
    assert_eq!(get(address, "/standby").0, 404);

    lab.kill9(1);
    let dead = lab.wait_for(PATIENCE, |_| {
        let scrape = get(address, "/metrics").2;
        (sample(&scrape, PEER_DEAD) == Some(1.0)).then_some(scrape)
    });
    let scrape = dead.expect("node2 dead in the metrics");
    assert_eq!(sample(&scrape, PEER_ACTIVE), Some(0.0));
    assert_eq!(
        sample(
            &scrape,
            r#"heartbeat_link_state{node="node2",link="lo",state="dead"}"#
        ),
        Some(1.0)
    );
    let json = get(address, "/status.json").2;
    assert!(json.contains("node node2: is dead"), "the event is listed");
}

/// A program from a Debian package, if installed.
fn installed(path: &str) -> bool {
    Path::new(path).exists()
}

/// Kills a child process on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a Prometheus instant query against `prometheus`; the first
/// result's value.
fn query(prometheus: SocketAddr, promql: &str) -> Option<f64> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (_, _, body) = http(
        prometheus,
        &format!("GET /api/v1/query?query={encoded} HTTP/1.0\r\n\r\n"),
    )
    .ok()?;
    // {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[t,"1"]}]}}
    let value = body.split("\"value\":[").nth(1)?;
    let number = value.split('"').nth(1)?;
    number.parse().ok()
}

#[test]
fn a_real_prometheus_scrapes_the_peer_active_then_dead_and_promtool_finds_the_scrape_clean() {
    if !installed("/usr/bin/prometheus") || !installed("/usr/bin/promtool") {
        println!("skipped: Debian's prometheus (prometheus, promtool) is not installed");
        return;
    }
    let (mut lab, address) = lab_with_listener();

    let scrape = get(address, "/metrics").2;
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape.as_bytes())
        .expect("scrape to promtool");
    let checked = promtool.wait_with_output().expect("promtool");
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let dir = lab.root().join("prometheus");
    std::fs::create_dir_all(&dir).expect("prometheus dir");
    let scrape_interval = Duration::from_millis(500);
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: {}ms\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: heartbeat\n    static_configs:\n\
             \x20     - targets: ['{address}']\n",
            scrape_interval.as_millis()
        ),
    )
    .expect("prometheus.yml");
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log");
    let _server = Reaped(
        Command::new("/usr/bin/prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("prometheus"),
    );
    let active = PEER_ACTIVE;
    let seen = lab.wait_for(PATIENCE, |_| {
        (query(web, active) == Some(1.0)).then_some(())
    });
    assert!(
        seen.is_some(),
        "Prometheus sees node2 active: {}",
        std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
    );

    let killed = Instant::now();
    lab.kill9(1);
    let dead = PEER_DEAD;
    let seen_dead = lab.wait_for(PATIENCE, |_| (query(web, dead) == Some(1.0)).then_some(()));
    assert!(seen_dead.is_some(), "Prometheus sees node2 dead");
    // Deadtime 1 s plus one scrape interval, with slack for a loaded
    // machine; printed for the record.
    println!(
        "Prometheus saw node2 dead {} ms after the kill (deadtime 1000 ms, scrape {} ms)",
        killed.elapsed().as_millis(),
        scrape_interval.as_millis()
    );
    assert_eq!(query(web, active), Some(0.0));
}

#[test]
fn the_status_page_in_headless_chromium_shows_the_peer_active_then_dead() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/page_check.py");
    let ready = [
        "/usr/bin/python3",
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
    ]
    .iter()
    .all(|p| installed(p));
    let selenium = ready
        && Command::new("/usr/bin/python3")
            .args(["-c", "import selenium"])
            .status()
            .is_ok_and(|s| s.success());
    if !selenium {
        println!("skipped: chromium, chromium-driver and python3-selenium are needed");
        return;
    }
    let (mut lab, address) = lab_with_listener();
    let mut browser = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(format!("http://{address}/"))
        .arg("node2")
        .stdout(Stdio::piped())
        .spawn()
        .expect("page_check.py");
    let mut out = browser.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("ACTIVE") {
        match out.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => break,
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).contains("ACTIVE"),
        "the page shows node2 active: {}",
        String::from_utf8_lossy(&seen)
    );
    lab.kill9(1);
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let status = browser.wait().expect("page_check.py");
    assert!(
        status.success() && rest.contains("DEAD"),
        "the page shows node2 dead: {rest}"
    );
}

#[test]
fn hostile_http_clients_do_not_delay_a_heartbeat() {
    let (mut lab, address) = lab_with_listener();
    // An oversized head, garbage, and 1,000 idle connections.
    let huge = format!(
        "GET / HTTP/1.1\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let (code, _, _) = http(address, &huge).unwrap_or((0, String::new(), String::new()));
    assert!(
        code == 431 || code == 0,
        "an oversized head is refused: {code}"
    );
    let garbage = http(address, "\u{1}\u{2}\u{3} not http at all\r\n\r\n");
    assert!(garbage.map_or(true, |(code, _, _)| code == 0 || code >= 400));
    let idle: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(address).ok())
        .collect();
    let quiet_from = Instant::now();
    // Heartbeats keep flowing while the idle connections sit there: wait
    // for 30 more of node2's (3 s at keepalive 100 ms).
    let packets = r#"heartbeat_link_packets_total{node="node2",link="lo"}"#;
    let read_packets = |lab: &Lab| {
        lab.status(0).ok().and_then(|v| {
            v.node("node2")
                .map(|n| n.links.iter().map(|l| l.packets).sum::<u64>())
        })
    };
    let before = read_packets(&lab).expect("node2's packets");
    let flowed = lab.wait_for(PATIENCE, |l| {
        read_packets(l)
            .filter(|now| *now >= before + 30)
            .map(|_| ())
    });
    assert!(
        flowed.is_some(),
        "heartbeats flow past {} idle connections",
        idle.len()
    );
    drop(idle);
    let served = lab.wait_for(PATIENCE, |_| {
        http(address, "GET /metrics HTTP/1.0\r\n\r\n")
            .ok()
            .filter(|(code, _, _)| *code == 200)
    });
    let (_, _, scrape) = served.expect("served again once the idle clients left");
    assert_eq!(sample(&scrape, PEER_ACTIVE), Some(1.0));
    assert!(sample(&scrape, packets).is_some_and(|p| p >= (before + 30) as f64));
    assert_eq!(
        sample(
            &scrape,
            r#"heartbeat_node_late_heartbeats_total{node="node2"}"#
        ),
        Some(0.0),
        "no late heartbeat at node1 ({:?} with 1,000 idle connections)",
        quiet_from.elapsed(),
    );
    // An idle client is closed by the head timeout (5 s), freeing its slot.
    let mut silent = TcpStream::connect(address).expect("connect");
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let opened = Instant::now();
    let mut buf = [0u8; 64];
    let read = silent.read(&mut buf);
    assert!(
        matches!(read, Ok(0)) || opened.elapsed() < Duration::from_secs(30),
        "an idle connection is closed: {read:?} after {:?}",
        opened.elapsed()
    );
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert!(!log.contains("Late heartbeat"), "{log}");
}
