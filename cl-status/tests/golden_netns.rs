//! Golden tests on the reference's own topology: two heartbeatd nodes, each
//! in a network namespace, `bcast eth0` + `bcast eth1` (root only; skipped
//! with a printed reason otherwise), and a ping node (the switch's
//! address). The expectations are the reference capture itself, sections
//! 1, 1b, 2, 3, 4, 5 and 6, adapted only by the rules of
//! `common::reference` (the lab's ping node, no API clients, the lab's
//! version and paths).

mod common;

use std::fs;
use std::time::Duration;

use common::reference::{adapt, section, REFERENCE_VERSION};
use common::{check_cases, cl_status, heartbeatd_binary, reference_ha_cf, settle, Case};
use heartbeat_lab::{ip, node_name, Lab, LabSpec, MediumKind, Namespaces, Topology};

const PATIENCE: Duration = Duration::from_secs(40);

/// The lab's ping node: the switch's address on link 0, as the reference's
/// was its bridge's.
fn ping_node() -> String {
    Namespaces::switch_address(0).to_string()
}

fn netns_lab() -> Option<Lab> {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: network namespaces need root");
        return None;
    }
    let mut spec = LabSpec::new(2, 1000, 5000);
    spec.topology = Topology::Namespaces {
        links: 2,
        medium: MediumKind::Bcast,
    };
    spec.extra_ha_cf = vec![format!("ping {}", ping_node())];
    let mut lab = match Lab::create(spec, heartbeatd_binary()) {
        Ok(lab) => lab,
        Err(e) => {
            println!("skipped: cannot build the namespace lab: {e}");
            return None;
        }
    };
    for i in 0..2 {
        let ha_cf = lab.node_dir(i).join("ha.d/ha.cf");
        let mut text = fs::read_to_string(&ha_cf).expect("read ha.cf");
        text.push_str(&reference_ha_cf(&lab.node_dir(i)));
        fs::write(&ha_cf, text).expect("write ha.cf");
    }
    lab.start_all().expect("start");
    Some(lab)
}

/// Node `from`'s view of node `to`: its status and its links' states.
fn view(lab: &Lab, from: usize, to: usize) -> Option<(String, Vec<String>)> {
    let status = lab.status(from).ok()?;
    let node = status.node(&node_name(to))?;
    let links = node.links.iter().map(|l| l.status.clone()).collect();
    Some((node.status.clone(), links))
}

fn wait_view(lab: &mut Lab, from: usize, to: usize, status: &str, links: &[&str]) {
    let seen = lab.wait_for(PATIENCE, |l| {
        let (s, ls) = view(l, from, to)?;
        let quiet = l.status(from).ok()?.resources != "transition";
        (s == status && ls == links && quiet).then_some(())
    });
    assert!(
        seen.is_some(),
        "{} should see {} {status} {links:?}; sees {:?}",
        node_name(from),
        node_name(to),
        view(lab, from, to)
    );
}

/// Waits until node `from` shows the ping node with `status`.
fn wait_ping(lab: &mut Lab, from: usize, status: &str) {
    let seen = lab.wait_for(PATIENCE, |l| {
        let view = l.status(from).ok()?;
        (view.node(&ping_node())?.status == status).then_some(())
    });
    assert!(
        seen.is_some(),
        "{} should see the ping node {status}",
        node_name(from)
    );
}

/// A case whose expectation differs from the reference on purpose: (node,
/// arguments, stdout, exit code); `{hbversion}` and `{ping}` stand for the
/// lab's version and ping node.
type Override = (usize, &'static str, &'static str, i32);

/// Section 5: right after node2's death Heartbeat still showed its links
/// `up` (its link timers ran a moment behind the node's; the same
/// section's later `hbstatus -v` shows them dead). The test waits until the
/// links are dead too, so the earlier answers are the later state.
const LINKS_DEAD_TOO: &[Override] = &[
    (0, "hblinkstatus node2 eth0", "dead\n", 1),
    (0, "hblinkstatus node2 eth1", "dead\n", 1),
    (
        0,
        "listnodes -v",
        "\nnode2\tdead\t(nodetype: normal)\n\teth1\tdead\n\teth0\tdead\n\
         \nnode1\tactive\t(nodetype: normal)\n\teth1\tup\n\teth0\tup\n\
         \n{ping}\tping\t(nodetype: ping)\n\t{ping}\tup\n",
        0,
    ),
];

