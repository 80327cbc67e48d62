use super::*;

fn row(setting: Setting, trigger: Trigger, ms: &[u64]) -> FailoverRow {
    FailoverRow {
        setting,
        trigger,
        samples: ms.iter().map(|&m| Duration::from_millis(m)).collect(),
        failures: 0,
        fences: Vec::new(),
    }
}

fn sample_report() -> Report {
    let hb = Setting::ha(System::Heartbeatd, 10, 40);
    let ka = Setting::keepalived(10);
    let old = Setting::ha(System::Heartbeat, 1000, 3000);
    Report {
        date: "2026-11-22 01:00 UTC".into(),
        command: "cargo run --release -p heartbeat-benches --bin failover -- --quick".into(),
        conditions: vec!["2 cores".into()],
        failover: vec![
            row(hb, Trigger::Kill9, &[40, 50, 60]),
            row(ka, Trigger::Kill9, &[100, 100, 120]),
            row(old, Trigger::Kill9, &[3700]),
        ],
        load: Some((
            "Both cores busy for 1 min.".into(),
            vec![
                LoadRow {
                    setting: hb,
                    script_calls: 0,
                    dead_lines: 0,
                    late_lines: 3,
                    settled: true,
                },
                LoadRow {
                    setting: ka,
                    script_calls: 2,
                    dead_lines: 1,
                    late_lines: 0,
                    settled: true,
                },
            ],
        )),
        idle: vec![],
        scale: None,
        fencing: vec![],
        fencing_notes: vec![],
        notes: vec![],
    }
}

#[test]
fn ratio_is_against_heartbeatd_at_the_same_interval() {
    let r = sample_report();
    assert_eq!(ratio(&r.failover[0], &r.failover), "1.00×");
    assert_eq!(ratio(&r.failover[1], &r.failover), "2.00×");
    assert_eq!(ratio(&r.failover[2], &r.failover), "—");
}

#[test]
fn markdown_has_the_rows_the_command_and_the_verdicts() {
    let md = sample_report().markdown();
    assert!(md.contains("cargo run --release -p heartbeat-benches --bin failover -- --quick"));
    assert!(md.contains(
        "| heartbeatd 10 ms / 40 ms | 40 ms | 3/3 | 40.0 | 50.0 | 59.0 | 60.0 | 1.00× |"
    ));
    assert!(md.contains("| keepalived advert_int 0.01 | 2 | 1 | — | **false failover** |"));
    assert!(md.contains(
        "zero spurious state changes: **heartbeatd 10 ms / 40 ms**; keepalived: **none**"
    ));
    assert!(md.contains("plots/failover-kill9.svg"));
    assert!(!md.contains("plots/failover-linkcut.svg"));
}

#[test]
fn plots_exist_for_measured_triggers_only() {
    let names: Vec<String> = sample_report().plots().into_iter().map(|p| p.0).collect();
    assert_eq!(names, ["failover-kill9.svg"]);
}

#[test]
fn most_aggressive_clean_picks_the_smallest_interval() {
    let rows = vec![
        LoadRow {
            setting: Setting::ha(System::Heartbeatd, 1000, 3000),
            script_calls: 0,
            dead_lines: 0,
            late_lines: 0,
            settled: true,
        },
        LoadRow {
            setting: Setting::ha(System::Heartbeatd, 10, 40),
            script_calls: 0,
            dead_lines: 0,
            late_lines: 0,
            settled: true,
        },
        LoadRow {
            setting: Setting::ha(System::Heartbeatd, 5, 20),
            script_calls: 1,
            dead_lines: 1,
            late_lines: 0,
            settled: true,
        },
    ];
    let best = most_aggressive_clean(&rows, System::Heartbeatd).unwrap();
    assert_eq!(best.interval, Duration::from_millis(10));
    assert_eq!(minutes_text(Duration::from_secs(600)), "10 min");
    assert_eq!(minutes_text(Duration::from_secs(30)), "30 s");
}

fn fenced_row(setting: Setting, trigger: Trigger, runs: &[(u64, u64, u64)]) -> FailoverRow {
    let ms = Duration::from_millis;
    FailoverRow {
        setting,
        trigger,
        samples: runs.iter().map(|r| ms(r.2)).collect(),
        failures: 1,
        fences: runs
            .iter()
            .map(|&(start, done, total)| FenceTimes {
                start: ms(start),
                done: ms(done),
                total: ms(total),
            })
            .collect(),
    }
}

#[test]
fn fencing_section_has_phases_and_the_share() {
    let secs = Duration::from_secs;
    let hbd = Setting::ha(System::Heartbeatd, 1000, 3000).fenced(Some(Duration::ZERO), secs(10));
    let old = Setting::ha(System::Heartbeat, 1000, 3000).fenced(None, secs(10));
    let report = Report {
        fencing: vec![
            fenced_row(
                hbd,
                Trigger::Hang,
                &[(2000, 2100, 3000), (2200, 2250, 2500)],
            ),
            fenced_row(old, Trigger::Hang, &[(1700, 1800, 3000)]),
        ],
        ..sample_report()
    };
    let md = report.fencing_markdown();
    assert!(md.starts_with(&format!("## {FENCING_HEADING}\n")));
    assert!(md.contains("### hung owner (SIGSTOP of its daemon) → survivor's start script, fenced"));
    // Share: median of 100/3000 and 50/2500 = (3.33 % + 2 %) / 2.
    assert!(md.contains(
        "| heartbeatd 1 s / 3 s, fence_delay 0 | 3 s | 0 ms | 2/3 | 2500 | 2750 | 2975 | 3000 | 2100 | 75.0 | 575.0 | 2.7 % |"
    ), "{md}");
    assert!(md.contains("| Heartbeat 3.0.6 1 s / 3 s | 3 s | — (none) | 1/2 |"));
    assert!(!md.contains("### kill -9"));
    assert!(report.markdown().contains(&md));
    let plots = report.plots();
    let names: Vec<&str> = plots.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["failover-kill9.svg", "fencing-hang.svg"]);
    assert!(plots[1]
        .1
        .contains("survivor's start script, fenced</text>"));
    assert!(!plots[0].1.contains("fenced"));
}

#[test]
fn fence_cells_are_dashes_without_fences() {
    assert_eq!(fence_cells(&[]), "— | — | — | —");
}

#[test]
fn splicing_replaces_only_the_named_section() {
    let doc = "# T\n\nintro\n\n## A\n\na\n\n## Fenced\n\nold\n\n## Notes\n\n- n\n";
    let new = splice_section(doc, "Fenced", "## Fenced\n\nnew\n");
    assert_eq!(
        new,
        "# T\n\nintro\n\n## A\n\na\n\n## Fenced\n\nnew\n\n## Notes\n\n- n\n"
    );
    let without = "# T\n\n## A\n\na\n\n## Notes\n\n- n\n";
    assert_eq!(
        splice_section(without, "Fenced", "## Fenced\n\nnew\n"),
        "# T\n\n## A\n\na\n\n## Fenced\n\nnew\n\n## Notes\n\n- n\n"
    );
    let last = "# T\n\n## Fenced\n\nold\n";
    assert_eq!(
        splice_section(last, "Fenced", "## Fenced\n\nnew"),
        "# T\n\n## Fenced\n\nnew\n"
    );
    assert_eq!(
        splice_section("", "Fenced", "## Fenced\n\nx\n"),
        "## Fenced\n\nx\n"
    );
}
