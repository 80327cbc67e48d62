//! CPU burners (one spinning thread per core) and an optional disk writer,
//! stopped on drop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Running load generators.
pub struct Burners {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    scratch: Option<PathBuf>,
}

impl Burners {
    /// Starts `cpus` spinning threads and, with `disk_dir`, a thread that
    /// writes and fsyncs 4 MiB chunks to a scratch file there (truncated
    /// every 256 MiB).
    pub fn start(cpus: usize, disk_dir: Option<&Path>) -> Burners {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for n in 0..cpus {
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("burn{n}"))
                    .spawn(move || spin(&stop))
                    .expect("spawn burner"),
            );
        }
        let scratch = disk_dir.map(|d| d.join("disk-load.tmp"));
        if let Some(path) = scratch.clone() {
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("disk".into())
                    .spawn(move || write_disk(&path, &stop))
                    .expect("spawn disk writer"),
            );
        }
        Burners {
            stop,
            threads,
            scratch,
        }
    }
}

fn spin(stop: &AtomicBool) {
    let mut x: u64 = 1;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

fn write_disk(path: &Path, stop: &AtomicBool) {
    let chunk = vec![0x5au8; 4 << 20];
    let mut written = 0usize;
    let Ok(mut f) = std::fs::File::create(path) else {
        return;
    };
    while !stop.load(Ordering::Relaxed) {
        if f.write_all(&chunk).and_then(|_| f.sync_data()).is_err() {
            return;
        }
        written += chunk.len();
        if written >= 256 << 20 {
            written = 0;
            let _ = f.set_len(0);
            let _ = std::io::Seek::rewind(&mut f);
        }
    }
}

impl Drop for Burners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(p) = &self.scratch {
            let _ = std::fs::remove_file(p);
        }
    }
}
