//! Shared by the tests that run the real monitoring tools.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test"
)]

use std::path::{Path, PathBuf};

pub use landfall_testkit::services::*;

use landfall_observability::Bundle;

/// The reference platform's generated monitoring configuration.
pub fn reference_bundle() -> Bundle {
    let resolved = landfall_model::reference();
    let model = resolved
        .model
        .as_ref()
        .expect("the reference platform is valid");
    landfall_observability::generate(model)
        .expect("the reference platform has an observability section")
}

/// A fresh directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-obs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn write_bundle(bundle: &Bundle, dir: &Path) {
    for file in &bundle.files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, &file.contents).expect("write");
    }
}
