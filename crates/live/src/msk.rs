//! MSK broker storage expansion, the remediation of a broker's data disk
//! filling up: how much to grow, when MSK refuses, and the calls.
//!
//! The calls sit behind [`MskApi`] because the emulator the tests run has
//! no MSK storage update; [`SdkMsk`] makes them through the SDK and
//! [`RecordingMsk`] records them against a cluster it holds in memory.
//!
//! - Storage only grows, one update per cluster at a time, and MSK needs a
//!   cool-down of at least six hours after every storage update, automatic
//!   scaling's included
//!   (<https://docs.aws.amazon.com/msk/latest/developerguide/msk-update-storage.html>,
//!   <https://docs.aws.amazon.com/msk/latest/developerguide/manually-expand-storage.html>).
//! - At most 16 TiB per broker
//!   (<https://docs.aws.amazon.com/msk/latest/developerguide/limits.html>).
//! - `UpdateBrokerStorage` takes the cluster's current version and the size
//!   for every broker (`All`)
//!   (<https://docs.aws.amazon.com/msk/1.0/apireference/clusters-clusterarn-nodes-storage.html>).

use std::future::Future;
use std::sync::Mutex;

use crate::aws::Clients;
use crate::error::LiveError;

/// A step grows a broker's storage by this share of its size...
pub const STEP_PERCENT: u32 = 25;
/// ...and by at least this much (a small disk grows by a useful amount).
pub const STEP_MIN_GIB: u32 = 100;

/// The storage updates MSK lists among a cluster's operations (manual
/// and automatic scaling).
pub const STORAGE_OPERATION: &str = "UPDATE_BROKER_STORAGE";

/// An MSK cluster, as storage expansion needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskCluster {
    pub arn: String,
    /// `ACTIVE` when it accepts an update.
    pub state: String,
    /// The version an update must name (not a number: `K3AEGXETSR30VB`).
    pub current_version: String,
    /// EBS storage per broker, GiB.
    pub volume_gib: u32,
}

/// One of a cluster's operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskOperation {
    pub arn: String,
    pub kind: String,
    pub state: String,
    /// Unix seconds.
    pub started_at: i64,
}

/// The MSK calls storage expansion makes, in the account `clients` enter.
pub trait MskApi: Send + Sync {
    /// The provisioned cluster of that name (`ListClustersV2`, then
    /// `DescribeClusterV2` for its current version and storage).
    fn cluster<'a>(
        &'a self,
        clients: &'a Clients,
        name: &'a str,
    ) -> impl Future<Output = Result<Option<MskCluster>, String>> + Send + 'a;
    /// The cluster's operations (`ListClusterOperationsV2`).
    fn operations<'a>(
        &'a self,
        clients: &'a Clients,
        cluster_arn: &'a str,
    ) -> impl Future<Output = Result<Vec<MskOperation>, String>> + Send + 'a;
    /// `UpdateBrokerStorage` of every broker to `gib`; the operation's ARN.
    fn update_storage<'a>(
        &'a self,
        clients: &'a Clients,
        cluster: &'a MskCluster,
        gib: u32,
    ) -> impl Future<Output = Result<String, String>> + Send + 'a;
}

/// What MSK's limits allow: the size to grow a broker's storage to, or why
/// not now. `now` and the operations' times are Unix seconds.
pub fn next_size(
    cluster: &MskCluster,
    operations: &[MskOperation],
    now: i64,
    max_gib: u64,
    interval_hours: u64,
) -> Result<u32, String> {
    if cluster.state != "ACTIVE" {
        return Err(format!(
            "cluster is {}, not ACTIVE: MSK updates storage of an active cluster only",
            cluster.state
        ));
    }
    let interval = i64::try_from(interval_hours.saturating_mul(3_600)).unwrap_or(i64::MAX);
    if let Some(last) = operations
        .iter()
        .filter(|o| o.kind == STORAGE_OPERATION && o.state != "UPDATE_FAILED")
        .max_by_key(|o| o.started_at)
    {
        let ago = now.saturating_sub(last.started_at);
        if ago < interval {
            return Err(format!(
                "storage was updated {} minutes ago ({}); MSK allows one update per {interval_hours} hours",
                ago.max(0) / 60,
                last.arn
            ));
        }
    }
    let max = u32::try_from(max_gib).unwrap_or(u32::MAX);
    if cluster.volume_gib >= max {
        return Err(format!(
            "brokers have {} GiB, MSK's maximum per broker ({max} GiB): storage cannot grow, a human must act (retention, tiered storage, more brokers)",
            cluster.volume_gib
        ));
    }
    let step = (u64::from(cluster.volume_gib) * u64::from(STEP_PERCENT) / 100)
        .max(u64::from(STEP_MIN_GIB));
    let grown = (u64::from(cluster.volume_gib) + step).min(u64::from(max));
    Ok(u32::try_from(grown).unwrap_or(max))
}

/// The calls through the AWS SDK.
#[derive(Debug, Default, Clone, Copy)]
pub struct SdkMsk;

