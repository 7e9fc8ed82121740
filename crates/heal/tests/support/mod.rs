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
