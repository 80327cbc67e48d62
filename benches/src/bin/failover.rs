//! Failover, false failovers under load, idle cost, scale and failover
//! with a fast fence device of heartbeatd, keepalived and Heartbeat 3.0.6
//! on test hosts in network namespaces.
//!
//! ```sh
//! cargo build --release -p heartbeatd
//! cargo run --release -p heartbeat-benches --bin failover -- [--quick] [--runs N] …
//! # only the fenced failovers, spliced into the existing RESULTS.md:
//! cargo run --release -p heartbeat-benches --bin failover -- --fencing-only [--fence-runs N]
//! ```
//!
//! The fenced part installs the bench's STONITH plugin
//! (`/usr/lib/stonith/plugins/external/hbbench-power-PID`, see
//! `heartbeat_benches::power`) and removes it at the end, on failure and on
//! Ctrl-C.
//!
//! Run as root. Installs keepalived and heartbeat from Debian's packages when
//! missing, builds its own namespaces (10.214.x.x inside them only) and
//! removes them at the end, on failure and on Ctrl-C. Writes RESULTS.md and
//! plots/ into `--out` (default: the benches crate directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use heartbeat_benches::cluster::Binaries;
use heartbeat_benches::error::Error;
use heartbeat_benches::measure::failover::{self, Trigger, FENCED_INITDEAD};
use heartbeat_benches::measure::load::LoadSpec;
use heartbeat_benches::measure::{idle, load, scale};
use heartbeat_benches::power::PowerSwitch;
use heartbeat_benches::report::{minutes_text, splice_section, Report, FENCING_HEADING};
use heartbeat_benches::systems::{heartbeat, Setting, System};
use heartbeat_benches::{cleanup, netns};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "heartbeatd vs keepalived vs Heartbeat 3.0.6: failover, load, idle, scale")]
struct Args {
    /// Short version: 2 runs, 1-minute load, 15 s idle window, one scale run.
    #[arg(long)]
    quick: bool,
    /// Runs per setting and trigger (default 20; 2 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Load duration in seconds (default 600; 60 with --quick).
    #[arg(long)]
    load_secs: Option<u64>,
    /// Idle-cost window in seconds (default 60; 15 with --quick).
    #[arg(long)]
    idle_secs: Option<u64>,
    /// Also write to disk during the load window.
    #[arg(long)]
    disk_io: bool,
    /// heartbeatd's most aggressive setting, KEEPALIVE_MS:DEADTIME_MS.
    #[arg(long, default_value = "5:20")]
    aggressive: String,
    /// Further heartbeatd settings (KA:DT,…) run only in the load window,
    /// to find the most aggressive stable one.
    #[arg(long, value_delimiter = ',', default_value = "2:8,1:4")]
    load_extra: Vec<String>,
    /// Further Heartbeat 3.0.6 settings run only in the load window (its
    /// parser accepts 1 ms / 3 ms: does it run?).
    #[arg(long, value_delimiter = ',', default_value = "1:3")]
    heartbeat_load_extra: Vec<String>,
    /// Heartbeat 3.0.6's smallest working setting, KEEPALIVE_MS:DEADTIME_MS.
    #[arg(long, default_value = "10:40")]
    heartbeat_fast: String,
    /// Cluster sizes for the scale measurement.
    #[arg(long, value_delimiter = ',', default_value = "2,8,32,64")]
    scale_nodes: Vec<usize>,
    /// heartbeatd setting for the scale measurement, KEEPALIVE_MS:DEADTIME_MS.
    #[arg(long, default_value = "1000:3000")]
    scale_timers: String,
    /// Runs per fenced setting and trigger (default 10; 2 with --quick).
    #[arg(long)]
    fence_runs: Option<usize>,
    /// Measure only the fenced failovers and replace only their section
    /// of the existing RESULTS.md (the rest is kept).
    #[arg(long)]
    fencing_only: bool,
    /// Parts to skip: failover, load, idle, scale, fencing.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Systems to include (heartbeatd, keepalived, heartbeat); default all.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where RESULTS.md and plots/ go.
    #[arg(long, default_value = env!("CARGO_MANIFEST_DIR"))]
    out: PathBuf,
    /// Do not install missing packages.
    #[arg(long)]
    no_install: bool,
}

