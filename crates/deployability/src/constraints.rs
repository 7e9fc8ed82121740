//! AWS's documented deploy-time rules that no resource schema expresses,
//! as one table: each [`Constraint`] names the resource types it applies
//! to, a check over the resource in its stack and graph, and the AWS page
//! that states the rule. Adding a rule is adding a row (and its tests).

use landfall_graph::{Graph, ParameterValue, Resource, Stack, Target};
use serde_json::Value;

use crate::{Finding, Input};

/// One deploy-time rule.
pub struct Constraint {
    /// The finding code, `deploy::<rule>`.
    pub code: &'static str,
    /// CloudFormation types the rule reads.
    pub applies_to: &'static [&'static str],
    /// What is wrong with the resource, if anything.
    pub check: fn(&Resource, &Stack, &Graph) -> Option<String>,
    /// What would be right.
    pub help: &'static str,
    /// The AWS page that states the rule.
    pub aws_page: &'static str,
}

pub const CONSTRAINTS: &[Constraint] = &[
    Constraint {
        code: "deploy::rds-iam-auth-engine",
        applies_to: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        check: iam_auth_engine,
        help: "turn IAM database authentication off for this engine (it supports MariaDB, MySQL and PostgreSQL, and their Aurora editions)",
        aws_page: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html",
    },
    Constraint {
        code: "deploy::rds-log-exports",
        applies_to: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        check: log_exports,
        help: "export only the logs the engine publishes to CloudWatch Logs",
        aws_page: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html",
    },
    Constraint {
        code: "deploy::aurora-replica-region",
        applies_to: &["AWS::RDS::DBCluster"],
        check: replica_in_source_region,
        help: "an Aurora binlog replica cluster (`ReplicationSourceIdentifier`) must be in another region than its source; in the same region use reader instances, a custom endpoint or a clone",
        aws_page: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html",
    },
    Constraint {
        code: "deploy::shared-placement-group-name",
        applies_to: &["AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::Instance", "AWS::EC2::LaunchTemplate"],
        check: shared_placement_group_by_name,
        help: "launch into a placement group shared through RAM by its id (`Placement.GroupId` of the launch template, the owner's `GroupId` attribute), never by its name",
        aws_page: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-placement-group.html",
    },
    Constraint {
        code: "deploy::vpc-origin-account",
        applies_to: &["AWS::CloudFront::VpcOrigin", "AWS::CloudFront::Distribution"],
        check: vpc_origin_other_account,
        help: "put the origin's load balancer in a VPC the distribution's account owns (not subnets shared through RAM), and the VPC origin and the distribution in that account",
        aws_page: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html",
    },
    Constraint {
        code: "deploy::cloudtrail-key-policy",
        applies_to: &["AWS::CloudTrail::Trail"],
        check: trail_key_policy,
        help: "allow `cloudtrail.amazonaws.com` `kms:DescribeKey` (with `kms:GenerateDataKey*`) in the key policy of the trail's key",
        aws_page: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
    },
    Constraint {
        code: "deploy::rds-engine-version",
        applies_to: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        check: unpinned_engine_version,
        help: "pin `EngineVersion` to a version of the parameter group's family: without it RDS creates the engine's current default version, whose family changes over time and then no longer matches the parameter group",
        aws_page: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html",
    },
    Constraint {
        code: "deploy::certificate-validation-zone",
        applies_to: &["AWS::CertificateManager::Certificate"],
        check: validation_zone_elsewhere,
        help: "validate the certificate in a hosted zone of its own account (delegate a zone to the account): CloudFormation writes the validation record only in such a zone, and otherwise waits for a record nobody writes until the stack times out",
        aws_page: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html",
    },
    Constraint {
        code: "deploy::origin-plain-http",
        applies_to: &["AWS::CloudFront::VpcOrigin", "AWS::CloudFront::Distribution"],
        check: origin_plain_http,
        help: "set `OriginProtocolPolicy` to `https-only`, with a certificate from a public CA for the origin's domain name on the origin",
        aws_page: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html",
    },
    Constraint {
        code: "deploy::listener-plain-http",
        applies_to: &["AWS::ElasticLoadBalancingV2::Listener"],
        check: listener_plain_http,
        help: "listen on HTTPS with an ACM certificate (a private CA's for an internal load balancer), or only redirect HTTP to HTTPS",
        aws_page: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html",
    },
    Constraint {
        code: "deploy::msk-scram-secret",
        applies_to: &["AWS::MSK::BatchScramSecret"],
        check: scram_secrets,
        help: "associate only secrets of the cluster's own stack (same account and region) named `AmazonMSK_...` and encrypted with a customer managed key (`KmsKeyId`; Secrets Manager's AWS managed key is refused), with a cluster whose `ClientAuthentication.Sasl.Scram` is enabled",
        aws_page: "https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html",
    },
    Constraint {
        code: "deploy::opensearch-service-linked-role",
        applies_to: &["AWS::OpenSearchService::Domain"],
        check: opensearch_without_service_linked_role,
        help: "create `AWS::IAM::ServiceLinkedRole` for `opensearchservice.amazonaws.com` once in the account, in a stack deployed before the domain's (only the console creates it on its own; CreateDomain otherwise refuses a VPC domain)",
        aws_page: "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html",
    },
    Constraint {
        code: "deploy::opensearch-log-policy",
        applies_to: &["AWS::OpenSearchService::Domain"],
        check: opensearch_logs_without_policy,
        help: "add an `AWS::Logs::ResourcePolicy` admitting `es.amazonaws.com` to `logs:CreateLogStream` and `logs:PutLogEvents` on the log groups, created before the domain (`DependsOn`)",
        aws_page: "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html",
    },
    Constraint {
        code: "deploy::opensearch-key-policy",
        applies_to: &["AWS::OpenSearchService::Domain"],
        check: opensearch_key_policy,
        help: "let the account use the key: delegate it to IAM (the account root `kms:*`) or allow the account's principals `kms:CreateGrant` and `kms:DescribeKey` through `es.<region>.amazonaws.com`",
        aws_page: "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html",
    },
];

