//! `cost ingest --from s3://…` against moto server: the golden CUR 2.0
//! delivery uploaded under an export prefix (with an unrelated object
//! beside it) is copied back with its layout and ingests to the same
//! totals as the local copy; a prefix with no export is a clear error.
//!
//! Skipped without a moto server (see `emulator.rs`), failed with `CI=true`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use aws_config::{BehaviorVersion, Region};
use landfall_cost::attribution::AccountMap;
use landfall_cost::export::discover;
use landfall_cost::store::Store;
use landfall_live::billing_export::{download, ExportLocation};
use landfall_live::ConnectOptions;
use support::{endpoint_or_skip, workspace_root};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn ingest(export: &Path, store: &Path) -> Vec<(String, f64, f64)> {
    let mut map = AccountMap::new(["web", "trading"].map(String::from));
    map.owned("web-prod", "web", "prod");
    let mut store = Store::open(store).unwrap();
    store
        .ingest(&discover(export).unwrap(), &map)
        .unwrap()
        .into_iter()
        .map(|p| (p.period, p.billed, p.effective))
        .collect()
}

#[test]
fn an_export_is_copied_from_s3_and_ingested() {
    let Some(url) = endpoint_or_skip("an_export_is_copied_from_s3_and_ingested") else {
        return;
    };
    let fixture = workspace_root().join("crates/cost/tests/fixtures/exports/cur2");
    let bucket = format!("landfall-billing-{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use aws_smithy_http_client::tls;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new("us-east-1"))
            .endpoint_url(&url)
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        for path in files(&fixture) {
            let relative = path.strip_prefix(&fixture).unwrap().to_str().unwrap();
            s3.put_object()
                .bucket(&bucket)
                .key(format!("exports/landfall-cur2/{relative}"))
                .body(std::fs::read(&path).unwrap().into())
                .send()
                .await
                .unwrap();
        }
        s3.put_object()
            .bucket(&bucket)
            .key("exports/landfall-cur2/README.txt")
            .body(b"not part of the export".to_vec().into())
            .send()
            .await
            .unwrap();
    });

    let dir = std::env::temp_dir().join(format!("landfall-s3-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = ConnectOptions {
        endpoint_url: Some(url.clone()),
        home_region: "us-east-1".into(),
        ..ConnectOptions::default()
    };
    let location = ExportLocation::parse(&format!("s3://{bucket}/exports/landfall-cur2/")).unwrap();
    let copied = download(options.clone(), &location, &dir.join("export")).unwrap();
    assert_eq!(
        copied.files, 4,
        "two data files and two manifests, not the README"
    );
    let copied_files: Vec<PathBuf> = files(&dir.join("export"))
        .iter()
        .map(|p| p.strip_prefix(dir.join("export")).unwrap().to_path_buf())
        .collect();
    let fixture_files: Vec<PathBuf> = files(&fixture)
        .iter()
        .map(|p| p.strip_prefix(&fixture).unwrap().to_path_buf())
        .collect();
    assert_eq!(copied_files, fixture_files);
    assert_eq!(
        ingest(&dir.join("export"), &dir.join("from-s3.sqlite")),
        ingest(&fixture, &dir.join("local.sqlite"))
    );

    let empty = ExportLocation::parse(&format!("s3://{bucket}/exports/nothing-here")).unwrap();
    let error = download(options, &empty, &dir.join("empty"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!(
            "s3://{bucket}/exports/nothing-here/: no data/BILLING_PERIOD"
        )),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
