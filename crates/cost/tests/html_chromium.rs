//! The HTML report in a real browser (Debian `chromium`, headless): the page
//! renders without console errors, its text is in the DOM, and the charts
//! are visible in a screenshot (their colours cover chart-sized regions).
//!
//! scripts/test.sh installs `chromium`; without it the test is skipped,
//! except under CI=true where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::Command;

use landfall_cost::attribution::AccountMap;
use landfall_cost::date::Date;
use landfall_cost::export::discover;
use landfall_cost::html::{colour, html};
use landfall_cost::report::{self, ReportInput};
use landfall_cost::store::{DailyCost, Store};

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser"] {
        if let Ok(output) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
            if output.status.success() && !path.is_empty() {
                return Some(PathBuf::from(path));
            }
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("chromium is missing (CI=true): scripts/test.sh installs Debian `chromium`");
    }
    eprintln!("note: chromium not installed; skipped (run scripts/test.sh)");
    None
}

/// Runs headless Chromium on `page` with `mode` (`--screenshot=…`,
/// `--dump-dom`), console messages logged to stderr.
fn run_chromium(chromium: &Path, dir: &Path, page: &Path, mode: &str) -> (String, String) {
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=800,1600",
            &format!("--user-data-dir={}", dir.join("profile").display()),
            mode,
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "chromium failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).to_string(), stderr)
}

/// Console messages Chromium logged (`CONSOLE(...)` or `:CONSOLE:` lines).
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("CONSOLE")).collect()
}

struct Screenshot {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Screenshot {
    fn read(path: &Path) -> Screenshot {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        let channels = match info.color_type {
            png::ColorType::Rgba => 4,
            png::ColorType::Rgb => 3,
            other => panic!("unexpected screenshot colour type {other:?}"),
        };
        let rgba = buffer[..info.buffer_size()]
            .chunks(channels)
            .flat_map(|p| [p[0], p[1], p[2], if channels == 4 { p[3] } else { 255 }])
            .collect();
        Screenshot {
            width: info.width as usize,
            height: info.height as usize,
            rgba,
        }
    }

    /// Pixels within a small distance of `hex` (`#rrggbb`) and their
    /// bounding box (left, top, right, bottom).
    fn region_of(&self, hex: &str) -> (usize, (usize, usize, usize, usize)) {
        let target: Vec<i32> = (0..3)
            .map(|k| i32::from_str_radix(&hex[1 + 2 * k..3 + 2 * k], 16).unwrap())
            .collect();
        let (mut count, mut bounds) = (0, (usize::MAX, usize::MAX, 0, 0));
        for y in 0..self.height {
            for x in 0..self.width {
                let p = &self.rgba[(y * self.width + x) * 4..][..3];
                let close = (0..3).all(|k| (i32::from(p[k]) - target[k]).abs() <= 6);
                if close {
                    count += 1;
                    bounds = (
                        bounds.0.min(x),
                        bounds.1.min(y),
                        bounds.2.max(x),
                        bounds.3.max(y),
                    );
                }
            }
        }
        (count, bounds)
    }

