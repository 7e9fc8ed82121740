//! The log search domains of the reference platform: one per VPC in the
//! observability account, as OpenSearch Service accepts it at deploy time.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{ParameterValue, Resource, Stack, Target};
use landfall_synth::layers::log_search::{
    self, ADMIN_ROLE, AGGREGATOR_ROLE, DATA_INSTANCE_TYPES, JAEGER_ROLE, MANAGER_INSTANCE_TYPES,
    OVERHEAD_PERCENT, REPLICAS, TLS_SECURITY_POLICY,
};
use serde_json::{json, Value};

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

fn domain_stacks(s: &common::Synthesized) -> Vec<&Stack> {
    s.graph
        .stacks
        .iter()
        .filter(|st| st.name.starts_with("meridian-log-search-") && !st.name.ends_with("-global"))
        .collect()
}

fn resource<'s>(stack: &'s Stack, id: &str) -> &'s Resource {
    stack
        .resource(id)
        .unwrap_or_else(|| panic!("no `{id}` in {}", stack.name))
}

fn prop<'r>(r: &'r Resource, pointer: &str) -> &'r Value {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let first = parts.next().unwrap_or_default();
    let mut value = r.properties.get(first);
    for part in parts {
        value = match value {
            Some(Value::Array(a)) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            Some(other) => other.get(part),
            None => None,
        };
    }
    value.unwrap_or_else(|| panic!("no {pointer} in {}", r.logical_id))
}

/// Every VPC (environment × region) gets its domain in the observability
/// account and the VPC's region, in that VPC's data subnets (shared with
/// the account), where the log cluster its aggregators read lives.
#[test]
fn every_vpc_gets_a_domain_in_the_observability_account_in_its_data_subnets() {
    let s = reference();
    let stacks = domain_stacks(&s);
    assert_eq!(stacks.len(), s.model.network.vpcs.len());
    let observability = s
        .model
        .accounts
        .iter()
        .find(|a| a.name == "observability")
        .unwrap();
    assert_eq!(s.model.network.log_search, Some(observability.id));
    for vpc in &s.model.network.vpcs {
        let stack = s
            .graph
            .stack(&format!("meridian-log-search-{}", vpc.name))
            .unwrap();
        let region = &s.model.region(vpc.region).name;
        assert_eq!(
            stack.target,
            Target::Account {
                account: "observability".into(),
                region: region.clone()
            }
        );
        let domain = resource(stack, "Domain");
        let subnets = prop(domain, "/VPCOptions/SubnetIds").as_array().unwrap();
        assert_eq!(subnets.len(), 3, "{}", stack.name);
        for subnet in subnets {
            let name = subnet["Ref"].as_str().unwrap();
            let p = stack.parameters.iter().find(|p| p.name == name).unwrap();
            let ParameterValue::ResourceId {
                stack: owner,
                logical_id,
            } = &p.value
            else {
                panic!("{p:?}");
            };
            assert!(logical_id.starts_with("SubnetData"), "{logical_id}");
            let network = s.graph.stack(owner).unwrap();
            assert!(
                network.resource(logical_id).is_some(),
                "{owner} {logical_id}"
            );
            assert!(stack
                .depends_on
                .iter()
                .any(|d| d.starts_with(&format!("meridian-network-{}", vpc.name))));
        }
        // The data subnets are shared with the account; so are the
        // endpoints subnets of the VPC the remediation service runs in, and
        // no other.
        for subnet in s.model.network.subnets.iter().filter(|x| x.vpc == vpc.id) {
            let kind = s.model.tier(subnet.tier).kind;
            let data = kind == landfall_spec::types::TierKind::Data && subnet.domain.is_none();
            let remediation = kind == landfall_spec::types::TierKind::Endpoints
                && s.model.network.remediation_vpcs.contains(&vpc.id);
            assert_eq!(
                subnet.shared_with.contains(&observability.id),
                data || remediation,
                "{}",
                subnet.name
            );
        }
    }
}

