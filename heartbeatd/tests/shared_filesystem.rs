//! A real shared resource under split brain (root only, skipped with a
//! printed reason otherwise): an ext4 filesystem on one loop device that
//! both nodes of a namespace lab reach, managed through Heartbeat's own
//! `resource.d/Filesystem` wrapper (resource-agents' OCF agent), with a
//! service writing to it. The nodes fence each other through a
//! cluster-glue STONITH plugin around the lab's power switch.
//!
//! Every node has a mount namespace of its own, so a mount lasts as long as
//! some process of the node holds it: a daemon killed with -9 or a hung
//! node leaves the writer and its mount behind, exactly the case where a
//! survivor that mounts without fencing corrupts the disk. A watch samples
//! every mount namespace of the machine every 5 ms while the test runs.

use std::path::Path;
use std::time::Duration;

use heartbeat_lab::{
    killed_at, Lab, LabSpec, LoopDisk, MediumKind, MountChange, MountWatch, StonithPlugin, Topology,
};

const PATIENCE: Duration = Duration::from_secs(60);

/// Heartbeat's wrapper and the OCF agent behind it.
const FILESYSTEM_WRAPPER: &str = "/etc/ha.d/resource.d/Filesystem";
const FILESYSTEM_AGENT: &str = "/usr/lib/ocf/resource.d/heartbeat/Filesystem";

/// Why this machine cannot run the test, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("namespaces, loop devices and STONITH plugins need root".into());
    }
    for path in [FILESYSTEM_WRAPPER, FILESYSTEM_AGENT] {
        if !Path::new(path).exists() {
            return Some(format!(
                "{path} is missing (Debian's heartbeat, resource-agents)"
            ));
        }
    }
    None
}

/// Waits until `web` (the group with the filesystem, the writer and
/// `lab-logger`, in that order) runs on `node` only.
fn wait_web_on(lab: &mut Lab, node: &str) {
    let on = lab.wait_for(PATIENCE, |l| (l.running("web") == [node]).then_some(()));
    assert!(on.is_some(), "web runs on {node}: {:#?}", lab.actions());
}

/// Waits until node `i`'s daemon has exited or was killed (reaped), then
/// starts it again and waits until both nodes see each other.
fn restart(lab: &mut Lab, i: usize) {
    lab.wait_exit(i, PATIENCE);
    lab.start(i).expect("restart");
    let joined = lab.wait_for(PATIENCE, |l| l.all_active().then_some(()));
    assert!(joined.is_some(), "node{} is back", i + 1);
}