fn main() -> std::process::ExitCode {
    cleanup::main_with_cleanup("failover", || run(Args::parse()))
}

fn timers(text: &str) -> anyhow::Result<(u64, u64)> {
    let (a, b) = text
        .split_once(':')
        .context("expected KEEPALIVE_MS:DEADTIME_MS")?;
    Ok((a.trim().parse()?, b.trim().parse()?))
}

/// Whether `--only` includes the system of `s`.
fn wanted(args: &Args, s: &Setting) -> bool {
    args.only.is_empty()
        || args.only.iter().any(|o| match o.to_lowercase().as_str() {
            "heartbeatd" => s.system == System::Heartbeatd,
            "keepalived" => s.system == System::Keepalived,
            "heartbeat" => s.system == System::Heartbeat,
            _ => false,
        })
}

/// The fenced settings and the triggers each is measured with: both
/// systems at 1 s / 3 s, heartbeatd also at 100 ms / 400 ms (Heartbeat is
/// unreliable that fast), heartbeatd with `fence_delay 0` and once with
/// its default delay to show its cost.
fn fenced_settings(args: &Args) -> Vec<(Setting, Vec<Trigger>)> {
    let zero = Some(Duration::ZERO);
    let both = Trigger::FENCED.to_vec();
    let fenced = |s: Setting, delay| s.fenced(delay, FENCED_INITDEAD);
    let hbd = |ka, dt| Setting::ha(System::Heartbeatd, ka, dt);
    vec![
        (
            fenced(Setting::ha(System::Heartbeat, 1000, 3000), None),
            both.clone(),
        ),
        (fenced(hbd(1000, 3000), zero), both.clone()),
        (fenced(hbd(1000, 3000), None), vec![Trigger::Kill9]),
        (fenced(hbd(100, 400), zero), both),
    ]
    .into_iter()
    .filter(|(s, _)| wanted(args, s))
    .collect()
}

