//! The report as one self-contained HTML page: what `report::markdown` says,
//! with two charts drawn as inline SVG (daily spend with the forecast band;
//! the contributions to the difference from last month).
//!
//! Written for email clients as much as browsers: no external assets, no
//! scripts, no `<style>` block (clients strip it), only inline `style`
//! attributes and presentation attributes on the SVG.

use std::fmt::Write as _;

use crate::report::{Change, DailyPoint, Decomposition, DomainReport, Report};

/// Colours of the charts (the browser test looks for them in a screenshot).
pub mod colour {
    pub const ACTUAL: &str = "#1f5fa8";
    pub const FORECAST: &str = "#c2571a";
    pub const BAND: &str = "#f6d7b0";
    pub const MORE: &str = "#c0392b";
    pub const LESS: &str = "#2e8b57";
    pub const ANOMALY: &str = "#7b2d8e";
    pub const GRID: &str = "#e3e3e3";
    pub const TEXT: &str = "#1a1a1a";
    pub const MUTED: &str = "#666666";
}

const FONT: &str = "font-family:Helvetica,Arial,sans-serif";
const CHART_WIDTH: f64 = 680.0;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The whole report as one page (one section per domain).
pub fn html(report: &Report) -> String {
    let title = match report.domains.as_slice() {
        [one] => format!("Spend of {} — {}", one.domain, one.month),
        _ => format!("Spend per domain — as of {}", report.as_of),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n\
         <body style=\"margin:0;padding:24px;background:#ffffff;color:{};{FONT};font-size:14px;line-height:1.4\">\n\
         <div style=\"max-width:720px;margin:0 auto\">\n",
        escape(&title),
        colour::TEXT
    );
    for domain in &report.domains {
        section(&mut out, report, domain);
    }
    let _ = write!(
        out,
        "<p style=\"color:{}\">Unallocated this month: {} ({:.1} % of all spend).</p>\n</div>\n</body>\n</html>\n",
        colour::MUTED,
        escape(&money(&report.currency, report.unallocated_month_to_date)),
        100.0 * report.unallocated_share
    );
    out
}

fn money(currency: &str, value: f64) -> String {
    format!("{currency} {value:.2}")
}

fn section(out: &mut String, report: &Report, d: &DomainReport) {
    let money = |v: f64| escape(&money(&report.currency, v));
    let band = |low: Option<f64>, high: Option<f64>| match (low, high) {
        (Some(l), Some(h)) => format!("80 % band {} – {}", money(l), money(h)),
        _ => "no band yet (needs three earlier months to calibrate)".to_string(),
    };
    let _ = write!(
        out,
        "<h1 style=\"font-size:22px;margin:0 0 8px\">Spend of {} — {} (as of {})</h1>\n\
         <p style=\"margin:0 0 16px;color:{}\">Data: {}{}.</p>\n",
        escape(&d.domain),
        escape(&d.month),
        escape(&d.as_of),
        colour::MUTED,
        escape(&d.data_state),
        d.execution_id
            .as_ref()
            .map_or(String::new(), |e| format!(" (delivery {})", escape(e)))
    );
    let mut rows = vec![
        ("month to date".to_string(), money(d.month_to_date)),
        (
            "month-end forecast".to_string(),
            format!(
                "{} ({})",
                money(d.forecast.month_end),
                band(d.forecast.month_end_low, d.forecast.month_end_high)
            ),
        ),
        (
            "next month forecast".to_string(),
            format!(
                "{} ({})",
                money(d.forecast.next_month),
                band(d.forecast.next_month_low, d.forecast.next_month_high)
            ),
        ),
        (
            "last month, same day".to_string(),
            money(d.last_month_same_day),
        ),
        ("last month, full".to_string(), money(d.last_month_full)),
    ];
    if let Some(b) = &d.budget {
        rows.push(("budget".to_string(), money(b.monthly)));
        rows.push((
            "forecast vs budget".to_string(),
            format!(
                "{} ({:.1} % of budget)",
                escape(&format!("{:+.2}", b.forecast_minus_budget)),
                b.forecast_percent_of_budget
            ),
        ));
    }
    out.push_str(&table(
        &["", "amount"],
        &rows
            .into_iter()
            .map(|(k, v)| vec![escape(&k), v])
            .collect::<Vec<_>>(),
    ));
    heading(out, "Daily spend, last month and this month");
    out.push_str(&daily_chart(&d.daily, &d.anomaly_days));
    heading(out, "vs last month (same day), by service");
    out.push_str(&contributions_chart(&d.vs_last_month_by_service));
    out.push_str(&decomposition_table(&d.vs_last_month_by_service));
    heading(out, "vs last month (same day), by account");
    out.push_str(&decomposition_table(&d.vs_last_month_by_account));
    if let Some(b) = &d.budget {
        heading(out, "forecast vs budget");
        out.push_str(&decomposition_table(&b.decomposition));
    }
    if !d.anomaly_days.is_empty() {
        let _ = writeln!(
            out,
            "<p>Anomalies (days clipped from the forecast's training): {}</p>",
            escape(&d.anomaly_days.join(", "))
        );
    }
    launches_table(out, report, d);
    out.push_str("<hr style=\"border:0;border-top:1px solid #cccccc;margin:24px 0\">\n");
}