/// Three AZs, data nodes a multiple of three, three dedicated managers,
/// encryption at rest with the stack's own key, node-to-node encryption,
/// HTTPS only with a TLS 1.2 forward-secrecy policy, fine-grained access
/// control with an IAM master role and no internal user database
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html),
/// an access policy naming the two roles only.
#[test]
fn each_domain_is_spread_encrypted_and_admits_only_its_roles() {
    let s = reference();
    for stack in domain_stacks(&s) {
        let domain = resource(stack, "Domain");
        assert_eq!(domain.kind, "AWS::OpenSearchService::Domain");
        let cluster = prop(domain, "/ClusterConfig");
        assert_eq!(cluster["ZoneAwarenessEnabled"], json!(true));
        assert_eq!(
            cluster["ZoneAwarenessConfig"]["AvailabilityZoneCount"],
            json!(3)
        );
        assert_eq!(cluster["InstanceCount"].as_u64().unwrap() % 3, 0);
        assert_eq!(cluster["DedicatedMasterEnabled"], json!(true));
        assert_eq!(cluster["DedicatedMasterCount"], json!(3));
        assert_eq!(
            prop(domain, "/EncryptionAtRestOptions/Enabled"),
            &json!(true)
        );
        assert_eq!(
            prop(domain, "/EncryptionAtRestOptions/KmsKeyId"),
            &json!({ "Ref": "SearchKey" })
        );
        assert_eq!(resource(stack, "SearchKey").kind, "AWS::KMS::Key");
        assert_eq!(
            prop(domain, "/NodeToNodeEncryptionOptions/Enabled"),
            &json!(true)
        );
        assert_eq!(
            prop(domain, "/DomainEndpointOptions/EnforceHTTPS"),
            &json!(true)
        );
        assert_eq!(
            prop(domain, "/DomainEndpointOptions/TLSSecurityPolicy"),
            &json!(TLS_SECURITY_POLICY)
        );
        let security = prop(domain, "/AdvancedSecurityOptions");
        assert_eq!(security["Enabled"], json!(true));
        assert_eq!(security["InternalUserDatabaseEnabled"], json!(false));
        assert!(security["MasterUserOptions"]
            .get("MasterUserName")
            .is_none());
        assert!(security["MasterUserOptions"]
            .get("MasterUserPassword")
            .is_none());
        assert!(security["MasterUserOptions"]["MasterUserARN"]
            .to_string()
            .contains(&format!("role/workload/{ADMIN_ROLE}")));
        let statements = prop(domain, "/AccessPolicies/Statement")
            .as_array()
            .unwrap();
        assert_eq!(statements.len(), 1);
        let principals = statements[0]["Principal"]["AWS"].as_array().unwrap();
        assert_eq!(principals.len(), 3);
        let text = statements[0]["Principal"].to_string();
        assert!(
            text.contains(AGGREGATOR_ROLE)
                && text.contains(ADMIN_ROLE)
                && text.contains(&format!("role/workload/{JAEGER_ROLE}")),
            "{text}"
        );
        assert!(!statements[0]["Resource"].to_string().contains("domain/*"));
        // No secret anywhere in the template.
        let all = serde_json::to_string(
            &stack
                .resources
                .iter()
                .map(|r| &r.properties)
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(!all.contains("MasterUserPassword"));
    }
}

/// The domain's group admits HTTPS only, and only from security groups
/// (the aggregators', Jaeger's, the operators', the internal scanners'),
/// never from an address range; the domain opens nothing.
#[test]
fn the_domain_admits_https_from_the_aggregators_jaeger_and_operators_only() {
    let s = reference();
    for stack in domain_stacks(&s) {
        let group = resource(stack, "DomainGroup");
        let ingress = prop(group, "/SecurityGroupIngress").as_array().unwrap();
        let sources: Vec<String> = ingress
            .iter()
            .map(|rule| {
                assert_eq!(rule["IpProtocol"], "tcp");
                assert_eq!(rule["FromPort"], 443);
                assert_eq!(rule["ToPort"], 443);
                assert!(rule.get("CidrIp").is_none(), "{rule}");
                rule["SourceSecurityGroupId"].to_string()
            })
            .collect();
        assert!(sources[0].contains("AggregatorGroup"), "{sources:?}");
        assert!(sources[1].contains("JaegerGroup"), "{sources:?}");
        assert!(sources[2].contains("OperatorsGroup"), "{sources:?}");
        assert!(sources[3].contains("ScannerGroupId"), "{sources:?}");
        assert_eq!(sources.len(), 4);
        let egress = prop(group, "/SecurityGroupEgress").as_array().unwrap();
        assert_eq!(egress[0]["CidrIp"], "127.0.0.1/32");
        for id in ["AggregatorToDomain", "JaegerToDomain", "OperatorsToDomain"] {
            let rule = resource(stack, id);
            assert_eq!(prop(rule, "/FromPort"), &json!(443));
            assert!(prop(rule, "/DestinationSecurityGroupId")
                .to_string()
                .contains("DomainGroup"));
        }
    }
}

/// OpenSearch refuses a VPC domain until `AWSServiceRoleForAmazonOpenSearchService`
/// exists, and only the console creates it by itself
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html):
/// the account creates it once, in a stack every domain stack waits for.
#[test]
fn the_service_linked_role_is_created_once_before_every_domain() {
    let s = reference();
    let holders: Vec<&Stack> = s
        .graph
        .stacks
        .iter()
        .filter(|st| {
            st.resources.iter().any(|r| {
                r.kind == "AWS::IAM::ServiceLinkedRole"
                    && r.properties["AWSServiceName"] == "opensearchservice.amazonaws.com"
            })
        })
        .collect();
    assert_eq!(holders.len(), 1);
    let global = holders[0];
    assert_eq!(global.name, "meridian-log-search-global");
    assert_eq!(
        global.target,
        Target::Account {
            account: "observability".into(),
            region: "eu-central-1".into()
        }
    );
    let waves = s.graph.deploy_waves().unwrap();
    let wave_of = |name: &str| waves.iter().position(|w| w.contains(&name)).unwrap();
    for stack in domain_stacks(&s) {
        assert!(stack.depends_on.contains(&global.name), "{}", stack.name);
        assert!(wave_of(&stack.name) > wave_of(&global.name));
    }
}

