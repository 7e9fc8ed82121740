//! Temporary elevated access in AWS: what a grant does, who is in which
//! group, and where grants are kept in the deployed form.
//!
//! - [`AwsAccess`] makes a grant: `sso-admin CreateAccountAssignment` for
//!   the requester (a user of the identity store, found by user name), and
//!   at once a one-time EventBridge Scheduler schedule that deletes it at
//!   the grant's end through Scheduler's universal target for the SSO admin
//!   API, then deletes itself (`ActionAfterCompletion: DELETE`). A grant
//!   ends when it should whether or not Landfall runs; `sweep` is the
//!   backstop. It is also the [`Directory`]: group memberships from the
//!   identity store.
//! - [`DynamoStore`] keeps grants in the table of the access stack, every
//!   write conditional on the version read (`ConditionExpression`).
//!
//! The `landfall-access` traits are synchronous; these run their calls on
//! the runtime they are given (a caller outside it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use aws_sdk_ssoadmin::types::{PrincipalType, StatusValues, TargetType};
use landfall_access::{
    schedule_time, AccessError, Directory, Executor, Grant, GrantStore, StoreError,
};
use landfall_synth::layers::access::{role_arn, SCHEDULER_ROLE, SCHEDULE_GROUP};
use serde_json::json;
use tokio::runtime::Runtime;

use crate::aws::Clients;
use crate::error::sdk_message;

/// Scheduler's universal target for `sso-admin DeleteAccountAssignment`
/// (<https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html>:
/// `arn:aws:scheduler:::aws-sdk:service:apiAction`, the action in camel case).
pub const DELETE_ASSIGNMENT_TARGET: &str =
    "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";

/// How often, and how long apart, an assignment still being made is asked
/// about: Identity Center makes it asynchronously
/// (<https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html>).
const STATUS_POLLS: u32 = 30;
const STATUS_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// The name of a grant's expiry schedule (letters, digits, `-_.`, at most 64).
pub fn schedule_name(grant_id: &str) -> String {
    format!("grant-{grant_id}")
}

/// The input of the expiry schedule: `DeleteAccountAssignment`'s request.
pub fn delete_assignment_input(
    instance_arn: &str,
    account_id: &str,
    permission_set_arn: &str,
    principal_id: &str,
) -> String {
    json!({
        "InstanceArn": instance_arn,
        "TargetId": account_id,
        "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": permission_set_arn,
        "PrincipalType": "USER",
        "PrincipalId": principal_id
    })
    .to_string()
}

/// Identity Center, the identity store and Scheduler, in the account that
/// administers access.
pub struct AwsAccess {
    runtime: Arc<Runtime>,
    clients: Clients,
    pub instance_arn: String,
    pub identity_store_id: String,
    /// Account ids by name.
    accounts: BTreeMap<String, String>,
    pub scheduler_role_arn: String,
    /// Permission set ARNs by name, as found.
    permission_sets: Mutex<BTreeMap<String, String>>,
}

fn aws<E>(what: &str, e: &E) -> AccessError
where
    E: std::error::Error + aws_sdk_ssoadmin::error::ProvideErrorMetadata + 'static,
{
    AccessError::Aws(format!("{what}: {}", sdk_message(e)))
}

impl AwsAccess {
    /// Finds the Identity Center instance. `accounts` maps account names to
    /// ids (the organization's).
    pub fn connect(
        runtime: Arc<Runtime>,
        clients: Clients,
        accounts: BTreeMap<String, String>,
    ) -> Result<AwsAccess, AccessError> {
        let sso = clients.ssoadmin();
        let instances = runtime
            .block_on(sso.list_instances().send())
            .map_err(|e| aws("cannot list the IAM Identity Center instances", &e))?;
        let Some(instance) = instances.instances().first() else {
            return Err(AccessError::Aws(format!(
                "IAM Identity Center is not enabled for account {} (or it is not its delegated administrator)",
                clients.account_id
            )));
        };
        let scheduler_role_arn = role_arn(&clients.account_id, SCHEDULER_ROLE);
        Ok(AwsAccess {
            instance_arn: instance.instance_arn().unwrap_or_default().to_owned(),
            identity_store_id: instance.identity_store_id().unwrap_or_default().to_owned(),
            runtime,
            clients,
            accounts,
            scheduler_role_arn,
            permission_sets: Mutex::new(BTreeMap::new()),
        })
    }

    fn account_id(&self, name: &str) -> Result<&str, AccessError> {
        self.accounts.get(name).map(String::as_str).ok_or_else(|| {
            AccessError::Aws(format!(
                "account `{name}` is not in the organization (is the platform deployed?)"
            ))
        })
    }

