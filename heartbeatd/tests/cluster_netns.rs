//! Real heartbeatd processes, each in a network namespace of its own with
//! real links (root only; skipped with a printed reason otherwise): bcast on
//! two links, mcast, ucast, a link cut, both links cut, a floating
//! address that moves with the group, and a ping node one node loses.

use std::process::Command;
use std::time::Duration;

use heartbeat_lab::{ip, node_name, Lab, LabSpec, MediumKind, Namespaces, Topology};

const PATIENCE: Duration = Duration::from_secs(30);

fn netns_lab(links: usize, medium: MediumKind, floating_ip: Option<&str>) -> Option<Lab> {
    netns_lab_with(links, medium, |spec| {
        spec.first_group_resources = floating_ip
            .map(|ip| format!("IPaddr::{ip}"))
            .into_iter()
            .collect();
    })
}

/// Two nodes (keepalive 100 ms, deadtime 1 s) in namespaces, `web` on
/// node1, the spec adjusted by `adjust`; `None` (skipped) unless root.
fn netns_lab_with(
    links: usize,
    medium: MediumKind,
    adjust: impl FnOnce(&mut LabSpec),
) -> Option<Lab> {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: network namespaces need root");
        return None;
    }
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.topology = Topology::Namespaces { links, medium };
    adjust(&mut spec);
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    Some(lab)
}

/// Waits until node `from` sees node `to` with `status` and the given link
/// states (in link order).
fn wait_view(lab: &mut Lab, from: usize, to: usize, status: &str, links: &[&str]) {
    let seen = lab.wait_for(PATIENCE, |l| {
        let view = l.status(from).ok()?;
        let node = view.node(&node_name(to))?.clone();
        let states: Vec<&str> = node.links.iter().map(|l| l.status.as_str()).collect();
        (node.status == status && states == links).then_some(())
    });
    assert!(
        seen.is_some(),
        "{} should see {} {status} with links {links:?}; sees {:?}",
        node_name(from),
        node_name(to),
        lab.status(from)
            .ok()
            .and_then(|v| v.node(&node_name(to)).cloned())
    );
}

#[test]
fn bcast_on_two_links_one_cut_link_then_both() {
    let Some(mut lab) = netns_lab(2, MediumKind::Bcast, None) else {
        return;
    };
    wait_view(&mut lab, 1, 0, "active", &["up", "up"]);
    wait_view(&mut lab, 0, 1, "active", &["up", "up"]);
    lab.expect_running_only_on("web", 0, PATIENCE);

    lab.set_link(0, 1, false).unwrap();
    wait_view(&mut lab, 1, 0, "active", &["up", "dead"]);
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(
        lab.status(1).unwrap().node("node1").unwrap().status,
        "active"
    );
    assert_eq!(lab.running("web"), ["node1"], "one dead link moves nothing");

    lab.set_link(0, 0, false).unwrap();
    wait_view(&mut lab, 1, 0, "dead", &["dead", "dead"]);
    let took_over = lab.wait_for(PATIENCE, |l| {
        l.actions()
            .into_iter()
            .find(|a| a.node == "node2" && a.verb == "start")
    });
    assert!(
        took_over.is_some(),
        "node2 takes web over: {:?}",
        lab.actions()
    );
}

#[test]
fn mcast_cluster_forms_and_fails_over() {
    let Some(mut lab) = netns_lab(1, MediumKind::Mcast, None) else {
        return;
    };
    wait_view(&mut lab, 1, 0, "active", &["up"]);
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab.kill9(0);
    lab.expect_running_only_on("web", 1, PATIENCE);
}

#[test]
fn ucast_on_two_links_forms_a_cluster() {
    let Some(mut lab) = netns_lab(2, MediumKind::Ucast, None) else {
        return;
    };
    wait_view(&mut lab, 0, 1, "active", &["up", "up"]);
    wait_view(&mut lab, 1, 0, "active", &["up", "up"]);
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab.set_link(1, 0, false).unwrap();
    wait_view(&mut lab, 0, 1, "active", &["dead", "up"]);
}

