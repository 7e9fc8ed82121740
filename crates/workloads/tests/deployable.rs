//! What AWS accepts at deploy time and what the stacks read: engine
//! versions, authentication each engine supports, analytics readers,
//! placement groups, quotas, and values read from outside the stacks.
//! Each test cites the AWS page the fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{Resource, Stack};
use serde_json::Value;

/// A stack's account and region (every workload stack targets one).
fn target(stack: &Stack) -> (&str, &str) {
    match &stack.target {
        landfall_graph::Target::Account { account, region } => (account, region),
        landfall_graph::Target::StackSet(_) => panic!("{}: a StackSet", stack.name),
    }
}

fn resources<'a>(
    stacks: &'a [Stack],
    kind: &'a str,
) -> impl Iterator<Item = (&'a Stack, &'a Resource)> {
    stacks.iter().flat_map(move |s| {
        s.resources
            .iter()
            .filter(move |r| r.kind == kind)
            .map(move |r| (s, r))
    })
}

#[test]
fn sql_server_stores_use_neither_iam_authentication_nor_mysql_logs() {
    // IAM database authentication isn't available for RDS for SQL Server:
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.RDS_Fea_Regions_DB-eng.Feature.IamDatabaseAuthentication.html
    // SQL Server publishes `agent` and `error` logs:
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.SQLServer.html
    let (_, stacks) = reference();
    let mut seen = 0;
    for (stack, r) in resources(stacks, "AWS::RDS::DBInstance") {
        let engine = r
            .properties
            .get("Engine")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !engine.starts_with("sqlserver") {
            continue;
        }
        seen += 1;
        assert_eq!(
            r.properties["EnableIAMDatabaseAuthentication"], false,
            "{}",
            stack.name
        );
        assert_eq!(
            r.properties["EnableCloudwatchLogsExports"],
            serde_json::json!(["agent", "error"]),
            "{}",
            stack.name
        );
    }
    assert!(seen > 0, "the reference has SQL Server stores");
}

#[test]
fn engine_versions_are_pinned_with_their_parameter_group_family() {
    // Without EngineVersion a store gets the region's default version, which
    // need not match a pinned parameter-group family:
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithParamGroups.html
    let (_, stacks) = reference();
    let mut checked = 0;
    for stack in stacks {
        for r in &stack.resources {
            let (engine, version_key) = match r.kind.as_str() {
                "AWS::RDS::DBCluster" => (r.properties.get("Engine"), "EngineVersion"),
                "AWS::RDS::DBInstance" if !r.properties.contains_key("DBClusterIdentifier") => {
                    (r.properties.get("Engine"), "EngineVersion")
                }
                "AWS::ElastiCache::ReplicationGroup" | "AWS::ElastiCache::CacheCluster" => {
                    (r.properties.get("Engine"), "EngineVersion")
                }
                _ => continue,
            };
            let engine = engine.and_then(Value::as_str).unwrap();
            let info = landfall_model::engines::engine(engine).unwrap();
            assert_eq!(
                r.properties.get(version_key).and_then(Value::as_str),
                Some(info.version),
                "{}: {} of {engine}",
                stack.name,
                r.logical_id
            );
            checked += 1;
            if let Some(family) = stack
                .resource("ClusterParameters")
                .filter(|_| r.kind == "AWS::RDS::DBCluster")
                .and_then(|p| p.properties.get("Family"))
            {
                assert_eq!(family, info.family, "{}", stack.name);
            }
        }
    }
    assert!(checked > 50, "only {checked} versioned resources");
}

