//! Least privilege, verified with the IAM engine: for every service of the
//! reference platform in every environment, its task role's identity
//! policy allows what its declared dependencies need, and denies the same
//! actions on every other data store and topic — another domain's, or its
//! own domain's undeclared ones.
//!
//! Intrinsics are replaced by concrete values first (account ids, the
//! region, imported cluster resource ids). Access to a topic whose cluster
//! lives in another domain's account also needs that cluster's policy (the
//! store stack grants it to the accounts of the client domains); this test
//! checks the identity side.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::collections::BTreeMap;

use landfall_diagnostics::SourceSet;
use landfall_iam::{evaluate, CompiledPolicy, DecisionKind, PolicySet, Request, RequestInput};
use landfall_model::{DataStore, EnvId, Model};
use landfall_spec::types::Engine;
use landfall_workloads::policy::{document, instantiate, store_stack, task_policy};
use landfall_workloads::store::{cache_user_id, replication_group_id};
use landfall_workloads::{account_unique_name, placements_of, stack_name, Placement};

fn account_id(model: &Model, name: &str) -> String {
    let i = model.accounts.iter().position(|a| a.name == name).unwrap();
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn cluster_id(store: &DataStore, env: &str) -> String {
    format!("cluster-{}-{env}", store.name)
}

/// action, resource, resource account, context.
type Access = (String, String, String, Vec<(&'static str, String)>);

struct Env<'a> {
    model: &'a Model,
    env: EnvId,
    region: String,
}

impl Env<'_> {
    /// Where a domain runs in this environment, in this region.
    fn place(&self, domain: landfall_model::DomainId) -> Option<Placement<'_>> {
        placements_of(self.model, domain, self.env)
            .into_iter()
            .find(|p| p.region.name == self.region)
    }

    fn store_account(&self, store: &DataStore) -> String {
        let a = self.model.workload_account(store.domain, self.env).unwrap();
        account_id(self.model, &a.name)
    }

    fn vars(&self, account: &str) -> BTreeMap<String, String> {
        let env_name = &self.model.environment(self.env).name;
        let mut vars = BTreeMap::new();
        vars.insert("AWS::Partition".into(), "aws".into());
        vars.insert("AWS::Region".into(), self.region.clone());
        vars.insert("AWS::AccountId".into(), account.to_owned());
        for a in &self.model.accounts {
            vars.insert(
                landfall_workloads::policy::account_param(&a.name),
                account_id(self.model, &a.name),
            );
        }
        for store in &self.model.data_stores {
            let Some(place) = self.place(store.domain) else {
                continue;
            };
            let stack = store_stack(self.model, &place, store);
            vars.insert(
                format!("import:{stack}:ClusterResourceId"),
                cluster_id(store, env_name),
            );
            vars.insert(
                format!("import:{stack}:InstanceResourceId"),
                format!("db-{}-{env_name}", store.name),
            );
        }
        for d in &self.model.domains {
            if let Some(place) = self.place(d.id) {
                let stack = stack_name(&self.model.organization.slug, &place, "");
                vars.insert(
                    format!("import:{stack}:DataKeyArn"),
                    format!(
                        "arn:aws:kms:{}:{}:key/{}",
                        self.region,
                        account_id(self.model, &place.account.name),
                        d.name
                    ),
                );
            }
        }
        vars
    }

    /// The requests that use a store, as `service`, with their resource account.
    fn store_requests(&self, store: &DataStore, service: &str) -> Vec<Access> {
        let acct = self.store_account(store);
        let env_name = &self.model.environment(self.env).name;
        let r = &self.region;
        match &store.engine {
            Engine::Aurora { .. } => vec![(
                "rds-db:connect".into(),
                format!(
                    "arn:aws:rds-db:{r}:{acct}:dbuser:{}/{service}",
                    cluster_id(store, env_name)
                ),
                acct,
                vec![],
            )],
            // SQL Server has no IAM database authentication: nobody gets
            // `rds-db:connect`, declared or not (checked separately).
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.RDS_Fea_Regions_DB-eng.Feature.IamDatabaseAuthentication.html
            Engine::Rds { engine, .. } if engine.starts_with("sqlserver") => vec![],
            Engine::Rds { .. } => vec![(
                "rds-db:connect".into(),
                format!(
                    "arn:aws:rds-db:{r}:{acct}:dbuser:db-{}-{env_name}/{service}",
                    store.name
                ),
                acct,
                vec![],
            )],
            Engine::Dynamodb { .. } => vec![
                (
                    "dynamodb:GetItem".into(),
                    format!("arn:aws:dynamodb:{r}:{acct}:table/{}", store.name),
                    acct.clone(),
                    vec![],
                ),
                (
                    "dynamodb:Query".into(),
                    format!(
                        "arn:aws:dynamodb:{r}:{acct}:table/{}/index/by-owner",
                        store.name
                    ),
                    acct,
                    vec![],
                ),
            ],
            // ElastiCache IAM authentication: `elasticache:Connect` on the
            // replication group and on the user the service connects as.
            // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html
            Engine::Valkey { .. } => {
                let base = format!("arn:aws:elasticache:{r}:{acct}");
                vec![
                    (
                        "elasticache:Connect".into(),
                        format!("{base}:replicationgroup:{}", replication_group_id(store)),
                        acct.clone(),
                        vec![],
                    ),
                    (
                        "elasticache:Connect".into(),
                        format!("{base}:user:{}", cache_user_id(store, service)),
                        acct,
                        vec![],
                    ),
                ]
            }
            Engine::Memcached { .. } | Engine::Msk { .. } => vec![],
        }
    }
}

