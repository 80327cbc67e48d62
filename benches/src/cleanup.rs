//! Leaving the machine as it was: a registry of the namespaces,
//! directories and installed files (the fence plugin) the benchmark
//! created, emptied by the owners' `Drop` on a
//! normal end or a failure, and by [`install_signal_handler`]'s thread on
//! Ctrl-C / SIGTERM / SIGHUP (which then exits the process).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::netns;

static NAMESPACES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INSTALLED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Records a namespace (before it is created, so a half-built one is found).
pub fn register_namespace(name: &str) {
    lock(&NAMESPACES).push(name.to_owned());
}

/// Forgets a namespace its owner has deleted.
pub fn unregister_namespace(name: &str) {
    lock(&NAMESPACES).retain(|n| n != name);
}

/// Records a scratch directory to remove on an interrupt.
pub fn register_dir(dir: PathBuf) {
    lock(&DIRS).push(dir);
}

/// Forgets a scratch directory its owner has removed.
pub fn unregister_dir(dir: &std::path::Path) {
    lock(&DIRS).retain(|d| d != dir);
}

/// Records a file installed outside the scratch directories (before it
/// is written), removed on an interrupt even when `HBB_KEEP` is set.
pub fn register_installed(file: PathBuf) {
    lock(&INSTALLED).push(file);
}

/// Forgets an installed file its owner has removed.
pub fn unregister_installed(file: &std::path::Path) {
    lock(&INSTALLED).retain(|f| f != file);
}

/// Whether Ctrl-C / SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every process in every registered namespace, deletes the
/// namespaces, removes the installed files and the registered directories
/// (kept, with the daemons' logs, when `HBB_KEEP` is set).
pub fn remove_everything() {
    let namespaces: Vec<String> = std::mem::take(&mut *lock(&NAMESPACES));
    for ns in namespaces.iter().rev() {
        netns::kill_all_in(ns);
    }
    for ns in namespaces.iter().rev() {
        let _ = netns::delete(ns);
    }
    for file in std::mem::take(&mut *lock(&INSTALLED)) {
        let _ = std::fs::remove_file(file);
    }
    let dirs: Vec<PathBuf> = std::mem::take(&mut *lock(&DIRS));
    if std::env::var_os("HBB_KEEP").is_some() {
        return;
    }
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Starts a thread that waits for SIGINT, SIGTERM and SIGHUP, removes
/// everything and exits 130. (Handlers, not a blocked mask: children would
/// inherit a mask and ignore the SIGTERM of the graceful handover.)
pub fn install_signal_handler() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                INTERRUPTED.store(true, Ordering::SeqCst);
                eprintln!("\nsignal {signal}: removing the benchmark's namespaces and files …");
                // The main thread may still be creating a namespace: sweep
                // by name as well, a few times.
                for _ in 0..3 {
                    remove_everything();
                    for ns in netns::ours() {
                        netns::kill_all_in(&ns);
                        let _ = netns::delete(&ns);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                let left = netns::ours();
                if left.is_empty() {
                    eprintln!("clean: no namespace of this run is left");
                } else {
                    eprintln!("WARNING: namespaces left behind: {left:?}");
                }
                std::process::exit(130);
            }
        })
        .map(|_| ())
}

/// A bench binary's `main`: installs the signal handler, runs `run`, then
/// removes everything the run left (namespaces, directories, plugins),
/// warns about namespaces still there, and turns the result into the exit
/// status (`name` prefixes the error).
pub fn main_with_cleanup(
    name: &str,
    run: impl FnOnce() -> anyhow::Result<()>,
) -> std::process::ExitCode {
    if let Err(e) = install_signal_handler() {
        eprintln!("{name}: cannot install the signal handler: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let result = run();
    remove_everything();
    let left = crate::netns::ours();
    if !left.is_empty() {
        eprintln!("WARNING: namespaces left behind: {left:?}");
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
