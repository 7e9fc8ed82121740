//! Deploy and audit `examples/emulator` end to end against moto server (a
//! local AWS API emulator): deploy, check every planned resource through
//! the SDK, deploy again (no changes), interrupt a deploy and run it again
//! (converges, no duplicates), audit (no findings), then inject violations
//! through the APIs and audit again (exactly those).
//!
//! The endpoint comes from `LANDFALL_MOTO_ENDPOINT`, or from the port
//! `scripts/moto.sh start` writes to `target/moto/port`. Without a running
//! moto server the test is skipped with a note, except with `CI=true`,
//! where it fails. Run it on its own:
//!
//! ```text
//! scripts/moto.sh start
//! cargo test -p landfall-live --test emulator -- --nocapture
//! scripts/moto.sh stop
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/faults.rs"]
mod faults;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use landfall_live::aws::{Clients, AUDIT_ROLES};
use landfall_live::desired::StackTarget;
use landfall_live::journal::Journal;
use landfall_live::{
    audit, load_platform, org, AuditReport, Compat, ConnectOptions, Engine, LiveOptions, Platform,
    Progress, Session,
};
use serde_json::Value;
use support::{endpoint_or_skip, reset, workspace_root};

struct Fixture {
    url: String,
    platform: Platform,
    settings: landfall_rules::Settings,
    options: LiveOptions,
}

impl Fixture {
    async fn session(&self) -> Session {
        self.session_at(&self.url).await
    }

    async fn session_at(&self, url: &str) -> Session {
        Session::connect(ConnectOptions {
            endpoint_url: Some(url.to_owned()),
            profile: None,
            home_region: self.platform.desired.home_region.clone(),
            max_attempts: 8,
        })
        .await
    }

    async fn engine(&self) -> Engine {
        self.engine_at(&self.url).await
    }

    async fn engine_at(&self, url: &str) -> Engine {
        Engine::new(
            self.session_at(url).await,
            &self.platform,
            self.options.waits(),
            Progress::new(false),
        )
    }

    /// Plans and deploys; panics with the report when anything failed.
    async fn deploy(&self) -> (landfall_live::Plan, landfall_live::DeployReport) {
        let engine = self.engine().await;
        let (plan, _) = engine.plan().await.expect("plan");
        let report = engine.deploy(&plan).await.expect("deploy");
        assert!(report.ok(), "deploy failed:\n{}", report.render());
        (plan, report)
    }

    async fn audit(&self) -> AuditReport {
        let session = self.session().await;
        audit::audit(
            &session,
            &self.platform.desired,
            &self.settings,
            16,
            &Progress::new(false),
        )
        .await
        .expect("audit")
    }
}

#[test]
fn deploy_and_audit_the_emulator_example() {
    let Some(url) = endpoint_or_skip("deploy_and_audit_the_emulator_example") else {
        return;
    };

    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    assert_eq!(options.compat(), Compat::Moto);
    let (platform, settings) = load_platform(
        &workspace_root().join("examples/emulator"),
        options.compat(),
    )
    .expect("examples/emulator compiles");
    // The lockfile is tested on a copy (`emulator_retire.rs`): this test
    // deploys from the source tree and must not write into it.
    let mut platform = platform;
    platform.lockfile = None;
    let fixture = Fixture {
        url,
        platform,
        settings,
        options,
    };
    let runtime = landfall_live::runtime().unwrap();
    runtime.block_on(run(&fixture));
}