#[test]
fn in_region_analytics_are_readers_behind_a_custom_endpoint() {
    // Aurora MySQL binlog replica clusters are created across regions only:
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html
    // Custom endpoints group chosen readers:
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Endpoints.Custom.html
    let (_, stacks) = reference();
    for (stack, r) in resources(stacks, "AWS::RDS::DBCluster") {
        assert!(
            !r.properties.contains_key("ReplicationSourceIdentifier"),
            "{}: a same-region binlog replica cluster",
            stack.name
        );
    }
    let stack = stacks
        .iter()
        .find(|s| s.name.ends_with("clearing-prod-store-settlements"))
        .unwrap();
    let analytics = stack.resource("AnalyticsEndpoint").unwrap();
    let members = analytics.properties["StaticMembers"].as_array().unwrap();
    assert!(!members.is_empty());
    for m in members {
        let id = m["Ref"].as_str().unwrap();
        let instance = stack.resource(id).unwrap();
        assert_eq!(instance.properties["DBClusterIdentifier"]["Ref"], "Cluster");
        assert_eq!(instance.properties["PromotionTier"], 15);
    }
    let readers = stack.resource("ReadersEndpoint").unwrap();
    assert_eq!(
        readers.properties["ExcludedMembers"],
        analytics.properties["StaticMembers"]
    );
}