/// Every compared setting, grouped by interval.
fn settings(args: &Args) -> anyhow::Result<Vec<Setting>> {
    let (aka, adt) = timers(&args.aggressive)?;
    let (hka, hdt) = timers(&args.heartbeat_fast)?;
    let all = vec![
        Setting::ha(System::Heartbeatd, 1000, 3000),
        Setting::keepalived(1000),
        Setting::ha(System::Heartbeat, 1000, 3000),
        Setting::ha(System::Heartbeatd, 100, 400),
        Setting::ha(System::Heartbeatd, 50, 200),
        Setting::keepalived(50),
        Setting::ha(System::Heartbeatd, 10, 40),
        Setting::keepalived(10),
        Setting::ha(System::Heartbeat, hka, hdt),
        Setting::ha(System::Heartbeatd, aka, adt),
    ];
    let mut out: Vec<Setting> = Vec::new();
    for s in all.into_iter().filter(|s| wanted(args, s)) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

fn run(args: Args) -> anyhow::Result<()> {
    let t_start = std::time::Instant::now();
    let at = || format!("[{:>4} s]", t_start.elapsed().as_secs());
    if !nix::unistd::geteuid().is_root() {
        bail!("run as root: the benchmark builds network namespaces");
    }
    let stale = netns::remove_stale();
    if !stale.is_empty() {
        eprintln!("removed namespaces of an earlier, interrupted run: {stale:?}");
    }
    let stale = heartbeat_benches::power::remove_stale();
    if !stale.is_empty() {
        eprintln!("removed fence plugins of an earlier, killed run: {stale:?}");
    }
    if !args.no_install {
        install_packages(!args.fencing_only)?;
    }
    let binaries = Binaries {
        heartbeatd: heartbeatd_binary()?,
        heartbeat: heartbeat::daemon_path(),
    };
    let runs = args.runs.unwrap_or(if args.quick { 2 } else { 20 });
    let load_for = Duration::from_secs(args.load_secs.unwrap_or(if args.quick { 60 } else { 600 }));
    let idle_for = Duration::from_secs(args.idle_secs.unwrap_or(if args.quick { 15 } else { 60 }));
    let settings = settings(&args)?;
    let skip = |part: &str| {
        if args.fencing_only {
            part != "fencing"
        } else {
            args.skip.iter().any(|s| s == part)
        }
    };
    let fence_runs = args.fence_runs.unwrap_or(if args.quick { 2 } else { 10 });

    let scratch = std::env::temp_dir().join(format!("hbbench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    cleanup::register_dir(scratch.clone());
    let mut report = Report {
        date: shell("date -u '+%Y-%m-%d %H:%M UTC'"),
        command: command_line(),
        conditions: conditions(&binaries),
        ..Report::default()
    };

    if !skip("failover") {
        for s in &settings {
            eprintln!("{} failover: {} ({runs} runs per trigger)", at(), s.label());
            match failover::measure(*s, runs, &Trigger::ALL, &scratch, &binaries) {
                Ok(rows) => report.failover.extend(rows),
                Err(Error::Interrupted) => bail!("interrupted"),
                Err(e) => report
                    .notes
                    .push(format!("{}: not measured: {e}", s.label())),
            }
            write_report(&report, &args.out, args.fencing_only)?;
        }
    }
    if !skip("load") {
        let spec = LoadSpec {
            duration: load_for,
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            disk_io: args.disk_io,
            idle_window: (!skip("idle")).then_some(idle_for),
        };
        let mut load_settings = settings.clone();
        if settings.iter().any(|s| s.system == System::Heartbeatd) {
            for extra in &args.load_extra {
                let (ka, dt) = timers(extra)?;
                load_settings.push(Setting::ha(System::Heartbeatd, ka, dt));
            }
        }
        if settings.iter().any(|s| s.system == System::Heartbeat) {
            for extra in &args.heartbeat_load_extra {
                let (ka, dt) = timers(extra)?;
                load_settings.push(Setting::ha(System::Heartbeat, ka, dt));
            }
        }
        eprintln!(
            "{} idle ({}) then load ({}) with every setting running",
            at(),
            minutes_text(idle_for),
            minutes_text(load_for)
        );
        let (rows, idle) = load::false_failovers(&load_settings, &spec, &scratch, &binaries)?;
        let what = format!(
            "Every setting's two-node cluster ran at the same time while {} spinning thread(s){} kept \
             every core busy for {}.",
            spec.cpus,
            if spec.disk_io { " and a disk writer (4 MiB writes + fsync)" } else { "" },
            minutes_text(load_for)
        );
        report.load = Some((what, rows));
        report.idle = idle;
        write_report(&report, &args.out, args.fencing_only)?;
    } else if !skip("idle") {
        eprintln!(
            "{} idle: {} settings over {}",
            at(),
            settings.len(),
            minutes_text(idle_for)
        );
        report.idle = idle::idle_cost(&settings, idle_for, &scratch, &binaries)?;
        write_report(&report, &args.out, args.fencing_only)?;
    }
    if !skip("scale") && settings.iter().any(|s| s.system == System::Heartbeatd) {
        eprintln!("{} scale: {:?} nodes", at(), args.scale_nodes);
        let (ka, dt) = timers(&args.scale_timers)?;
        let setting = Setting::ha(System::Heartbeatd, ka, dt);
        let scale_runs = if args.quick { 1 } else { runs.min(5) };
        let window = if args.quick {
            Duration::from_secs(5)
        } else {
            Duration::from_secs(20)
        };
        let rows = scale::scale(
            setting,
            &args.scale_nodes,
            scale_runs,
            window,
            &scratch,
            &binaries,
        )?;
        report.scale = Some((setting, rows));
        write_report(&report, &args.out, args.fencing_only)?;
    }
    if !skip("fencing") {
        let fenced = fenced_settings(&args);
        eprintln!(
            "{} fencing: {} settings ({fence_runs} runs per trigger)",
            at(),
            fenced.len()
        );
        let switch = PowerSwitch::install()?;
        switch.check()?;
        report.fencing_notes = fencing_conditions(&switch);
        for (s, triggers) in &fenced {
            eprintln!("{} fencing: {}", at(), s.label());
            match failover::measure(*s, fence_runs, triggers, &scratch, &binaries) {
                Ok(rows) => report.fencing.extend(rows),
                Err(Error::Interrupted) => bail!("interrupted"),
                Err(e) => report
                    .fencing_notes
                    .push(format!("{}: not measured: {e}", s.label())),
            }
            write_report(&report, &args.out, args.fencing_only)?;
        }
    }
    if !args.fencing_only {
        report.notes.extend(notes());
    }
    write_report(&report, &args.out, args.fencing_only)?;
    if std::env::var_os("HBB_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
        cleanup::unregister_dir(&scratch);
    }
    if args.fencing_only {
        println!("{}", report.fencing_markdown());
    } else {
        println!("{}", report.markdown());
    }
    eprintln!("{} done", at());
    eprintln!(
        "report written to {}",
        args.out.join("RESULTS.md").display()
    );
    Ok(())
}

/// Writes the plots and RESULTS.md; with `fencing_only`, only the
/// fenced-failover section of the existing RESULTS.md is replaced.
fn write_report(report: &Report, out: &Path, fencing_only: bool) -> anyhow::Result<()> {
    let plots = out.join("plots");
    std::fs::create_dir_all(&plots)?;
    for (name, svg) in report.plots() {
        std::fs::write(plots.join(name), svg)?;
    }
    let path = out.join("RESULTS.md");
    let text = if fencing_only {
        let existing = std::fs::read_to_string(&path).unwrap_or_default();
        splice_section(&existing, FENCING_HEADING, &report.fencing_markdown())
    } else {
        report.markdown()
    };
    std::fs::write(path, text)?;
    Ok(())
}

fn heartbeatd_binary() -> anyhow::Result<PathBuf> {
    heartbeat_benches::heartbeatd_binary().map_err(anyhow::Error::msg)
}

/// `apt-get install -y keepalived heartbeat` when either is missing
/// (`apt-get update` first if the install fails); keepalived only when
/// `need_keepalived`.
fn install_packages(need_keepalived: bool) -> anyhow::Result<()> {
    let have_keepalived = !need_keepalived
        || Command::new("sh")
            .args(["-c", "command -v keepalived"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if have_keepalived && heartbeat::daemon_path().is_some() {
        return Ok(());
    }
    let packages: &[&str] = if need_keepalived {
        &["keepalived", "heartbeat"]
    } else {
        &["heartbeat"]
    };
    eprintln!(
        "setup: installing {} from Debian's packages",
        packages.join(" and ")
    );
    let install = || {
        Command::new("apt-get")
            .arg("install")
            .arg("-y")
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !install() {
        let _ = Command::new("apt-get").arg("update").status();
        if !install() {
            bail!("apt-get install {} failed", packages.join(" "));
        }
    }
    Ok(())
}

fn shell(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| {
            let mut s = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            if s.is_empty() {
                s = String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned();
            }
            s
        })
        .unwrap_or_default()
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tail = if args.is_empty() {
        String::new()
    } else {
        format!(" -- {}", args.join(" "))
    };
    format!(
        "cargo build --release -p heartbeatd && \\\n  cargo run --release -p heartbeat-benches --bin failover{tail}"
    )
}

/// What the tables cannot say by themselves.
fn notes() -> Vec<String> {
    vec![
        "Heartbeat 3.0.6 checks for dead nodes every 250 ms, so below that its deadtime only \
         rounds up; its parser accepts keepalive 1 ms / deadtime 3 ms (deadtime > 2 × keepalive), \
         which the load table shows running. Its failover rows use 10 ms / 40 ms, the same interval \
         as heartbeatd's and keepalived's floor."
            .into(),
        "Heartbeat advertises deadtime + 2 s during its first 5 s; each run waits until the owner \
         has been up 6 s so that this start-up allowance is not measured."
            .into(),
        "keepalived's deadtime is not configured but derived (RFC 5798 master-down interval \
         3 × advert_int + skew, priority 100 for the backup). Its \"graceful\" is keepalived \
         sending priority 0 on SIGTERM."
            .into(),
        "Link cut: the owner keeps its group (no peer, nothing tells it otherwise) and the survivor \
         starts it too; each run then kills the cut node, heals the link and restarts it."
            .into(),
        "Load: all clusters run at once during the load window, each in its own namespaces; \
         burners are threads at normal priority. Heartbeat and heartbeatd (since `realtime` is \
         applied) run at SCHED_RR, their default, which the burners cannot preempt; keepalived \
         at normal priority."
            .into(),
    ]
}

/// Machine, versions and the device, under the fenced-failover tables.
fn fencing_conditions(switch: &PowerSwitch) -> Vec<String> {
    let mut out = vec![machine(), versions(false)];
    out.push(format!(
        "Fence device: {} (cluster-glue {}), the same for both systems: Heartbeat calls it through \
         cluster-glue's plugin library, heartbeatd through `stonith(8)`.",
        switch.path().display(),
        shell("dpkg-query -W -f '${Version}' cluster-glue"),
    ));
    out.extend(fencing_observations());
    out
}

/// What the fenced tables cannot say by themselves.
fn fencing_observations() -> Vec<String> {
    vec![
        "Hung owner: SIGSTOP to every process of the owner's namespace (heartbeatd: its one process; \
         Heartbeat: the master control process and its read/write/FIFO children); the fence SIGKILLs \
         them. Kill -9: every process is already gone, so the fence finds nothing to kill."
            .into(),
        "cluster-glue's `external` wrapper reads a plugin's output with `fread` and calls `sleep(1)` \
         whenever a read returns nothing, which the read that meets the end of the output always does: \
         every external plugin operation returns at least 1 s after the plugin has exited (by hand: \
         `stonith -t external/hbbench-power-PID -T reset …` takes 1.08 s, of which the plugin 40 ms). \
         Both systems pay it once per fence; it is most of the *fence done → start* column."
            .into(),
    ]
}

/// The machine and its load right now.
fn machine() -> String {
    format!(
        "Machine: {} cores, kernel {}, load average at start {}; shared with other engineers' \
         builds, so expect noise.",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        shell("uname -r"),
        shell("cut -d' ' -f1-3 /proc/loadavg"),
    )
}

/// heartbeatd's version and commit, keepalived's (if asked) and
/// Heartbeat's package version.
fn versions(with_keepalived: bool) -> String {
    let keepalived = if with_keepalived {
        format!("{}; ", shell("keepalived --version 2>&1 | head -1"))
    } else {
        String::new()
    };
    format!(
        "Versions: heartbeatd {} (release build, commit {}); {keepalived}heartbeat package {}.",
        env!("CARGO_PKG_VERSION"),
        shell("git rev-parse --short HEAD"),
        shell("dpkg-query -W -f '${Version}' heartbeat"),
    )
}

fn conditions(b: &Binaries) -> Vec<String> {
    vec![
        machine(),
        versions(true),
        format!(
            "Each node in its own network namespace, one veth into a bridge in a switch namespace \
             (10.214.x.x, only inside them). Heartbeat runs each node in its own mount + UTS namespace \
             ({}). Heartbeat and heartbeatd run at their default realtime priority (SCHED_RR), \
             keepalived at normal priority.",
            b.heartbeat.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "not installed".into())
        ),
        "Timing script: the same `date +%s%N` script for every system (haresources resource for heartbeatd \
         and Heartbeat, notify_master/notify_backup/notify_fault for keepalived); triggers are timed by the \
         harness just before the kill / `ip link set eth0 down` / SIGTERM."
            .into(),
    ]
}