/// The key the domain encrypts with lets the account's principals use it
/// through OpenSearch only, and CloudWatch Logs for the domain's own log
/// groups (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html);
/// the log groups admit OpenSearch through a resource policy created
/// before the domain, for this domain only
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html).
#[test]
fn the_key_and_the_log_groups_admit_opensearch_for_this_domain() {
    let s = reference();
    for stack in domain_stacks(&s) {
        let key = resource(stack, "SearchKey");
        assert_eq!(prop(key, "/EnableKeyRotation"), &json!(true));
        let statements = prop(key, "/KeyPolicy/Statement").as_array().unwrap();
        let via = statements
            .iter()
            .find(|st| st["Sid"] == "OpenSearchForTheAccount")
            .unwrap();
        assert_eq!(
            via["Condition"]["StringEquals"]["kms:ViaService"],
            json!({ "Fn::Sub": "es.${AWS::Region}.amazonaws.com" })
        );
        assert!(via["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("kms:CreateGrant")));
        let domain = resource(stack, "Domain");
        assert!(domain
            .depends_on
            .contains(&"LogPublishingPolicy".to_owned()));
        let publishing = prop(domain, "/LogPublishingOptions").as_object().unwrap();
        let kinds: Vec<&str> = publishing.keys().map(String::as_str).collect();
        assert_eq!(
            kinds,
            ["ES_APPLICATION_LOGS", "INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS"]
        );
        let policy = resource(stack, "LogPublishingPolicy");
        let text = prop(policy, "/PolicyDocument/Fn::Sub").as_str().unwrap();
        let document: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            document["Statement"][0]["Principal"]["Service"],
            "es.amazonaws.com"
        );
        let name = prop(domain, "/DomainName").as_str().unwrap();
        assert!(
            document["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
                .as_str()
                .unwrap()
                .ends_with(&format!("domain/{name}"))
        );
        for group in ["ApplicationLogs", "IndexSlowLogs", "SearchSlowLogs"] {
            assert!(text.contains(&format!("${{{group}.Arn}}")), "{text}");
            assert_eq!(resource(stack, group).kind, "AWS::Logs::LogGroup");
        }
    }
}

/// The storage formula, by hand, for the production VPC of the home
/// region: the services of `prod` at their declared volume, kept
/// `opensearch_retention_days`, one replica, AWS's 1.45 overhead
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/sizing-domains.html);
/// the volume quota of the instance type holds each node's share
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html).
#[test]
fn storage_is_sized_from_the_declared_volume_and_the_retention() {
    let s = reference();
    let vpc = s
        .model
        .network
        .vpcs
        .iter()
        .find(|v| v.name == "prod-eu-central-1")
        .unwrap();
    let sizing = log_search::sizing(&s.model, vpc);
    let kib: u64 = s
        .model
        .services
        .iter()
        .filter(|x| x.environments.contains(&vpc.environment))
        .map(|x| u64::from(x.monitoring.logs.volume_kib_per_second))
        .sum();
    assert_eq!(sizing.log_kib_per_second, kib);
    assert_eq!(sizing.retention_days, 14);
    let expected =
        (kib * 86_400 * 14 * (1 + REPLICAS) * OVERHEAD_PERCENT).div_ceil(100 * 1024 * 1024);
    assert_eq!(sizing.storage_gib, expected);
    assert!(u64::from(sizing.data_nodes) * sizing.volume_gib >= sizing.storage_gib);
    let max = DATA_INSTANCE_TYPES
        .iter()
        .find(|(t, _)| *t == sizing.data_instance_type)
        .unwrap()
        .1;
    assert!(sizing.volume_gib <= max);
    assert_eq!(sizing.data_nodes % 3, 0);
    let manager = MANAGER_INSTANCE_TYPES
        .iter()
        .find(|(most, _)| sizing.data_nodes <= *most)
        .unwrap()
        .1;
    assert_eq!(sizing.manager_instance_type, manager);
    // What the template carries is the sizing.
    let stack = s
        .graph
        .stack("meridian-log-search-prod-eu-central-1")
        .unwrap();
    let domain = resource(stack, "Domain");
    assert_eq!(prop(domain, "/EBSOptions/VolumeType"), &json!("gp3"));
    assert_eq!(
        prop(domain, "/EBSOptions/VolumeSize"),
        &json!(sizing.volume_gib)
    );
    assert_eq!(
        prop(domain, "/ClusterConfig/InstanceCount"),
        &json!(sizing.data_nodes)
    );
    assert_eq!(
        prop(domain, "/ClusterConfig/InstanceType"),
        &json!(sizing.data_instance_type)
    );
    assert_eq!(prop(domain, "/DomainName"), &json!("logs-prod-euc1"));
}