pub fn check(input: &Input) -> Vec<Finding> {
    let mut findings = Vec::new();
    for stack in &input.graph.stacks {
        for resource in &stack.resources {
            for rule in CONSTRAINTS {
                if !rule.applies_to.contains(&resource.kind.as_str()) {
                    continue;
                }
                if let Some(message) = (rule.check)(resource, stack, input.graph) {
                    findings.push(Finding {
                        code: rule.code,
                        stack: stack.name.clone(),
                        resource: Some(resource.logical_id.clone()),
                        message,
                        help: format!("{}: {}", rule.help, rule.aws_page),
                        at: resource.origin.clone(),
                    });
                }
            }
        }
    }
    findings
}

fn text<'r>(resource: &'r Resource, key: &str) -> Option<&'r str> {
    resource.properties.get(key).and_then(Value::as_str)
}

fn engine(resource: &Resource) -> &str {
    text(resource, "Engine").unwrap_or_default()
}

fn iam_auth_engine(resource: &Resource, _: &Stack, _: &Graph) -> Option<String> {
    let on = matches!(
        resource.properties.get("EnableIAMDatabaseAuthentication"),
        Some(Value::Bool(true))
    ) || text(resource, "EnableIAMDatabaseAuthentication") == Some("true");
    let engine = engine(resource);
    let supported = ["mysql", "mariadb", "postgres", "aurora"]
        .iter()
        .any(|e| engine.starts_with(e));
    (on && !engine.is_empty() && !supported)
        .then(|| format!("engine `{engine}` has no IAM database authentication, but `EnableIAMDatabaseAuthentication` is true"))
}

/// The logs each engine publishes to CloudWatch Logs.
fn supported_logs(engine: &str) -> Option<&'static [&'static str]> {
    Some(match engine {
        e if e.starts_with("sqlserver") => &["agent", "error"],
        "aurora-mysql" => &[
            "audit",
            "error",
            "general",
            "slowquery",
            "iam-db-auth-error",
            "instance",
        ],
        "aurora-postgresql" => &["postgresql", "iam-db-auth-error", "instance"],
        "mysql" | "mariadb" => &[
            "audit",
            "error",
            "general",
            "slowquery",
            "iam-db-auth-error",
        ],
        "postgres" => &["postgresql", "upgrade", "iam-db-auth-error"],
        e if e.starts_with("oracle") => &["alert", "audit", "listener", "trace", "oemagent"],
        e if e.starts_with("db2") => &["diag.log", "notify.log"],
        _ => return None,
    })
}

fn log_exports(resource: &Resource, _: &Stack, _: &Graph) -> Option<String> {
    let engine = engine(resource);
    let supported = supported_logs(engine)?;
    let wrong: Vec<&str> = resource
        .properties
        .get("EnableCloudwatchLogsExports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|log| !supported.contains(log))
        .collect();
    (!wrong.is_empty()).then(|| {
        format!(
            "engine `{engine}` does not publish `{}` logs (it publishes `{}`)",
            wrong.join("`, `"),
            supported.join("`, `")
        )
    })
}

fn replica_in_source_region(resource: &Resource, stack: &Stack, _: &Graph) -> Option<String> {
    let source = resource.properties.get("ReplicationSourceIdentifier")?;
    let region = match &stack.target {
        Target::Account { region, .. } => region.as_str(),
        Target::StackSet(_) => "",
    };
    let same_region = match source {
        // A cluster of the same stack is in the stack's region.
        Value::Object(map) => map.contains_key("Fn::GetAtt") || map.contains_key("Ref"),
        Value::String(arn) => arn.split(':').nth(3) == Some(region),
        _ => false,
    };
    same_region.then(|| "replicates from a cluster in its own region: binlog replica clusters (`ReplicationSourceIdentifier`) are cross-region only".to_owned())
}

/// The parameter a `{"Ref": ...}` names in the stack.
fn parameter<'s>(stack: &'s Stack, value: &Value) -> Option<&'s ParameterValue> {
    let name = value.get("Ref")?.as_str()?;
    stack
        .parameters
        .iter()
        .find(|p| p.name == name)
        .map(|p| &p.value)
}

fn validation_zone_elsewhere(resource: &Resource, stack: &Stack, graph: &Graph) -> Option<String> {
    if text(resource, "ValidationMethod") != Some("DNS") {
        return None;
    }
    let own = account_of(stack)?;
    let options = resource
        .properties
        .get("DomainValidationOptions")?
        .as_array()?;
    options.iter().find_map(|option| {
        let zone = option.get("HostedZoneId")?;
        let local = zone
            .get("Ref")
            .and_then(Value::as_str)
            .and_then(|id| stack.resource(id))
            .is_some_and(|r| r.kind == "AWS::Route53::HostedZone");
        if local {
            return None;
        }
        match account_named(graph, stack, zone) {
            Some(account) if account == own => None,
            Some(other) => Some(format!("is validated in a hosted zone of account `{other}`, but the certificate is in account `{own}`")),
            None => Some(format!("is validated in hosted zone {zone}, which no stack of account `{own}` creates")),
        }
    })
}

fn origin_plain_http(resource: &Resource, _: &Stack, _: &Graph) -> Option<String> {
    let policies: Vec<(&str, &Value)> = if resource.kind == "AWS::CloudFront::VpcOrigin" {
        let config = resource.properties.get("VpcOriginEndpointConfig")?;
        vec![(
            config
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("the VPC origin"),
            config.get("OriginProtocolPolicy")?,
        )]
    } else {
        resource
            .properties
            .get("DistributionConfig")?
            .get("Origins")?
            .as_array()?
            .iter()
            .filter_map(|o| {
                let id = o.get("Id").and_then(Value::as_str).unwrap_or("an origin");
                Some((
                    id,
                    o.get("CustomOriginConfig")?.get("OriginProtocolPolicy")?,
                ))
            })
            .collect()
    };
    policies
        .into_iter()
        .find(|(_, policy)| policy.as_str() != Some("https-only"))
        .map(|(name, policy)| format!("origin `{name}` is reached with `OriginProtocolPolicy` {policy}: CloudFront may send requests to it unencrypted"))
}

