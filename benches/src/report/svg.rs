//! Two small hand-written SVG charts: a strip plot of samples per row on a
//! log time axis, and a line chart over cluster sizes.

use std::fmt::Write;

/// One row of a strip plot.
#[derive(Clone, Debug)]
pub struct Strip {
    /// Label on the left.
    pub label: String,
    /// Colour of the dots (`#rrggbb`).
    pub colour: &'static str,
    /// Samples in ms.
    pub samples_ms: Vec<f64>,
    /// Median in ms (drawn as a bar), if any.
    pub median_ms: Option<f64>,
}

const LEFT: f64 = 320.0;
const RIGHT: f64 = 30.0;
const WIDTH: f64 = 960.0;
const ROW: f64 = 26.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 46.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Decades (powers of ten in ms) spanning every sample, at least one decade.
pub fn decade_range(values: impl Iterator<Item = f64>) -> (i32, i32) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0, 1);
    }
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (a, b.max(a + 1))
}

/// A strip plot titled `title`: one row per strip, log ms axis.
pub fn strip_plot(title: &str, strips: &[Strip]) -> String {
    let (d0, d1) = decade_range(strips.iter().flat_map(|s| s.samples_ms.iter().copied()));
    let plot_w = WIDTH - LEFT - RIGHT;
    let height = TOP + BOTTOM + ROW * strips.len().max(1) as f64;
    let x = |ms: f64| LEFT + (ms.max(1e-9).log10() - d0 as f64) / (d1 - d0) as f64 * plot_w;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
        WIDTH / 2.0,
        escape(title)
    );
    let axis_y = height - BOTTOM;
    for d in d0..=d1 {
        let px = x(10f64.powi(d));
        let label = if d >= 3 {
            format!("{} s", 10f64.powi(d - 3))
        } else {
            format!("{} ms", 10f64.powi(d))
        };
        let _ = writeln!(
            s,
            "<line x1=\"{px:.1}\" y1=\"{TOP}\" x2=\"{px:.1}\" y2=\"{axis_y}\" stroke=\"#ddd\"/>\
             <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            axis_y + 16.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">trigger → survivor's start script (log scale; bar = median)</text>",
        LEFT + plot_w / 2.0,
        axis_y + 36.0
    );
    for (r, strip) in strips.iter().enumerate() {
        let cy = TOP + ROW * (r as f64 + 0.5);
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 8.0,
            cy + 4.0,
            escape(&strip.label)
        );
        for (k, v) in strip.samples_ms.iter().enumerate() {
            // A small deterministic vertical jitter keeps equal samples apart.
            let jitter = ((k * 7) % 9) as f64 - 4.0;
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\" fill-opacity=\"0.55\"/>",
                x(*v),
                cy + jitter,
                strip.colour
            );
        }
        if let Some(m) = strip.median_ms {
            let _ = writeln!(
                s,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"black\" stroke-width=\"2\"/>",
                x(m),
                cy - 10.0,
                cy + 10.0
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// A line chart of `points` (x = cluster size on a log2 axis, y linear from 0).
pub fn line_chart(title: &str, y_label: &str, points: &[(f64, f64)]) -> String {
    let (w, h) = (560.0, 320.0);
    let (left, right, top, bottom) = (70.0, 20.0, 36.0, 48.0);
    let xs: Vec<f64> = points.iter().map(|p| p.0.max(1.0).log2()).collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        (x0, x1)
    } else {
        (0.0, 1.0)
    };
    let y_max = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.15;
    let px = |v: f64| left + (v - x0) / (x1 - x0) * (w - left - right);
    let py = |v: f64| h - bottom - v / y_max * (h - top - bottom);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
        w / 2.0,
        escape(title)
    );
    for k in 0..=4 {
        let v = y_max / 1.15 * k as f64 / 4.0;
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            py(v),
            w - right,
            left - 6.0,
            py(v) + 4.0,
            short_number(v)
        );
    }
    for (p, xv) in points.iter().zip(&xs) {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            px(*xv),
            h - bottom + 16.0,
            p.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">nodes</text>\
         <text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">{}</text>",
        (left + w - right) / 2.0,
        h - 10.0,
        h / 2.0,
        h / 2.0,
        escape(y_label)
    );
    let path: Vec<String> = points
        .iter()
        .zip(&xs)
        .map(|(p, xv)| format!("{:.1},{:.1}", px(*xv), py(p.1)))
        .collect();
    let _ = writeln!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>",
        path.join(" ")
    );
    for (p, xv) in points.iter().zip(&xs) {
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1f77b4\"/>",
            px(*xv),
            py(p.1)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// `1200` → `1.2k`, `0.25` → `0.25`.
fn short_number(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_samples() {
        assert_eq!(decade_range([12.0, 3400.0].into_iter()), (1, 4));
        assert_eq!(decade_range([100.0].into_iter()), (2, 3));
        assert_eq!(decade_range(std::iter::empty()), (0, 1));
    }

    #[test]
    fn strip_plot_has_a_dot_per_sample_and_a_median_bar() {
        let svg = strip_plot(
            "kill -9 <test>",
            &[Strip {
                label: "a & b".into(),
                colour: "#123456",
                samples_ms: vec![10.0, 20.0, 30.0],
                median_ms: Some(20.0),
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("stroke-width=\"2\"").count(), 1);
        assert!(svg.contains("kill -9 &lt;test&gt;") && svg.contains("a &amp; b"));
    }

    #[test]
    fn line_chart_draws_every_point() {
        let svg = line_chart("cpu", "%", &[(2.0, 0.5), (8.0, 1.0), (64.0, 4.0)]);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<polyline"));
        assert_eq!(short_number(12_000.0), "12k");
    }
}