async fn run(fixture: &Fixture) {
    let desired = &fixture.platform.desired;

    // 1. A clean deploy creates everything planned.
    reset(&fixture.url);
    let (plan, report) = fixture.deploy().await;
    let stacks_deployed = report
        .stacks
        .iter()
        .map(|s| s.stack.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    assert!(!plan.is_empty());
    eprintln!("clean deploy: {}", report.render().trim_end());
    // A deploy that finished carried out every planned change, in the
    // plan's own words (account creations were once counted as not done).
    assert_eq!(
        report.planned_done(),
        report.planned.len(),
        "{}",
        report.render()
    );
    let session = fixture.session().await;
    let mgmt = session.management().await.expect("management account");
    verify(fixture, &session, &mgmt).await;
    verify_inspector(fixture, &session, &mgmt).await;

    // 2. Deploying again changes nothing.
    let (plan, report) = fixture.deploy().await;
    assert!(plan.is_empty(), "second plan:\n{}", plan.render());
    assert!(
        report.applied.is_empty(),
        "second deploy applied: {:?}",
        report.applied
    );

    // 3. A deploy interrupted midway (its future dropped, as when the
    //    process is killed: in-flight calls and spawned tasks are abandoned)
    //    converges when run again, at several points of the run.
    //    The cut comes once a share of the stacks has been deployed, as
    //    the journal records them, so it falls inside the deploy however
    //    fast the emulator runs.
    for fraction in [0.15, 0.4] {
        reset(&fixture.url);
        // Through a proxy that knows when moto has carried out every call
        // of the abandoned run.
        let proxy = faults::FaultProxy::start(&fixture.url).await;
        let mut engine = fixture.engine_at(&proxy.url).await;
        let journal = std::env::temp_dir().join(format!(
            "landfall-emulator-interrupted-{}-{fraction}.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&journal);
        engine.journal = Some(std::sync::Arc::new(
            Journal::create(&journal).expect("journal"),
        ));
        let cut = ((stacks_deployed as f64 * fraction).ceil() as usize).max(1);
        let deployed = || {
            Journal::read(&journal)
                .unwrap_or_default()
                .iter()
                .filter(|e| e["event"] == "stack")
                .filter_map(|e| e["detail"]["stack"].as_str().map(str::to_owned))
                .collect::<BTreeSet<_>>()
                .len()
        };
        let finished = tokio::select! {
            r = async {
                let (plan, _) = engine.plan().await.expect("plan");
                engine.deploy(&plan).await
            } => Some(r),
            () = async {
                while deployed() < cut {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            } => None,
        };
        let _ = std::fs::remove_file(&journal);
        assert!(
            finished.is_none(),
            "the deploy finished before {cut} of {stacks_deployed} stacks: nothing was interrupted"
        );
        // A killed client's last requests still run to their end in the
        // service (moto answers each call synchronously, so a StackSet
        // operation cut off here has no RUNNING status to wait for): wait
        // until moto has finished them.
        proxy.idle(std::time::Duration::from_secs(120)).await;
        let (plan, _) = fixture.deploy().await;
        assert!(
            !plan.is_empty(),
            "the interrupted deploy had done everything"
        );
        let (plan, _) = fixture.deploy().await;
        assert!(plan.is_empty(), "not converged:\n{}", plan.render());
        no_duplicates(fixture, &session, &mgmt).await;
    }
    verify(fixture, &session, &mgmt).await;

    // 4. A clean audit.
    let report = fixture.audit().await;
    assert!(
        report.findings.is_empty(),
        "findings after a clean deploy:\n{}",
        audit::render_text(&report)
    );
    assert!(report.accounts.iter().all(|a| a.reachable));
    // Every member account and the management account, in every region.
    assert_eq!(
        report.account_regions,
        (desired.accounts.len() + 1) * desired.regions.len()
    );
    assert!(
        report
            .accounts
            .iter()
            .any(|a| a.account_id == mgmt.account_id),
        "the management account is audited too"
    );

    // 5. Violations injected through the APIs, and exactly those reported.
    let expected = inject(fixture, &session, &mgmt).await;
    let report = fixture.audit().await;
    let found: BTreeSet<(String, String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.account.clone(), f.region.clone()))
        .collect();
    assert_eq!(
        found,
        expected,
        "audit after injecting violations:\n{}",
        audit::render_text(&report)
    );
    assert_eq!(
        report.findings.len(),
        expected.len(),
        "one finding per violation:\n{}",
        audit::render_text(&report)
    );
}

/// The account ids by name.
async fn account_ids(mgmt: &Clients) -> BTreeMap<String, String> {
    org::read(mgmt)
        .await
        .expect("organization")
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect()
}

async fn member(session: &Session, mgmt: &Clients, id: &str, region: &str) -> Clients {
    session
        .member(mgmt, id, region, &AUDIT_ROLES)
        .await
        .expect("member account")
}

/// `Fn::Sub` over the pseudo parameters, for names in templates.
fn literal(value: &Value, account: &str, region: &str) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("Fn::Sub").and_then(Value::as_str).map(|s| {
            s.replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", region)
                .replace("${AWS::Partition}", "aws")
        }),
        _ => None,
    }
}

/// Every OU, account, SCP attachment, VPC, subnet, role, key and bucket
/// the plan holds exists as planned.
async fn verify(fixture: &Fixture, session: &Session, mgmt: &Clients) {
    let desired = &fixture.platform.desired;
    let live = org::read(mgmt).await.expect("organization");
    for ou in &desired.ous {
        assert!(
            live.ous.contains_key(&ou.path),
            "OU `{}` is missing",
            ou.path
        );
    }
    for account in &desired.accounts {
        let l = live
            .account(&account.name)
            .unwrap_or_else(|| panic!("account `{}` is missing", account.name));
        assert_eq!(l.parent, account.ou, "account `{}` placement", account.name);
    }
    for scp in &desired.scps {
        let l = live
            .scp(&scp.name)
            .unwrap_or_else(|| panic!("SCP `{}` is missing", scp.name));
        assert!(
            org::same_policy(&l.content, &scp.content),
            "SCP `{}` content",
            scp.name
        );
        for target in &scp.targets {
            assert!(
                live.ous
                    .get(target)
                    .is_some_and(|id| l.targets.contains(id)),
                "SCP `{}` is not attached to `{target}`",
                scp.name
            );
        }
    }
    let ids = account_ids(mgmt).await;

    for vpc in &desired.vpcs {
        let c = member(session, mgmt, &ids[&vpc.account], &vpc.region).await;
        let vpcs = c.ec2().describe_vpcs().send().await.unwrap();
        let found = vpcs.vpcs().iter().find(|v| {
            v.tags()
                .iter()
                .any(|t| t.key() == Some("Name") && t.value() == Some(vpc.name.as_str()))
        });
        let found = found.unwrap_or_else(|| {
            panic!(
                "VPC `{}` in {} {} is missing",
                vpc.name, vpc.account, vpc.region
            )
        });
        assert_eq!(
            found.cidr_block(),
            Some(vpc.cidr.as_str()),
            "VPC `{}`",
            vpc.name
        );
        let subnets = c
            .ec2()
            .describe_subnets()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(found.vpc_id().unwrap_or_default())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let live: BTreeSet<(String, String, String)> = subnets
            .subnets()
            .iter()
            .map(|s| {
                let name = s
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some("Name"))
                    .and_then(|t| t.value())
                    .unwrap_or_default();
                (
                    name.to_owned(),
                    s.cidr_block().unwrap_or_default().to_owned(),
                    s.availability_zone().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let planned: BTreeSet<(String, String, String)> = vpc.subnets.iter().cloned().collect();
        assert_eq!(live, planned, "subnets of VPC `{}`", vpc.name);
    }

    // Roles, keys and buckets of every stack, in every account-region it targets.
    let mut keys: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut checked = 0;
    for stack in &desired.stacks {
        let targets: Vec<(String, String)> = match &stack.target {
            StackTarget::Account { account, region } => vec![(account.clone(), region.clone())],
            StackTarget::StackSet {
                ous,
                accounts,
                regions,
            } => desired
                .stack_set_accounts(ous, accounts)
                .iter()
                .flat_map(|a| regions.iter().map(|r| (a.name.clone(), r.clone())))
                .collect(),
        };
        let resources = stack.template["Resources"].as_object().unwrap();
        for (account, region) in targets {
            let id = &ids[&account];
            let c = member(session, mgmt, id, &region).await;
            for (logical_id, r) in resources {
                let props = &r["Properties"];
                match r["Type"].as_str().unwrap_or("") {
                    "AWS::IAM::Role" => {
                        let Some(name) =
                            props.get("RoleName").and_then(|v| literal(v, id, &region))
                        else {
                            continue;
                        };
                        c.iam()
                            .get_role()
                            .role_name(&name)
                            .send()
                            .await
                            .unwrap_or_else(|e| {
                                panic!("role `{name}` of `{}` in {account}: {e:?}", stack.name)
                            });
                        checked += 1;
                    }
                    "AWS::KMS::Key" => {
                        *keys.entry((account.clone(), region.clone())).or_default() += 1;
                    }
                    "AWS::KMS::Alias" => {
                        let name = literal(&props["AliasName"], id, &region).unwrap();
                        let aliases = c.kms().list_aliases().send().await.unwrap();
                        let alias = aliases
                            .aliases()
                            .iter()
                            .find(|a| a.alias_name() == Some(name.as_str()));
                        let alias = alias.unwrap_or_else(|| {
                            panic!(
                                "key alias `{name}` of `{}` in {account} {region}",
                                stack.name
                            )
                        });
                        let key = alias.target_key_id().unwrap_or_default();
                        let described = c.kms().describe_key().key_id(key).send().await.unwrap();
                        assert!(described.key_metadata().is_some_and(|m| m.enabled()));
                        checked += 1;
                    }
                    "AWS::S3::Bucket" => {
                        let name = literal(&props["BucketName"], id, &region)
                            .unwrap_or_else(|| panic!("bucket `{logical_id}` has no name"));
                        c.s3()
                            .head_bucket()
                            .bucket(&name)
                            .send()
                            .await
                            .unwrap_or_else(|e| panic!("bucket `{name}` in {account}: {e:?}"));
                        let access = c
                            .s3()
                            .get_public_access_block()
                            .bucket(&name)
                            .send()
                            .await
                            .unwrap_or_else(|e| panic!("public access block of `{name}`: {e:?}"));
                        assert!(access
                            .public_access_block_configuration()
                            .is_some_and(|p| p.block_public_acls() == Some(true)));
                        checked += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    for ((account, region), count) in keys {
        let c = member(session, mgmt, &ids[&account], &region).await;
        let listed = c.kms().list_keys().send().await.unwrap();
        assert!(
            listed.keys().len() >= count,
            "{account} {region}: {} keys, the plan has {count}",
            listed.keys().len()
        );
        checked += count;
    }
    assert!(
        checked > 50,
        "only {checked} roles, keys and buckets checked"
    );
}

/// Amazon Inspector, which has no CloudFormation resource, set up by the
/// deploy's own calls: the administrator in every region, auto-enable for
/// accounts that join, and every account that exists associated and
/// scanning (https://docs.aws.amazon.com/inspector/latest/user/managing-multiple-accounts.html).
async fn verify_inspector(fixture: &Fixture, session: &Session, mgmt: &Clients) {
    use landfall_graph::OrganizationAction as A;
    let ids = account_ids(mgmt).await;
    let mut checked = 0;
    for action in &fixture.platform.organization_actions {
        let A::AutoEnableInspector {
            account,
            region,
            resource_types,
        } = action
        else {
            continue;
        };
        let admin_id = &ids[account];
        let admins = mgmt
            .in_region(region)
            .inspector2()
            .list_delegated_admin_accounts()
            .send()
            .await
            .unwrap();
        assert!(
            admins
                .delegated_admin_accounts()
                .iter()
                .any(|a| a.account_id() == Some(admin_id.as_str())
                    && a.status().is_some_and(|s| s.as_str() == "ENABLED")),
            "`{account}` is not Inspector's administrator in {region}: {admins:?}"
        );
        let admin = member(session, mgmt, admin_id, region).await.inspector2();
        let config = admin
            .describe_organization_configuration()
            .send()
            .await
            .unwrap();
        let auto = config.auto_enable().expect("auto-enable");
        assert!(
            auto.ec2() && auto.ecr() && auto.lambda() == Some(true),
            "{auto:?}"
        );
        let members = admin.list_members().send().await.unwrap();
        for (name, id) in &ids {
            if id != admin_id {
                assert!(
                    members.members().iter().any(|m| m.account_id() == Some(id)),
                    "`{name}` is not a member of Inspector's administrator in {region}"
                );
            }
            let status = admin
                .batch_get_account_status()
                .account_ids(id)
                .send()
                .await
                .unwrap();
            let state = status
                .accounts()
                .first()
                .and_then(|a| a.resource_state())
                .unwrap_or_else(|| panic!("no Inspector status for `{name}` in {region}"));
            for t in resource_types {
                let s = match t.as_str() {
                    "EC2" => state.ec2(),
                    "ECR" => state.ecr(),
                    "LAMBDA" => state.lambda(),
                    other => panic!("unexpected resource type {other}"),
                };
                assert_eq!(
                    s.map(|s| s.status().as_str()),
                    Some("ENABLED"),
                    "Inspector {t} scanning of `{name}` in {region}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "the example has no Inspector administrator");
}

/// No account, OU, SCP, stack or StackSet exists twice.
async fn no_duplicates(fixture: &Fixture, session: &Session, mgmt: &Clients) {
    let desired = &fixture.platform.desired;
    let o = mgmt.organizations();
    let pages = o
        .list_accounts()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let names: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.accounts())
        .filter_map(|a| a.name())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len(), "duplicate accounts: {names:?}");
    assert_eq!(
        names.len(),
        desired.accounts.len() + 1,
        "accounts: {names:?}"
    );

    let live = org::read(mgmt).await.unwrap();
    let mut parents = vec![live.root_id.clone()];
    let mut ous = 0;
    while let Some(parent) = parents.pop() {
        let children = o
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .send()
            .await
            .unwrap();
        let names: Vec<&str> = children
            .organizational_units()
            .iter()
            .filter_map(|u| u.name())
            .collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(names.len(), unique.len(), "duplicate OUs: {names:?}");
        ous += names.len();
        parents.extend(
            children
                .organizational_units()
                .iter()
                .filter_map(|u| u.id().map(str::to_owned)),
        );
    }
    assert_eq!(ous, desired.ous.len());

    let scps: Vec<&str> = live
        .scps
        .iter()
        .filter(|s| !s.aws_managed)
        .map(|s| s.name.as_str())
        .collect();
    let unique: BTreeSet<&str> = scps.iter().copied().collect();
    assert_eq!(scps.len(), unique.len(), "duplicate SCPs: {scps:?}");
    assert_eq!(scps.len(), desired.scps.len());

    let sets = mgmt
        .cloudformation()
        .list_stack_sets()
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = sets
        .summaries()
        .iter()
        .filter(|s| s.status().is_some_and(|s| s.as_str() == "ACTIVE"))
        .filter_map(|s| s.stack_set_name())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len(), "duplicate StackSets: {names:?}");

    let ids = account_ids(mgmt).await;
    let mut places: BTreeSet<(String, String)> = BTreeSet::new();
    for stack in &desired.stacks {
        if let StackTarget::Account { account, region } = &stack.target {
            places.insert((account.clone(), region.clone()));
        }
    }
    for (account, region) in places {
        let c = member(session, mgmt, &ids[&account], &region).await;
        let stacks = c
            .cloudformation()
            .describe_stacks()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        let names: Vec<&str> = stacks
            .iter()
            .filter(|s| {
                s.stack_status()
                    .is_some_and(|s| s.as_str() != "DELETE_COMPLETE")
            })
            .filter_map(|s| s.stack_name())
            .collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(
            names.len(),
            unique.len(),
            "duplicate stacks in {account} {region}: {names:?}"
        );
    }
}

/// Injects one violation of each kind through the APIs; returns the
/// findings expected: (rule, account, region).
async fn inject(
    fixture: &Fixture,
    session: &Session,
    mgmt: &Clients,
) -> BTreeSet<(String, String, String)> {
    let desired = &fixture.platform.desired;
    let ids = account_ids(mgmt).await;
    let mut expected = BTreeSet::new();
    let mut expect = |rule: &str, account: &str, region: &str| {
        expected.insert((rule.to_owned(), account.to_owned(), region.to_owned()));
    };
    let home = desired.home_region.clone();
    let other = desired
        .regions
        .iter()
        .find(|r| **r != home)
        .cloned()
        .expect("a second region");

    // Violations go to accounts without a service allowlist (core and prod
    // accounts): in a dev account each would also be a service dev may not
    // use (LF001), rightly, but one violation should make one finding here.

    // An unencrypted EBS volume.
    let c = member(session, mgmt, &ids["shared"], &other).await;
    c.ec2()
        .create_volume()
        .availability_zone(format!("{other}a"))
        .size(8)
        .encrypted(false)
        .send()
        .await
        .unwrap();
    expect("LF101", "shared", &other);

    // An IAM user with an access key.
    let c = member(session, mgmt, &ids["payments-prod"], &home).await;
    c.iam()
        .create_user()
        .user_name("legacy-ci")
        .send()
        .await
        .unwrap();
    c.iam()
        .create_access_key()
        .user_name("legacy-ci")
        .send()
        .await
        .unwrap();
    expect("LF401", "payments-prod", "global");
    expect("LF402", "payments-prod", "global");

    // A security group open on port 22 to ::/0.
    let c = member(session, mgmt, &ids["risk-prod"], &other).await;
    let vpcs = c.ec2().describe_vpcs().send().await.unwrap();
    let vpc = vpcs
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_owned();
    let group = c
        .ec2()
        .create_security_group()
        .group_name("debug-ssh")
        .description("debug access")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    c.ec2()
        .authorize_security_group_ingress()
        .group_id(group.group_id().unwrap())
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ipv6_ranges(
                    aws_sdk_ec2::types::Ipv6Range::builder()
                        .cidr_ipv6("::/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    expect("LF501", "risk-prod", &other);

    // Versioning suspended on a log archive bucket.
    let c = member(session, mgmt, &ids["log-archive"], &home).await;
    let bucket = c
        .s3()
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name())
        .find(|n| n.contains("-flowlogs-"))
        .unwrap()
        .to_owned();
    c.s3()
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    expect("LF201", "log-archive", &home);

    // A t3 instance (encrypted with the baseline's EBS key, IMDSv2, with an
    // instance profile: only its family is wrong).
    let c = member(session, mgmt, &ids["risk-prod"], &home).await;
    let ebs_key = c
        .kms()
        .describe_key()
        .key_id("alias/landfall/ebs")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .and_then(|m| m.arn().map(str::to_owned))
        .unwrap();
    let profile = c
        .iam()
        .create_instance_profile()
        .instance_profile_name("app-instance")
        .send()
        .await
        .unwrap();
    let profile_arn = profile
        .instance_profile()
        .map(|p| p.arn().to_owned())
        .unwrap();
    let images = c.ec2().describe_images().send().await.unwrap();
    let image = images
        .images()
        .iter()
        .find(|i| {
            i.architecture().is_some_and(|a| a.as_str() == "x86_64")
                && i.root_device_name().is_some()
        })
        .expect("moto ships AMIs");
    c.ec2()
        .run_instances()
        .image_id(image.image_id().unwrap())
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .iam_instance_profile(
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .arn(&profile_arn)
                .build(),
        )
        .min_count(1)
        .max_count(1)
        .block_device_mappings(
            aws_sdk_ec2::types::BlockDeviceMapping::builder()
                .device_name(image.root_device_name().unwrap())
                .ebs(
                    aws_sdk_ec2::types::EbsBlockDevice::builder()
                        .encrypted(true)
                        .kms_key_id(&ebs_key)
                        .volume_size(8)
                        .build(),
                )
                .build(),
        )
        .metadata_options(
            aws_sdk_ec2::types::InstanceMetadataOptionsRequest::builder()
                .http_tokens(aws_sdk_ec2::types::HttpTokensState::Required)
                .build(),
        )
        .send()
        .await
        .unwrap();
    expect("LF301", "risk-prod", &home);

    // An account moved to the wrong OU.
    let live = org::read(mgmt).await.unwrap();
    let account = live.account("trading-prod").unwrap();
    let wrong = "Root/Workloads/risk/prod";
    mgmt.organizations()
        .move_account()
        .account_id(&account.id)
        .source_parent_id(&live.ous[&account.parent])
        .destination_parent_id(&live.ous[wrong])
        .send()
        .await
        .unwrap();
    expect("LFD002", "trading-prod", "global");

    // A detached SCP.
    let scp = desired
        .scps
        .iter()
        .find(|s| s.targets.len() > 1)
        .expect("an SCP with several targets");
    let target = &scp.targets[0];
    mgmt.organizations()
        .detach_policy()
        .policy_id(&live.scp(&scp.name).unwrap().id)
        .target_id(&live.ous[target])
        .send()
        .await
        .unwrap();
    expect("LFD005", "organization", "global");
    expected
}
