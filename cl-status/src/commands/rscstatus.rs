//! `rscstatus`: which resources this node holds.

use heartbeat_core::control::StatusView;

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::Answer;

/// `rscstatus`: `none`, `local`, `foreign`, `all`, or `transition` while
/// a resource action or a standby runs.
pub fn answer(view: &StatusView, opts: &Parsed) -> Answer {
    let text = if opts.has('m') {
        format!("This node is holding {} resources.\n", view.resources)
    } else {
        format!("{}\n", view.resources)
    };
    let json = json::RscStatus {
        resources: view.resources.clone(),
        groups: view.groups.clone(),
    };
    Answer::ok(text, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};

    #[test]
    fn words_and_sentence() {
        let mut v = healthy();
        assert_eq!(answer(&v, &opts("", "m")).text, "local\n");
        assert_eq!(
            answer(&v, &opts("-m", "m")).text,
            "This node is holding local resources.\n"
        );
        v.resources = "transition".into();
        let a = answer(&v, &opts("", "m"));
        assert_eq!((a.text.as_str(), a.code), ("transition\n", 0));
        let j: json::RscStatus = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.groups[0].owner.as_deref(), Some("node1"));
    }
}