fn listener_plain_http(resource: &Resource, _: &Stack, _: &Graph) -> Option<String> {
    if text(resource, "Protocol") != Some("HTTP") {
        return None;
    }
    let redirects_only = resource
        .properties
        .get("DefaultActions")
        .and_then(Value::as_array)
        .is_some_and(|actions| {
            actions.iter().all(|a| {
                a.get("Type").and_then(Value::as_str) == Some("redirect")
                    && a.get("RedirectConfig")
                        .and_then(|r| r.get("Protocol"))
                        .and_then(Value::as_str)
                        == Some("HTTPS")
            })
        });
    (!redirects_only).then(|| {
        "listens on plain HTTP: callers' requests cross the network unencrypted".to_owned()
    })
}

fn account_of(stack: &Stack) -> Option<&str> {
    match &stack.target {
        Target::Account { account, .. } => Some(account),
        Target::StackSet(_) => None,
    }
}

/// The resource behind a parameter read from another stack, with that stack.
fn other_resource<'g>(
    graph: &'g Graph,
    value: &ParameterValue,
) -> Option<(&'g Stack, &'g Resource)> {
    let ParameterValue::ResourceId { stack, logical_id } = value else {
        return None;
    };
    let owner = graph.stack(stack)?;
    Some((owner, owner.resource(logical_id)?))
}

fn shared_placement_group_by_name(
    resource: &Resource,
    stack: &Stack,
    graph: &Graph,
) -> Option<String> {
    let by_name = match resource.kind.as_str() {
        "AWS::AutoScaling::AutoScalingGroup" => resource.properties.get("PlacementGroup"),
        "AWS::EC2::Instance" => resource.properties.get("PlacementGroupName"),
        _ => resource
            .properties
            .get("LaunchTemplateData")
            .and_then(|d| d.get("Placement"))
            .and_then(|p| p.get("GroupName")),
    }?;
    let (owner, group) = other_resource(graph, parameter(stack, by_name)?)?;
    let shared = group.kind == "AWS::EC2::PlacementGroup" && account_of(owner) != account_of(stack);
    shared.then(|| {
        format!(
            "launches into placement group `{}` of account `{}` (stack `{}`) by name; a placement group shared through RAM is found only by its id",
            group.logical_id,
            account_of(owner).unwrap_or_default(),
            owner.name
        )
    })
}

/// The account a value names: through a parameter holding another stack's
/// resource id or output, or an account id parameter in `Fn::Sub`.
fn account_named<'g>(graph: &'g Graph, stack: &'g Stack, value: &Value) -> Option<&'g str> {
    if let Some(p) = parameter(stack, value) {
        return match p {
            ParameterValue::ResourceId { stack: s, .. }
            | ParameterValue::StackOutput { stack: s, .. } => graph.stack(s).and_then(account_of),
            ParameterValue::AccountId(account) => Some(account),
            _ => None,
        };
    }
    let text = match value.get("Fn::Sub")? {
        Value::String(t) => t.as_str(),
        Value::Array(items) => items.first()?.as_str()?,
        _ => return None,
    };
    stack.parameters.iter().find_map(|p| match &p.value {
        ParameterValue::AccountId(account) if text.contains(&format!("${{{}}}", p.name)) => {
            Some(account.as_str())
        }
        _ => None,
    })
}

fn vpc_origin_other_account(resource: &Resource, stack: &Stack, graph: &Graph) -> Option<String> {
    let own = account_of(stack)?;
    let (what, value) = if resource.kind == "AWS::CloudFront::VpcOrigin" {
        (
            "its load balancer",
            resource
                .properties
                .get("VpcOriginEndpointConfig")?
                .get("Arn")?,
        )
    } else {
        let origins = resource
            .properties
            .get("DistributionConfig")?
            .get("Origins")?
            .as_array()?;
        let id = origins
            .iter()
            .find_map(|o| o.get("VpcOriginConfig")?.get("VpcOriginId"))?;
        ("its VPC origin", id)
    };
    if let Some(other) = account_named(graph, stack, value) {
        return (other != own).then(|| format!("is in account `{own}`, but {what} is in account `{other}`: a VPC origin and its distribution must be in the account of the origin's resource"));
    }
    // A load balancer of the stack itself: its VPC must be the account's
    // own, not one shared to it.
    let lb = stack.resource(value.get("Ref")?.as_str()?)?;
    let subnets = lb
        .properties
        .get("Subnets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            lb.properties
                .get("SubnetMappings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("SubnetId")),
        );
    let owner = subnets
        .filter_map(|s| account_named(graph, stack, s))
        .find(|a| *a != own)?;
    Some(format!(
        "fronts load balancer `{}` in subnets of a VPC of account `{owner}` shared to `{own}`: a VPC origin's VPC must be owned by the distribution's account",
        lb.logical_id
    ))
}

fn trail_key_policy(resource: &Resource, stack: &Stack, graph: &Graph) -> Option<String> {
    let key_id = resource.properties.get("KMSKeyId")?;
    let (key_stack, key) = trail_key(resource, stack, graph, key_id)?;
    let policy = key.properties.get("KeyPolicy")?;
    let statements = match policy.get("Statement")? {
        Value::Array(s) => s.clone(),
        one => vec![one.clone()],
    };
    let allows = statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(s.get("Principal").and_then(|p| p.get("Service")))
                .any(|p| p == "cloudtrail.amazonaws.com")
            && strings(s.get("Action")).any(|a| {
                let a = a.to_ascii_lowercase();
                a == "*" || a == "kms:*" || a == "kms:describekey" || a == "kms:describe*"
            })
    });
    (!allows).then(|| {
        format!(
            "encrypts with key `{}` of stack `{}`, whose key policy does not allow `cloudtrail.amazonaws.com` `kms:DescribeKey`",
            key.logical_id, key_stack.name
        )
    })
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

