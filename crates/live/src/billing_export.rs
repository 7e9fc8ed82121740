//! `landfall cost ingest --from s3://BUCKET/PREFIX`: a Data Exports delivery
//! copied from S3 into a local directory with its layout (`data/…`,
//! `metadata/…`), which `landfall-cost` then reads like any local export.
//!
//! Exports are written by AWS to the bucket named in the export, under
//! `PREFIX/EXPORT-NAME/{data,metadata}/BILLING_PERIOD=YYYY-MM/`:
//! <https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html>

use std::path::{Component, Path};

use crate::aws::Session;
use crate::error::LiveError;
use crate::ConnectOptions;

/// `s3://bucket/prefix` of one export (the directory holding `data/` and `metadata/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLocation {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
}

impl ExportLocation {
    pub fn parse(url: &str) -> Result<ExportLocation, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{url}` is not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket (s3://BUCKET/PREFIX)"));
        }
        Ok(ExportLocation {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    fn key_prefix(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        }
    }
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub files: usize,
    pub bytes: u64,
}

/// Copies every object under `data/BILLING_PERIOD=…/` and
/// `metadata/BILLING_PERIOD=…/` of the export into `dir`; other objects
/// (and keys that would leave `dir`) are left alone.
pub fn download(
    options: ConnectOptions,
    location: &ExportLocation,
    dir: &Path,
) -> Result<Downloaded, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LiveError::Plan(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let emulator = options.endpoint_url.is_some();
        let session = Session::connect(options).await;
        let mut config = aws_sdk_s3::config::Builder::from(session.base_config());
        if emulator {
            // Emulators and private endpoints serve buckets by path.
            config = config.force_path_style(true);
        }
        let client = aws_sdk_s3::Client::from_conf(config.build());
        copy(&client, location, dir).await
    })
}

async fn copy(
    client: &aws_sdk_s3::Client,
    location: &ExportLocation,
    dir: &Path,
) -> Result<Downloaded, LiveError> {
    let prefix = location.key_prefix();
    let mut done = Downloaded { files: 0, bytes: 0 };
    let mut pages = client
        .list_objects_v2()
        .bucket(&location.bucket)
        .prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            LiveError::api(
                format!("S3 ListObjectsV2 on s3://{}/{prefix}", location.bucket),
                &e,
            )
        })?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let relative = &key[prefix.len().min(key.len())..];
            let in_export = ["data/BILLING_PERIOD=", "metadata/BILLING_PERIOD="]
                .iter()
                .any(|p| relative.starts_with(p));
            let inside = Path::new(relative)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !in_export || !inside || relative.ends_with('/') {
                continue;
            }
            let answer = client
                .get_object()
                .bucket(&location.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    LiveError::api(format!("S3 GetObject s3://{}/{key}", location.bucket), &e)
                })?;
            let bytes = answer.body.collect().await.map_err(|e| LiveError::Api {
                operation: format!("S3 GetObject s3://{}/{key}", location.bucket),
                message: e.to_string(),
            })?;
            let bytes = bytes.into_bytes();
            let path = dir.join(relative);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, &bytes));
            written.map_err(|e| LiveError::Plan(format!("{}: {e}", path.display())))?;
            done.files += 1;
            done.bytes += bytes.len() as u64;
        }
    }
    if done.files == 0 {
        return Err(LiveError::Plan(format!(
            "s3://{}/{prefix}: no data/BILLING_PERIOD=YYYY-MM/ or metadata/BILLING_PERIOD=YYYY-MM/ objects (the URL must name the export's directory)",
            location.bucket
        )));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_urls() {
        assert_eq!(
            ExportLocation::parse("s3://billing/exports/landfall-focus/").unwrap(),
            ExportLocation {
                bucket: "billing".into(),
                prefix: "exports/landfall-focus".into()
            }
        );
        assert_eq!(ExportLocation::parse("s3://billing").unwrap().prefix, "");
        assert!(ExportLocation::parse("./export").is_err());
        assert!(ExportLocation::parse("s3:///x").is_err());
    }
}