#[test]
fn domain_names_are_ones_opensearch_accepts() {
    assert_eq!(log_search::region_code("eu-central-1"), "euc1");
    assert_eq!(log_search::region_code("ap-southeast-2"), "apse2");
    assert_eq!(log_search::region_code("us-east-1"), "use1");
    assert_eq!(
        log_search::domain_name("staging", "eu-west-1"),
        "logs-staging-euw1"
    );
    assert!(log_search::valid_domain_name("logs-staging-euw1"));
    assert!(!log_search::valid_domain_name(
        "logs-an-environment-name-too-long-euw1"
    ));
    assert!(!log_search::valid_domain_name("1logs"));
    assert!(!log_search::valid_domain_name("Logs-prod"));
}

/// Without an observability account there is no domain (the small spec).
#[test]
fn a_platform_without_an_observability_account_gets_no_domain() {
    let s = common::synthesize_files(common::small_files(), None);
    assert!(s.model.network.log_search.is_none());
    assert!(!s
        .graph
        .stacks
        .iter()
        .any(|st| st.name.contains("log-search")));
}

/// The templates, reviewed as templates.
#[test]
fn log_search_templates() {
    let s = reference();
    let emitted = common::emit(&s);
    for name in [
        "meridian-log-search-global",
        "meridian-log-search-prod-eu-central-1",
    ] {
        let file = emitted
            .files
            .iter()
            .find(|f| f.path == format!("templates/observability/{name}.json"))
            .unwrap_or_else(|| panic!("no template of {name}"));
        insta::assert_snapshot!(name, file.contents);
    }
}

/// Keeping logs searchable for years needs more data nodes than a domain
/// may have (80 by default, `limits: opensearch_data_nodes_per_domain`,
/// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html):
/// refused before anything is deployed, at `opensearch_retention_days`.
#[test]
fn a_domain_over_the_data_node_quota_is_refused_at_the_retention() {
    let files: Vec<(String, String)> = common::reference_files()
        .into_iter()
        .map(|(name, text)| {
            let text = if name == "observability.yaml" {
                text.replace(
                    "opensearch_retention_days: 14",
                    "opensearch_retention_days: 1825",
                )
            } else {
                text
            };
            (name, text)
        })
        .collect();
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    let model = resolved.model.expect("still a valid spec");
    let plan = landfall_netplan::plan(&model, &resolved.loaded, None, Default::default())
        .plan
        .unwrap();
    let scps = landfall_rules::compile_scps(&model).unwrap();
    let problems = landfall_synth::synthesize(&model, &plan, &scps).unwrap_err();
    let over: Vec<_> = problems
        .iter()
        .filter(|p| p.code == "limits::opensearch-data-nodes")
        .collect();
    assert!(!over.is_empty(), "{problems:#?}");
    assert!(over
        .iter()
        .all(|p| p.message.contains("over the quota of 80")));
    let at = over[0].at.as_ref().unwrap();
    assert!(
        at.path.ends_with("/logs/opensearch_retention_days"),
        "{}",
        at.path
    );
}