/// The key a trail's `KMSKeyId` names: a key of its own stack, or a key
/// of the graph by alias (in the account the ARN names).
fn trail_key<'g>(
    _trail: &Resource,
    stack: &'g Stack,
    graph: &'g Graph,
    key_id: &'g Value,
) -> Option<(&'g Stack, &'g Resource)> {
    if let Some(Value::String(id)) = key_id.get("Ref") {
        return stack.resource(id).map(|k| (stack, k));
    }
    if let Some(id) = key_id
        .get("Fn::GetAtt")
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
    {
        return stack.resource(id).map(|k| (stack, k));
    }
    let text = match key_id {
        Value::String(t) => t.as_str(),
        other => match other.get("Fn::Sub")? {
            Value::String(t) => t.as_str(),
            Value::Array(items) => items.first()?.as_str()?,
            _ => return None,
        },
    };
    let alias = &text[text.find("alias/")?..];
    let account = account_named(graph, stack, key_id).or_else(|| account_of(stack));
    graph
        .stacks
        .iter()
        .filter(|s| account.is_none() || account_of(s) == account)
        .find_map(|s| {
            let target = s.resources.iter().find(|r| {
                r.kind == "AWS::KMS::Alias"
                    && r.properties.get("AliasName").and_then(Value::as_str) == Some(alias)
            })?;
            let key = target.properties.get("TargetKeyId")?;
            let id = key
                .get("Ref")
                .or_else(|| key.get("Fn::GetAtt").and_then(|a| a.get(0)))?
                .as_str()?;
            s.resource(id).map(|k| (s, k))
        })
}

/// MSK's rules for SASL/SCRAM secrets: the name's prefix, a customer
/// managed key, the cluster's account and region, SCRAM on the cluster.
fn scram_secrets(resource: &Resource, stack: &Stack, _: &Graph) -> Option<String> {
    let mut problems = Vec::new();
    let list = resource
        .properties
        .get("SecretArnList")
        .and_then(Value::as_array);
    for arn in list.into_iter().flatten() {
        let secret = arn
            .get("Ref")
            .and_then(Value::as_str)
            .and_then(|id| stack.resource(id))
            .filter(|r| r.kind == "AWS::SecretsManager::Secret");
        let Some(secret) = secret else {
            problems.push(format!(
                "associates `{arn}`, which is not a secret of its own stack (MSK takes only secrets of the cluster's account and region)"
            ));
            continue;
        };
        let id = &secret.logical_id;
        match text(secret, "Name") {
            Some(name) if name.starts_with("AmazonMSK_") => {}
            Some(name) => problems.push(format!(
                "secret `{id}` is named `{name}`, without the prefix `AmazonMSK_`"
            )),
            None => problems.push(format!(
                "secret `{id}` has a generated name, which does not start with `AmazonMSK_`"
            )),
        }
        match secret.properties.get("KmsKeyId") {
            None => problems.push(format!(
                "secret `{id}` has no `KmsKeyId`, so Secrets Manager encrypts it with its AWS managed key"
            )),
            Some(Value::String(key)) if key.contains("alias/aws/") => problems.push(format!(
                "secret `{id}` is encrypted with the AWS managed key `{key}`"
            )),
            Some(_) => {}
        }
    }
    let cluster = resource
        .properties
        .get("ClusterArn")
        .and_then(|c| c.get("Ref"))
        .and_then(Value::as_str)
        .and_then(|id| stack.resource(id));
    if let Some(cluster) = cluster {
        if cluster
            .properties
            .get("ClientAuthentication")
            .and_then(|c| c.pointer("/Sasl/Scram/Enabled"))
            != Some(&Value::Bool(true))
        {
            problems.push(format!(
                "cluster `{}` does not enable SASL/SCRAM client authentication",
                cluster.logical_id
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Stacks deployed before `stack` (its dependencies, transitively).
fn earlier<'g>(stack: &Stack, graph: &'g Graph) -> Vec<&'g Stack> {
    let mut seen: Vec<&str> = Vec::new();
    let mut queue: Vec<&str> = stack.depends_on.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        if let Some(s) = graph.stack(name) {
            queue.extend(s.depends_on.iter().map(String::as_str));
            out.push(s);
        }
    }
    out
}

/// Whether `found` is created before `resource`: in an earlier stack of
/// the same account (and region, when `same_region`), or in its own stack
/// with `resource` depending on it.
fn created_before(
    resource: &Resource,
    stack: &Stack,
    graph: &Graph,
    same_region: bool,
    found: impl Fn(&Resource) -> bool,
) -> bool {
    let own = resource
        .depends_on
        .iter()
        .any(|d| stack.resource(d).is_some_and(&found));
    own || earlier(stack, graph).iter().any(|s| {
        let place = |st: &Stack| match &st.target {
            Target::Account { account, region } => Some((account.clone(), region.clone())),
            Target::StackSet(_) => None,
        };
        match (place(s), place(stack)) {
            (Some((a, r)), Some((b, q))) => {
                a == b && (!same_region || r == q) && s.resources.iter().any(&found)
            }
            _ => false,
        }
    })
}

fn opensearch_without_service_linked_role(
    resource: &Resource,
    stack: &Stack,
    graph: &Graph,
) -> Option<String> {
    resource.properties.get("VPCOptions")?;
    let is_role = |r: &Resource| {
        r.kind == "AWS::IAM::ServiceLinkedRole"
            && matches!(
                text(r, "AWSServiceName"),
                Some("opensearchservice.amazonaws.com" | "es.amazonaws.com")
            )
    };
    (!created_before(resource, stack, graph, false, is_role)).then(|| {
        format!(
            "is a VPC domain, but no stack deployed before it creates the service-linked role `AWSServiceRoleForAmazonOpenSearchService` in account `{}`",
            account_of(stack).unwrap_or_default()
        )
    })
}

fn opensearch_logs_without_policy(
    resource: &Resource,
    stack: &Stack,
    graph: &Graph,
) -> Option<String> {
    let publishing = resource
        .properties
        .get("LogPublishingOptions")?
        .as_object()?;
    let enabled: Vec<&str> = publishing
        .iter()
        .filter(|(_, o)| o.get("Enabled") != Some(&Value::Bool(false)))
        .map(|(k, _)| k.as_str())
        .collect();
    if enabled.is_empty() {
        return None;
    }
    let admits = |r: &Resource| {
        r.kind == "AWS::Logs::ResourcePolicy"
            && r.properties
                .get("PolicyDocument")
                .is_some_and(|d| d.to_string().contains("es.amazonaws.com"))
    };
    (!created_before(resource, stack, graph, true, admits)).then(|| {
        format!(
            "publishes `{}` to CloudWatch Logs, but no resource policy created before it admits `es.amazonaws.com`",
            enabled.join("`, `")
        )
    })
}

fn opensearch_key_policy(resource: &Resource, stack: &Stack, graph: &Graph) -> Option<String> {
    let key_id = resource
        .properties
        .get("EncryptionAtRestOptions")?
        .get("KmsKeyId")?;
    let (key_stack, key) = trail_key(resource, stack, graph, key_id)?;
    let policy = key.properties.get("KeyPolicy")?;
    let statements = match policy.get("Statement")? {
        Value::Array(s) => s.clone(),
        one => vec![one.clone()],
    };
    let grants = |s: &Value, action: &str| {
        strings(s.get("Action")).any(|a| {
            let a = a.to_ascii_lowercase();
            a == "*" || a == "kms:*" || a == action
        })
    };
    let to_account = |s: &Value| {
        let principal = s.get("Principal");
        principal.and_then(Value::as_str) == Some("*")
            || principal.and_then(|p| p.get("AWS")).is_some_and(|p| {
                let text = p.to_string();
                text.contains(":root") || text == "\"*\""
            })
    };
    let allows = statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && to_account(s)
            && grants(s, "kms:creategrant")
            && (grants(s, "kms:describekey")
                || strings(s.get("Action")).any(|a| a.eq_ignore_ascii_case("kms:Describe*")))
    });
    (!allows).then(|| {
        format!(
            "encrypts with key `{}` of stack `{}`, whose key policy lets no principal of the account `kms:CreateGrant` and `kms:DescribeKey`",
            key.logical_id, key_stack.name
        )
    })
}