/// "Launches the spec knows about": nothing when none were found, a
/// sentence when the store has no spec snapshot yet.
fn launches_table(out: &mut String, report: &Report, d: &DomainReport) {
    let Some(l) = &d.launches else {
        return;
    };
    let Some(since) = &l.since else {
        out.push_str("<p>Launches the spec knows about: none added (the store has no spec snapshot yet; the next <code>landfall cost ingest</code> records one).</p>\n");
        return;
    };
    if l.items.is_empty() {
        return;
    }
    heading(
        out,
        &format!("Launches the spec knows about (since the spec snapshot of {since})"),
    );
    let _ = writeln!(
        out,
        "<p>Included in the forecast above: {} at month end, {} next month; {}.</p>",
        escape(&format!("{:+.2}", l.month_end)),
        escape(&format!("{:+.2}", l.next_month)),
        escape(l.assumption)
    );
    let rows: Vec<Vec<String>> = l
        .items
        .iter()
        .map(|i| {
            vec![
                escape(&format!(
                    "{} {} `{}` ({}, {})",
                    i.change.as_str(),
                    i.kind.as_str(),
                    i.name,
                    i.environment,
                    i.region
                )),
                escape(&if i.estimate.lines.is_empty() {
                    "not priced".to_string()
                } else {
                    money(&report.currency, i.monthly)
                }),
                escape(&format!("{:+.2}", i.month_end)),
                escape(&format!("{:+.2}", i.next_month)),
                escape(
                    &i.estimate
                        .not_priced
                        .iter()
                        .map(|n| n.resource.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ]
        })
        .collect();
    out.push_str(&table(
        &["launch", "monthly", "month end", "next month", "not priced"],
        &rows,
    ));
}

fn heading(out: &mut String, text: &str) {
    let _ = writeln!(
        out,
        "<h2 style=\"font-size:16px;margin:20px 0 8px\">{}</h2>",
        escape(text)
    );
}

/// A table of already escaped cells; numbers (every column but the first)
/// right-aligned.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = "padding:4px 8px;border-bottom:1px solid #e3e3e3";
    let mut out = String::from(
        "<table style=\"border-collapse:collapse;margin:0 0 8px;font-size:13px\">\n<tr>",
    );
    for (i, h) in header.iter().enumerate() {
        let align = if i == 0 { "left" } else { "right" };
        let _ = write!(
            out,
            "<th style=\"{cell};text-align:{align}\">{}</th>",
            escape(h)
        );
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, value) in row.iter().enumerate() {
            let align = if i == 0 { "left" } else { "right" };
            let _ = write!(out, "<td style=\"{cell};text-align:{align}\">{value}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::New => "new",
        Change::Removed => "removed",
        Change::Grew => "grew",
        Change::Shrank => "shrank",
        Change::Unchanged => "unchanged",
    }
}

fn decomposition_table(d: &Decomposition) -> String {
    let mut rows: Vec<Vec<String>> = d
        .contributions
        .iter()
        .map(|c| {
            vec![
                escape(&c.name),
                change_name(c.change).to_string(),
                format!("{:.2}", c.before),
                format!("{:.2}", c.after),
                format!("{:+.2}", c.difference),
            ]
        })
        .collect();
    rows.push(vec![
        "<b>total</b>".to_string(),
        String::new(),
        format!("{:.2}", d.before),
        format!("{:.2}", d.after),
        format!("<b>{:+.2}</b>", d.difference),
    ]);
    table(
        &["contributor", "change", "before", "after", "difference"],
        &rows,
    )
}

/// An upper bound for an axis: 1, 2, 2.5 or 5 × a power of ten, at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * power >= value {
            return step * power;
        }
    }
    10.0 * power
}

