//! Resource actions of the engine carried out with resource scripts.

use std::collections::HashMap;
use std::sync::Arc;

use heartbeat_core::config::ResourceGroup;
use heartbeat_core::engine::{ActionKind, ResourceAction};
use heartbeat_core::runtime::ActionRunner;

use crate::metrics::DaemonMetrics;
use crate::scripts::{ScriptOutcome, ScriptRunner};

/// Runs a group's scripts for each action, logs every call with its
/// output and records its duration and result in the metrics.
pub struct ScriptActions {
    groups: HashMap<String, ResourceGroup>,
    scripts: Arc<ScriptRunner>,
    metrics: DaemonMetrics,
}

impl ScriptActions {
    /// Actions on `groups` (from haresources), run with `scripts`,
    /// recorded in `metrics`.
    pub fn new(groups: &[ResourceGroup], scripts: ScriptRunner, metrics: DaemonMetrics) -> Self {
        ScriptActions {
            groups: groups.iter().map(|g| (g.key.clone(), g.clone())).collect(),
            scripts: Arc::new(scripts),
            metrics,
        }
    }
}

impl ActionRunner for ScriptActions {
    async fn run(&self, action: ResourceAction) -> bool {
        let Some(group) = self.groups.get(&action.group) else {
            tracing::error!("no resource group {:?} in haresources", action.group);
            return false;
        };
        let verb = match action.kind {
            ActionKind::Start => "start",
            ActionKind::Stop => "stop",
        };
        tracing::info!("Running resource group {} {verb}", group.key);
        let started = std::time::Instant::now();
        let report = self.scripts.run_group(group, action.kind).await;
        self.metrics
            .action_finished(&group.key, action.kind, started.elapsed());
        for run in &report.runs {
            let (script, called) = run.command.split_once(' ').unwrap_or((&run.command, ""));
            let called = called.rsplit(' ').next().unwrap_or(verb);
            self.metrics
                .script_finished(script, called, run.took, run.ok());
            let output = run.output.trim_end();
            match &run.outcome {
                ScriptOutcome::Success => {
                    tracing::info!("{}: ok{}", run.command, with_output(output))
                }
                failure => tracing::error!(
                    "{}: {}{}",
                    run.command,
                    describe(failure),
                    with_output(output)
                ),
            }
        }
        if report.ok {
            tracing::info!("Resource group {} {verb} done", group.key);
        } else {
            tracing::error!("Resource group {} {verb} FAILED", group.key);
        }
        report.ok
    }
}

fn describe(outcome: &ScriptOutcome) -> String {
    match outcome {
        ScriptOutcome::Success => "ok".to_owned(),
        ScriptOutcome::Failed(Some(code)) => format!("exit code {code}"),
        ScriptOutcome::Failed(None) => "killed by a signal".to_owned(),
        ScriptOutcome::TimedOut => "timed out (killed)".to_owned(),
        ScriptOutcome::NotFound => "no such script in resource.d or /etc/init.d".to_owned(),
        ScriptOutcome::SpawnError(e) => format!("cannot run: {e}"),
    }
}

fn with_output(output: &str) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!("; output:\n{output}")
    }
}
