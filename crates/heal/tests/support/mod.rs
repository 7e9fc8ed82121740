//! Shared by the remediation service's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};

use landfall_heal::Rulebook;
use landfall_testkit::services::{free_port, wait_ready, Running};

/// The reference platform's rulebook with every rule live (rules start in
/// dry run; the tests need to see actions).
pub fn live_rulebook() -> Rulebook {
    let resolved = landfall_model::reference();
    let (mut book, unknown) = Rulebook::from_model(resolved.model.as_ref().unwrap());
    assert!(unknown.is_empty(), "{unknown:?}");
    for r in &mut book.rules {
        r.dry_run = false;
    }
    book
}

/// A fresh directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-heal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The runtime the service runs on in a test (two workers, as the machine).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A real Alertmanager (unclustered) with `config` on a free loopback port,
/// its state and log under `dir`, named `name`.
pub fn alertmanager(binary: &Path, dir: &Path, name: &str, config: &str) -> (Running, u16) {
    let file = dir.join(format!("{name}.yml"));
    std::fs::write(&file, config).unwrap();
    let port = free_port();
    let am = Running::start(
        "alertmanager",
        binary,
        &[
            format!("--config.file={}", file.display()),
            format!("--storage.path={}", dir.join(name).display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_owned(),
        ],
        dir.join(format!("{name}.log")),
    );
    wait_ready(&am, port, "/-/ready");
    (am, port)
}

/// Fires `EcsServiceBelowDesiredCount` for `service` (trading, prod,
/// eu-central-1) on the Alertmanager at `port`, with amtool.
pub fn amtool_add_service_alert(amtool: &Path, port: u16, service: &str) {
    let out = std::process::Command::new(amtool)
        .args(["alert", "add", "alertname=EcsServiceBelowDesiredCount"])
        .args([
            "domain=trading",
            &format!("service={service}"),
            "environment=prod",
            "region=eu-central-1",
            "severity=page",
        ])
        .arg(format!("--alertmanager.url=http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Now (plus an offset), as Alertmanager writes a time.
pub fn now_rfc3339(offset_seconds: i64) -> String {
    let now = landfall_heal::server::now() as i64 + offset_seconds;
    let (days, secs) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.123456789Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}
