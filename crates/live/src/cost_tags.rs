//! The platform's tag keys as cost allocation tags, in the management
//! (payer) account: read and activated through Cost Explorer, whose API is
//! served from `us-east-1` only
//! (<https://docs.aws.amazon.com/general/latest/gr/billing.html>).
//!
//! AWS lists a user-defined key only once it has seen it on a resource,
//! up to 24 hours after the first resource is tagged; until then it
//! cannot be activated, so a later deploy does it
//! (<https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html>).

use std::collections::BTreeMap;

use aws_sdk_costexplorer::types::{
    CostAllocationTagStatus, CostAllocationTagStatusEntry, CostAllocationTagType,
};
use aws_sdk_costexplorer::Client;

use crate::error::sdk_message;

/// The region Cost Explorer's API is served from.
pub const REGION: &str = "us-east-1";

/// Most keys one `ListCostAllocationTags` filters by
/// (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ListCostAllocationTags.html>).
const LIST_BATCH: usize = 100;

/// Most keys one `UpdateCostAllocationTagsStatus` takes
/// (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html>).
const UPDATE_BATCH: usize = 20;

/// Each of `keys` that AWS lists as a user-defined cost allocation tag,
/// with whether it is active; a key AWS has not seen yet is absent.
pub async fn read(ce: &Client, keys: &[String]) -> Result<BTreeMap<String, bool>, String> {
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(LIST_BATCH) {
        let mut token: Option<String> = None;
        loop {
            let page = ce
                .list_cost_allocation_tags()
                .set_tag_keys(Some(chunk.to_vec()))
                .r#type(CostAllocationTagType::UserDefined)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_message(&e))?;
            for tag in page.cost_allocation_tags() {
                out.insert(
                    tag.tag_key().to_owned(),
                    *tag.status() == CostAllocationTagStatus::Active,
                );
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
    }
    Ok(out)
}

/// Activates `keys`; every key AWS refuses is named in the error, with
/// its reason.
pub async fn activate(ce: &Client, keys: &[String]) -> Result<(), String> {
    let mut refused = Vec::new();
    for chunk in keys.chunks(UPDATE_BATCH) {
        let entries = chunk
            .iter()
            .map(|key| {
                CostAllocationTagStatusEntry::builder()
                    .tag_key(key)
                    .status(CostAllocationTagStatus::Active)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = ce
            .update_cost_allocation_tags_status()
            .set_cost_allocation_tags_status(Some(entries))
            .send()
            .await
            .map_err(|e| sdk_message(&e))?;
        for error in out.errors() {
            refused.push(format!(
                "`{}`: {} ({})",
                error.tag_key().unwrap_or("?"),
                error.message().unwrap_or("refused"),
                error.code().unwrap_or("no code")
            ));
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "cost allocation tags not activated: {}",
            refused.join("; ")
        ))
    }
}