/// The MAC address that answers ARP for `addr` on the switch's link 0.
fn who_has(lab: &Lab, addr: &str) -> Option<String> {
    let ns = lab.namespaces()?;
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.switch(),
            "arping",
            "-c",
            "1",
            "-w",
            "2",
            "-I",
            "br0",
            addr,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let start = text.find('[')? + 1;
    let end = text[start..].find(']')? + start;
    Some(text[start..end].to_owned())
}

#[test]
fn floating_address_answers_from_the_survivor_after_failover() {
    if Command::new("arping").arg("-V").output().is_err() {
        println!("skipped: arping (iputils-arping) is not installed");
        return;
    }
    let Some(mut lab) = netns_lab(1, MediumKind::Bcast, Some("10.213.10.100/24/eth0")) else {
        return;
    };
    lab.expect_running_only_on("web", 0, PATIENCE);
    let ns: &Namespaces = lab.namespaces().unwrap();
    let (mac1, mac2) = (ns.mac(0, 0).unwrap(), ns.mac(1, 0).unwrap());
    assert_eq!(who_has(&lab, "10.213.10.100"), Some(mac1));

    lab.kill9(0);
    lab.expect_running_only_on("web", 1, PATIENCE);
    // node1's namespace still holds the address (kill -9 ran no stop), as
    // a crashed host would until it reboots; cut it off like a dead host.
    lab.set_link(0, 0, false).unwrap();
    let answered = lab.wait_for(PATIENCE, |l| {
        (who_has(l, "10.213.10.100").as_deref() == Some(mac2.as_str())).then_some(())
    });
    assert!(
        answered.is_some(),
        "10.213.10.100 should answer from node2 ({mac2})"
    );
}

/// Whether node `i`'s namespace routes `addr` into a blackhole (`add`) or
/// normally again.
fn blackhole(lab: &Lab, i: usize, addr: &str, add: bool) {
    let ns = lab.namespaces().unwrap().node(i);
    let verb = if add { "add" } else { "del" };
    ip(&["-n", &ns, "route", verb, "blackhole", &format!("{addr}/32")]).unwrap();
}

#[test]
fn losing_the_ping_node_moves_the_group_to_the_node_that_still_reaches_it() {
    let target = Namespaces::switch_address(0).to_string();
    let Some(mut lab) = netns_lab_with(1, MediumKind::Bcast, |spec| {
        spec.auto_failback = "legacy".into();
        spec.extra_ha_cf = vec![format!("ping {target}"), "deadping 1".into()];
    }) else {
        return;
    };
    for i in 0..2 {
        wait_view(&mut lab, i, 1 - i, "active", &["up"]);
        let sees = lab.wait_for(PATIENCE, |l| {
            let view = l.status(i).ok()?;
            (view.node(&target)?.status == "ping").then_some(())
        });
        assert!(sees.is_some(), "{} sees the ping node", node_name(i));
    }
    lab.expect_running_only_on("web", 0, PATIENCE);
    std::thread::sleep(Duration::from_millis(500));

    // node1 can no longer reach the ping node; node2 still can.
    blackhole(&lab, 0, &target, true);
    lab.expect_running_only_on("web", 1, PATIENCE);
    let status = |l: &Lab, i: usize| {
        l.status(i)
            .ok()
            .and_then(|v| v.node(&target).map(|n| n.status.clone()))
    };
    assert_eq!(status(&lab, 0).as_deref(), Some("dead"));
    assert_eq!(status(&lab, 1).as_deref(), Some("ping"));
    // The heartbeat links were never affected: nobody died.
    wait_view(&mut lab, 1, 0, "active", &["up"]);
    let actions = lab.actions();
    let stop = actions
        .iter()
        .position(|a| a.node == "node1" && a.verb == "stop");
    let start = actions
        .iter()
        .position(|a| a.node == "node2" && a.verb == "start");
    assert!(
        matches!((stop, start), (Some(a), Some(b)) if a < b),
        "node1 stops web before node2 starts it: {actions:?}"
    );

    // The ping node answers node1 again: legacy failback reclaims by rank.
    blackhole(&lab, 0, &target, false);
    lab.expect_running_only_on("web", 0, PATIENCE);
    assert_eq!(status(&lab, 0).as_deref(), Some("ping"));
}