fn decide(
    policy: &PolicySet,
    principal: &str,
    action: &str,
    resource: &str,
    context: &[(&str, String)],
) -> DecisionKind {
    let input = RequestInput {
        principal: principal.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: None,
        context: context
            .iter()
            .map(|(k, v)| ((*k).to_owned(), landfall_iam::ContextValue::One(v.clone())))
            .collect(),
        management_account: None,
    };
    evaluate(policy, &Request::new(input)).decision
}

#[test]
fn task_roles_allow_their_dependencies_and_nothing_of_other_stores() {
    let p = common::reference();
    let model = &p.model;
    let (mut checked, mut allowed, mut denied) = (0, 0, 0);
    let mut failures = Vec::new();
    for service in &model.services {
        for place in service
            .environments
            .iter()
            .flat_map(|&env| placements_of(model, service.domain, env))
        {
            let env = place.env.id;
            let e = Env {
                model,
                env,
                region: place.region.name.clone(),
            };
            let acct = account_id(model, &place.account.name);
            let grants = task_policy(model, &place, service).grants;
            for g in &grants {
                assert!(
                    g.resources.iter().all(|r| r != "*"),
                    "{}: statement {} grants on every resource",
                    service.name,
                    g.sid
                );
            }
            let text = instantiate(&document(&grants), &e.vars(&acct)).to_string();
            assert!(
                !text.contains("${"),
                "{}: unresolved value in {text}",
                service.name
            );
            let mut sources = SourceSet::default();
            let file = sources.add("task-policy.json", text.as_str());
            let parsed =
                landfall_iam::policy::parse_policy_text(file, &text, "task", &Default::default())
                    .unwrap_or_else(|d| panic!("{}: {d:?}\n{text}", service.name));
            let policy = PolicySet {
                identity: vec![CompiledPolicy::new(parsed)],
                ..Default::default()
            };
            let principal = format!(
                "arn:aws:iam::{acct}:role/workload/{}",
                account_unique_name("task", &service.name, &place)
            );
            checked += 1;
            let mut expect = |action: &str, resource: &str, ctx: &[(&str, String)], want: bool| {
                let got =
                    decide(&policy, &principal, action, resource, ctx) == DecisionKind::Allowed;
                if got {
                    allowed += 1;
                } else {
                    denied += 1;
                }
                if got != want {
                    failures.push(format!(
                        "{} [{}]: {action} on {resource} is {}",
                        service.name,
                        model.environment(env).name,
                        if got { "allowed" } else { "denied" }
                    ));
                }
            };
            // Every data store of the environment: declared ones allowed, the rest denied.
            for store in model
                .data_stores
                .iter()
                .filter(|s| s.environments.contains(&env))
            {
                let declared = service.data_stores.contains(&store.id);
                for (action, resource, _, ctx) in e.store_requests(store, &service.name) {
                    expect(&action, &resource, &ctx, declared);
                }
                if let Engine::Rds { engine, .. } = &store.engine {
                    if engine.starts_with("sqlserver") {
                        let any_user = format!(
                            "arn:aws:rds-db:{}:{}:dbuser:db-{}-{}/{}",
                            e.region,
                            e.store_account(store),
                            store.name,
                            model.environment(env).name,
                            service.name
                        );
                        expect("rds-db:connect", &any_user, &[], false);
                    }
                }
                if declared {
                    if let Engine::Valkey { .. } = store.engine {
                        // Its own user only: never another service's.
                        let other = format!(
                            "arn:aws:elasticache:{}:{}:user:{}",
                            e.region,
                            e.store_account(store),
                            cache_user_id(store, "some-other-service")
                        );
                        expect("elasticache:Connect", &other, &[], false);
                    }
                    if let Engine::Dynamodb { .. } = store.engine {
                        let key = e.vars(&acct)[&format!(
                            "import:{}:DataKeyArn",
                            stack_name(&model.organization.slug, &place, "")
                        )]
                            .clone();
                        expect(
                            "kms:Decrypt",
                            &key,
                            &[(
                                "kms:ViaService",
                                format!("dynamodb.{}.amazonaws.com", e.region),
                            )],
                            true,
                        );
                        expect("kms:Decrypt", &key, &[], false);
                        let table =
                            format!("arn:aws:dynamodb:{}:{acct}:table/{}", e.region, store.name);
                        expect("dynamodb:DeleteTable", &table, &[], false);
                    }
                }
            }
            // Topics: produce only declared ones, consume only declared ones
            // (tasks log through CloudWatch Logs, not to the log topic).
            for topic in &model.topics {
                let cluster = model.data_store(topic.cluster);
                if !cluster.environments.contains(&env) {
                    continue;
                }
                let arn = format!(
                    "arn:aws:kafka:{}:{}:topic/{}/abcd-1234/{}",
                    e.region,
                    e.store_account(cluster),
                    cluster.name,
                    topic.name
                );
                expect(
                    "kafka-cluster:WriteData",
                    &arn,
                    &[],
                    service.produces.contains(&topic.id),
                );
                expect(
                    "kafka-cluster:ReadData",
                    &arn,
                    &[],
                    service.consumes.contains(&topic.id),
                );
                let cluster_arn = format!(
                    "arn:aws:kafka:{}:{}:cluster/{}/abcd-1234",
                    e.region,
                    e.store_account(cluster),
                    cluster.name
                );
                expect("kafka-cluster:AlterCluster", &cluster_arn, &[], false);
            }
        }
    }
    eprintln!("{checked} task roles: {allowed} requests allowed, {denied} denied as expected");
    // 322 service-environments, and the 107 prod services again in prod's
    // second region.
    assert!(checked >= 429, "only {checked} task roles checked");
    assert!(
        failures.is_empty(),
        "{} unexpected decisions:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