    async fn user_id(&self, user: &str) -> Result<String, AccessError> {
        use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
        let attribute = UniqueAttribute::builder()
            .attribute_path("userName")
            .attribute_value(aws_smithy_types::Document::String(user.to_owned()))
            .build()
            .map_err(|e| AccessError::Aws(e.to_string()))?;
        let found = self
            .clients
            .identitystore()
            .get_user_id()
            .identity_store_id(&self.identity_store_id)
            .alternate_identifier(AlternateIdentifier::UniqueAttribute(attribute))
            .send()
            .await;
        match found {
            Ok(out) => Ok(out.user_id().to_owned()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Err(AccessError::UnknownUser {
                    user: user.to_owned(),
                })
            }
            Err(e) => Err(aws(&format!("cannot find user `{user}`"), &e)),
        }
    }

    async fn permission_set_arn(&self, name: &str) -> Result<String, AccessError> {
        if let Some(arn) = self
            .permission_sets
            .lock()
            .ok()
            .and_then(|m| m.get(name).cloned())
        {
            return Ok(arn);
        }
        let sso = self.clients.ssoadmin();
        let pages = sso
            .list_permission_sets()
            .instance_arn(&self.instance_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws("cannot list the permission sets", &e))?;
        for arn in pages.iter().flat_map(|p| p.permission_sets()) {
            let described = sso
                .describe_permission_set()
                .instance_arn(&self.instance_arn)
                .permission_set_arn(arn)
                .send()
                .await
                .map_err(|e| aws(&format!("cannot describe permission set {arn}"), &e))?;
            let Some(found) = described.permission_set().and_then(|s| s.name()) else {
                continue;
            };
            if let Ok(mut cache) = self.permission_sets.lock() {
                cache.insert(found.to_owned(), arn.clone());
            }
            if found == name {
                return Ok(arn.clone());
            }
        }
        Err(AccessError::Aws(format!(
            "permission set `{name}` does not exist in IAM Identity Center (is the identity stack deployed?)"
        )))
    }

    async fn assigned(
        &self,
        account_id: &str,
        set_arn: &str,
        principal_id: &str,
    ) -> Result<bool, AccessError> {
        let pages = self
            .clients
            .ssoadmin()
            .list_account_assignments()
            .instance_arn(&self.instance_arn)
            .account_id(account_id)
            .permission_set_arn(set_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws("cannot list the account assignments", &e))?;
        Ok(pages.iter().flat_map(|p| p.account_assignments()).any(|a| {
            a.principal_type() == Some(&PrincipalType::User)
                && a.principal_id() == Some(principal_id)
        }))
    }

    async fn create_assignment(
        &self,
        account_id: &str,
        set_arn: &str,
        principal_id: &str,
    ) -> Result<(), AccessError> {
        let sso = self.clients.ssoadmin();
        let created = sso
            .create_account_assignment()
            .instance_arn(&self.instance_arn)
            .target_id(account_id)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(set_arn)
            .principal_type(PrincipalType::User)
            .principal_id(principal_id)
            .send()
            .await
            .map_err(|e| aws("cannot create the account assignment", &e))?;
        let mut status = created.account_assignment_creation_status().cloned();
        for _ in 0..STATUS_POLLS {
            let Some(current) = &status else { break };
            match current.status() {
                Some(StatusValues::Failed) => {
                    return Err(AccessError::Aws(format!(
                        "IAM Identity Center could not create the assignment: {}",
                        current.failure_reason().unwrap_or("no reason given")
                    )))
                }
                Some(StatusValues::InProgress) => {}
                _ => return Ok(()),
            }
            let Some(request) = current.request_id() else {
                break;
            };
            tokio::time::sleep(STATUS_POLL_INTERVAL).await;
            status = sso
                .describe_account_assignment_creation_status()
                .instance_arn(&self.instance_arn)
                .account_assignment_creation_request_id(request)
                .send()
                .await
                .map_err(|e| aws("cannot read the assignment's creation status", &e))?
                .account_assignment_creation_status()
                .cloned();
        }
        Ok(())
    }

    async fn delete_assignment(
        &self,
        account_id: &str,
        set_arn: &str,
        principal_id: &str,
    ) -> Result<(), AccessError> {
        self.clients
            .ssoadmin()
            .delete_account_assignment()
            .instance_arn(&self.instance_arn)
            .target_id(account_id)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(set_arn)
            .principal_type(PrincipalType::User)
            .principal_id(principal_id)
            .send()
            .await
            .map_err(|e| aws("cannot delete the account assignment", &e))?;
        Ok(())
    }