impl MskApi for SdkMsk {
    async fn cluster<'a>(
        &'a self,
        clients: &'a Clients,
        name: &'a str,
    ) -> Result<Option<MskCluster>, String> {
        let kafka = clients.kafka();
        // The name filter matches a prefix: the exact name is chosen here.
        let mut arn = None;
        let mut token = None;
        loop {
            let out = kafka
                .list_clusters_v2()
                .cluster_name_filter(name)
                .cluster_type_filter("PROVISIONED")
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| LiveError::api("kafka:ListClustersV2", &e).to_string())?;
            arn = arn.or_else(|| {
                out.cluster_info_list()
                    .iter()
                    .find(|c| c.cluster_name() == Some(name))
                    .and_then(|c| c.cluster_arn())
                    .map(str::to_owned)
            });
            token = out.next_token().map(str::to_owned);
            if arn.is_some() || token.is_none() {
                break;
            }
        }
        let Some(arn) = arn else { return Ok(None) };
        let out = kafka
            .describe_cluster_v2()
            .cluster_arn(&arn)
            .send()
            .await
            .map_err(|e| LiveError::api("kafka:DescribeClusterV2", &e).to_string())?;
        let info = out
            .cluster_info()
            .ok_or_else(|| format!("DescribeClusterV2 of `{arn}` returned no cluster"))?;
        let volume = info
            .provisioned()
            .and_then(|p| p.broker_node_group_info())
            .and_then(|b| b.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size())
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("`{arn}` has no EBS storage per broker"))?;
        Ok(Some(MskCluster {
            state: info
                .state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            current_version: info.current_version().unwrap_or_default().to_owned(),
            volume_gib: volume,
            arn,
        }))
    }

    async fn operations<'a>(
        &'a self,
        clients: &'a Clients,
        cluster_arn: &'a str,
    ) -> Result<Vec<MskOperation>, String> {
        let kafka = clients.kafka();
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = kafka
                .list_cluster_operations_v2()
                .cluster_arn(cluster_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| LiveError::api("kafka:ListClusterOperationsV2", &e).to_string())?;
            found.extend(
                out.cluster_operation_info_list()
                    .iter()
                    .map(|o| MskOperation {
                        arn: o.operation_arn().unwrap_or_default().to_owned(),
                        kind: o.operation_type().unwrap_or_default().to_owned(),
                        state: o.operation_state().unwrap_or_default().to_owned(),
                        started_at: o.start_time().map_or(0, |t| t.secs()),
                    }),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    async fn update_storage<'a>(
        &'a self,
        clients: &'a Clients,
        cluster: &'a MskCluster,
        gib: u32,
    ) -> Result<String, String> {
        let size = i32::try_from(gib).map_err(|_| format!("{gib} GiB is not a volume size"))?;
        let out = clients
            .kafka()
            .update_broker_storage()
            .cluster_arn(&cluster.arn)
            .current_version(&cluster.current_version)
            .target_broker_ebs_volume_info(
                aws_sdk_kafka::types::BrokerEbsVolumeInfo::builder()
                    .kafka_broker_node_id("All")
                    .volume_size_gb(size)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| LiveError::api("kafka:UpdateBrokerStorage", &e).to_string())?;
        Ok(out.cluster_operation_arn().unwrap_or("(no id)").to_owned())
    }
}

/// An `UpdateBrokerStorage` request as [`RecordingMsk`] received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUpdate {
    /// The account and region it was made in.
    pub account_id: String,
    pub region: String,
    pub cluster_arn: String,
    pub current_version: String,
    /// Every broker (`All`) to this many GiB.
    pub broker: String,
    pub gib: u32,
}

/// MSK in memory: one cluster per name, the operations on it, and every
/// storage update made, as MSK would apply it (a new operation, a new
/// version, the new size).
#[derive(Debug, Default)]
pub struct RecordingMsk {
    state: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    clusters: Vec<(String, MskCluster)>,
    operations: Vec<(String, MskOperation)>,
    updates: Vec<StorageUpdate>,
}

impl RecordingMsk {
    /// Holds `cluster` under `name`.
    pub fn with_cluster(self, name: &str, cluster: MskCluster) -> Self {
        self.lock().clusters.push((name.to_owned(), cluster));
        self
    }

    /// Records an operation on the cluster `cluster_arn` (one MSK ran
    /// before, for instance automatic scaling).
    pub fn with_operation(self, cluster_arn: &str, operation: MskOperation) -> Self {
        self.lock()
            .operations
            .push((cluster_arn.to_owned(), operation));
        self
    }

