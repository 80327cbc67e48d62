//! `fencehistory` (extension): the latest fence results, oldest first, one
//! line each, then the dead nodes whose groups still wait:
//!
//! ```text
//! 2026-12-07 19:30:12 node3 by node1 via fence_ipmilan: failed
//! 2026-12-07 19:30:14 node3 by node1 via fence_ipmilan: ok
//! 2026-12-07 19:41:02 node2 dead: awaiting a reset by node1 (2 tries failed)
//! 2026-12-07 19:41:02 node4 dead: awaiting its watchdog until 2026-12-07 19:41:40
//! 2026-12-07 19:41:02 node5 dead: awaiting an operator (cl-status confirmdown node5)
//! ```
//!
//! Times are local wall-clock times (the daemon reports ages; they are
//! counted back from now). The method is the device or agent, `operator`
//! (`confirmdown`), `watchdog` (its timeout passed) or `announced` (the
//! fencing peer reported it). Exit 0.

use chrono::{DateTime, Local, TimeZone};
use heartbeat_core::control::{AwaitingFenceView, StatusView};

use crate::cli::SubCommand;
use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{Answer, Failure};

/// What is printed when there is nothing to show.
pub const NOTHING: &str = "No fence history, and no node awaits a reset.\n";

/// `fencehistory`.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    super::no_operands(SubCommand::FenceHistory, opts)?;
    Ok(answer_at(view, Local::now()))
}

/// The answer with times counted back from `now`.
pub fn answer_at<Tz: TimeZone>(view: &StatusView, now: DateTime<Tz>) -> Answer
where
    Tz::Offset: std::fmt::Display,
{
    let safety = &view.safety;
    let at = |ms_ago: u64| wall_clock(&now, -millis(ms_ago));
    let mut text = String::new();
    for r in &safety.fence_history {
        let result = if r.ok { "ok" } else { "failed" };
        text.push_str(&format!(
            "{} {} by {} via {}: {result}\n",
            at(r.at_ms_ago),
            r.target,
            r.by,
            r.method
        ));
    }
    for a in &safety.awaiting_fence {
        text.push_str(&format!(
            "{} {} dead: awaiting {}\n",
            at(a.since_ms_ago),
            a.node,
            awaited(a, &now)
        ));
    }
    if text.is_empty() {
        text.push_str(NOTHING);
    }
    let json = json::FenceHistory {
        fencing_configured: safety.fencing_configured,
        fence_history: safety.fence_history.clone(),
        awaiting_fence: safety.awaiting_fence.clone(),
    };
    Answer::ok(text, &json)
}

/// What the groups of dead node `a` wait for, in words.
fn awaited<Tz: TimeZone>(a: &AwaitingFenceView, now: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut ways = Vec::new();
    if let Some(fencer) = &a.fencer {
        let failed = match a.failures {
            0 => String::new(),
            1 => " (1 try failed)".to_owned(),
            n => format!(" ({n} tries failed)"),
        };
        ways.push(format!("a reset by {fencer}{failed}"));
    }
    if let Some(in_ms) = a.watchdog_expires_in_ms {
        ways.push(format!(
            "its watchdog until {}",
            wall_clock(now, millis(in_ms))
        ));
    }
    if ways.is_empty() {
        ways.push(format!("an operator (cl-status confirmdown {})", a.node));
    }
    ways.join(" or ")
}

/// `now` moved by `offset`, as `YYYY-MM-DD HH:MM:SS`.
fn wall_clock<Tz: TimeZone>(now: &DateTime<Tz>, offset: chrono::TimeDelta) -> String
where
    Tz::Offset: std::fmt::Display,
{
    (now.clone() + offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn millis(ms: u64) -> chrono::TimeDelta {
    chrono::TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use chrono::Utc;
    use heartbeat_core::control::FenceRecordView;

    fn record(target: &str, method: &str, ok: bool, at_ms_ago: u64) -> FenceRecordView {
        FenceRecordView {
            target: target.into(),
            by: "node1".into(),
            method: method.into(),
            ok,
            at_ms_ago,
        }
    }

    fn waiting(
        node: &str,
        fencer: Option<&str>,
        failures: u32,
        wd: Option<u64>,
    ) -> AwaitingFenceView {
        AwaitingFenceView {
            node: node.into(),
            since_ms_ago: 5_000,
            fencer: fencer.map(str::to_owned),
            failures,
            watchdog_expires_in_ms: wd,
        }
    }

    fn view() -> StatusView {
        let mut v = healthy();
        v.safety.fencing_configured = true;
        v.safety.fence_history = vec![
            record("node3", "fence_ipmilan", false, 62_000),
            record("node3", "stonith external/ssh", true, 60_000),
        ];
        v.safety.awaiting_fence = vec![
            waiting("node2", Some("node1"), 2, None),
            waiting("node4", None, 0, Some(38_000)),
            waiting("node5", None, 0, None),
            waiting("node6", Some("node2"), 1, Some(1_000)),
        ];
        v
    }

    #[test]
    fn one_line_per_record_then_the_waiting_nodes() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 19, 41, 7).unwrap();
        let a = answer_at(&view(), now);
        assert_eq!(a.code, 0);
        assert_eq!(
            a.text,
            "2026-12-07 19:40:05 node3 by node1 via fence_ipmilan: failed\n\
             2026-12-07 19:40:07 node3 by node1 via stonith external/ssh: ok\n\
             2026-12-07 19:41:02 node2 dead: awaiting a reset by node1 (2 tries failed)\n\
             2026-12-07 19:41:02 node4 dead: awaiting its watchdog until 2026-12-07 19:41:45\n\
             2026-12-07 19:41:02 node5 dead: awaiting an operator (cl-status confirmdown node5)\n\
             2026-12-07 19:41:02 node6 dead: awaiting a reset by node2 (1 try failed) \
             or its watchdog until 2026-12-07 19:41:08\n"
        );
        let nothing = answer_at(&healthy(), now);
        assert_eq!(nothing.text, NOTHING);
    }

    #[test]
    fn json_carries_the_view_types() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 19, 41, 7).unwrap();
        let a = answer_at(&view(), now);
        let back: json::FenceHistory = serde_json::from_value(a.json.clone()).unwrap();
        assert!(back.fencing_configured);
        assert_eq!(back.fence_history, view().safety.fence_history);
        assert_eq!(back.awaiting_fence, view().safety.awaiting_fence);
        assert_eq!(a.json["fence_history"][1]["method"], "stonith external/ssh");
        assert_eq!(
            a.json["awaiting_fence"][1]["watchdog_expires_in_ms"],
            38_000
        );
        assert!(answer(&view(), &opts("node2", "")).is_err());
    }
}