/// The number of successful resets of `node` that node `by` records.
fn resets_of(lab: &Lab, by: usize, node: &str) -> usize {
    lab.status(by)
        .map(|v| {
            v.safety
                .fence_history
                .iter()
                .filter(|r| r.ok && r.target == node)
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_shared_filesystem_is_never_mounted_twice_across_kill_hang_and_link_cut() {
    if let Some(reason) = missing_prerequisite() {
        println!("skipped: {reason}");
        return;
    }
    let Some(plugin) = StonithPlugin::install_or_skip(2) else {
        return;
    };
    let disk = match LoopDisk::create(64) {
        Ok(disk) => disk,
        Err(e) => {
            println!("skipped: no loop device with ext4: {e}");
            return;
        }
    };
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.topology = Topology::Namespaces {
        links: 1,
        medium: MediumKind::Bcast,
    };
    spec.initdead_ms = 5000;
    spec.auto_failback = "on".into();
    // node2 holds nothing, so it waits fence_delay before it resets node1:
    // the owner wins the race of a link cut.
    spec.extra_ha_cf = vec![plugin.stonith_host_line(), "fence_delay 3".into()];
    spec.first_group_resources = vec![
        format!(
            "Filesystem::{}::{}::ext4",
            disk.device().display(),
            disk.mount_point().display()
        ),
        "shared-writer".into(),
    ];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.power_off_script().expect("power switch");
    lab.write_shared_writer(&disk.mount_point())
        .expect("writer script");
    for i in 0..2 {
        let to = lab.node_dir(i).join("ha.d/resource.d/Filesystem");
        std::fs::copy(FILESYSTEM_WRAPPER, to).expect("Heartbeat's Filesystem wrapper");
    }
    let watch = MountWatch::start(&lab, &disk).expect("mount watch");
    lab.start_all().expect("start");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    wait_web_on(&mut lab, "node1");

    // kill -9 of the owner's daemon: its writer keeps the disk mounted
    // until node2 resets node1.
    lab.kill9(0);
    wait_web_on(&mut lab, "node2");
    assert_mounted_once_at_most(&watch.changes(), "kill -9 of the owner");
    assert_eq!(resets_of(&lab, 1, "node1"), 1, "node2 reset node1 first");
    restart(&mut lab, 0);
    wait_web_on(&mut lab, "node1");
    assert_mounted_once_at_most(&watch.changes(), "the failback");

    // The owner hangs (every process of node1 stopped, the writer too).
    assert!(lab.hang(0), "node1 hangs");
    wait_web_on(&mut lab, "node2");
    assert_mounted_once_at_most(&watch.changes(), "the hung owner");
    assert_eq!(resets_of(&lab, 1, "node1"), 2, "node2 reset node1 again");
    restart(&mut lab, 0);
    wait_web_on(&mut lab, "node1");

    // A link cut: both sides may fence; the owner wins, the disk stays.
    let starts_before = lab.actions().iter().filter(|a| a.verb == "start").count();
    lab.set_link(1, 0, false).expect("cut node2's link");
    let killed = lab.wait_for(PATIENCE, |l| killed_at(&l.actions(), "node2"));
    assert!(killed.is_some(), "node1 resets node2: {:#?}", lab.actions());
    lab.set_link(1, 0, true).expect("heal");
    restart(&mut lab, 1);
    let actions = lab.actions();
    assert_eq!(
        actions.iter().filter(|a| a.verb == "start").count(),
        starts_before,
        "nothing started across the cut: {actions:#?}"
    );
    assert_eq!(lab.running("web"), ["node1"], "the service did not move");

    // A clean stop, so that fsck sees the filesystem at rest.
    for i in 0..2 {
        lab.terminate(i);
    }
    for i in 0..2 {
        assert_eq!(lab.wait_exit(i, PATIENCE), Some(0), "node{} stops", i + 1);
    }
    let unmounted = lab.wait_for(Duration::from_secs(10), |_| {
        disk.fsck().ok().filter(|(code, _)| *code == 0)
    });
    let changes = watch.finish();
    eprintln!(
        "DEBUG {:?}",
        changes
            .iter()
            .map(|c| (c.at - changes[0].at, c.nodes.clone()))
            .collect::<Vec<_>>()
    );
    assert_mounted_once_at_most(&changes, "the link cut and the stop");
    assert!(
        changes.iter().any(|c| c.nodes == ["node2"]),
        "node2 mounted the disk at some point: {changes:?}"
    );
    assert_eq!(
        changes.last().map(|c| c.nodes.len()),
        Some(0),
        "unmounted at the end"
    );
    let (code, report) = unmounted.unwrap_or_else(|| disk.fsck().expect("e2fsck"));
    assert_eq!(
        code, 0,
        "e2fsck -f -n finds the filesystem clean:\n{report}"
    );
    let writes = disk.read_file("writes.log").expect("debugfs");
    for node in ["node1", "node2"] {
        assert!(
            writes.lines().any(|l| l.starts_with(node)),
            "{node}'s writer wrote to the disk"
        );
    }
}

/// Panics if the watch ever saw the disk mounted in two places at once
/// (checked after `phase`).
fn assert_mounted_once_at_most(changes: &[MountChange], phase: &str) {
    let start = changes.first().map(|c| c.at);
    for change in changes {
        assert!(
            change.nodes.len() <= 1,
            "after {phase}: mounted on {:?} at once, {:?} into the test; every change: {:#?}",
            change.nodes,
            start.map(|s| change.at - s),
            changes
                .iter()
                .map(|c| (start.map(|s| c.at - s), &c.nodes))
                .collect::<Vec<_>>()
        );
    }
}
