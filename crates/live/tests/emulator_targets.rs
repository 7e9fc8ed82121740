//! Scan targets against moto server: `examples/emulator` deployed, then in
//! `payments-prod` what a domain runs — an internet-facing and an internal
//! load balancer, a CloudFront distribution with an alias, a network
//! interface with a public address, one with only a private address, and
//! one that belongs to a load balancer. `scan targets` lists exactly the
//! public and internal endpoints, each with its account, domain and
//! environment; the load balancer's own interface is not listed (the
//! balancer is, by name).
//!
//! Skipped without a moto server (see `emulator.rs`), failed with `CI=true`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::time::Instant;

use aws_sdk_ec2::types::{AttributeBooleanValue, DomainType};
use landfall_live::aws::DEPLOY_ROLES;
use landfall_live::targets::{self, Exposure, Owners};
use landfall_live::{load_platform, Compat, ConnectOptions, Engine, Progress, Session};
use support::{endpoint_or_skip, reset, workspace_root};

#[test]
fn scan_targets_lists_exactly_the_public_and_internal_endpoints() {
    let Some(url) = endpoint_or_skip("scan_targets_lists_exactly") else {
        return;
    };
    let (mut platform, _) =
        load_platform(&workspace_root().join("examples/emulator"), Compat::Moto).expect("compiles");
    platform.lockfile = None;
    let desired = platform.desired.clone();
    let runtime = landfall_live::runtime().unwrap();
    runtime.block_on(async {
        reset(&url);
        let session = || async {
            Session::connect(ConnectOptions {
                endpoint_url: Some(url.clone()),
                profile: None,
                home_region: desired.home_region.clone(),
                max_attempts: 8,
            })
            .await
        };
        let options = landfall_live::LiveOptions {
            endpoint_url: Some(url.clone()),
            profile: None,
            progress: false,
            concurrency: 16,
        };
        let engine = Engine::new(
            session().await,
            &platform,
            options.waits(),
            Progress::new(false),
        );
        let (plan, _) = engine.plan().await.expect("plan");
        assert!(engine.deploy(&plan).await.expect("deploy").ok());

        let s = session().await;
        let mgmt = s.management().await.unwrap();
        let org = landfall_live::org::read(&mgmt).await.unwrap();
        let prod = org
            .accounts
            .iter()
            .find(|a| a.name == "payments-prod")
            .unwrap()
            .id
            .clone();
        let region = desired.home_region.clone();
        let clients = s
            .member(&mgmt, &prod, &region, &DEPLOY_ROLES)
            .await
            .unwrap();
        let ec2 = clients.ec2();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_owned();
        let mut subnets = Vec::new();
        for (i, az) in ["a", "b"].iter().enumerate() {
            let subnet = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.9.{i}.0/24"))
                .availability_zone(format!("{region}{az}"))
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_owned();
            subnets.push(subnet);
        }
        ec2.modify_subnet_attribute()
            .subnet_id(&subnets[0])
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .unwrap();
        let interface = |ip: &'static str, description: &'static str| {
            let ec2 = ec2.clone();
            let subnet = subnets[0].clone();
            async move {
                ec2.create_network_interface()
                    .subnet_id(subnet)
                    .private_ip_address(ip)
                    .description(description)
                    .send()
                    .await
                    .unwrap()
                    .network_interface()
                    .unwrap()
                    .network_interface_id()
                    .unwrap()
                    .to_owned()
            }
        };
        let public = interface("10.9.0.10", "a bastion").await;
        let private = interface("10.9.0.20", "orders database").await;
        interface("10.9.0.30", "ELB app/web/0123456789abcdef").await;
        let address = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .send()
            .await
            .unwrap();
        ec2.associate_address()
            .allocation_id(address.allocation_id().unwrap())
            .network_interface_id(&public)
            .send()
            .await
            .unwrap();
        let public_ip = address.public_ip().unwrap().to_owned();

        let elb = clients.elasticloadbalancingv2();
        let mut balancers = Vec::new();
        for (name, scheme) in [("web", "internet-facing"), ("orders", "internal")] {
            let lb = elb
                .create_load_balancer()
                .name(name)
                .scheme(scheme.into())
                .set_subnets(Some(subnets.clone()))
                .send()
                .await
                .unwrap()
                .load_balancers()[0]
                .clone();
            balancers.push(lb.dns_name().unwrap().to_owned());
        }

        let cloudfront = s
            .member(&mgmt, &prod, "us-east-1", &DEPLOY_ROLES)
            .await
            .unwrap()
            .cloudfront();
        use aws_sdk_cloudfront::types::*;
        let distribution = cloudfront
            .create_distribution()
            .distribution_config(
                DistributionConfig::builder()
                    .caller_reference("scan-targets")
                    .comment("web")
                    .enabled(true)
                    .aliases(
                        Aliases::builder()
                            .quantity(1)
                            .items("shop.example.com")
                            .build()
                            .unwrap(),
                    )
                    .origins(
                        Origins::builder()
                            .quantity(1)
                            .items(
                                Origin::builder()
                                    .id("web")
                                    .domain_name(&balancers[0])
                                    .custom_origin_config(
                                        CustomOriginConfig::builder()
                                            .http_port(80)
                                            .https_port(443)
                                            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                                            .build()
                                            .unwrap(),
                                    )
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .default_cache_behavior(
                        DefaultCacheBehavior::builder()
                            .target_origin_id("web")
                            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .distribution()
            .unwrap()
            .clone();

        // What the spec says of each account.
        let owners: Owners = [
            ("payments-prod", Some("payments"), Some("prod")),
            ("payments-dev", Some("payments"), Some("dev")),
        ]
        .into_iter()
        .map(|(a, d, e)| (a.to_owned(), (d.map(str::to_owned), e.map(str::to_owned))))
        .collect();
        let regions = desired.regions.clone();
        let started = Instant::now();
        let found = targets::read(&s, &owners, &regions, None, 16)
            .await
            .unwrap();
        let took = started.elapsed();
        eprintln!(
            "scan targets: {} accounts × {} regions in {took:?}",
            org.accounts.len(),
            regions.len()
        );
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let in_prod: BTreeSet<(Exposure, String, &str)> = found
            .targets
            .iter()
            .filter(|t| t.account == "payments-prod")
            .map(|t| (t.exposure, t.address.clone(), t.kind))
            .collect();
        let expected: BTreeSet<(Exposure, String, &str)> = [
            (
                Exposure::Public,
                distribution.domain_name().to_owned(),
                "cloudfront",
            ),
            (
                Exposure::Public,
                "shop.example.com".to_owned(),
                "cloudfront",
            ),
            (Exposure::Public, balancers[0].clone(), "load-balancer"),
            (Exposure::Internal, balancers[1].clone(), "load-balancer"),
            (Exposure::Public, public_ip.clone(), "network-interface"),
            (
                Exposure::Internal,
                "10.9.0.10".to_owned(),
                "network-interface",
            ),
            (
                Exposure::Internal,
                "10.9.0.20".to_owned(),
                "network-interface",
            ),
        ]
        .into();
        assert_eq!(in_prod, expected);
        let db = found
            .targets
            .iter()
            .find(|t| t.address == "10.9.0.20")
            .unwrap();
        assert_eq!(
            (
                db.domain.as_deref(),
                db.environment.as_deref(),
                db.vpc.as_deref(),
                db.resource.as_str()
            ),
            (
                Some("payments"),
                Some("prod"),
                Some(vpc.as_str()),
                private.as_str()
            )
        );
        // The platform layers alone run nothing to scan elsewhere.
        let elsewhere: Vec<_> = found
            .targets
            .iter()
            .filter(|t| t.account != "payments-prod")
            .collect();
        assert!(elsewhere.is_empty(), "{elsewhere:#?}");
        // The time is printed, not asserted: the 40-account figure is
        // measured by `examples/scan_targets_bench.rs`.

        // Only the environment asked for.
        let dev = targets::read(&s, &owners, &regions, Some("dev"), 16)
            .await
            .unwrap();
        assert!(dev.targets.is_empty(), "{:#?}", dev.targets);
    });
}
