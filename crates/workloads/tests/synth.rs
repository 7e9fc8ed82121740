#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

#[test]
fn reference_platform_synthesizes() {
    let p = common::reference();
    let stacks = p.workloads_with_agents();
    let services = stacks
        .iter()
        .filter(|s| s.name.contains("-service-"))
        .count();
    let stores = stacks.iter().filter(|s| s.name.contains("-store-")).count();
    eprintln!(
        "{} stacks, {services} service stacks, {stores} store stacks",
        stacks.len()
    );
    assert!(services >= 111);
    let graph = p.graph(stacks);
    let out = landfall_synth::cloudformation::emit(&graph, &p.model.limits, None).expect("emits");
    if let Ok(dir) = std::env::var("LANDFALL_WORKLOADS_OUT") {
        landfall_synth::cloudformation::write(&out, std::path::Path::new(&dir)).unwrap();
    }
}

#[test]
fn the_public_api_is_sized_for_its_peak_with_headroom() {
    let p = common::reference();
    let api = p
        .model
        .services
        .iter()
        .find(|s| s.name == "public-api-gateway")
        .unwrap();
    let prod = p.model.environments.iter().find(|e| e.production).unwrap();
    let s = landfall_workloads::sizing::size(api, prod);
    // 34,000 requests/s at peak, 800 per task: 43 tasks, 54 with 25% headroom.
    assert_eq!(s.needed_at_peak, Some(43));
    assert_eq!(s.with_headroom, Some(54));
    assert!(s.max >= 54 && s.min >= 2, "{s:?}");
    assert_eq!(s.requests_per_task_per_minute, Some(38_400));
    let dev = p.model.environments.iter().find(|e| !e.production).unwrap();
    let d = landfall_workloads::sizing::size(api, dev);
    assert_eq!((d.min, d.max), (1, 2));
}

#[test]
fn burst_classes_are_recognised() {
    use landfall_workloads::store::is_burst;
    for class in [
        "db.t3.medium",
        "db.t4g.large",
        "cache.t3.micro",
        "kafka.t3.small",
    ] {
        assert!(is_burst(class), "{class}");
    }
    for class in [
        "db.r7g.large",
        "cache.r7g.large",
        "kafka.m7g.large",
        "db.x2g.large",
    ] {
        assert!(!is_burst(class), "{class}");
    }
}

#[test]
fn one_service_brings_its_account_stack_and_stores_only() {
    let p = common::reference();
    let options = landfall_workloads::Options {
        services: Some(["matching-engine-eth".to_owned()].into_iter().collect()),
        ..Default::default()
    };
    let stacks = landfall_workloads::build(&p.model, &p.plan, &p.base, &options).unwrap();
    assert!(stacks.iter().all(|s| s.name.contains("-matching-")));
    assert!(stacks
        .iter()
        .any(|s| s.name.ends_with("service-matching-engine-eth")));
    assert!(!stacks
        .iter()
        .any(|s| s.name.contains("-service-") && !s.name.ends_with("matching-engine-eth")));
    let unknown = landfall_workloads::Options {
        services: Some(["no-such".to_owned()].into_iter().collect()),
        ..Default::default()
    };
    let problems = landfall_workloads::build(&p.model, &p.plan, &p.base, &unknown).unwrap_err();
    assert_eq!(problems[0].code, "workloads::unknown-service");
}

#[test]
fn latency_sensitive_services_run_on_metal_in_placement_groups() {
    let p = common::reference();
    let stacks = p.workloads();
    let svc = stacks
        .iter()
        .find(|s| s.name.ends_with("prod-service-matching-engine-eth"))
        .unwrap();
    let ecs = svc.resource("Service").unwrap();
    assert!(ecs.properties.contains_key("CapacityProviderStrategy"));
    assert!(!ecs.properties.contains_key("LaunchType"));
    let base = stacks
        .iter()
        .find(|s| s.name.ends_with("workloads-matching-prod"))
        .unwrap();
    let asg = base
        .resources
        .iter()
        .find(|r| r.kind == "AWS::AutoScaling::AutoScalingGroup")
        .unwrap();
    assert!(asg.properties.contains_key("PlacementGroup"));
    // ECS keeps the instances its tasks run on from being scaled in, and
    // drains one its group terminates anyway (an unhealthy host replaced,
    // which is how remediation replaces a host AWS retires)
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html,
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html).
    assert_eq!(asg.properties["NewInstancesProtectedFromScaleIn"], true);
    let providers: Vec<_> = base
        .resources
        .iter()
        .filter(|r| r.kind == "AWS::ECS::CapacityProvider")
        .map(|r| &r.properties["AutoScalingGroupProvider"])
        .collect();
    assert!(!providers.is_empty());
    for provider in providers {
        assert_eq!(provider["ManagedTerminationProtection"], "ENABLED");
        assert_eq!(provider["ManagedDraining"], "ENABLED");
    }
    let lt = base.resource("MetalLaunchTemplate").unwrap();
    assert!(lt.properties["LaunchTemplateData"]["InstanceType"]
        .as_str()
        .unwrap()
        .contains("metal"));
}

