//! The task role's permissions: exactly what a service's declared
//! dependencies need, each statement scoped by ARN to the resources of the
//! dependency (which live in the service's own domain account, except
//! topics, whose cluster may belong to another domain).
//!
//! | dependency | actions | resource |
//! |---|---|---|
//! | Aurora / RDS store | `rds-db:connect` (IAM database authentication; none for SQL Server, which has none) | the cluster's (or instance's) database user named after the service |
//! | DynamoDB store | item reads and writes, `DescribeTable` | the table and its indexes; the account's data key through DynamoDB only |
//! | Valkey | `elasticache:Connect` (IAM authentication) | the replication group and the service's own user |
//! | Memcached | none: reached over TLS on the network the security groups open | — |
//! | produced topic | `kafka-cluster:Connect`, `DescribeCluster`, `WriteData`, `DescribeTopic` | the topic's cluster and the topic |
//! | consumed topic | the same with `ReadData`, and `AlterGroup`/`DescribeGroup` on the service's own consumer groups | the topic, `group/<cluster>/*/<service>*` |

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::logical_id;
use landfall_model::{DataStore, Model, Service, TopicId};
use landfall_spec::types::Engine;
use serde_json::{json, Value};

use crate::Placement;

/// One statement with the reason it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub sid: String,
    pub actions: Vec<&'static str>,
    /// ARNs (`Fn::Sub` values).
    pub resources: Vec<Value>,
    pub condition: Option<Value>,
    pub why: String,
}

/// The grants of a service's task role, and the other accounts (by name)
/// whose ids its ARNs need as `${Account<Name>Id}` parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskPolicy {
    pub grants: Vec<Grant>,
    pub accounts: BTreeSet<String>,
}

/// Name of the stack of a data store (the policy imports its exports).
pub fn store_stack(model: &Model, place: &Placement<'_>, store: &DataStore) -> String {
    crate::ctx::stack_name(
        &model.organization.slug,
        place,
        &format!("store-{}", store.name),
    )
}

/// The parameter holding an account's id.
pub fn account_param(account: &str) -> String {
    logical_id(&["Account", account, "Id"])
}

fn sub(text: String) -> Value {
    json!({ "Fn::Sub": text })
}

/// `${AWS::AccountId}` for the service's own account, or the parameter of
/// another one.
fn account_of(
    model: &Model,
    place: &Placement<'_>,
    store: &DataStore,
    accounts: &mut BTreeSet<String>,
) -> Option<String> {
    let account = model.workload_account(store.domain, place.env.id)?;
    if account.id == place.account.id {
        Some("${AWS::AccountId}".into())
    } else {
        accounts.insert(account.name.clone());
        Some(format!("${{{}}}", account_param(&account.name)))
    }
}