/// A short amount for an axis label: 950, 12.5k, 1.2M.
fn short_amount(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if magnitude >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if magnitude >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

fn svg_open(height: f64, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{CHART_WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {CHART_WIDTH} {height}\" role=\"img\" aria-label=\"{}\" \
         style=\"display:block;max-width:100%;height:auto\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">\n",
        escape(label)
    )
}

/// Daily spend: the actual line, then the forecast (dashed) in its band,
/// anomalies marked, months divided.
fn daily_chart(points: &[DailyPoint], anomalies: &[String]) -> String {
    let (height, left, right, top, bottom) = (240.0, 56.0, 12.0, 12.0, 44.0);
    let plot_width = CHART_WIDTH - left - right;
    let plot_height = height - top - bottom;
    let mut out = svg_open(height, "Daily spend with the forecast and its 80 % band");
    if points.len() < 2 {
        let _ = writeln!(
            out,
            "<text x=\"{left}\" y=\"{}\" fill=\"{}\">Not enough days to draw.</text>\n</svg>",
            top + 20.0,
            colour::MUTED
        );
        return out;
    }
    let highest = points
        .iter()
        .flat_map(|p| [p.actual, p.forecast, p.high])
        .flatten()
        .fold(0.0, f64::max);
    let top_value = nice_ceiling(highest * 1.05);
    let x = |i: usize| left + plot_width * i as f64 / (points.len() - 1) as f64;
    let y = |v: f64| top + plot_height * (1.0 - v.max(0.0) / top_value);
    for k in 0..=4 {
        let value = top_value * f64::from(k) / 4.0;
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"{2}\" stroke-width=\"1\"/>\
             <text x=\"{3:.1}\" y=\"{4:.1}\" text-anchor=\"end\" fill=\"{5}\">{6}</text>",
            y(value),
            left + plot_width,
            colour::GRID,
            left - 6.0,
            y(value) + 4.0,
            colour::MUTED,
            short_amount(value)
        );
    }
    // Month starts and the last known day, labelled under the axis.
    let last_actual = points.iter().rposition(|p| p.actual.is_some());
    for (i, p) in points.iter().enumerate() {
        let month_start = p.day.ends_with("-01");
        if month_start || Some(i) == last_actual {
            if month_start {
                let _ = writeln!(
                    out,
                    "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>",
                    x(i),
                    top + plot_height
                );
            }
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                x(i),
                top + plot_height + 14.0,
                colour::MUTED,
                escape(&p.day)
            );
        }
    }
    // The band and the forecast start at the last known day.
    let start = last_actual.map(|i| (i, points[i].actual.unwrap_or(0.0)));
    let forecast: Vec<(usize, &DailyPoint)> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.forecast.is_some())
        .collect();
    if forecast
        .iter()
        .all(|(_, p)| p.low.is_some() && p.high.is_some())
        && !forecast.is_empty()
    {
        let mut polygon: Vec<String> = start
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .collect();
        polygon.extend(
            forecast
                .iter()
                .map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.high.unwrap_or(0.0)))),
        );
        polygon.extend(
            forecast
                .iter()
                .rev()
                .map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.low.unwrap_or(0.0)))),
        );
        let _ = writeln!(
            out,
            "<polygon points=\"{}\" fill=\"{}\" stroke=\"none\"/>",
            polygon.join(" "),
            colour::BAND
        );
    }
    let actual: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.actual.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect();
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"/>",
        actual.join(" "),
        colour::ACTUAL
    );
    if !forecast.is_empty() {
        let line: Vec<String> = start
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .chain(
                forecast
                    .iter()
                    .map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.forecast.unwrap_or(0.0)))),
            )
            .collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" stroke-dasharray=\"6 4\"/>",
            line.join(" "),
            colour::FORECAST
        );
    }
    for (i, p) in points.iter().enumerate() {
        if let (Some(v), true) = (p.actual, anomalies.contains(&p.day)) {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"/>",
                x(i),
                y(v),
                colour::ANOMALY
            );
        }
    }
    let legend_y = height - 8.0;
    let legend = [
        (colour::ACTUAL, "spend"),
        (colour::FORECAST, "forecast"),
        (colour::BAND, "80 % band"),
        (colour::ANOMALY, "anomaly"),
    ];
    for (k, (fill, name)) in legend.iter().enumerate() {
        let lx = left + 110.0 * k as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"10\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{legend_y:.1}\" fill=\"{}\">{name}</text>",
            legend_y - 9.0,
            lx + 16.0,
            colour::TEXT
        );
    }
    out.push_str("</svg>\n");
    out
}