fn unpinned_engine_version(resource: &Resource, stack: &Stack, _: &Graph) -> Option<String> {
    if resource.properties.contains_key("EngineVersion")
        || resource
            .properties
            .contains_key("ReplicationSourceIdentifier")
        || resource.properties.contains_key("DBClusterIdentifier")
    {
        return None;
    }
    let group = ["DBClusterParameterGroupName", "DBParameterGroupName"]
        .iter()
        .find_map(|k| resource.properties.get(*k))?;
    let id = group.get("Ref")?.as_str()?;
    let family = stack.resource(id)?.properties.get("Family")?.as_str()?;
    Some(format!(
        "has no `EngineVersion`, but its parameter group `{id}` is pinned to family `{family}`"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Each rule on a hand-made resource that breaks it and one that does
    //! not; the AWS page of each is in the table above.

    use super::*;
    use landfall_graph::{Layer, Output, Parameter};
    use serde_json::{json, Map};

    fn resource(id: &str, kind: &str, properties: Value) -> Resource {
        let mut r = Resource::new(id, kind);
        if let Value::Object(map) = properties {
            r.properties = map;
        }
        r
    }

    fn stack(name: &str, account: &str, region: &str, resources: Vec<Resource>) -> Stack {
        Stack {
            name: name.into(),
            layer: Layer::Workloads,
            description: String::new(),
            target: Target::Account {
                account: account.into(),
                region: region.into(),
            },
            parameters: Vec::new(),
            conditions: Map::new(),
            resources,
            outputs: Vec::<Output>::new(),
            depends_on: Vec::new(),
            inputs: Vec::new(),
            capacity: Vec::new(),
        }
    }

    fn graph(stacks: Vec<Stack>) -> Graph {
        Graph {
            stacks,
            ..Graph::default()
        }
    }

    fn rule(code: &str) -> &'static Constraint {
        CONSTRAINTS.iter().find(|c| c.code == code).unwrap()
    }

    /// The rule's verdict on the first resource of the first stack.
    fn verdict(code: &str, g: &Graph) -> Option<String> {
        let s = &g.stacks[0];
        (rule(code).check)(&s.resources[0], s, g)
    }

    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
    #[test]
    fn sql_server_has_no_iam_database_authentication() {
        let db = |engine: &str| {
            graph(vec![stack(
                "s",
                "a",
                "eu-central-1",
                vec![resource(
                    "Db",
                    "AWS::RDS::DBInstance",
                    json!({ "Engine": engine, "EnableIAMDatabaseAuthentication": true }),
                )],
            )])
        };
        let found = verdict("deploy::rds-iam-auth-engine", &db("sqlserver-se")).unwrap();
        assert!(found.contains("sqlserver-se"), "{found}");
        assert_eq!(
            verdict("deploy::rds-iam-auth-engine", &db("postgres")),
            None
        );
    }

    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
    #[test]
    fn sql_server_exports_only_agent_and_error_logs() {
        let db = |logs: Value| {
            graph(vec![stack(
                "s",
                "a",
                "eu-central-1",
                vec![resource(
                    "Db",
                    "AWS::RDS::DBInstance",
                    json!({ "Engine": "sqlserver-se", "EnableCloudwatchLogsExports": logs }),
                )],
            )])
        };
        let found = verdict(
            "deploy::rds-log-exports",
            &db(json!(["error", "slowquery"])),
        )
        .unwrap();
        assert!(found.contains("`slowquery`"), "{found}");
        assert_eq!(
            verdict("deploy::rds-log-exports", &db(json!(["agent", "error"]))),
            None
        );
    }

    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html
    #[test]
    fn binlog_replica_clusters_are_cross_region_only() {
        let replica = |source: Value| {
            graph(vec![stack(
                "s",
                "a",
                "eu-central-1",
                vec![resource(
                    "Replica",
                    "AWS::RDS::DBCluster",
                    json!({ "Engine": "aurora-mysql", "ReplicationSourceIdentifier": source }),
                )],
            )])
        };
        assert!(verdict(
            "deploy::aurora-replica-region",
            &replica(json!({ "Fn::GetAtt": ["Cluster", "DBClusterArn"] }))
        )
        .is_some());
        assert!(verdict(
            "deploy::aurora-replica-region",
            &replica(json!("arn:aws:rds:eu-central-1:111122223333:cluster:main"))
        )
        .is_some());
        assert_eq!(
            verdict(
                "deploy::aurora-replica-region",
                &replica(json!("arn:aws:rds:eu-west-1:111122223333:cluster:main"))
            ),
            None
        );
    }

    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-placement-group.html
    #[test]
    fn shared_placement_groups_are_referenced_by_id() {
        let network = stack(
            "network",
            "networking",
            "eu-central-1",
            vec![resource(
                "GroupA",
                "AWS::EC2::PlacementGroup",
                json!({ "Strategy": "cluster" }),
            )],
        );
        let asg = |group: Value, account: &str| {
            let mut s = stack(
                "workload",
                account,
                "eu-central-1",
                vec![resource(
                    "Metal",
                    "AWS::AutoScaling::AutoScalingGroup",
                    json!({ "PlacementGroup": group }),
                )],
            );
            s.parameters.push(Parameter {
                name: "PlacementGroupA".into(),
                description: String::new(),
                value: ParameterValue::ResourceId {
                    stack: "network".into(),
                    logical_id: "GroupA".into(),
                },
            });
            graph(vec![s, network.clone()])
        };
        let found = verdict(
            "deploy::shared-placement-group-name",
            &asg(json!({ "Ref": "PlacementGroupA" }), "trading-prod"),
        )
        .unwrap();
        assert!(found.contains("`networking`"), "{found}");
        // The owner's own group, by name, is fine.
        assert_eq!(
            verdict(
                "deploy::shared-placement-group-name",
                &asg(json!({ "Ref": "PlacementGroupA" }), "networking")
            ),
            None
        );
    }

    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html
    #[test]
    fn vpc_origins_are_in_the_account_of_their_load_balancer() {
        let lb = stack(
            "network",
            "networking",
            "eu-central-1",
            vec![resource(
                "Alb",
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                json!({}),
            )],
        );
        let origin = |arn: Value| {
            let mut s = stack(
                "edge",
                "web-prod",
                "eu-central-1",
                vec![resource(
                    "VpcOrigin",
                    "AWS::CloudFront::VpcOrigin",
                    json!({ "VpcOriginEndpointConfig": { "Name": "x", "Arn": arn } }),
                )],
            );
            s.parameters.push(Parameter {
                name: "LoadBalancerArn".into(),
                description: String::new(),
                value: ParameterValue::ResourceId {
                    stack: "network".into(),
                    logical_id: "Alb".into(),
                },
            });
            graph(vec![s, lb.clone()])
        };
        let found = verdict(
            "deploy::vpc-origin-account",
            &origin(json!({ "Ref": "LoadBalancerArn" })),
        )
        .unwrap();
        assert!(found.contains("`networking`"), "{found}");
        // A load balancer of the stack itself, in the account's own VPC.
        let mut own = origin(json!({ "Ref": "Alb" }));
        own.stacks[0].resources.push(resource(
            "Alb",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            json!({ "Subnets": ["subnet-1"] }),
        ));
        assert_eq!(verdict("deploy::vpc-origin-account", &own), None);
        // ... and in subnets shared by the network account.
        let mut shared = own.clone();
        shared.stacks[1]
            .resources
            .push(resource("SubnetA", "AWS::EC2::Subnet", json!({})));
        shared.stacks[0].parameters.push(Parameter {
            name: "SubnetA".into(),
            description: String::new(),
            value: ParameterValue::ResourceId {
                stack: "network".into(),
                logical_id: "SubnetA".into(),
            },
        });
        shared.stacks[0].resources[1]
            .properties
            .insert("Subnets".into(), json!([{ "Ref": "SubnetA" }]));
        let found = verdict("deploy::vpc-origin-account", &shared).unwrap();
        assert!(
            found.contains("`networking` shared to `web-prod`"),
            "{found}"
        );
    }

    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    #[test]
    fn the_trail_key_policy_lets_cloudtrail_describe_the_key() {
        let with_actions = |actions: Value| {
            let key = resource(
                "LogKey",
                "AWS::KMS::Key",
                json!({ "KeyPolicy": { "Version": "2012-10-17", "Statement": [
                { "Effect": "Allow", "Principal": { "Service": ["cloudtrail.amazonaws.com"] }, "Action": actions, "Resource": "*" }
            ] } }),
            );
            let alias = resource(
                "LogKeyAlias",
                "AWS::KMS::Alias",
                json!({ "AliasName": "alias/logs", "TargetKeyId": { "Ref": "LogKey" } }),
            );
            let archive = stack(
                "log-archive",
                "log-archive",
                "eu-central-1",
                vec![key, alias],
            );
            let mut trail = stack(
                "trail",
                "management",
                "eu-central-1",
                vec![resource(
                    "Trail",
                    "AWS::CloudTrail::Trail",
                    json!({
                        "KMSKeyId": { "Fn::Sub": "arn:${AWS::Partition}:kms:eu-central-1:${LogArchiveAccountId}:alias/logs" }
                    }),
                )],
            );
            trail.parameters.push(Parameter {
                name: "LogArchiveAccountId".into(),
                description: String::new(),
                value: ParameterValue::AccountId("log-archive".into()),
            });
            graph(vec![trail, archive])
        };
        let found = verdict(
            "deploy::cloudtrail-key-policy",
            &with_actions(json!(["kms:Decrypt", "kms:GenerateDataKey*"])),
        )
        .unwrap();
        assert!(found.contains("`LogKey`"), "{found}");
        assert_eq!(
            verdict(
                "deploy::cloudtrail-key-policy",
                &with_actions(json!(["kms:DescribeKey", "kms:GenerateDataKey*"]))
            ),
            None
        );
    }

    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html
    #[test]
    fn pinned_parameter_group_families_need_pinned_engine_versions() {
        let cluster = |version: Option<&str>| {
            let mut c = json!({ "Engine": "aurora-mysql", "DBClusterParameterGroupName": { "Ref": "Params" } });
            if let Some(v) = version {
                c["EngineVersion"] = json!(v);
            }
            graph(vec![stack(
                "s",
                "a",
                "eu-central-1",
                vec![
                    resource("Cluster", "AWS::RDS::DBCluster", c),
                    resource(
                        "Params",
                        "AWS::RDS::DBClusterParameterGroup",
                        json!({ "Family": "aurora-mysql8.0" }),
                    ),
                ],
            )])
        };
        let found = verdict("deploy::rds-engine-version", &cluster(None)).unwrap();
        assert!(found.contains("aurora-mysql8.0"), "{found}");
        assert_eq!(
            verdict(
                "deploy::rds-engine-version",
                &cluster(Some("8.0.mysql_aurora.3.08.0"))
            ),
            None
        );
    }

    #[test]
    fn scram_secrets_are_named_amazonmsk_and_use_a_customer_managed_key() {
        // https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html:
        // the name must start with `AmazonMSK_`; a secret under the AWS
        // managed key cannot be used with MSK; secrets must be in the
        // cluster's account and region; the cluster must enable SCRAM.
        let cluster = |scram: bool| {
            resource(
                "Cluster",
                "AWS::MSK::Cluster",
                json!({ "ClientAuthentication": { "Sasl": { "Iam": { "Enabled": true }, "Scram": { "Enabled": scram } } } }),
            )
        };
        let association = |secrets: Value| {
            resource(
                "Scram",
                "AWS::MSK::BatchScramSecret",
                json!({ "ClusterArn": { "Ref": "Cluster" }, "SecretArnList": secrets }),
            )
        };
        let good = graph(vec![stack(
            "logs",
            "compliance-prod",
            "eu-central-1",
            vec![
                // The rule's resource first (`verdict` checks the first).
                association(json!([{ "Ref": "Secret" }])),
                resource("Key", "AWS::KMS::Key", json!({})),
                resource(
                    "Secret",
                    "AWS::SecretsManager::Secret",
                    json!({ "Name": "AmazonMSK_logs-agents", "KmsKeyId": { "Fn::GetAtt": ["Key", "Arn"] } }),
                ),
                cluster(true),
            ],
        )]);
        assert_eq!(verdict("deploy::msk-scram-secret", &good), None);
        let bad = graph(vec![stack(
            "logs",
            "compliance-prod",
            "eu-central-1",
            vec![
                association(json!([
                    { "Ref": "Secret" },
                    { "Ref": "Managed" },
                    "arn:aws:secretsmanager:eu-central-1:100000000009:secret:AmazonMSK_other-AbCdEf"
                ])),
                resource(
                    "Secret",
                    "AWS::SecretsManager::Secret",
                    json!({ "Name": "logs-agents" }),
                ),
                resource(
                    "Managed",
                    "AWS::SecretsManager::Secret",
                    json!({ "Name": "AmazonMSK_x", "KmsKeyId": "alias/aws/secretsmanager" }),
                ),
                cluster(false),
            ],
        )]);
        let message = verdict("deploy::msk-scram-secret", &bad).expect("a finding");
        for part in [
            "`Secret` is named `logs-agents`, without the prefix `AmazonMSK_`",
            "`Secret` has no `KmsKeyId`",
            "`Managed` is encrypted with the AWS managed key",
            "not a secret of its own stack",
            "`Cluster` does not enable SASL/SCRAM",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }

    #[test]
    fn every_rule_cites_its_aws_page_and_has_a_unique_code() {
        let mut codes = std::collections::BTreeSet::new();
        for c in CONSTRAINTS {
            assert!(
                c.aws_page.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                c.code
            );
            assert!(
                c.code.starts_with("deploy::") && codes.insert(c.code),
                "{}",
                c.code
            );
        }
    }

    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html
    // (CloudFormation writes the validation record only in a zone of the
    // certificate's own account).
    #[test]
    fn certificates_are_validated_in_a_zone_of_their_own_account() {
        let edge = |account: &str| {
            let mut s = stack(
                "edge",
                account,
                "us-east-1",
                vec![resource(
                    "PublicZone",
                    "AWS::Route53::HostedZone",
                    json!({ "Name": "web.prod.example.com" }),
                )],
            );
            s.outputs.push(Output {
                name: "HostedZoneId".into(),
                description: None,
                value: json!({ "Ref": "PublicZone" }),
                export: None,
            });
            s
        };
        let with_zone = |zone_account: &str| {
            let mut s = stack(
                "base",
                "web-prod",
                "eu-central-1",
                vec![resource(
                    "OriginCertificate",
                    "AWS::CertificateManager::Certificate",
                    json!({
                        "DomainName": "origin.web.prod.example.com",
                        "ValidationMethod": "DNS",
                        "DomainValidationOptions": [{ "DomainName": "origin.web.prod.example.com", "HostedZoneId": { "Ref": "Zone" } }]
                    }),
                )],
            );
            s.parameters.push(Parameter {
                name: "Zone".into(),
                description: String::new(),
                value: ParameterValue::StackOutput {
                    stack: "edge".into(),
                    output: "HostedZoneId".into(),
                },
            });
            graph(vec![s, edge(zone_account)])
        };
        let code = "deploy::certificate-validation-zone";
        let found = verdict(code, &with_zone("networking")).unwrap();
        assert!(found.contains("account `networking`"), "{found}");
        assert_eq!(verdict(code, &with_zone("web-prod")), None);
        // A literal zone id nothing in the account creates.
        let mut literal = with_zone("web-prod");
        literal.stacks[0].resources[0].properties["DomainValidationOptions"][0]["HostedZoneId"] =
            json!("Z0123456789");
        assert!(verdict(code, &literal).unwrap().contains("Z0123456789"));
        // Email validation has no zone.
        let mut email = literal.clone();
        email.stacks[0].resources[0].properties["ValidationMethod"] = json!("EMAIL");
        assert_eq!(verdict(code, &email), None);
    }

    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html
    #[test]
    fn cloudfront_reaches_origins_over_https_only() {
        let origin = |policy: &str| {
            graph(vec![stack(
                "base",
                "web-prod",
                "eu-central-1",
                vec![resource(
                    "VpcOrigin",
                    "AWS::CloudFront::VpcOrigin",
                    json!({ "VpcOriginEndpointConfig": { "Name": "web-prod", "Arn": "arn", "OriginProtocolPolicy": policy } }),
                )],
            )])
        };
        let found = verdict("deploy::origin-plain-http", &origin("http-only")).unwrap();
        assert!(
            found.contains("`web-prod`") && found.contains("http-only"),
            "{found}"
        );
        assert!(verdict("deploy::origin-plain-http", &origin("match-viewer")).is_some());
        assert_eq!(
            verdict("deploy::origin-plain-http", &origin("https-only")),
            None
        );
        let custom = |policy: &str| {
            graph(vec![stack(
                "service",
                "web-prod",
                "eu-central-1",
                vec![resource(
                    "Distribution",
                    "AWS::CloudFront::Distribution",
                    json!({ "DistributionConfig": { "Origins": [{ "Id": "api", "DomainName": "api.example.com", "CustomOriginConfig": { "OriginProtocolPolicy": policy } }] } }),
                )],
            )])
        };
        assert!(verdict("deploy::origin-plain-http", &custom("http-only"))
            .unwrap()
            .contains("`api`"));
        assert_eq!(
            verdict("deploy::origin-plain-http", &custom("https-only")),
            None
        );
    }

    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html
    #[test]
    fn load_balancers_listen_on_https_or_only_redirect_to_it() {
        let listener = |properties: Value| {
            graph(vec![stack(
                "base",
                "web-prod",
                "eu-central-1",
                vec![resource(
                    "Listener",
                    "AWS::ElasticLoadBalancingV2::Listener",
                    properties,
                )],
            )])
        };
        let code = "deploy::listener-plain-http";
        let fixed =
            json!([{ "Type": "fixed-response", "FixedResponseConfig": { "StatusCode": "404" } }]);
        assert!(verdict(
            code,
            &listener(json!({ "Protocol": "HTTP", "Port": 80, "DefaultActions": fixed }))
        )
        .is_some());
        assert_eq!(
            verdict(
                code,
                &listener(json!({ "Protocol": "HTTPS", "Port": 443, "DefaultActions": fixed }))
            ),
            None
        );
        let redirect = json!([{ "Type": "redirect", "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301" } }]);
        assert_eq!(
            verdict(
                code,
                &listener(json!({ "Protocol": "HTTP", "Port": 80, "DefaultActions": redirect }))
            ),
            None
        );
    }

    /// A VPC domain with a key, log publishing and the stack it is in.
    fn search_domain(depends_on_policy: bool) -> Resource {
        let mut d = resource(
            "Domain",
            "AWS::OpenSearchService::Domain",
            json!({
                "VPCOptions": { "SubnetIds": ["subnet-1"] },
                "EncryptionAtRestOptions": { "Enabled": true, "KmsKeyId": { "Ref": "Key" } },
                "LogPublishingOptions": { "SEARCH_SLOW_LOGS": { "CloudWatchLogsLogGroupArn": "arn", "Enabled": true } }
            }),
        );
        if depends_on_policy {
            d.depends_on.push("Policy".into());
        }
        d
    }

    fn search_key(statement: Value) -> Resource {
        resource(
            "Key",
            "AWS::KMS::Key",
            json!({ "KeyPolicy": { "Version": "2012-10-17", "Statement": [statement] } }),
        )
    }

    fn log_policy() -> Resource {
        resource(
            "Policy",
            "AWS::Logs::ResourcePolicy",
            json!({ "PolicyName": "p", "PolicyDocument": { "Fn::Sub": "{\"Principal\":{\"Service\":\"es.amazonaws.com\"}}" } }),
        )
    }

    fn account_root() -> Value {
        json!({ "Effect": "Allow", "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } }, "Action": "kms:*", "Resource": "*" })
    }

    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html
    #[test]
    fn a_vpc_search_domain_needs_the_service_linked_role_from_an_earlier_stack() {
        let code = "deploy::opensearch-service-linked-role";
        let role = resource(
            "Role",
            "AWS::IAM::ServiceLinkedRole",
            json!({ "AWSServiceName": "opensearchservice.amazonaws.com" }),
        );
        let domain_stack = |depends: bool| {
            let mut s = stack("search", "obs", "eu-west-1", vec![search_domain(true)]);
            if depends {
                s.depends_on.push("global".into());
            }
            s
        };
        // No role anywhere: refused.
        let found = verdict(code, &graph(vec![domain_stack(false)])).unwrap();
        assert!(
            found.contains("AWSServiceRoleForAmazonOpenSearchService"),
            "{found}"
        );
        // The role in another stack the domain's does not wait for: refused.
        let role_stack = stack("global", "obs", "eu-central-1", vec![role.clone()]);
        assert!(verdict(code, &graph(vec![domain_stack(false), role_stack.clone()])).is_some());
        // In an earlier stack of the account (any region: IAM is global).
        assert_eq!(
            verdict(code, &graph(vec![domain_stack(true), role_stack])),
            None
        );
        // In another account: refused.
        let elsewhere = stack("global", "other", "eu-central-1", vec![role]);
        assert!(verdict(code, &graph(vec![domain_stack(true), elsewhere])).is_some());
        // A public domain needs no role.
        let mut public = search_domain(true);
        public.properties.remove("VPCOptions");
        let g = graph(vec![stack("s", "obs", "eu-west-1", vec![public])]);
        assert_eq!(verdict(code, &g), None);
    }

    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
    #[test]
    fn a_search_domain_publishing_logs_waits_for_the_resource_policy() {
        let code = "deploy::opensearch-log-policy";
        let g = |depends: bool, policy: bool| {
            let mut resources = vec![search_domain(depends)];
            if policy {
                resources.push(log_policy());
            }
            graph(vec![stack("s", "obs", "eu-west-1", resources)])
        };
        let found = verdict(code, &g(false, false)).unwrap();
        assert!(found.contains("SEARCH_SLOW_LOGS"), "{found}");
        // In the stack but not waited for: the domain may come first.
        assert!(verdict(code, &g(false, true)).is_some());
        assert_eq!(verdict(code, &g(true, true)), None);
    }

    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html
    #[test]
    fn a_search_domains_key_must_let_the_account_create_grants() {
        let code = "deploy::opensearch-key-policy";
        let g = |statement: Value| {
            graph(vec![stack(
                "s",
                "obs",
                "eu-west-1",
                vec![search_domain(true), search_key(statement)],
            )])
        };
        assert_eq!(verdict(code, &g(account_root())), None);
        let via_service = json!({
            "Effect": "Allow", "Principal": { "AWS": "*" },
            "Action": ["kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt"], "Resource": "*",
            "Condition": { "StringEquals": { "kms:ViaService": "es.eu-west-1.amazonaws.com" } }
        });
        assert_eq!(verdict(code, &g(via_service)), None);
        let logs_only = json!({
            "Effect": "Allow", "Principal": { "Service": "logs.eu-west-1.amazonaws.com" },
            "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"
        });
        let found = verdict(code, &g(logs_only)).unwrap();
        assert!(found.contains("kms:CreateGrant"), "{found}");
    }
}