/// Builds the task role's grants for a service in a placement.
pub fn task_policy(model: &Model, place: &Placement<'_>, service: &Service) -> TaskPolicy {
    let mut p = TaskPolicy::default();
    let env = place.env.id;
    for id in &service.data_stores {
        let store = model.data_store(*id);
        if !store.environments.contains(&env) {
            continue;
        }
        let stack = store_stack(model, place, store);
        let sid = logical_id(&["Store", &store.name]);
        match &store.engine {
            Engine::Aurora { .. } => p.grants.push(Grant {
                sid,
                actions: vec!["rds-db:connect"],
                resources: vec![json!({ "Fn::Sub": [
                    format!("arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{Cluster}}/{}", service.name),
                    { "Cluster": { "Fn::ImportValue": format!("{stack}:ClusterResourceId") } }
                ] })],
                condition: None,
                why: format!("connects to `{}` as database user `{}` (IAM authentication)", store.name, service.name),
            }),
            // SQL Server has no IAM database authentication: its logins are
            // the database's own, and IAM grants nothing.
            Engine::Rds { engine, .. }
                if !landfall_model::engines::engine(engine).is_some_and(|e| e.iam_auth) => {}
            Engine::Rds { .. } => p.grants.push(Grant {
                sid,
                actions: vec!["rds-db:connect"],
                resources: vec![json!({ "Fn::Sub": [
                    format!("arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{Instance}}/{}", service.name),
                    { "Instance": { "Fn::ImportValue": format!("{stack}:InstanceResourceId") } }
                ] })],
                condition: None,
                why: format!("connects to `{}` as database user `{}` (IAM authentication)", store.name, service.name),
            }),
            Engine::Valkey { .. } => {
                let base = "arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}";
                p.grants.push(Grant {
                    sid,
                    actions: vec!["elasticache:Connect"],
                    resources: vec![
                        sub(format!("{base}:replicationgroup:{}", crate::store::replication_group_id(store))),
                        sub(format!("{base}:user:{}", crate::store::cache_user_id(store, &service.name))),
                    ],
                    condition: None,
                    why: format!("connects to `{}` as its own user (IAM authentication)", store.name),
                });
            }
            Engine::Dynamodb { .. } => {
                let table = format!("arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{}", store.name);
                p.grants.push(Grant {
                    sid,
                    actions: vec![
                        "dynamodb:BatchGetItem",
                        "dynamodb:BatchWriteItem",
                        "dynamodb:ConditionCheckItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:DescribeTable",
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ],
                    resources: vec![sub(table.clone()), sub(format!("{table}/index/*"))],
                    condition: None,
                    why: format!("reads and writes items of table `{}`", store.name),
                });
                p.grants.push(Grant {
                    sid: logical_id(&["Store", &store.name, "Key"]),
                    actions: vec!["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources: vec![json!({ "Fn::ImportValue": format!(
                        "{}:DataKeyArn",
                        crate::ctx::stack_name(&model.organization.slug, place, "")
                    ) })],
                    condition: Some(json!({ "StringEquals": { "kms:ViaService": { "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com" } } })),
                    why: format!("the table `{}` is encrypted with the account's data key", store.name),
                });
            }
            Engine::Memcached { .. } | Engine::Msk { .. } => {}
        }
    }
    // Topics, grouped by cluster.
    let mut by_cluster: BTreeMap<usize, (Vec<TopicId>, Vec<TopicId>)> = BTreeMap::new();
    for t in &service.produces {
        by_cluster
            .entry(model.topic(*t).cluster.index())
            .or_default()
            .0
            .push(*t);
    }
    for t in &service.consumes {
        by_cluster
            .entry(model.topic(*t).cluster.index())
            .or_default()
            .1
            .push(*t);
    }
    for (cluster, (produces, consumes)) in &by_cluster {
        let store = &model.data_stores[*cluster];
        if !store.environments.contains(&env) {
            continue;
        }
        let Some(acct) = account_of(model, place, store, &mut p.accounts) else {
            continue;
        };
        let base = format!("arn:${{AWS::Partition}}:kafka:${{AWS::Region}}:{acct}");
        p.grants.push(Grant {
            sid: logical_id(&["Cluster", &store.name]),
            actions: vec!["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
            resources: vec![sub(format!("{base}:cluster/{}/*", store.name))],
            condition: None,
            why: format!("connects to MSK cluster `{}` for its topics", store.name),
        });
        let topic_arn = |t: &TopicId| {
            sub(format!(
                "{base}:topic/{}/*/{}",
                store.name,
                model.topic(*t).name
            ))
        };
        if !produces.is_empty() {
            p.grants.push(Grant {
                sid: logical_id(&["Produce", &store.name]),
                actions: vec!["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
                resources: produces.iter().map(topic_arn).collect(),
                condition: None,
                why: format!(
                    "produces {}",
                    produces
                        .iter()
                        .map(|t| format!("`{}`", model.topic(*t).name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if !consumes.is_empty() {
            p.grants.push(Grant {
                sid: logical_id(&["Consume", &store.name]),
                actions: vec!["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
                resources: consumes.iter().map(topic_arn).collect(),
                condition: None,
                why: format!(
                    "consumes {}",
                    consumes
                        .iter()
                        .map(|t| format!("`{}`", model.topic(*t).name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            p.grants.push(Grant {
                sid: logical_id(&["Groups", &store.name]),
                actions: vec!["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                resources: vec![sub(format!(
                    "{base}:group/{}/*/{}*",
                    store.name, service.name
                ))],
                condition: None,
                why: "commits offsets of its own consumer groups".into(),
            });
        }
    }
    p
}

/// The log pipeline's MSK cluster and topic in an environment, if the
/// platform has one there. Task roles get nothing on it: the tasks' log
/// agents sign in with SASL/SCRAM credentials their execution role reads
/// ([`crate::logs`]).
pub fn log_topic(model: &Model, env: landfall_model::EnvId) -> Option<(&DataStore, &str)> {
    let logs = &model.observability.as_ref()?.logs;
    let store = model
        .data_stores
        .iter()
        .find(|d| d.name == logs.kafka_cluster)?;
    store
        .environments
        .contains(&env)
        .then_some((store, logs.topic.as_str()))
}

/// The grants as an IAM policy document (CloudFormation values).
pub fn document(grants: &[Grant]) -> Value {
    let statements: Vec<Value> = grants
        .iter()
        .map(|g| {
            let mut s = json!({
                "Sid": g.sid,
                "Effect": "Allow",
                "Action": g.actions,
                "Resource": g.resources,
            });
            if let Some(c) = &g.condition {
                s["Condition"] = c.clone();
            }
            s
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// Replaces CloudFormation intrinsics by concrete strings: `${Name}` of
/// `Fn::Sub` and `Ref` from `vars`, `Fn::ImportValue` of `X` from `vars`
/// under `import:X` (or that key itself when absent). For the IAM engine
/// and for explanations.
pub fn instantiate(value: &Value, vars: &BTreeMap<String, String>) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| instantiate(v, vars)).collect()),
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map
                .iter()
                .next()
                .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
            match (k, v) {
                ("Ref", Value::String(name)) => Value::String(
                    vars.get(name)
                        .cloned()
                        .unwrap_or_else(|| format!("${{{name}}}")),
                ),
                ("Fn::ImportValue", Value::String(name)) => {
                    let key = format!("import:{name}");
                    Value::String(vars.get(&key).cloned().unwrap_or(key))
                }
                ("Fn::Sub", Value::String(text)) => {
                    Value::String(substitute(text, vars, &BTreeMap::new()))
                }
                ("Fn::Sub", Value::Array(parts)) => {
                    let text = parts.first().and_then(Value::as_str).unwrap_or("");
                    let mut local = BTreeMap::new();
                    if let Some(Value::Object(m)) = parts.get(1) {
                        for (k, v) in m {
                            if let Value::String(s) = instantiate(v, vars) {
                                local.insert(k.clone(), s);
                            }
                        }
                    }
                    Value::String(substitute(text, vars, &local))
                }
                _ => {
                    let mut out = serde_json::Map::new();
                    out.insert(k.to_owned(), instantiate(v, vars));
                    Value::Object(out)
                }
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), instantiate(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn substitute(
    text: &str,
    vars: &BTreeMap<String, String>,
    local: &BTreeMap<String, String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match local.get(name).or_else(|| vars.get(name)) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