/// One horizontal bar per contributor from a zero axis: more spend to the
/// right, less to the left.
fn contributions_chart(d: &Decomposition) -> String {
    let row = 26.0;
    let (label_width, top) = (200.0, 8.0);
    let height = top * 2.0 + row * d.contributions.len().max(1) as f64;
    let mut out = svg_open(height, "Contributions to the difference from last month");
    if d.contributions.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\" fill=\"{}\">No change from last month.</text>\n</svg>",
            top + 16.0,
            colour::MUTED
        );
        return out;
    }
    let largest = d
        .contributions
        .iter()
        .map(|c| c.difference.abs())
        .fold(0.0, f64::max)
        .max(0.01);
    // Room for the value labels on both sides.
    let half = (CHART_WIDTH - label_width - 140.0) / 2.0;
    let zero = label_width + 70.0 + half;
    for (k, c) in d.contributions.iter().enumerate() {
        let y = top + row * k as f64;
        let width = (c.difference.abs() / largest * half).max(1.0);
        let (x, fill, anchor, value_x) = if c.difference >= 0.0 {
            (zero, colour::MORE, "start", zero + width + 4.0)
        } else {
            (zero - width, colour::LESS, "end", zero - width - 4.0)
        };
        let mut name = c.name.clone();
        if name.chars().count() > 30 {
            name = name.chars().take(29).collect::<String>() + "…";
        }
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{0:.1}\" fill=\"{1}\">{2} ({3})</text>\
             <rect x=\"{4:.1}\" y=\"{5:.1}\" width=\"{6:.1}\" height=\"{7:.1}\" fill=\"{8}\"/>\
             <text x=\"{9:.1}\" y=\"{0:.1}\" text-anchor=\"{10}\" fill=\"{1}\">{11:+.2}</text>",
            y + row / 2.0 + 4.0,
            colour::TEXT,
            escape(&name),
            change_name(c.change),
            x,
            y + 4.0,
            width,
            row - 8.0,
            fill,
            value_x,
            anchor,
            c.difference
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{zero:.1}\" y1=\"{top}\" x2=\"{zero:.1}\" y2=\"{:.1}\" stroke=\"#888888\" stroke-width=\"1\"/>\n</svg>",
        height - top
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ceilings_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(1_234.0), 2_000.0);
        assert_eq!(nice_ceiling(2_400.0), 2_500.0);
        assert_eq!(nice_ceiling(5_000.0), 5_000.0);
        assert_eq!(short_amount(12_500.0), "12k");
        assert_eq!(short_amount(1_500.0), "1.5k");
        assert_eq!(short_amount(2_500_000.0), "2.5M");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
