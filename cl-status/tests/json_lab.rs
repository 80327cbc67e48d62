//! `--json` on a real cluster: every sub-command's output deserialises into
//! its documented type (`clstatus::json`), with the values the cluster has.

mod common;

use std::path::Path;

use clstatus::json;
use clstatus::outcome::{ErrorReport, FailureKind};
use common::{cl_dash_status, reference_lab, run, settle};
use serde::de::DeserializeOwned;

fn json_of<T: DeserializeOwned>(socket: &Path, args: &[&str]) -> (T, i32) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (out, _) = run(cl_dash_status(), socket, &all);
    assert!(out.stderr.is_empty(), "{args:?}: stderr {:?}", out.stderr);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (value, out.status.code().unwrap_or(-1))
}

#[test]
fn every_sub_command_answers_typed_json() {
    let mut lab = reference_lab();
    settle(&mut lab, 2, "web", "node1");
    let s = lab.control_socket(0);
    let s = s.as_path();

    let (hb, code): (json::HbStatus, _) = json_of(s, &["hbstatus"]);
    assert_eq!((hb.state.as_str(), hb.running, code), ("running", true, 0));
    assert_eq!(hb.local_node.as_deref(), Some("node1"));
    assert_eq!(hb.nodes.len(), 2);
    assert!(hb.version.unwrap().starts_with("3.0.6 (heartbeat-rs"));

    let (list, _): (json::NodeList, _) = json_of(s, &["listnodes", "-v"]);
    let names: Vec<&str> = list.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["node1", "node2"]);
    let links: Vec<(&str, &str)> = list.nodes[1]
        .links
        .iter()
        .map(|l| (l.name.as_str(), l.status.as_str()))
        .collect();
    assert_eq!(links, [("lo", "up")]);
    // The nodes and links are the control socket's own model, whole.
    assert_eq!(list.nodes[1].weight, 100);
    assert!(list.nodes[1].last_heard_ms_ago.is_some());
    assert!(list.nodes[1].links[0].packets > 0);

    let (st, code): (json::NodeStatus, _) = json_of(s, &["nodestatus", "node2"]);
    assert_eq!((st.status.as_str(), code), ("active", 0));
    let (w, _): (json::NodeWeight, _) = json_of(s, &["nodeweight", "node2"]);
    assert_eq!(w.weight, 100);
    let (site, _): (json::NodeSite, _) = json_of(s, &["nodesite", "node2"]);
    assert_eq!(site.site, "");
    let (t, _): (json::NodeType, _) = json_of(s, &["nodetype", "node2"]);
    assert_eq!(t.node_type, "normal");
    let (links, _): (json::LinkList, _) = json_of(s, &["listhblinks", "node2"]);
    assert_eq!(links.links.len(), 1);
    let (ls, code): (json::LinkStatus, _) = json_of(s, &["hblinkstatus", "node1", "lo"]);
    assert_eq!((ls.status.as_str(), code), ("dead", 1));
    let (c, code): (json::ClientStatus, _) = json_of(s, &["clientstatus", "node1", "ipfail"]);
    assert_eq!((c.status.as_str(), code), ("offline", 1));
    let (r, _): (json::RscStatus, _) = json_of(s, &["rscstatus"]);
    assert_eq!(r.resources, "local");
    assert_eq!(r.groups[0].owner.as_deref(), Some("node1"));
    assert_eq!(r.groups[0].activity, "running");
    let (p, _): (json::Parameter, _) = json_of(s, &["hbparameter", "-p", "deadtime"]);
    assert_eq!(p.value, "5");

    // The largest gap needs two keepalive heartbeats; the group may settle
    // before, and the first two statuses (up, then active) may come a
    // millisecond apart, so wait for a keepalive-sized gap.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (stats, code) = loop {
        let (stats, code): (json::LinkStats, _) = json_of(s, &["linkstats"]);
        if stats.nodes[1].view.max_gap_ms >= 500 || std::time::Instant::now() > deadline {
            break (stats, code);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(code, 0);
    let peer = &stats.nodes[1];
    assert_eq!((peer.node.as_str(), peer.view.local), ("node2", false));
    assert_eq!(peer.view.deadtime_ms, 5000);
    assert!(peer.view.max_gap_ms >= 500, "{peer:?}");
    assert!(peer.justified_deadtime_ms >= Some(5000), "{peer:?}");
    assert!(peer.view.links[0].view.packets > 0);
    assert_eq!(peer.view.links[0].link, "lo");

    for (args, kind, code) in [
        (&["nodestatus", "nodeX"][..], FailureKind::UnknownNode, 11),
        (
            &["hblinkstatus", "node2", "eth9"][..],
            FailureKind::UnknownLink,
            13,
        ),
        (
            &["hbparameter", "-p", "node"][..],
            FailureKind::UnknownParameter,
            1,
        ),
        (&["bogus"][..], FailureKind::InvalidSubCommand, 11),
        (&["nodestatus"][..], FailureKind::BadArguments, 11),
    ] {
        let (e, exit): (ErrorReport, _) = json_of(s, args);
        assert_eq!(
            (e.error.kind, e.error.code, exit),
            (kind, code, i32::from(code)),
            "{args:?}"
        );
    }

    let stopped = lab.root().join("nothing-listens-here");
    let (hb, code): (json::HbStatus, _) = json_of(&stopped, &["hbstatus"]);
    assert_eq!((hb.state.as_str(), hb.running, code), ("stopped", false, 1));
    let (e, code): (ErrorReport, _) = json_of(&stopped, &["listnodes"]);
    assert_eq!((e.error.kind, code), (FailureKind::NotRunning, 1));
}
