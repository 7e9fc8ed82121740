//! A Data Exports delivery on disk: `<export>/data/BILLING_PERIOD=YYYY-MM/*.parquet`
//! and `<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`
//! (written after the data files; the manifest's `dataFiles` say which files
//! make the delivery).
//! <https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html>,
//! <https://docs.aws.amazon.com/cur/latest/userguide/dataexports-manifest.html>

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::date::Month;
use crate::error::CostError;

/// One billing period as delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub period: Month,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
    /// The data files the manifest lists, in its order.
    pub data_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub execution_id: String,
    pub export_arn: String,
    pub data_files: Vec<String>,
}

impl Manifest {
    /// The payer (management) account: the account of the export's ARN.
    pub fn payer(&self) -> Option<&str> {
        self.export_arn.split(':').nth(4).filter(|a| !a.is_empty())
    }
}

const PARTITION: &str = "BILLING_PERIOD=";

/// Every billing period delivered under `root`, oldest first.
pub fn discover(root: &Path) -> Result<Vec<Delivery>, CostError> {
    let data = root.join("data");
    let metadata = root.join("metadata");
    if !data.is_dir() {
        return Err(CostError::Invalid(format!(
            "{}: no `data` directory (expected a Data Exports delivery: data/BILLING_PERIOD=YYYY-MM/*.parquet and metadata/BILLING_PERIOD=YYYY-MM/*-Manifest.json)",
            root.display()
        )));
    }
    let mut deliveries = Vec::new();
    for (period, dir) in partitions(&data)? {
        let manifest_dir = metadata.join(format!("{PARTITION}{period}"));
        let manifest_path = std::fs::read_dir(&manifest_dir)
            .ok()
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("Manifest.json")))
            .min()
            .ok_or_else(|| {
                CostError::Invalid(format!(
                    "{}: no manifest for this billing period (expected {}/*-Manifest.json; Data Exports writes it after the data files, so the delivery may be incomplete)",
                    dir.display(),
                    manifest_dir.display()
                ))
            })?;
        let text = std::fs::read_to_string(&manifest_path).map_err(|source| CostError::Read {
            path: manifest_path.display().to_string(),
            source,
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| CostError::Format {
            path: manifest_path.display().to_string(),
            line: e.line(),
            message: format!("not a Data Exports manifest: {e}"),
        })?;
        let mut data_files = Vec::new();
        for uri in &manifest.data_files {
            let name = uri.rsplit('/').next().unwrap_or(uri);
            let path = dir.join(name);
            if !path.is_file() {
                return Err(CostError::Invalid(format!(
                    "{}: lists `{name}`, which is not in {}",
                    manifest_path.display(),
                    dir.display()
                )));
            }
            data_files.push(path);
        }
        if data_files.is_empty() {
            return Err(CostError::Invalid(format!(
                "{}: lists no data files",
                manifest_path.display()
            )));
        }
        deliveries.push(Delivery {
            period,
            manifest_path,
            manifest,
            data_files,
        });
    }
    if deliveries.is_empty() {
        return Err(CostError::Invalid(format!(
            "{}: no BILLING_PERIOD=YYYY-MM partitions",
            data.display()
        )));
    }
    Ok(deliveries)
}

fn partitions(data: &Path) -> Result<Vec<(Month, PathBuf)>, CostError> {
    let entries = std::fs::read_dir(data).map_err(|source| CostError::Read {
        path: data.display().to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(period) = name.strip_prefix(PARTITION) else {
            continue;
        };
        let period = Month::parse(period).ok_or_else(|| {
            CostError::Invalid(format!(
                "{}: `{period}` is not a billing period (YYYY-MM)",
                path.display()
            ))
        })?;
        out.push((period, path));
    }
    out.sort();
    Ok(out)
}