    async fn create_schedule(
        &self,
        grant: &Grant,
        expires_at: u64,
        input: String,
    ) -> Result<(), AccessError> {
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| AccessError::Aws(e.to_string()))?;
        let target = Target::builder()
            .arn(DELETE_ASSIGNMENT_TARGET)
            .role_arn(&self.scheduler_role_arn)
            .input(input)
            .build()
            .map_err(|e| AccessError::Aws(e.to_string()))?;
        self.clients
            .scheduler()
            .create_schedule()
            .name(schedule_name(&grant.id))
            .group_name(SCHEDULE_GROUP)
            .description(format!(
                "Ends on-call grant {} ({} in {} for {})",
                grant.id, grant.permission_set, grant.account, grant.requester
            ))
            .schedule_expression(format!("at({})", schedule_time(expires_at)))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await
            .map_err(|e| aws("cannot create the expiry schedule", &e))?;
        Ok(())
    }

    async fn delete_schedule(&self, grant: &Grant) -> Result<(), AccessError> {
        let deleted = self
            .clients
            .scheduler()
            .delete_schedule()
            .name(schedule_name(&grant.id))
            .group_name(SCHEDULE_GROUP)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Ran and deleted itself, or was never made.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(aws("cannot delete the expiry schedule", &e)),
        }
    }

    async fn make(&self, grant: &Grant, expires_at: u64) -> Result<String, AccessError> {
        let account_id = self.account_id(&grant.account)?.to_owned();
        let (principal_id, set_arn) = tokio::try_join!(
            self.user_id(&grant.requester),
            self.permission_set_arn(&grant.permission_set)
        )?;
        self.create_assignment(&account_id, &set_arn, &principal_id)
            .await?;
        let input =
            delete_assignment_input(&self.instance_arn, &account_id, &set_arn, &principal_id);
        if let Err(e) = self.create_schedule(grant, expires_at, input).await {
            // Without its schedule the assignment would outlive the grant:
            // take it back, so a failure leaves AWS as it was.
            let undone = self
                .delete_assignment(&account_id, &set_arn, &principal_id)
                .await;
            return Err(match undone {
                Ok(()) => e,
                Err(u) => AccessError::Aws(format!(
                    "{e}; and the assignment it made could not be taken back ({u}): `landfall access sweep` will"
                )),
            });
        }
        Ok(principal_id)
    }

    async fn unmake(&self, grant: &Grant) -> Result<bool, AccessError> {
        let account_id = self.account_id(&grant.account)?.to_owned();
        let principal_id = match &grant.principal_id {
            Some(id) => id.clone(),
            None => self.user_id(&grant.requester).await?,
        };
        let set_arn = self.permission_set_arn(&grant.permission_set).await?;
        self.delete_schedule(grant).await?;
        if !self.assigned(&account_id, &set_arn, &principal_id).await? {
            return Ok(false);
        }
        self.delete_assignment(&account_id, &set_arn, &principal_id)
            .await?;
        Ok(true)
    }

    async fn groups(&self, user: &str) -> Result<BTreeSet<String>, AccessError> {
        let user_id = self.user_id(user).await?;
        let store = self.clients.identitystore();
        let pages = store
            .list_group_memberships_for_member()
            .identity_store_id(&self.identity_store_id)
            .member_id(aws_sdk_identitystore::types::MemberId::UserId(user_id))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws(&format!("cannot list the groups of `{user}`"), &e))?;
        let mut names = BTreeSet::new();
        for membership in pages.iter().flat_map(|p| p.group_memberships()) {
            let Some(group) = membership.group_id() else {
                continue;
            };
            let described = store
                .describe_group()
                .identity_store_id(&self.identity_store_id)
                .group_id(group)
                .send()
                .await
                .map_err(|e| aws(&format!("cannot describe group {group}"), &e))?;
            if let Some(name) = described.display_name() {
                names.insert(name.to_owned());
            }
        }
        Ok(names)
    }
}

impl Executor for AwsAccess {
    fn grant(&self, grant: &Grant, expires_at: u64) -> Result<String, AccessError> {
        self.runtime.block_on(self.make(grant, expires_at))
    }

    fn revoke(&self, grant: &Grant) -> Result<bool, AccessError> {
        self.runtime.block_on(self.unmake(grant))
    }
}

impl Directory for AwsAccess {
    fn groups_of(&self, user: &str) -> Result<BTreeSet<String>, AccessError> {
        self.runtime.block_on(self.groups(user))
    }
}