    fn non_white(&self) -> usize {
        self.rgba
            .chunks(4)
            .filter(|p| p[0] < 250 || p[1] < 250 || p[2] < 250)
            .count()
    }
}

/// Renders `page` and checks the DOM holds `texts`, there are no console
/// errors, and each colour covers a region at least `min_width` wide.
fn check_in_browser(chromium: &Path, page_html: &str, texts: &[&str], colours: &[(&str, usize)]) {
    // Self-contained: nothing to load, nothing to run.
    for external in [
        "<script", "<link", "<style", "src=", "url(", "<iframe", "@import",
    ] {
        assert!(!page_html.contains(external), "the page has `{external}`");
    }
    let without_namespace = page_html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespace.contains("http://") && !without_namespace.contains("https://"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, page_html).unwrap();
    let shot = dir.path().join("report.png");
    let (_, stderr) = run_chromium(
        chromium,
        dir.path(),
        &page,
        &format!("--screenshot={}", shot.display()),
    );
    assert!(console_messages(&stderr).is_empty(), "{stderr}");
    let (dom, stderr) = run_chromium(chromium, dir.path(), &page, "--dump-dom");
    assert!(console_messages(&stderr).is_empty(), "{stderr}");
    for text in texts {
        assert!(dom.contains(text), "`{text}` not in the DOM:\n{dom}");
    }
    assert_eq!(dom.matches("<svg").count(), 2, "two charts per domain");

    let screenshot = Screenshot::read(&shot);
    assert!(screenshot.non_white() > 20_000, "the page is blank");
    for (hex, min_width) in colours {
        let (count, (left, top, right, bottom)) = screenshot.region_of(hex);
        assert!(count >= 100, "{hex}: {count} pixels only");
        assert!(
            right - left >= *min_width && bottom >= top,
            "{hex} covers {left}..{right} × {top}..{bottom}, expected {min_width} px wide at least"
        );
    }
}

#[test]
fn the_golden_report_renders_with_its_charts() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut map = AccountMap::new(["web", "trading"].map(String::from));
    map.owned("web-prod", "web", "prod");
    map.owned("web-staging", "web", "staging");
    map.shared("shared-services");
    map.shared("networking");
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports/cur2");
    store.ingest(&discover(&from).unwrap(), &map).unwrap();
    let report = report::build(&ReportInput {
        rows: store.daily().unwrap(),
        periods: store.periods().unwrap(),
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        domain: Some("web".into()),
        ..ReportInput::default()
    })
    .unwrap();
    let web = &report.domains[0];
    let top = &web.vs_last_month_by_service.contributions[0];
    check_in_browser(
        &chromium,
        &html(&report),
        &[
            "Spend of web — 2025-10 (as of 2025-10-15)",
            "month-end forecast",
            &top.name,
            &format!("{:+.2}", top.difference),
        ],
        // The spend line over two months, the dashed forecast over the
        // rest of October, and the bars of shrunk services.
        &[
            (colour::ACTUAL, 300),
            (colour::FORECAST, 100),
            (colour::LESS, 50),
        ],
    );
}

/// Eight months of a noisy domain: enough history for the 80 % band, and
/// errors for it to be wide.
fn history() -> Vec<DailyCost> {
    let start = Date::parse("2025-03-01").unwrap();
    let mut rows = Vec::new();
    let mut state: u64 = 42;
    for i in 0..229 {
        let day = start.add_days(i);
        // A linear congruential generator: noise of ±25 %, the same every run.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let noise = 0.75 + 0.5 * (state >> 11) as f64 / (1u64 << 53) as f64;
        let weekly = noise * if day.weekday() >= 5 { 0.7 } else { 1.0 };
        let growth = 1.0 + f64::from(i) / 400.0;
        for (service, amount) in [("AmazonEC2", 900.0), ("AmazonRDS", 300.0 * growth)] {
            rows.push(DailyCost {
                period: day.month().to_string(),
                day,
                account_id: "1".into(),
                account_name: "risk-prod".into(),
                domain: "risk".into(),
                environment: "prod".into(),
                service: service.into(),
                charge_category: "Usage".into(),
                billed: amount * weekly,
                effective: amount * weekly,
            });
        }
    }
    rows
}

#[test]
fn the_forecast_band_is_drawn() {
    let Some(chromium) = chromium() else { return };
    let report = report::build(&ReportInput {
        rows: history(),
        currency: "USD".into(),
        as_of: Date::parse("2025-10-10"),
        ..ReportInput::default()
    })
    .unwrap();
    let risk = &report.domains[0];
    assert!(risk.forecast.month_end_low.is_some(), "{:?}", risk.forecast);
    check_in_browser(
        &chromium,
        &html(&report),
        &[
            "Spend of risk — 2025-10 (as of 2025-10-10)",
            "80 % band USD",
            "AmazonRDS",
        ],
        &[
            (colour::BAND, 150),
            (colour::MORE, 50),
            (colour::ACTUAL, 300),
        ],
    );
}

/// The console check sees what a page logs (so a clean run means something).
#[test]
fn console_messages_are_caught() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("noisy.html");
    std::fs::write(
        &page,
        "<html><body><script>console.error('landfall-console-probe')</script></body></html>",
    )
    .unwrap();
    let (_, stderr) = run_chromium(&chromium, dir.path(), &page, "--dump-dom");
    let messages = console_messages(&stderr);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("landfall-console-probe")),
        "{stderr}"
    );
}