#[test]
fn synthetic_organizations_synthesize() {
    // Sized so the address plan fits, as the workload benchmark is.
    let files = landfall_testkit::synthetic_workloads(400, 2000);
    let p = common::spec(files);
    let stacks = p.workloads();
    assert!(
        stacks
            .iter()
            .filter(|s| s.name.contains("-service-"))
            .count()
            >= 300
    );
}

#[test]
fn explanations_name_real_things_and_warn_when_min_tasks_miss_the_peak() {
    let p = common::reference();
    let text = landfall_workloads::explain::service(&p.model, &p.plan, "order-gateway").unwrap();
    // What the task role may touch reads as the ARNs AWS will evaluate, not
    // as CloudFormation placeholders.
    assert!(!text.contains("${AWS::"), "{text}");
    assert!(!text.contains("import:"), "{text}");
    assert!(
        text.contains("arn:aws:rds-db:eu-central-1:<account id of trading-prod>:dbuser:<ClusterResourceId of stack meridian-workloads-trading-prod-store-orders-live>/order-gateway"),
        "{text}"
    );
    // Production runs 4 tasks at least, 5 are needed at peak with headroom.
    let prod = text.split("[prod]").nth(1).unwrap();
    assert!(
        prod.contains("warning: min 4 is below the 5 tasks the peak needs"),
        "{prod}"
    );
    let dev = text
        .split("[dev]")
        .nth(1)
        .unwrap()
        .split("[staging]")
        .next()
        .unwrap();
    assert!(!dev.contains("warning: min"), "{dev}");
}

/// The keys the payer activates as cost allocation tags are the ones the
/// workload layer writes on what costs money: each is on the resources of
/// the reference platform, so activating the list is never activating
/// keys nothing carries (tags reach billing data only once activated:
/// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html).
#[test]
fn every_cost_allocation_tag_key_is_on_workload_resources() {
    let p = common::reference();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for stack in p.workloads() {
        for resource in &stack.resources {
            let keys: Vec<String> = match resource.properties.get("Tags") {
                Some(serde_json::Value::Array(list)) => list
                    .iter()
                    .filter_map(|t| t["Key"].as_str().map(str::to_owned))
                    .collect(),
                Some(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
                _ => Vec::new(),
            };
            for key in keys {
                *seen.entry(key).or_default() += 1;
            }
        }
    }
    for key in landfall_graph::COST_ALLOCATION_TAGS {
        assert!(
            seen.get(*key).is_some_and(|n| *n > 0),
            "no workload resource carries `{key}`: {seen:?}"
        );
    }
}

/// Every service behind a load balancer has the load balancer's two alarms
/// on its own target group: the targets' 5xx share and no healthy target.
/// Both read the target group's metrics, whose dimensions are the load
/// balancer's and the target group's full names
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
#[test]
fn every_load_balanced_service_has_its_target_alarms() {
    let p = common::reference();
    let mut services = 0;
    for stack in p.workloads() {
        if stack.resource("TargetGroup").is_none() {
            assert!(stack.resource("Target5xxAlarm").is_none(), "{}", stack.name);
            continue;
        }
        services += 1;
        let errors = stack
            .resource("Target5xxAlarm")
            .unwrap_or_else(|| panic!("{} has no 5xx alarm", stack.name));
        let healthy = stack
            .resource("HealthyTargetsAlarm")
            .unwrap_or_else(|| panic!("{} has no healthy-targets alarm", stack.name));
        let service = stack.resource("Service").unwrap().properties["ServiceName"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            errors.properties["AlarmName"]
                .as_str()
                .unwrap()
                .starts_with(&format!(
                    "landfall/LoadBalancerTarget5xxHigh/service={service}/"
                )),
            "{}",
            errors.properties["AlarmName"]
        );
        let metrics = errors.properties["Metrics"].as_array().unwrap();
        let names: Vec<&str> = metrics
            .iter()
            .filter_map(|m| m["MetricStat"]["Metric"]["MetricName"].as_str())
            .collect();
        assert_eq!(names, ["HTTPCode_Target_5XX_Count", "RequestCount"]);
        for dimensions in metrics
            .iter()
            .filter_map(|m| m["MetricStat"]["Metric"]["Dimensions"].as_array())
            .chain(std::iter::once(
                healthy.properties["Dimensions"].as_array().unwrap(),
            ))
        {
            assert_eq!(dimensions[0]["Name"], "LoadBalancer");
            assert!(dimensions[0]["Value"]["Fn::ImportValue"]
                .as_str()
                .unwrap()
                .ends_with("LoadBalancerFullName"));
            assert_eq!(dimensions[1]["Name"], "TargetGroup");
            assert_eq!(
                dimensions[1]["Value"],
                serde_json::json!({ "Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"] })
            );
        }
        assert_eq!(healthy.properties["MetricName"], "HealthyHostCount");
        assert_eq!(
            healthy.properties["ComparisonOperator"],
            "LessThanThreshold"
        );
    }
    assert!(services > 50, "only {services} load-balanced services");
}