#[test]
fn valkey_replication_groups_authenticate_through_iam_users() {
    // CKV_AWS_31 and ElastiCache IAM authentication (user ids equal user
    // names; every user group has a `default` user):
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html
    let (_, stacks) = reference();
    let mut seen = 0;
    for (stack, r) in resources(stacks, "AWS::ElastiCache::ReplicationGroup") {
        seen += 1;
        let groups = r.properties["UserGroupIds"].as_array().unwrap();
        let group = stack.resource(groups[0]["Ref"].as_str().unwrap()).unwrap();
        let users: Vec<&Resource> = group.properties["UserIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| stack.resource(u["Ref"].as_str().unwrap()).unwrap())
            .collect();
        assert!(users.iter().any(|u| u.properties["UserName"] == "default"
            && u.properties["AccessString"]
                .as_str()
                .unwrap()
                .starts_with("off")));
        for u in users
            .iter()
            .filter(|u| u.properties["UserName"] != "default")
        {
            assert_eq!(
                u.properties["AuthenticationMode"]["Type"], "iam",
                "{}",
                stack.name
            );
            assert_eq!(u.properties["UserId"], u.properties["UserName"]);
            assert!(u.properties["UserId"].as_str().unwrap().len() <= 40);
        }
    }
    assert!(seen > 0);
}

#[test]
fn stacks_read_only_what_exists_before_them() {
    // An SSM dynamic reference to a parameter nothing creates fails the
    // stack: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html
    // The ECS-optimized AMI parameters are public, in every region:
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html
    let (_, stacks) = reference();
    let mut images = 0;
    for stack in stacks {
        let text = serde_json::to_string(
            &stack
                .resources
                .iter()
                .map(|r| &r.properties)
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(!text.contains("resolve:ssm:/landfall"), "{}", stack.name);
        assert!(!text.contains("/landfall/logs/brokers"), "{}", stack.name);
        assert!(
            !text.contains("public.ecr.aws"),
            "{}: a public registry",
            stack.name
        );
        for (_, r) in resources(std::slice::from_ref(stack), "AWS::EC2::LaunchTemplate") {
            assert_eq!(
                r.properties["LaunchTemplateData"]["ImageId"],
                "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id}}"
            );
        }
        for (_, r) in resources(std::slice::from_ref(stack), "AWS::ECS::TaskDefinition") {
            let fargate = r.properties["RequiresCompatibilities"][0] == "FARGATE";
            for (i, c) in r.properties["ContainerDefinitions"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                images += 1;
                let image = c["Image"]["Fn::Sub"].as_str().unwrap();
                // Pulled in the task's own region (the registry replicates).
                assert!(image.contains(".dkr.ecr.${AWS::Region}."), "{image}");
                // A Fargate app logs through FireLens to its log agent;
                // the sidecars, metal tasks and the log aggregators (the
                // pipeline's far end, which cannot ship through itself)
                // log to CloudWatch Logs.
                // Jaeger too: it is the traces' far end, in the
                // observability account, with no log agent beside it.
                let aggregators = stack.name.ends_with("-log-aggregators")
                    || stack
                        .name
                        .ends_with(&format!("-{}", landfall_workloads::traces::STACK_SUFFIX));
                let driver = if fargate && i == 0 && !aggregators {
                    "awsfirelens"
                } else {
                    "awslogs"
                };
                assert_eq!(c["LogConfiguration"]["LogDriver"], driver, "{}", stack.name);
            }
        }
    }
    assert!(images > 100);
}

#[test]
fn metal_capacity_uses_placement_groups_of_its_own_account() {
    // Participants must name a shared placement group by id, which
    // CloudFormation does not return; the owner may name it:
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-placement-group.html
    let (_, stacks) = reference();
    let mut seen = 0;
    for (stack, asg) in resources(stacks, "AWS::AutoScaling::AutoScalingGroup") {
        seen += 1;
        let pg = asg.properties["PlacementGroup"]["Ref"].as_str().unwrap();
        let group = stack
            .resource(pg)
            .unwrap_or_else(|| panic!("{}: {pg}", stack.name));
        assert_eq!(group.kind, "AWS::EC2::PlacementGroup");
        assert_eq!(group.properties["Strategy"], "cluster");
    }
    assert!(seen > 0);
}

#[test]
fn a_metal_fleet_over_the_vcpu_quota_is_a_located_problem() {
    // A new account runs 5 vCPUs of On-Demand Standard instances (L-1216C47A):
    // https://docs.aws.amazon.com/cli/latest/reference/service-quotas/get-aws-default-service-quota.html
    let (p, _) = reference();
    let mut model = p.model.clone();
    model.limits = landfall_model::Limits::default();
    let problems =
        landfall_workloads::build(&model, &p.plan, &p.base, &Default::default()).unwrap_err();
    let quota: Vec<_> = problems
        .iter()
        .filter(|p| p.code == "workloads::vcpu-quota")
        .collect();
    assert!(!quota.is_empty());
    assert!(quota
        .iter()
        .all(|p| p.at.is_some() && p.help.contains("L-1216C47A")));
    assert_eq!(quota.len(), problems.len(), "{problems:?}");
}

#[test]
fn msk_topics_are_created_through_the_msk_topic_api() {
    // AWS::MSK::Topic (MSK's topic API, Kafka 3.6+): no custom resource
    // whose function nothing creates.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-msk-topic.html
    let (_, stacks) = reference();
    for stack in stacks {
        for r in &stack.resources {
            assert!(
                !r.kind.starts_with("Custom::"),
                "{}: {}",
                stack.name,
                r.kind
            );
        }
    }
    let mut topics = 0;
    for (stack, t) in resources(stacks, "AWS::MSK::Topic") {
        topics += 1;
        assert_eq!(t.properties["ClusterArn"]["Ref"], "Cluster");
        assert_eq!(stack.resource("Cluster").unwrap().kind, "AWS::MSK::Cluster");
        let configs = t.properties["Configs"]["Fn::Base64"].as_str().unwrap();
        let configs: serde_json::Map<String, Value> = serde_json::from_str(configs).unwrap();
        assert!(configs.contains_key("retention.ms"));
    }
    assert!(topics > 10);
    // Every cluster is named and tagged after its store: the remediation
    // service finds a store's cluster by its name, and its role may update
    // only clusters tagged with a store.
    let mut clusters = 0;
    for (_, c) in resources(stacks, "AWS::MSK::Cluster") {
        clusters += 1;
        assert_eq!(
            c.properties["Tags"]["landfall:store"], c.properties["ClusterName"],
            "{:?}",
            c.properties
        );
    }
    assert!(clusters > 0);
    let version = landfall_model::engines::engine("kafka").unwrap().version;
    assert!(
        version.starts_with("3.")
            && version[2..]
                .split('.')
                .next()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                >= 6
    );
}

/// Every Aurora cluster's stack raises `AuroraWriterUnavailable` from
/// `EngineUptime` of the cluster's `WRITER` role, missing data breaching
/// (alarm on the role, since which instance writes changes:
/// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/creating_alarms.html;
/// the metric: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Reboot.Uptime.html),
/// named so the remediation service reads the store and environment from
/// the alarm; and the cluster carries the tags the failover finds it by
/// (`landfall:store`, `landfall:environment`: CloudFormation names it).
#[test]
fn every_aurora_cluster_raises_writer_unavailable_and_carries_its_store() {
    let (_, stacks) = reference();
    let mut clusters = 0;
    for (stack, c) in resources(stacks, "AWS::RDS::DBCluster") {
        if !c.properties["Engine"]
            .as_str()
            .unwrap()
            .starts_with("aurora")
        {
            continue;
        }
        clusters += 1;
        let tags = &c.properties["Tags"];
        let tag = |key: &str| {
            tags.as_array()
                .unwrap()
                .iter()
                .find(|t| t["Key"] == key)
                .map(|t| t["Value"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{}: no tag {key}: {tags}", stack.name))
        };
        let (store, env) = (tag("landfall:store"), tag("landfall:environment"));
        let alarm = stack.resource("WriterUnavailableAlarm").unwrap();
        assert_eq!(
            alarm.properties["AlarmName"],
            format!("landfall/AuroraWriterUnavailable/store={store}/environment={env}")
        );
        assert_eq!(alarm.properties["Namespace"], "AWS/RDS");
        assert_eq!(alarm.properties["MetricName"], "EngineUptime");
        assert_eq!(
            alarm.properties["Dimensions"],
            serde_json::json!([
                { "Name": "DBClusterIdentifier", "Value": { "Ref": "Cluster" } },
                { "Name": "Role", "Value": "WRITER" }
            ])
        );
        assert_eq!(alarm.properties["TreatMissingData"], "breaching");
        assert_eq!(alarm.properties["EvaluationPeriods"], 5);
    }
    assert!(clusters > 0);
}

/// A cluster names its configuration's latest revision: MSK applies the
/// revision `ConfigurationInfo` names, so a fixed `1` would leave a changed
/// `ServerProperties` (a new revision) unapplied.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-msk-configuration.html
/// (return value `LatestRevision.Revision`)
#[test]
fn msk_clusters_follow_their_configurations_latest_revision() {
    let (_, stacks) = reference();
    let mut clusters = 0;
    for (stack, cluster) in resources(stacks, "AWS::MSK::Cluster") {
        clusters += 1;
        let info = &cluster.properties["ConfigurationInfo"];
        assert_eq!(
            info["Revision"]["Fn::GetAtt"],
            serde_json::json!(["Configuration", "LatestRevision.Revision"]),
            "{}",
            stack.name
        );
        assert_eq!(info["Arn"]["Fn::GetAtt"][0], "Configuration");
        assert_eq!(
            stack.resource("Configuration").unwrap().kind,
            "AWS::MSK::Configuration"
        );
    }
    assert!(clusters > 0);
}

#[test]
fn every_service_declares_the_image_its_pipeline_pushes() {
    // Repositories are created empty: the first image is an input of the
    // service's stack, pulled in the task's region, which the registry
    // replicates to: https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
    let (p, stacks) = reference();
    for stack in stacks.iter().filter(|s| s.name.contains("-service-")) {
        let images: Vec<_> = stack
            .inputs
            .iter()
            .filter(|i| i.kind == landfall_graph::InputKind::Image)
            .collect();
        let own: Vec<_> = images
            .iter()
            .filter(|i| i.name.ends_with(":bootstrap"))
            .collect();
        assert_eq!(own.len(), 1, "{}", stack.name);
        // Beside it, the sidecars' pinned copies (Fargate tasks).
        for i in images.iter().filter(|i| !i.name.ends_with(":bootstrap")) {
            assert!(
                landfall_model::sidecars::SIDECARS
                    .iter()
                    .chain([&landfall_model::sidecars::METRICS_AGENT])
                    .any(|s| s.image() == i.name),
                "{}",
                i.name
            );
        }
    }
    let replication = p
        .base
        .stacks
        .iter()
        .flat_map(|s| &s.resources)
        .find(|r| r.kind == "AWS::ECR::ReplicationConfiguration")
        .expect("the registry replicates");
    let destinations =
        &replication.properties["ReplicationConfiguration"]["Rules"][0]["Destinations"];
    assert!(destinations
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["Region"] == "eu-west-1"));
}

#[test]
fn metal_hosts_can_use_session_manager() {
    // Session Manager with KMS-encrypted sessions and S3 session logs needs
    // the instance profile to allow kms:Decrypt on the session key and
    // s3:PutObject to the log bucket:
    // https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-getting-started-instance-profile.html
    // The baseline makes that policy in every account; every metal
    // instance role must attach it, by the name and path the baseline uses.
    let (p, stacks) = reference();
    let baseline: Vec<String> = p
        .base
        .stacks
        .iter()
        .flat_map(|s| &s.resources)
        .filter(|r| r.kind == "AWS::IAM::ManagedPolicy")
        .filter_map(|r| {
            let name = r.properties.get("ManagedPolicyName")?.as_str()?;
            let path = r.properties.get("Path")?.as_str()?;
            Some(format!("policy{path}{name}"))
        })
        .collect();
    let roles: Vec<_> = resources(stacks, "AWS::IAM::Role")
        .filter(|(_, r)| r.logical_id == "InstanceRole")
        .collect();
    assert!(!roles.is_empty(), "the reference has metal capacity");
    for (stack, role) in roles {
        let attached = role.properties["ManagedPolicyArns"].to_string();
        let session = baseline
            .iter()
            .find(|p| p.ends_with("landfall-session-manager-instance"))
            .expect("the baseline makes the session policy");
        assert!(
            attached.contains(&format!(":{session}")),
            "{}: {attached} lacks {session}",
            stack.name
        );
    }
}

#[test]
fn memcached_is_reached_only_over_tls_from_the_services_that_declare_it() {
    // ElastiCache authenticates clients (IAM, AUTH, RBAC) for Valkey and
    // Redis OSS only:
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-redis.html
    // Memcached 1.6.12 and later encrypts in transit:
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/encryption.html
    // Its network is its access control: TLS, and ingress from the security
    // groups of the declaring services only, never from an address range.
    let (_, stacks) = reference();
    let mut clusters = 0;
    for (stack, cluster) in resources(stacks, "AWS::ElastiCache::CacheCluster") {
        if cluster.properties["Engine"] != "memcached" {
            continue;
        }
        clusters += 1;
        assert_eq!(
            cluster.properties["TransitEncryptionEnabled"], true,
            "{}",
            stack.name
        );
        let group = stack.resource("SecurityGroup").unwrap();
        assert!(
            group.properties.get("SecurityGroupIngress").is_none(),
            "{}: {:?}",
            stack.name,
            group.properties.get("SecurityGroupIngress")
        );
    }
    assert!(clusters >= 2, "{clusters}");
    let mut rules = 0;
    for (stack, rule) in resources(stacks, "AWS::EC2::SecurityGroupIngress") {
        if rule.properties.get("FromPort") != Some(&serde_json::json!(11211)) {
            continue;
        }
        rules += 1;
        assert!(rule.properties.get("CidrIp").is_none(), "{}", stack.name);
        assert!(
            rule.properties.get("SourceSecurityGroupId").is_some(),
            "{}",
            stack.name
        );
    }
    assert!(rules > 0);
}

#[test]
fn metal_fleets_declare_the_capacity_the_live_plan_checks() {
    // vCPU quotas and instance offerings per AZ are only known live
    // (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html,
    // https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html):
    // every Auto Scaling group's type, size and AZ is declared for `plan`.
    let (p, stacks) = reference();
    for stack in stacks {
        let groups = stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::AutoScaling::AutoScalingGroup")
            .count();
        assert_eq!(stack.capacity.len(), groups, "{}", stack.name);
        for c in &stack.capacity {
            assert_eq!(c.instance_type, "c7i.metal-24xl");
            assert_eq!(c.vcpus_per_instance, 96);
            assert!(
                c.availability_zone.starts_with("eu-"),
                "{}: {c:?}",
                stack.name
            );
            assert!(
                p.model.accounts.iter().any(|a| a.name == c.subnet_owner),
                "{c:?}"
            );
        }
    }
}

#[test]
fn services_call_load_balancers_over_https_with_the_private_ca() {
    // A private certificate from a CA shared with the account, in the CA's
    // region: https://docs.aws.amazon.com/acm/latest/userguide/ca-access.html
    // HTTPS listeners take a default certificate and a TLS policy:
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html
    let (_, stacks) = reference();
    let mut seen = 0;
    for (stack, listener) in resources(stacks, "AWS::ElasticLoadBalancingV2::Listener") {
        // Jaeger's Network Load Balancer listens in plain TCP for now
        // (docs/telemetry.md, "Not yet": TLS comes with the gateway, whose
        // exporter must trust the private CA).
        if stack
            .name
            .ends_with(&format!("-{}", landfall_workloads::traces::STACK_SUFFIX))
        {
            assert_eq!(listener.properties["Protocol"], "TCP", "{}", stack.name);
            continue;
        }
        seen += 1;
        assert_eq!(listener.properties["Protocol"], "HTTPS", "{}", stack.name);
        assert_eq!(listener.properties["Port"], 443, "{}", stack.name);
        let cert = listener.properties["Certificates"][0]["CertificateArn"]["Ref"]
            .as_str()
            .unwrap();
        let cert = stack.resource(cert).unwrap();
        assert_eq!(
            cert.properties["DomainName"],
            serde_json::json!({ "Fn::GetAtt": ["LoadBalancer", "DNSName"] })
        );
        let ca = cert.properties["CertificateAuthorityArn"]["Ref"]
            .as_str()
            .unwrap();
        let param = stack.parameters.iter().find(|p| p.name == ca).unwrap();
        let region = target(stack).1;
        assert_eq!(
            param.value,
            landfall_graph::ParameterValue::ResourceId {
                stack: landfall_graph::private_ca_stack_name("meridian", region),
                logical_id: landfall_graph::PRIVATE_CA_LOGICAL_ID.into(),
            },
            "{}: the CA of the stack's own region",
            stack.name
        );
        assert!(stack
            .depends_on
            .contains(&landfall_graph::private_ca_stack_name("meridian", region)));
    }
    assert!(seen > 0);
    // Callers and the load balancer meet on 443, nowhere on 80.
    for stack in stacks {
        for r in &stack.resources {
            let text = serde_json::to_string(&r.properties).unwrap();
            assert!(
                !text.contains("\"FromPort\":80,"),
                "{}/{}: {text}",
                stack.name,
                r.logical_id
            );
        }
    }
}

#[test]
fn cloudfront_reaches_public_origins_over_https_with_a_certificate_of_the_domains_zone() {
    // CloudFront checks an origin's certificate against its domain name and
    // trusts only public CAs:
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html
    // CloudFormation validates a DNS certificate by itself only in a zone of
    // the same account:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html
    let (_, stacks) = reference();
    let by_name = |name: &str| stacks.iter().find(|s| s.name == name).unwrap();
    let mut seen = 0;
    for (stack, origin) in resources(stacks, "AWS::CloudFront::VpcOrigin") {
        seen += 1;
        let config = &origin.properties["VpcOriginEndpointConfig"];
        assert_eq!(config["OriginProtocolPolicy"], "https-only");
        let cert = stack.resource("OriginCertificate").unwrap();
        let name = cert.properties["DomainName"].as_str().unwrap();
        assert!(
            name.starts_with(&format!("origin-{}.", target(stack).1))
                && name.ends_with(".edge.meridian-markets.example"),
            "{name}"
        );
        // The zone is the account's own, from its edge stack, which
        // the delegation stack delegates before this stack runs.
        let zone = cert.properties["DomainValidationOptions"][0]["HostedZoneId"]["Ref"]
            .as_str()
            .unwrap();
        let landfall_graph::ParameterValue::StackOutput { stack: edge, .. } = &stack
            .parameters
            .iter()
            .find(|p| p.name == zone)
            .unwrap()
            .value
        else {
            panic!("{zone}");
        };
        let edge = by_name(edge);
        assert_eq!(target(edge).0, target(stack).0);
        let hosted = edge.resource("PublicZone").unwrap();
        assert!(name.ends_with(hosted.properties["Name"].as_str().unwrap()));
        assert!(stack
            .depends_on
            .contains(&"meridian-workloads-dns".to_owned()));
        let dns = by_name("meridian-workloads-dns");
        assert_eq!(target(dns).0, "networking");
        assert!(dns.depends_on.contains(&edge.name));
        assert!(dns
            .resources
            .iter()
            .any(|r| r.kind == "AWS::Route53::RecordSet"
                && r.properties["Type"] == "NS"
                && r.properties["Name"] == hosted.properties["Name"]));
        // The distributions name the origin by that name.
        let listener_cert = stack.resource("OriginCertificateOnListener").unwrap();
        assert_eq!(
            listener_cert.properties["Certificates"][0]["CertificateArn"]["Ref"],
            "OriginCertificate"
        );
    }
    assert!(seen > 0);
}

#[test]
fn a_public_service_without_a_public_zone_is_a_located_problem() {
    let (p, _) = reference();
    let mut model = p.model.clone();
    model.network.dns = None;
    let problems =
        landfall_workloads::build(&model, &p.plan, &p.base, &Default::default()).unwrap_err();
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| p.code == "workloads::public-without-zone"
                && p.at.is_some()
                && p.help.contains("network.dns")),
        "{problems:#?}"
    );
}

#[test]
fn every_group_admits_the_scanners_of_its_vpc_and_only_by_group() {
    // Participants of a shared VPC may reference each other's groups:
    // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing-security-groups.html
    let (p, stacks) = reference();
    let mut groups = 0;
    for stack in stacks {
        for group in stack.resources.iter().filter(|r| {
            r.kind == "AWS::EC2::SecurityGroup"
                && !["TasksOfTheLoadBalancer", "QuarantineSecurityGroup"]
                    .contains(&r.logical_id.as_str())
        }) {
            groups += 1;
            let rule = stack
                .resource(&landfall_graph::logical_id(&[
                    "ScannerInto",
                    &group.logical_id,
                ]))
                .unwrap_or_else(|| {
                    panic!("{}: {} admits no scanner", stack.name, group.logical_id)
                });
            assert_eq!(rule.properties["IpProtocol"], "-1");
            assert!(rule.properties.get("CidrIp").is_none());
            let param = rule.properties["SourceSecurityGroupId"]["Ref"]
                .as_str()
                .unwrap();
            let landfall_graph::ParameterValue::ResourceId {
                stack: scanner,
                logical_id,
            } = &stack
                .parameters
                .iter()
                .find(|x| x.name == param)
                .unwrap()
                .value
            else {
                panic!("{param}");
            };
            assert_eq!(logical_id, landfall_graph::SCANNER_GROUP_LOGICAL_ID);
            assert!(stack.depends_on.contains(scanner));
            // The scanner group of the stack's own VPC, in security tooling.
            let scanner_stack = p.base.stack(scanner).unwrap();
            let landfall_graph::Target::Account { account, region } = &scanner_stack.target else {
                panic!("{scanner}");
            };
            assert_eq!(account, "security-tooling");
            assert_eq!(region, target(stack).1);
        }
    }
    assert!(groups > 100, "{groups}");
}

/// Every stack with metal hosts has the group `landfall heal` quarantines
/// them in: in the hosts' VPC, tagged so the remediation role finds it
/// (`landfall:quarantine`, the domain), admitting nothing (not even the
/// scanners) and letting nothing out. A group without egress rules gets
/// AWS's allow-all rule, so the one rule stands for none
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html,
/// `SecurityGroupEgress`).
#[test]
fn metal_hosts_have_a_quarantine_group_that_admits_nothing() {
    let (_, stacks) = reference();
    let mut seen = 0;
    for stack in stacks
        .iter()
        .filter(|s| s.resource("MetalLaunchTemplate").is_some())
    {
        seen += 1;
        let group = stack
            .resource("QuarantineSecurityGroup")
            .unwrap_or_else(|| panic!("{}: no quarantine group", stack.name));
        assert_eq!(
            group.properties["VpcId"],
            stack.resource("InstanceSecurityGroup").unwrap().properties["VpcId"]
        );
        assert!(group.properties.get("SecurityGroupIngress").is_none());
        let egress = group.properties["SecurityGroupEgress"].as_array().unwrap();
        assert_eq!(egress.len(), 1);
        assert_eq!(egress[0]["CidrIp"], "127.0.0.1/32");
        let tags: Vec<(String, String)> = group.properties["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["Key"].as_str().unwrap().to_owned(),
                    t["Value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(tags.contains(&("landfall:quarantine".into(), "true".into())));
        // The hosts' interfaces carry their domain: the remediation role
        // may quarantine only interfaces so tagged.
        let spec = &stack.resource("MetalLaunchTemplate").unwrap().properties["LaunchTemplateData"]
            ["TagSpecifications"][0];
        assert_eq!(spec["ResourceType"], "network-interface");
        assert!(spec["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "landfall:domain"));
        assert!(tags.iter().any(|(k, _)| k == "landfall:domain"));
        // Nothing in the stack adds a rule to it.
        for r in &stack.resources {
            if r.kind.starts_with("AWS::EC2::SecurityGroup") && r.logical_id != group.logical_id {
                assert_ne!(
                    r.properties
                        .get("GroupId")
                        .and_then(|g| g.pointer("/Fn::GetAtt/0")),
                    Some(&serde_json::json!("QuarantineSecurityGroup")),
                    "{}: {}",
                    stack.name,
                    r.logical_id
                );
            }
        }
    }
    assert!(seen > 0);
}

/// Zabbix probes each domain's internal load balancer by its name in the
/// monitoring zone of the VPC (`landfall_observability::zabbix::endpoint`):
/// the record is a stack of the VPC owner's account, where the zone is,
/// after the account stack whose load balancer it names.
/// <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-basic.html>
#[test]
fn every_internal_load_balancer_is_named_in_its_vpcs_monitoring_zone() {
    let (p, stacks) = reference();
    let mut named = 0;
    for account_stack in stacks.iter().filter(|s| {
        s.outputs.iter().any(|o| o.name == "LoadBalancerDnsName") && s.resource("Cluster").is_some()
    }) {
        let names = stacks
            .iter()
            .find(|s| s.name == format!("{}-names", account_stack.name))
            .unwrap_or_else(|| panic!("no names of {}", account_stack.name));
        named += 1;
        assert!(names.depends_on.contains(&account_stack.name));
        let record = &names.resource("LoadBalancer").unwrap().properties;
        let tag = |key: &str| {
            account_stack.resource("Cluster").unwrap().properties["Tags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["Key"] == key)
                .unwrap()["Value"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            record["Name"],
            landfall_model::monitoring::load_balancer_host(
                &p.model.organization.slug,
                &tag("landfall:domain"),
                &tag("landfall:environment")
            )
        );
        assert_eq!(record["Type"], "CNAME");
        let target = names
            .parameters
            .iter()
            .find(|q| q.name == "LoadBalancerDnsName")
            .unwrap();
        assert_eq!(
            target.value,
            landfall_graph::ParameterValue::StackOutput {
                stack: account_stack.name.clone(),
                output: "LoadBalancerDnsName".into()
            }
        );
        // The zone's stack is in the names stack's account and region.
        let zone = names
            .parameters
            .iter()
            .find(|q| q.name == "ZoneId")
            .unwrap();
        let landfall_graph::ParameterValue::ResourceId { stack, .. } = &zone.value else {
            panic!("{:?}", zone.value)
        };
        assert_eq!(p.base.stack(stack).unwrap().target, names.target);
    }
    assert!(named >= 10, "{named}");
}