/// The aggregators write the data lake in the log archive's bucket, across
/// accounts: the bucket policy and the role's own policy must both allow
/// it, and the archive key lets the organization's principals use it
/// through S3
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html>).
/// The bucket names the role by `aws:PrincipalArn` under `Principal: *`:
/// a policy naming a role that does not exist yet is refused, and the role
/// is created after the bucket
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles>).
#[test]
fn the_aggregator_role_writes_the_lake_under_the_tables_prefix_and_the_bucket_admits_it() {
    let s = reference();
    assert!(landfall_synth::layers::log_lake::PARTITION_PATH.starts_with(log_search::LAKE_PREFIX));
    let archive = s.graph.stack("meridian-log-archive").unwrap();
    let policy = resource(archive, "AppLogsBucketPolicy");
    let statements = prop(policy, "/PolicyDocument/Statement")
        .as_array()
        .unwrap();
    let write = statements
        .iter()
        .find(|st| st["Sid"] == "LogAggregatorsWriteTheLake")
        .unwrap();
    assert_eq!(write["Principal"], json!({ "AWS": "*" }));
    assert_eq!(
        write["Action"],
        json!(["s3:AbortMultipartUpload", "s3:PutObject"])
    );
    assert_eq!(
        write["Resource"],
        json!({ "Fn::Sub": "${AppLogsBucket.Arn}/domain=*" })
    );
    let role_arn = format!(
        "arn:${{AWS::Partition}}:iam::${{ObservabilityAccountId}}:role/workload/{AGGREGATOR_ROLE}"
    );
    assert_eq!(
        write["Condition"]["ArnEquals"]["aws:PrincipalArn"],
        json!({ "Fn::Sub": role_arn })
    );
    let param = archive
        .parameters
        .iter()
        .find(|p| p.name == "ObservabilityAccountId")
        .unwrap();
    assert_eq!(
        param.value,
        ParameterValue::AccountId("observability".into())
    );
    // No other statement lets anyone write there.
    for st in statements
        .iter()
        .filter(|st| st["Action"] == "s3:PutObject")
    {
        assert_eq!(
            st["Resource"],
            json!({ "Fn::Sub": "${AppLogsBucket.Arn}/${!aws:PrincipalAccount}/*" })
        );
    }
    // The bucket's name, as the log archive creates it and the role names it.
    let bucket = resource(archive, "AppLogsBucket");
    assert_eq!(
        prop(bucket, "/BucketName"),
        &json!({ "Fn::Sub": "meridian-applogs-${AWS::AccountId}-eu-central-1" })
    );
    let global = s.graph.stack("meridian-log-search-global").unwrap();
    let role = resource(global, "AggregatorRole");
    let lake = prop(role, "/Policies")
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == "log-lake-write")
        .unwrap();
    let own = lake["PolicyDocument"]["Statement"].as_array().unwrap();
    let find = |sid: &str| own.iter().find(|st| st["Sid"] == sid).unwrap();
    assert_eq!(
        find("WriteTheLake")["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:s3:::meridian-applogs-${LogArchiveAccountId}-eu-central-1/domain=*" })
    );
    assert_eq!(
        find("CheckTheLake")["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:s3:::meridian-applogs-${LogArchiveAccountId}-eu-central-1" })
    );
    let kms = find("EncryptWithTheArchiveKey");
    assert_eq!(
        kms["Condition"]["StringEquals"]["kms:ViaService"],
        "s3.eu-central-1.amazonaws.com"
    );
    assert_eq!(
        global
            .parameters
            .iter()
            .find(|p| p.name == "LogArchiveAccountId")
            .unwrap()
            .value,
        ParameterValue::AccountId("log-archive".into())
    );
    // The archive key's statement for the organization through S3.
    let key = resource(archive, "LogArchiveKey");
    let through_s3 = prop(key, "/KeyPolicy/Statement")
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["Sid"] == "OrganizationWritesThroughS3")
        .unwrap();
    assert!(through_s3["Action"]
        .as_array()
        .unwrap()
        .contains(&json!("kms:GenerateDataKey*")));
}
