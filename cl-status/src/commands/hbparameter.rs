//! `hbparameter -p <name>`: a parameter as Heartbeat records it (values
//! as written in ha.cf, Heartbeat's defaults, computed timers; see
//! `StatusView::parameters`).

use heartbeat_core::control::StatusView;

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure, FailureKind};

/// `hbparameter -p <name>`: the value, exit 0; exit 1 when the daemon
/// has no such parameter; exit 11 without `-p`.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let Some(name) = opts.value('p') else {
        return Err(Failure::log_line(
            exit::BAD_PARAM,
            FailureKind::BadArguments,
            "parameter name required",
        ));
    };
    let value = view.parameters.get(name).ok_or_else(|| {
        Failure::logged(
            exit::FALSE,
            FailureKind::UnknownParameter,
            format!("Cannot get parameter {name}'s value"),
            "",
        )
    })?;
    let text = if opts.has('m') {
        format!("Heartbeat parameter {name}'s value: {value}\n")
    } else {
        format!("{value}\n")
    };
    let json = json::Parameter {
        name: name.to_owned(),
        value: value.clone(),
    };
    Ok(Answer::ok(text, &json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use crate::outcome::Diag;

    #[test]
    fn values_and_errors() {
        let v = healthy();
        assert_eq!(answer(&v, &opts("-p deadtime", "mp:")).unwrap().text, "5\n");
        assert_eq!(
            answer(&v, &opts("-m -p deadtime", "mp:")).unwrap().text,
            "Heartbeat parameter deadtime's value: 5\n"
        );
        let f = answer(&v, &opts("-p node", "mp:")).unwrap_err();
        assert_eq!(f.code, 1);
        assert_eq!(
            f.lines,
            [
                Diag::Log("Cannot get parameter node's value".into()),
                Diag::Log("REASON: ".into()),
            ]
        );
        let f = answer(&v, &opts("", "mp:")).unwrap_err();
        assert_eq!(f.code, 11);
        assert_eq!(f.lines, [Diag::Log("parameter name required".into())]);
    }
}
