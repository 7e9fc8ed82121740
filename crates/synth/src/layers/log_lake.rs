//! The application log lake's query side, beside its bucket in the log
//! archive: a Glue table over what the Vector aggregator writes
//! (`domain=<domain>/service=<service>/date=<yyyy-MM-dd>/`, gzip-compressed
//! newline-delimited JSON) and an Athena workgroup that caps what one
//! query may scan.
//!
//! The table's partitions are projected, not crawled or added: domains and
//! services are enumerated from the model and dates run back as far as the
//! lake keeps logs, so a new service's logs are queryable the moment it
//! writes them, with no crawler and no `MSCK REPAIR`
//! (<https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html>).

use serde_json::json;

use crate::unit::{resource, tags, Unit};
use crate::Ctx;

/// The most one Athena query over the lake may scan: 1 TiB.
const SCAN_LIMIT_BYTES: u64 = 1024 * 1024 * 1024 * 1024;

/// Where a day of one service's records lies under the lake bucket, in
/// Athena's projection syntax: the aggregator's S3 key prefix
/// (`crates/telemetry/src/vector.rs`), and a test there keeps the two in
/// step.
pub const PARTITION_PATH: &str = "domain=${domain}/service=${service}/date=${date}/";

/// The record fields the lake's table reads, as the services' remap
/// programs write them (`crates/telemetry/src/remap.rs`); `domain` and
/// `service` are partitions. Any other field of a record is left out of
/// the table and stays in the objects.
pub const COLUMNS: &[(&str, &str)] = &[
    ("timestamp", "string"),
    ("message", "string"),
    ("level", "string"),
    ("environment", "string"),
    ("region", "string"),
    ("task", "string"),
    ("stream", "string"),
];

/// Adds the lake's Glue database and table and its Athena workgroup to the
/// log archive `unit`, whose bucket `bucket` (a logical id) holds the lake
/// and whose key `key` (a logical id) encrypts it.
pub(crate) fn add(ctx: &Ctx<'_>, unit: &mut Unit, bucket: &str, key: &str, retention_days: u32) {
    let model = ctx.model;
    let database = format!("{}_logs", ctx.slug.replace('-', "_"));
    let domains: Vec<&str> = model.domains.iter().map(|d| d.name.as_str()).collect();
    let services: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
    unit.add(resource(
        "LogLakeDatabase",
        "AWS::Glue::Database",
        json!({
            "CatalogId": { "Ref": "AWS::AccountId" },
            "DatabaseInput": {
                "Name": database,
                "Description": "Application logs, by domain, service and day"
            }
        }),
    ));
    let location = json!({ "Fn::Sub": format!("s3://${{{bucket}}}/") });
    // `${!name}` is a literal `${name}` to `Fn::Sub`.
    let template = json!({
        "Fn::Sub": format!("s3://${{{bucket}}}/{}", PARTITION_PATH.replace("${", "${!"))
    });
    unit.add(resource(
        "LogLakeTable",
        "AWS::Glue::Table",
        json!({
            "CatalogId": { "Ref": "AWS::AccountId" },
            "DatabaseName": { "Ref": "LogLakeDatabase" },
            "TableInput": {
                "Name": "app_logs",
                "Description": "Every service's log records, as the log aggregator writes them",
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [
                    { "Name": "domain", "Type": "string" },
                    { "Name": "service", "Type": "string" },
                    { "Name": "date", "Type": "string" }
                ],
                "Parameters": {
                    "classification": "json",
                    "compressionType": "gzip",
                    "projection.enabled": "true",
                    "projection.domain.type": "enum",
                    "projection.domain.values": domains.join(","),
                    "projection.service.type": "enum",
                    "projection.service.values": services.join(","),
                    "projection.date.type": "date",
                    "projection.date.format": "yyyy-MM-dd",
                    "projection.date.range": format!("NOW-{retention_days}DAYS,NOW"),
                    "projection.date.interval": "1",
                    "projection.date.interval.unit": "DAYS",
                    "storage.location.template": template
                },
                "StorageDescriptor": {
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "Compressed": true,
                    "SerdeInfo": {
                        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                        // A record a service mangled is skipped, not a
                        // failed query.
                        "Parameters": { "ignore.malformed.json": "true" }
                    },
                    "Columns": COLUMNS
                        .iter()
                        .map(|(name, kind)| json!({ "Name": name, "Type": kind }))
                        .collect::<Vec<_>>()
                }
            }
        }),
    ));
    unit.add(resource(
        "LogLakeWorkgroup",
        "AWS::Athena::WorkGroup",
        json!({
            "Name": format!("{}-logs", ctx.slug),
            "Description": "Ad hoc questions over the application log lake",
            "State": "ENABLED",
            "WorkGroupConfiguration": {
                "EnforceWorkGroupConfiguration": true,
                "PublishCloudWatchMetricsEnabled": true,
                "BytesScannedCutoffPerQuery": SCAN_LIMIT_BYTES,
                "ResultConfiguration": {
                    // Beside the partitions, never inside one.
                    "OutputLocation": { "Fn::Sub": format!("s3://${{{bucket}}}/athena-results/") },
                    "EncryptionConfiguration": {
                        "EncryptionOption": "SSE_KMS",
                        "KmsKey": { "Fn::GetAtt": [key, "Arn"] }
                    }
                }
            },
            "Tags": tags(&[("landfall:purpose", "log-lake")])
        }),
    ));
}
