//! The platform's roles and sensitive resources, read from the compiled
//! graph in every account and region their stacks deploy to, with the
//! graph's intrinsics resolved for that place.
//!
//! Values known only at deploy time (a cluster's resource id, a key's id,
//! an MSK cluster's UUID) become a placeholder named after the resource
//! that produces them, the same wherever it is read: a policy that imports
//! a key's ARN and the key itself then name the same ARN.

use std::collections::HashMap;

use landfall_graph::{Graph, ParameterValue, Resource, Stack, Target};
use landfall_model::{Account, Model};
use serde_json::{Map, Value};

use crate::placeholder_id;

/// The organization's id as requests and policies read it offline.
pub const ORGANIZATION_ID: &str = "o-placeholder00";

/// One account and region a stack deploys to.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub account: &'a Account,
    pub region: &'a str,
}

/// A kind of sensitive resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    AuroraCluster,
    DynamoDbTable,
    S3Bucket,
    MskCluster,
    ValkeyReplicationGroup,
    KmsKey,
}

impl Kind {
    fn of(resource_type: &str) -> Option<Kind> {
        Some(match resource_type {
            "AWS::RDS::DBCluster" => Kind::AuroraCluster,
            "AWS::DynamoDB::Table" => Kind::DynamoDbTable,
            "AWS::S3::Bucket" => Kind::S3Bucket,
            "AWS::MSK::Cluster" => Kind::MskCluster,
            "AWS::ElastiCache::ReplicationGroup" => Kind::ValkeyReplicationGroup,
            "AWS::KMS::Key" => Kind::KmsKey,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AuroraCluster => "aurora-cluster",
            Kind::DynamoDbTable => "dynamodb-table",
            Kind::S3Bucket => "s3-bucket",
            Kind::MskCluster => "msk-cluster",
            Kind::ValkeyReplicationGroup => "valkey-replication-group",
            Kind::KmsKey => "kms-key",
        }
    }
}

/// A sensitive resource in one place.
#[derive(Debug, Clone)]
pub struct Sensitive<'a> {
    pub kind: Kind,
    /// Its name (bucket, table, cluster, replication group), or for a key
    /// its first alias, else its logical id.
    pub name: String,
    pub arn: String,
    /// The id IAM database authentication names (`dbuser:<id>/<user>`).
    pub resource_id: Option<String>,
    pub place: Place<'a>,
    pub stack: &'a str,
    pub logical_id: &'a str,
    /// Its resource-based policy, resolved (bucket policy, key policy,
    /// MSK cluster policy).
    pub policy: Option<Value>,
    /// A key's aliases (`kms:ResourceAliases`).
    pub aliases: Vec<String>,
}

/// A role of the platform in one account.
#[derive(Debug, Clone)]
pub struct Role<'a> {
    pub arn: String,
    pub name: String,
    pub place: Place<'a>,
    pub stack: &'a str,
    pub logical_id: &'a str,
    /// Inline policies and customer managed policies, resolved: (name, document).
    pub policies: Vec<(String, Value)>,
    /// AWS managed policies by ARN.
    pub aws_managed: Vec<String>,
    pub boundary: Option<(String, Value)>,
    pub tags: Vec<(String, String)>,
}

/// Reads roles and sensitive resources out of a graph.
pub struct Reader<'a> {
    model: &'a Model,
    graph: &'a Graph,
    /// Export name → (stack, output value).
    exports: HashMap<&'a str, (&'a Stack, &'a Value)>,
    by_name: HashMap<&'a str, &'a Account>,
}

impl<'a> Reader<'a> {
    pub fn new(model: &'a Model, graph: &'a Graph) -> Self {
        let mut exports = HashMap::new();
        for stack in &graph.stacks {
            for output in &stack.outputs {
                if let Some(name) = &output.export {
                    exports.insert(name.as_str(), (stack, &output.value));
                }
            }
        }
        let by_name = model
            .accounts
            .iter()
            .map(|a| (a.name.as_str(), a))
            .collect();
        Self {
            model,
            graph,
            exports,
            by_name,
        }
    }