/// Grants in a DynamoDB table (partition key `id`): the record as JSON,
/// its version beside it for the conditions.
pub struct DynamoStore {
    runtime: Arc<Runtime>,
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn store_error<E>(what: &str, e: &E) -> StoreError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
{
    StoreError(format!("{what}: {}", sdk_message(e)))
}

impl DynamoStore {
    pub fn new(runtime: Arc<Runtime>, clients: &Clients, table: &str) -> DynamoStore {
        DynamoStore {
            runtime,
            client: clients.dynamodb(),
            table: table.to_owned(),
        }
    }

    fn item(grant: &Grant) -> Result<BTreeMap<String, AttributeValue>, StoreError> {
        let record = serde_json::to_string(grant)
            .map_err(|e| StoreError(format!("cannot write grant {}: {e}", grant.id)))?;
        Ok([
            ("id".to_owned(), AttributeValue::S(grant.id.clone())),
            (
                "version".to_owned(),
                AttributeValue::N(grant.version.to_string()),
            ),
            (
                "state".to_owned(),
                AttributeValue::S(grant.state.as_str().to_owned()),
            ),
            ("record".to_owned(), AttributeValue::S(record)),
        ]
        .into())
    }

    pub(crate) fn read(
        item: &std::collections::HashMap<String, AttributeValue>,
    ) -> Result<Grant, StoreError> {
        let record = item
            .get("record")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError("a grant item has no `record`".into()))?;
        serde_json::from_str(record)
            .map_err(|e| StoreError(format!("a grant record does not read: {e}")))
    }

    /// Puts `grant` under `condition`; `false` when the condition failed.
    fn put(
        &self,
        grant: &Grant,
        condition: &str,
        values: Option<(&str, AttributeValue)>,
    ) -> Result<bool, StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(grant)?.into_iter().collect()))
            .condition_expression(condition);
        if let Some((name, value)) = values {
            put = put.expression_attribute_values(name, value);
        }
        match self.runtime.block_on(put.send()) {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(store_error(&format!("cannot write grant {}", grant.id), &e)),
        }
    }
}

impl GrantStore for DynamoStore {
    fn insert(&self, grant: &Grant) -> Result<bool, StoreError> {
        self.put(grant, "attribute_not_exists(id)", None)
    }

    fn get(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let out = self
            .runtime
            .block_on(
                self.client
                    .get_item()
                    .table_name(&self.table)
                    .key("id", AttributeValue::S(id.to_owned()))
                    .consistent_read(true)
                    .send(),
            )
            .map_err(|e| store_error(&format!("cannot read grant {id}"), &e))?;
        out.item().map(Self::read).transpose()
    }

    fn list(&self) -> Result<Vec<Grant>, StoreError> {
        let pages = self
            .runtime
            .block_on(
                self.client
                    .scan()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .into_paginator()
                    .send()
                    .collect::<Result<Vec<_>, _>>(),
            )
            .map_err(|e| store_error("cannot list the grants", &e))?;
        let mut grants = pages
            .iter()
            .flat_map(|p| p.items())
            .map(Self::read)
            .collect::<Result<Vec<_>, _>>()?;
        grants.sort_by(|a, b| (a.requested_at, &a.id).cmp(&(b.requested_at, &b.id)));
        Ok(grants)
    }

    fn replace(&self, grant: &Grant) -> Result<bool, StoreError> {
        let previous = grant.version.saturating_sub(1);
        self.put(
            grant,
            "version = :previous",
            Some((":previous", AttributeValue::N(previous.to_string()))),
        )
    }
}

/// The grants holding access at `now`, read from the table in `clients`'
/// account (the audit's view, inside its runtime), as (account id,
/// permission set, user id); `accounts` maps account names to ids.
pub async fn active_grants(
    clients: &Clients,
    accounts: &BTreeMap<String, String>,
    now: u64,
) -> Result<BTreeSet<(String, String, String)>, String> {
    let pages = clients
        .dynamodb()
        .scan()
        .table_name(landfall_synth::layers::access::GRANTS_TABLE)
        .consistent_read(true)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| format!("cannot read the on-call grants: {}", sdk_message(&e)))?;
    let mut out = BTreeSet::new();
    for item in pages.iter().flat_map(|p| p.items()) {
        let grant = DynamoStore::read(item).map_err(|e| e.to_string())?;
        if !grant.is_active_at(now) {
            continue;
        }
        let (Some(account), Some(principal)) = (accounts.get(&grant.account), &grant.principal_id)
        else {
            continue;
        };
        out.insert((account.clone(), grant.permission_set, principal.clone()));
    }
    Ok(out)
}