fn check(lab: &Lab, numbers: &[&str], overrides: &[Override]) {
    let hbversion = lab.status(0).unwrap().parameters["hbversion"].clone();
    let substitute = |node: usize, text: &str| {
        text.replace(REFERENCE_VERSION, &hbversion).replace(
            "/var/log/ha-",
            &format!("{}/ha-", lab.node_dir(node).display()),
        )
    };
    let cases: Vec<Case> = numbers
        .iter()
        .flat_map(|n| section(n))
        .filter_map(|c| adapt(&c, Some(&ping_node()), &substitute))
        .map(|mut c| {
            let args = c.args.join(" ");
            if let Some((_, _, stdout, code)) = overrides
                .iter()
                .find(|(node, a, _, _)| *node == c.node && *a == args)
            {
                c.stdout = stdout
                    .replace("{hbversion}", &hbversion)
                    .replace("{ping}", &ping_node());
                c.code = *code;
            }
            c
        })
        .collect();
    let mismatches = check_cases(
        &cases,
        cl_status(),
        |i| lab.control_socket(i),
        |i| Some(node_name(i)),
    );
    assert!(
        mismatches.is_empty(),
        "sections {numbers:?}: {} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn two_links_healthy_cut_link_dead_node_stopped_node() {
    let Some(mut lab) = netns_lab() else {
        return;
    };
    settle(&mut lab, 2, "web", "node1");
    for (from, to) in [(0, 1), (1, 0), (0, 0), (1, 1)] {
        wait_view(&mut lab, from, to, "active", &["up", "up"]);
    }
    check(&lab, &["1.", "1b.", "2."], &[]);

    // 3. The ping node's address removed from the switch.
    let sw = lab.namespaces().unwrap().switch();
    let cidr = format!("{}/24", ping_node());
    ip(&["-n", &sw, "addr", "del", &cidr, "dev", "br0"]).unwrap();
    wait_ping(&mut lab, 0, "dead");
    check(&lab, &["3."], &[]);
    ip(&["-n", &sw, "addr", "add", &cidr, "dev", "br0"]).unwrap();
    for i in 0..2 {
        wait_ping(&mut lab, i, "ping");
    }

    // 4. node2's eth1 down. node2's status (its --json) has its own eth1
    // dead; its cl_status text says `up`, as the reference's did.
    lab.set_link(1, 1, false).unwrap();
    wait_view(&mut lab, 0, 1, "active", &["up", "dead"]);
    wait_view(&mut lab, 1, 0, "active", &["up", "dead"]);
    wait_view(&mut lab, 1, 1, "active", &["up", "dead"]);
    check(&lab, &["4."], &[]);
    lab.set_link(1, 1, true).unwrap();
    wait_view(&mut lab, 0, 1, "active", &["up", "up"]);
    wait_view(&mut lab, 1, 1, "active", &["up", "up"]);

    // 5. node2 killed; Heartbeat's links died a moment after the node (the
    // capture caught both moments); wait for both.
    lab.kill9(1);
    wait_view(&mut lab, 0, 1, "dead", &["dead", "dead"]);
    check(&lab, &["5."], LINKS_DEAD_TOO);

    // 6. node2 restarted, then stopped gracefully.
    lab.start(1).unwrap();
    wait_view(&mut lab, 0, 1, "active", &["up", "up"]);
    lab.terminate(1);
    assert!(lab.wait_exit(1, PATIENCE).is_some(), "node2 did not stop");
    wait_view(&mut lab, 0, 1, "dead", &["dead", "dead"]);
    check(&lab, &["6."], &[]);
}