    /// The storage updates requested so far.
    pub fn updates(&self) -> Vec<StorageUpdate> {
        self.lock().updates.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MskApi for RecordingMsk {
    fn cluster<'a>(
        &'a self,
        _clients: &'a Clients,
        name: &'a str,
    ) -> impl Future<Output = Result<Option<MskCluster>, String>> + Send + 'a {
        let found = self
            .lock()
            .clusters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone());
        async move { Ok(found) }
    }

    fn operations<'a>(
        &'a self,
        _clients: &'a Clients,
        cluster_arn: &'a str,
    ) -> impl Future<Output = Result<Vec<MskOperation>, String>> + Send + 'a {
        let found = self
            .lock()
            .operations
            .iter()
            .filter(|(arn, _)| arn == cluster_arn)
            .map(|(_, o)| o.clone())
            .collect();
        async move { Ok(found) }
    }

    fn update_storage<'a>(
        &'a self,
        clients: &'a Clients,
        cluster: &'a MskCluster,
        gib: u32,
    ) -> impl Future<Output = Result<String, String>> + Send + 'a {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let mut guard = self.lock();
        let state: &mut Recorded = &mut guard;
        let result = (|| {
            let held = state
                .clusters
                .iter_mut()
                .find(|(_, c)| c.arn == cluster.arn)
                .ok_or_else(|| format!("NotFoundException: no cluster `{}`", cluster.arn))?;
            // What MSK checks: the version, and that storage only grows.
            if held.1.current_version != cluster.current_version {
                return Err(format!(
                    "BadRequestException: the current version is `{}`, not `{}`",
                    held.1.current_version, cluster.current_version
                ));
            }
            if gib <= held.1.volume_gib {
                return Err(format!(
                    "BadRequestException: {gib} GiB does not grow {} GiB",
                    held.1.volume_gib
                ));
            }
            held.1.volume_gib = gib;
            held.1.current_version = format!("{}+", held.1.current_version);
            let operation = MskOperation {
                arn: format!(
                    "{}-operation-{}",
                    cluster.arn.replace(":cluster/", ":cluster-operation/"),
                    state.operations.len() + 1
                ),
                kind: STORAGE_OPERATION.to_owned(),
                state: "UPDATE_IN_PROGRESS".to_owned(),
                started_at: now,
            };
            state
                .operations
                .push((cluster.arn.clone(), operation.clone()));
            state.updates.push(StorageUpdate {
                account_id: clients.account_id.clone(),
                region: clients.region.clone(),
                cluster_arn: cluster.arn.clone(),
                current_version: cluster.current_version.clone(),
                broker: "All".to_owned(),
                gib,
            });
            Ok(operation.arn)
        })();
        drop(guard);
        async move { result }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(gib: u32) -> MskCluster {
        MskCluster {
            arn: "arn:aws:kafka:eu-central-1:111111111111:cluster/market-data-bus/abc".into(),
            state: "ACTIVE".into(),
            current_version: "K3AEGXETSR30VB".into(),
            volume_gib: gib,
        }
    }

    fn storage_update(started_at: i64, state: &str) -> MskOperation {
        MskOperation {
            arn: "arn:op".into(),
            kind: STORAGE_OPERATION.into(),
            state: state.into(),
            started_at,
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn grows_by_a_quarter_at_least_a_hundred_gib_capped_at_the_maximum() {
        assert_eq!(next_size(&cluster(1_000), &[], NOW, 16_384, 6), Ok(1_250));
        assert_eq!(next_size(&cluster(100), &[], NOW, 16_384, 6), Ok(200));
        assert_eq!(next_size(&cluster(16_000), &[], NOW, 16_384, 6), Ok(16_384));
    }

    /// https://docs.aws.amazon.com/msk/latest/developerguide/limits.html
    #[test]
    fn refuses_at_the_maximum_per_broker() {
        let err = next_size(&cluster(16_384), &[], NOW, 16_384, 6).unwrap_err();
        assert!(
            err.contains("MSK's maximum per broker (16384 GiB)"),
            "{err}"
        );
    }

    /// https://docs.aws.amazon.com/msk/latest/developerguide/manually-expand-storage.html
    #[test]
    fn refuses_within_six_hours_of_a_storage_update() {
        let recent = [storage_update(NOW - 5 * 3_600, "UPDATE_COMPLETE")];
        let err = next_size(&cluster(1_000), &recent, NOW, 16_384, 6).unwrap_err();
        assert!(err.contains("updated 300 minutes ago"), "{err}");
        assert!(err.contains("one update per 6 hours"), "{err}");
        // Six hours later it may grow again; a failed update does not count.
        let old = [storage_update(NOW - 6 * 3_600, "UPDATE_COMPLETE")];
        assert_eq!(next_size(&cluster(1_000), &old, NOW, 16_384, 6), Ok(1_250));
        let failed = [storage_update(NOW - 60, "UPDATE_FAILED")];
        assert_eq!(
            next_size(&cluster(1_000), &failed, NOW, 16_384, 6),
            Ok(1_250)
        );
        // Other operations do not hold storage back.
        let other = [MskOperation {
            kind: "UPDATE_CLUSTER_CONFIGURATION".into(),
            ..storage_update(NOW - 60, "UPDATE_COMPLETE")
        }];
        assert_eq!(
            next_size(&cluster(1_000), &other, NOW, 16_384, 6),
            Ok(1_250)
        );
    }

    #[test]
    fn refuses_a_cluster_that_is_not_active() {
        let updating = MskCluster {
            state: "UPDATING".into(),
            ..cluster(1_000)
        };
        let err = next_size(&updating, &[], NOW, 16_384, 6).unwrap_err();
        assert!(err.contains("UPDATING, not ACTIVE"), "{err}");
    }
}