/// A platform deploy must not roll a service back to its first image: the
/// service's stack reads the tag from an SSM parameter (resolved by
/// CloudFormation at every stack operation) that the account's workload
/// stack creates before it and the service's pipeline writes after a
/// deployment that held.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types>
/// <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>
#[test]
fn a_service_runs_the_image_its_pipeline_last_deployed() {
    use landfall_graph::ParameterValue;
    let p = common::reference();
    let stacks = p.workloads();
    let mut checked = 0;
    for stack in stacks.iter().filter(|s| s.name.contains("-service-")) {
        let service = stack.name.rsplit("-service-").next().unwrap();
        let name = landfall_graph::image_tag_parameter(service);
        let tag = stack
            .parameters
            .iter()
            .find(|p| p.name == "ImageTag")
            .unwrap_or_else(|| panic!("{} has no ImageTag", stack.name));
        assert_eq!(
            tag.value,
            ParameterValue::SsmParameter(name.clone()),
            "{}",
            stack.name
        );
        // Created by a stack this one deploys after, in its account and region.
        let creator = stacks
            .iter()
            .filter(|s| stack.depends_on.contains(&s.name))
            .filter(|s| s.target == stack.target)
            .find(|s| {
                s.resources.iter().any(|r| {
                    r.kind == "AWS::SSM::Parameter"
                        && r.properties["Name"] == serde_json::json!(name)
                })
            });
        assert!(
            creator.is_some(),
            "{}: no stack it depends on creates {name}",
            stack.name
        );
        // Its deploy role writes that parameter and no other.
        if let Some(role) = stack.resource("DeployRole") {
            let statements = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap();
            let puts: Vec<_> = statements
                .iter()
                .filter(|s| s["Action"].to_string().contains("ssm:"))
                .collect();
            assert_eq!(puts.len(), 1, "{}", stack.name);
            assert_eq!(puts[0]["Action"], "ssm:PutParameter");
            let resource = puts[0]["Resource"]["Fn::Sub"].as_str().unwrap();
            assert!(
                resource.ends_with(&format!(":parameter{name}")),
                "{resource}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 111, "{checked} deploy roles checked");
}

/// A deploy of some services once rebuilt their account's shared stack
/// from those services alone: deployed, it would have taken the other
/// services' load balancer, metal capacity and image parameters away. The
/// shared stack is the same whatever the selection, and the stack that
/// spans every domain (the public zones' delegation) is left out.
#[test]
fn a_selection_leaves_the_shared_stacks_as_a_full_build_has_them() {
    let p = common::reference();
    let full = p.workloads();
    let build = |services: Option<&[&str]>, environments: Option<&[&str]>| {
        let set = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        let options = landfall_workloads::Options {
            services: services.map(set),
            environments: environments.map(set),
            ..Default::default()
        };
        landfall_workloads::build(&p.model, &p.plan, &p.base, &options).unwrap()
    };
    let same = |stacks: &[landfall_graph::Stack]| {
        for stack in stacks.iter().filter(|s| !s.name.contains("-service-")) {
            let whole = full.iter().find(|f| f.name == stack.name).unwrap();
            let kinds = |s: &landfall_graph::Stack| {
                s.resources
                    .iter()
                    .map(|r| (r.logical_id.clone(), r.properties.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(kinds(stack), kinds(whole), "{}", stack.name);
        }
    };
    let dns = landfall_workloads::tls::delegation_stack_name("meridian");
    assert!(full.iter().any(|s| s.name == dns));

    // One service of a domain whose account stack serves several.
    let one = build(Some(&["order-gateway"]), None);
    assert!(one
        .iter()
        .any(|s| s.name == "meridian-workloads-trading-prod"));
    same(&one);
    assert!(!one.iter().any(|s| s.name == dns));

    // One environment: its stacks only, each as the full build has it.
    let dev = build(None, Some(&["dev"]));
    assert!(!dev.is_empty());
    for stack in &dev {
        let whole = full.iter().find(|f| f.name == stack.name).unwrap();
        assert_eq!(
            stack.resources.len(),
            whole.resources.len(),
            "{}",
            stack.name
        );
        assert!(stack.name.contains("-dev"), "{}", stack.name);
    }
    assert_eq!(
        dev.len(),
        full.iter()
            .filter(|s| s.name.contains("-dev-") || s.name.ends_with("-dev"))
            .count()
    );
    same(&dev);

    let unknown = landfall_workloads::Options {
        environments: Some(["prd".to_owned()].into_iter().collect()),
        ..Default::default()
    };
    let problems = landfall_workloads::build(&p.model, &p.plan, &p.base, &unknown).unwrap_err();
    assert_eq!(problems[0].code, "workloads::unknown-environment");
    assert_eq!(problems[0].help, "did you mean `prod`?");
}