    /// Every account and region a stack deploys to; a StackSet's global
    /// resources (roles) once per account, in its first region.
    fn places(&self, stack: &'a Stack) -> Vec<Place<'a>> {
        match &stack.target {
            Target::Account { account, region } => self
                .by_name
                .get(account.as_str())
                .map(|account| Place { account, region })
                .into_iter()
                .collect(),
            Target::StackSet(set) => self
                .model
                .accounts_under(&set.organizational_units, &set.accounts)
                .flat_map(|account| {
                    set.regions
                        .iter()
                        .map(move |region| Place { account, region })
                })
                .collect(),
        }
    }

    /// Every role of the graph, in every account it is created in.
    pub fn roles(&self) -> Vec<Role<'a>> {
        let mut out = Vec::new();
        for stack in &self.graph.stacks {
            for resource in stack
                .resources
                .iter()
                .filter(|r| r.kind == "AWS::IAM::Role")
            {
                let mut seen = Vec::new();
                for place in self.places(stack) {
                    // IAM is global: one role per account.
                    if seen.contains(&place.account.id) {
                        continue;
                    }
                    seen.push(place.account.id);
                    out.push(self.role(stack, resource, place));
                }
            }
        }
        out
    }

    fn role(&self, stack: &'a Stack, resource: &'a Resource, place: Place<'a>) -> Role<'a> {
        let props = &resource.properties;
        let name = self.role_name(stack, resource, place);
        let path = props
            .get("Path")
            .map(|p| self.string(stack, place, p))
            .unwrap_or_else(|| "/".to_owned());
        let mut policies = Vec::new();
        let mut aws_managed = Vec::new();
        for inline in props
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let policy_name = inline
                .get("PolicyName")
                .map(|n| self.string(stack, place, n))
                .unwrap_or_else(|| "inline".to_owned());
            if let Some(document) = inline.get("PolicyDocument") {
                policies.push((policy_name, self.resolve(stack, place, document)));
            }
        }
        for arn in props
            .get("ManagedPolicyArns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match self.managed_policy(stack, place, arn) {
                Managed::Aws(arn) => aws_managed.push(arn),
                Managed::Customer(name, document) => policies.push((name, document)),
                Managed::Unknown(arn) => {
                    policies.push((arn, Value::String("unresolved".into())));
                }
            }
        }
        let boundary = props.get("PermissionsBoundary").map(|arn| {
            match self.managed_policy(stack, place, arn) {
                Managed::Customer(name, document) => (name, document),
                Managed::Aws(arn) | Managed::Unknown(arn) => {
                    (arn, Value::String("unresolved".into()))
                }
            }
        });
        let tags = props
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    self.string(stack, place, t.get("Key")?),
                    self.string(stack, place, t.get("Value")?),
                ))
            })
            .collect();
        Role {
            arn: format!(
                "arn:aws:iam::{}:role{path}{name}",
                placeholder_id(place.account.id)
            ),
            name,
            place,
            stack: &stack.name,
            logical_id: &resource.logical_id,
            policies,
            aws_managed,
            boundary,
            tags,
        }
    }

    fn role_name(&self, stack: &Stack, resource: &Resource, place: Place<'_>) -> String {
        resource
            .properties
            .get("RoleName")
            .map(|n| self.string(stack, place, n))
            .unwrap_or_else(|| format!("{}-{}", stack.name, resource.logical_id))
    }

    /// A managed policy named by ARN: an AWS managed one, or a customer
    /// managed one of the graph deployed in the same account.
    fn managed_policy(&self, stack: &Stack, place: Place<'a>, arn: &Value) -> Managed {
        if let Some(Value::String(logical_id)) = arn.get("Ref") {
            if let Some(policy) = stack
                .resource(logical_id)
                .filter(|r| r.kind == "AWS::IAM::ManagedPolicy")
            {
                return self.customer_policy(stack, policy, place);
            }
        }
        let arn = self.string(stack, place, arn);
        if arn.starts_with("arn:aws:iam::aws:policy/") {
            return Managed::Aws(arn);
        }
        for other in &self.graph.stacks {
            for policy in other
                .resources
                .iter()
                .filter(|r| r.kind == "AWS::IAM::ManagedPolicy")
            {
                let Some(there) = self
                    .places(other)
                    .into_iter()
                    .find(|p| p.account.id == place.account.id)
                else {
                    continue;
                };
                if self.own_arn(other, policy, there).as_deref() == Some(arn.as_str()) {
                    return self.customer_policy(other, policy, there);
                }
            }
        }
        Managed::Unknown(arn)
    }

    fn customer_policy(&self, stack: &Stack, policy: &Resource, place: Place<'a>) -> Managed {
        let name = policy
            .properties
            .get("ManagedPolicyName")
            .map(|n| self.string(stack, place, n))
            .unwrap_or_else(|| policy.logical_id.clone());
        let document = policy
            .properties
            .get("PolicyDocument")
            .map(|d| self.resolve(stack, place, d))
            .unwrap_or(Value::Null);
        Managed::Customer(name, document)
    }

    /// Every sensitive resource of the graph, in every place it is created.
    pub fn sensitive(&self) -> Vec<Sensitive<'a>> {
        let mut out = Vec::new();
        for stack in &self.graph.stacks {
            for resource in &stack.resources {
                let Some(kind) = Kind::of(&resource.kind) else {
                    continue;
                };
                for place in self.places(stack) {
                    out.push(self.sensitive_one(stack, resource, kind, place));
                }
            }
        }
        out
    }

    fn sensitive_one(
        &self,
        stack: &'a Stack,
        resource: &'a Resource,
        kind: Kind,
        place: Place<'a>,
    ) -> Sensitive<'a> {
        let reference = self.reference(stack, resource, place);
        let arn = self
            .own_arn(stack, resource, place)
            .unwrap_or_else(|| reference.clone());
        let aliases: Vec<String> = stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::KMS::Alias")
            .filter(|r| {
                r.properties.get("TargetKeyId").is_some_and(|t| {
                    t.get("Ref").and_then(Value::as_str) == Some(&resource.logical_id)
                        || t.get("Fn::GetAtt")
                            .and_then(|g| g.get(0))
                            .and_then(Value::as_str)
                            == Some(&resource.logical_id)
                })
            })
            .filter_map(|r| {
                r.properties
                    .get("AliasName")
                    .map(|n| self.string(stack, place, n))
            })
            .collect();
        let policy = self.resource_policy(stack, resource, kind, place);
        let store = resource
            .properties
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("Key").and_then(Value::as_str) == Some("landfall:store"))
            .and_then(|t| t.get("Value"))
            .map(|v| self.string(stack, place, v));
        let name = match kind {
            // The store's name in the spec, where CloudFormation names the
            // resource itself.
            Kind::AuroraCluster => store.unwrap_or(reference),
            Kind::KmsKey => aliases
                .first()
                .cloned()
                .unwrap_or_else(|| resource.logical_id.clone()),
            Kind::MskCluster => resource
                .properties
                .get("ClusterName")
                .map(|n| self.string(stack, place, n))
                .unwrap_or(reference),
            _ => reference,
        };
        Sensitive {
            kind,
            name,
            arn,
            resource_id: (kind == Kind::AuroraCluster)
                .then(|| deploy_time(stack, &resource.logical_id, "DBClusterResourceId")),
            place,
            stack: &stack.name,
            logical_id: &resource.logical_id,
            policy,
            aliases,
        }
    }

    /// The resource-based policy that governs a resource.
    fn resource_policy(
        &self,
        stack: &Stack,
        resource: &Resource,
        kind: Kind,
        place: Place<'_>,
    ) -> Option<Value> {
        let names_it = |value: Option<&Value>| {
            value
                .is_some_and(|v| v.get("Ref").and_then(Value::as_str) == Some(&resource.logical_id))
        };
        let document = match kind {
            Kind::KmsKey => resource.properties.get("KeyPolicy"),
            Kind::S3Bucket => stack
                .resources
                .iter()
                .find(|r| r.kind == "AWS::S3::BucketPolicy" && names_it(r.properties.get("Bucket")))
                .and_then(|r| r.properties.get("PolicyDocument")),
            Kind::MskCluster => stack
                .resources
                .iter()
                .find(|r| {
                    r.kind == "AWS::MSK::ClusterPolicy" && names_it(r.properties.get("ClusterArn"))
                })
                .and_then(|r| r.properties.get("Policy")),
            _ => None,
        }?;
        Some(self.resolve(stack, place, document))
    }

    /// What `Ref` returns for a resource, where the review needs it.
    fn reference(&self, stack: &Stack, resource: &Resource, place: Place<'_>) -> String {
        let property = match resource.kind.as_str() {
            "AWS::S3::Bucket" => "BucketName",
            "AWS::DynamoDB::Table" => "TableName",
            "AWS::RDS::DBCluster" => "DBClusterIdentifier",
            "AWS::ElastiCache::ReplicationGroup" => "ReplicationGroupId",
            "AWS::IAM::Role" => return self.role_name(stack, resource, place),
            "AWS::MSK::Cluster" | "AWS::IAM::ManagedPolicy" => {
                if let Some(arn) = self.own_arn(stack, resource, place) {
                    return arn;
                }
                ""
            }
            _ => "",
        };
        resource
            .properties
            .get(property)
            .map(|v| self.string(stack, place, v))
            .unwrap_or_else(|| deploy_time(stack, &resource.logical_id, "Ref"))
    }

    /// The ARN of a resource of a kind the review knows.
    fn own_arn(&self, stack: &Stack, resource: &Resource, place: Place<'_>) -> Option<String> {
        let account = placeholder_id(place.account.id);
        let region = place.region;
        let prop = |name: &str| {
            resource
                .properties
                .get(name)
                .map(|v| self.string(stack, place, v))
        };
        let id = || self.reference(stack, resource, place);
        Some(match resource.kind.as_str() {
            "AWS::S3::Bucket" => format!("arn:aws:s3:::{}", id()),
            "AWS::DynamoDB::Table" => {
                format!("arn:aws:dynamodb:{region}:{account}:table/{}", id())
            }
            "AWS::RDS::DBCluster" => format!("arn:aws:rds:{region}:{account}:cluster:{}", id()),
            "AWS::ElastiCache::ReplicationGroup" => {
                format!(
                    "arn:aws:elasticache:{region}:{account}:replicationgroup:{}",
                    id()
                )
            }
            "AWS::KMS::Key" => format!(
                "arn:aws:kms:{region}:{account}:key/{}",
                deploy_time(stack, &resource.logical_id, "KeyId")
            ),
            "AWS::MSK::Cluster" => format!(
                "arn:aws:kafka:{region}:{account}:cluster/{}/{}",
                prop("ClusterName")?,
                deploy_time(stack, &resource.logical_id, "Uuid")
            ),
            "AWS::IAM::Role" => {
                let path = prop("Path").unwrap_or_else(|| "/".into());
                format!(
                    "arn:aws:iam::{account}:role{path}{}",
                    self.role_name(stack, resource, place)
                )
            }
            "AWS::IAM::ManagedPolicy" => {
                let path = prop("Path").unwrap_or_else(|| "/".into());
                format!(
                    "arn:aws:iam::{account}:policy{path}{}",
                    prop("ManagedPolicyName")?
                )
            }
            _ => return None,
        })
    }

    /// A policy document with every intrinsic replaced by its string.
    pub fn resolve(&self, stack: &Stack, place: Place<'_>, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.resolve(stack, place, v))
                    .collect(),
            ),
            Value::Object(map) if is_intrinsic(map) => {
                Value::String(self.string(stack, place, value))
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(stack, place, v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A value of `stack`'s template as a string in `place`.
    pub fn string(&self, stack: &Stack, place: Place<'_>, value: &Value) -> String {
        self.string_depth(stack, place, value, None, 0)
    }

    fn string_depth(
        &self,
        stack: &Stack,
        place: Place<'_>,
        value: &Value,
        vars: Option<&Map<String, Value>>,
        depth: usize,
    ) -> String {
        if depth > 8 {
            return deploy_time(stack, "nested", "value");
        }
        let map = match value {
            Value::String(s) => return s.clone(),
            Value::Number(n) => return n.to_string(),
            Value::Bool(b) => return b.to_string(),
            Value::Object(map) if map.len() == 1 => map,
            _ => return deploy_time(stack, "value", "unknown"),
        };
        if let Some(Value::String(name)) = map.get("Ref") {
            return self.variable(stack, place, name, vars, depth);
        }
        if let Some(get_att) = map.get("Fn::GetAtt") {
            let parts: Vec<&str> = match get_att {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => s.splitn(2, '.').collect(),
                _ => Vec::new(),
            };
            if let [logical_id, attribute] = parts[..] {
                return self.attribute(stack, place, logical_id, attribute);
            }
        }
        if let Some(name) = map.get("Fn::ImportValue") {
            let name = self.string_depth(stack, place, name, vars, depth + 1);
            return match self.exports.get(name.as_str()) {
                Some((exporter, value)) => {
                    // Exports are per account and region: read the
                    // exporting stack where the importer is.
                    self.string_depth(exporter, place, value, None, depth + 1)
                }
                None => format!("deploy-time-export-{name}"),
            };
        }
        if let Some(Value::Array(args)) = map.get("Fn::Join") {
            if let [Value::String(separator), Value::Array(items)] = &args[..] {
                return items
                    .iter()
                    .map(|i| self.string_depth(stack, place, i, vars, depth + 1))
                    .collect::<Vec<_>>()
                    .join(separator);
            }
        }
        let (text, sub_vars) = match map.get("Fn::Sub") {
            Some(Value::String(text)) => (text.as_str(), None),
            Some(Value::Array(items)) => match (items.first(), items.get(1)) {
                (Some(Value::String(text)), vars) => {
                    (text.as_str(), vars.and_then(Value::as_object))
                }
                _ => return deploy_time(stack, "sub", "unknown"),
            },
            _ => return deploy_time(stack, "intrinsic", "unknown"),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = sub_vars.and_then(|v| v.get(name)) {
                out.push_str(&self.string_depth(stack, place, value, None, depth + 1));
            } else if let Some((logical_id, attribute)) = name
                .split_once('.')
                .filter(|(l, _)| !l.starts_with("AWS::") && !l.is_empty())
            {
                out.push_str(&self.attribute(stack, place, logical_id, attribute));
            } else {
                out.push_str(&self.variable(stack, place, name, None, depth));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn variable(
        &self,
        stack: &Stack,
        place: Place<'_>,
        name: &str,
        vars: Option<&Map<String, Value>>,
        depth: usize,
    ) -> String {
        if let Some(v) = vars.and_then(|v| v.get(name)) {
            return self.string_depth(stack, place, v, None, depth + 1);
        }
        match name {
            "AWS::Region" => return place.region.to_owned(),
            "AWS::AccountId" => return placeholder_id(place.account.id),
            "AWS::Partition" => return "aws".to_owned(),
            "AWS::URLSuffix" => return "amazonaws.com".to_owned(),
            "AWS::StackName" => return stack.name.clone(),
            _ => {}
        }
        if let Some(parameter) = stack.parameters.iter().find(|p| p.name == name) {
            return match &parameter.value {
                ParameterValue::Literal(v) => v.clone(),
                ParameterValue::AccountId(account) => self
                    .by_name
                    .get(account.as_str())
                    .map(|a| placeholder_id(a.id))
                    .unwrap_or_else(|| format!("deploy-time-account-{account}")),
                ParameterValue::OrganizationId => ORGANIZATION_ID.to_owned(),
                _ => deploy_time(stack, name, "parameter"),
            };
        }
        match stack.resource(name) {
            Some(resource) => self.reference(stack, resource, place),
            None => deploy_time(stack, name, "Ref"),
        }
    }

    fn attribute(
        &self,
        stack: &Stack,
        place: Place<'_>,
        logical_id: &str,
        attribute: &str,
    ) -> String {
        let Some(resource) = stack.resource(logical_id) else {
            return deploy_time(stack, logical_id, attribute);
        };
        let arn = matches!(attribute, "Arn" | "ARN" | "DBClusterArn" | "KeyArn");
        if arn {
            if let Some(arn) = self.own_arn(stack, resource, place) {
                return arn;
            }
        }
        if resource.kind == "AWS::KMS::Key" && attribute == "KeyId" {
            return deploy_time(stack, logical_id, "KeyId");
        }
        deploy_time(stack, logical_id, attribute)
    }
}

enum Managed {
    Aws(String),
    Customer(String, Value),
    Unknown(String),
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// A value CloudFormation only knows once the resource exists, written so
/// that every reader of it writes the same text and no wildcard is in it.
fn deploy_time(stack: &Stack, logical_id: &str, attribute: &str) -> String {
    format!("{{{}.{logical_id}.{attribute}}}", stack.name)
}
