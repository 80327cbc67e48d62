//! A shared disk for namespace labs: one loop device that every node can
//! reach (they share the kernel), formatted ext4, and a watch over every
//! mount namespace of the machine that records which nodes have it mounted.
//!
//! Each namespace node runs in a mount namespace of its own (`ip netns
//! exec` makes one, slave of the host's), so a mount made by a node's
//! resource script is that node's alone, as on separate machines, and it
//! lasts as long as some process of the node holds the namespace: a
//! killed daemon leaves its service's mount behind, a power-off does not.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{write_script, Lab};

/// A loop device backed by a file in a directory of its own, formatted
/// ext4, with an empty directory beside the image to mount it on; detached
/// and removed on drop.
pub struct LoopDisk {
    dir: PathBuf,
    device: PathBuf,
    /// `major:minor`, as `/proc/PID/mountinfo` names the device.
    dev_id: String,
}

impl LoopDisk {
    /// Creates a sparse image of `size_mib` MiB in a new temporary
    /// directory, attaches it to a free loop device and makes an ext4
    /// filesystem on it (root, util-linux's `losetup`, e2fsprogs).
    pub fn create(size_mib: u64) -> io::Result<LoopDisk> {
        let dir = std::env::temp_dir().join(format!(
            "hbrs-disk-{}-{}",
            std::process::id(),
            crate::unix_now_ns() % 1_000_000_000
        ));
        fs::create_dir_all(dir.join("mnt"))?;
        let image = dir.join("image");
        fs::File::create(&image)?.set_len(size_mib << 20)?;
        let attached = run(
            "losetup",
            &["--find", "--show", &image.display().to_string()],
        );
        let device = match attached {
            Ok(out) => PathBuf::from(out.trim()),
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let mut disk = LoopDisk {
            dir,
            device,
            dev_id: String::new(),
        };
        disk.dev_id = dev_id(&disk.device)?;
        run("mkfs.ext4", &["-q", "-F", &disk.path_str()])?;
        Ok(disk)
    }

    /// An empty directory to mount the filesystem on (the same path on
    /// every node).
    pub fn mount_point(&self) -> PathBuf {
        self.dir.join("mnt")
    }

    /// The device, e.g. `/dev/loop3`.
    pub fn device(&self) -> &Path {
        &self.device
    }

    fn path_str(&self) -> String {
        self.device.display().to_string()
    }

    /// `e2fsck -f -n` (check everything, change nothing): its exit code
    /// (0: clean) and its output.
    pub fn fsck(&self) -> io::Result<(i32, String)> {
        let out = Command::new("e2fsck")
            .args(["-f", "-n", &self.path_str()])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Ok((out.status.code().unwrap_or(-1), text))
    }

    /// The file `name` (from the filesystem's root) read with `debugfs`,
    /// without mounting.
    pub fn read_file(&self, name: &str) -> io::Result<String> {
        run(
            "debugfs",
            &["-R", &format!("cat /{name}"), &self.path_str()],
        )
    }
}

impl Drop for LoopDisk {
    fn drop(&mut self) {
        // A device still mounted somewhere is detached once unmounted.
        let _ = run("losetup", &["--detach", &self.path_str()]);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs `program` with `args`; its standard output, or an error naming
/// the command and carrying its standard error.
fn run(program: &str, args: &[&str]) -> io::Result<String> {
    let out = Command::new(program).args(args).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{program} {}: {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `major:minor` of the block device at `path`.
fn dev_id(path: &Path) -> io::Result<String> {
    let meta = fs::metadata(path)?;
    if !meta.file_type().is_block_device() {
        return Err(io::Error::other(format!(
            "{} is no block device",
            path.display()
        )));
    }
    let rdev = meta.rdev();
    Ok(format!(
        "{}:{}",
        nix::sys::stat::major(rdev),
        nix::sys::stat::minor(rdev)
    ))
}

/// One change of where the disk is mounted: since `at`, the nodes in
/// `nodes` have it mounted (a name per mount namespace; `?` for a
/// namespace outside the lab's nodes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountChange {
    /// When the watch saw it.
    pub at: Instant,
    /// Who has the disk mounted from then on.
    pub nodes: Vec<String>,
}

/// Watches, every few milliseconds until dropped or finished, every mount
/// namespace of the machine for mounts of one device, and records each
/// change.
pub struct MountWatch {
    stop: Arc<AtomicBool>,
    changes: Arc<Mutex<Vec<MountChange>>>,
    thread: Option<JoinHandle<()>>,
}

impl MountWatch {
    /// Starts watching `disk` on `lab`'s nodes (a namespace lab: a node is
    /// known by its network namespace).
    pub fn start(lab: &Lab, disk: &LoopDisk) -> io::Result<MountWatch> {
        let ns = lab
            .namespaces()
            .ok_or_else(|| io::Error::other("a mount watch needs a namespace lab"))?;
        let nodes: Vec<(String, String)> = (0..lab.nodes())
            .map(|i| Ok((format!("net:[{}]", ns.inode(i)?), crate::node_name(i))))
            .collect::<io::Result<_>>()?;
        let own_mnt = fs::read_link("/proc/self/ns/mnt")?;
        let dev_id = disk.dev_id.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let changes = Arc::new(Mutex::new(Vec::new()));
        let (stopped, recorded) = (stop.clone(), changes.clone());
        let thread = std::thread::spawn(move || {
            let mut last: Option<Vec<String>> = None;
            while !stopped.load(Ordering::Relaxed) {
                let now = mounted_on(&dev_id, &own_mnt, &nodes);
                if last.as_ref() != Some(&now) {
                    last = Some(now.clone());
                    let change = MountChange {
                        at: Instant::now(),
                        nodes: now,
                    };
                    recorded
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(change);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Ok(MountWatch {
            stop,
            changes,
            thread: Some(thread),
        })
    }

    /// Every change seen so far, oldest first.
    pub fn changes(&self) -> Vec<MountChange> {
        self.changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops the watch; every change it saw, oldest first.
    pub fn finish(mut self) -> Vec<MountChange> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.changes()
    }
}

impl Drop for MountWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The nodes (named by `nodes`: network namespace link → name) with a
/// mount of device `dev_id` in their mount namespace, one entry per mount
/// namespace other than `own_mnt`, sorted.
fn mounted_on(dev_id: &str, own_mnt: &Path, nodes: &[(String, String)]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let proc_dir = entry.path();
        let Ok(mnt) = fs::read_link(proc_dir.join("ns/mnt")) else {
            continue;
        };
        if mnt == own_mnt || !seen.insert(mnt) {
            continue;
        }
        let Ok(mountinfo) = fs::read_to_string(proc_dir.join("mountinfo")) else {
            continue;
        };
        // Field 3 of a mountinfo line is the device's major:minor.
        if !mountinfo
            .lines()
            .any(|l| l.split(' ').nth(2) == Some(dev_id))
        {
            continue;
        }
        let net = fs::read_link(proc_dir.join("ns/net")).unwrap_or_default();
        let name = nodes
            .iter()
            .find(|(link, _)| Path::new(link) == net)
            .map_or("?", |(_, name)| name.as_str());
        found.push(name.to_owned());
    }
    found.sort();
    found
}

impl Lab {
    /// Writes the resource script `shared-writer` into every node's
    /// `resource.d`: a service on the shared filesystem mounted at `mount`.
    /// `start` runs a writer that appends `<node> <unix ns>` to
    /// `writes.log` there every 20 ms, in a session of its own (it outlives
    /// a killed daemon, as a real service does); `stop` ends it; `status`
    /// says whether it runs.
    pub fn write_shared_writer(&self, mount: &Path) -> io::Result<()> {
        for i in 0..self.nodes() {
            let node = crate::node_name(i);
            write_script(
                &self.node_dir(i).join("ha.d/resource.d/shared-writer"),
                &format!(
                    "#!/bin/sh\n\
                     # shared-writer start|stop|status: a service writing to the shared disk.\n\
                     tag='hbrs-shared-writer-{node}'\n\
                     case \"$1\" in\n\
                     start) pgrep -f \"$tag\" >/dev/null && exit 0\n\
                     cd '{mount}' || exit 1\n\
                     setsid sh -c 'while :; do echo \"{node} $(date +%s%N)\" >> writes.log; sleep 0.02; done' \
                     \"$tag\" </dev/null >/dev/null 2>&1 &\n\
                     exit 0;;\n\
                     stop) pkill -f \"$tag\"; while pgrep -f \"$tag\" >/dev/null; do sleep 0.01; done; exit 0;;\n\
                     status) pgrep -f \"$tag\" >/dev/null && echo running || echo stopped; exit 0;;\n\
                     esac\n\
                     exit 1\n",
                    mount = mount.display(),
                ),
            )?;
        }
        Ok(())
    }
}
