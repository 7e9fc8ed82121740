//! Planning speed: the reference platform, and a synthetic organization of
//! about 2,000 accounts whose VPCs are at AWS's maximum of subnets.

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, Criterion};
use landfall_netplan::{Lockfile, PlanOptions, LOCKFILE_NAME};
use landfall_testkit::{synthetic_spec, Size};

fn reference(c: &mut Criterion) {
    let mut resolved = landfall_model::reference();
    let lock = landfall_spec::REFERENCE_FILES
        .iter()
        .find(|(name, _)| *name == LOCKFILE_NAME)
        .and_then(|(_, text)| {
            let file = resolved.loaded.sources.add(LOCKFILE_NAME, *text);
            Lockfile::parse(text, file).ok()
        });
    let Some(model) = resolved.model.as_ref() else {
        return;
    };
    c.bench_function("netplan: reference platform, no lockfile", |b| {
        b.iter(|| landfall_netplan::plan(model, &resolved.loaded, None, PlanOptions::default()))
    });
    c.bench_function("netplan: reference platform, with lockfile", |b| {
        b.iter(|| {
            landfall_netplan::plan(
                model,
                &resolved.loaded,
                lock.as_ref(),
                PlanOptions::default(),
            )
        })
    });
}

/// 63 domains in 32 environments: 2,016 workload accounts plus the core
/// ones, 32 VPCs of 198 subnets each (63 domains × 3 AZs of `app`, plus
/// firewall, data and endpoints), 6,336 subnets in all.
fn large_org() -> Vec<(String, String)> {
    const DOMAINS: usize = 63;
    const ENVIRONMENTS: usize = 32;
    let mut files: Vec<(String, String)> = synthetic_spec(Size {
        domains: DOMAINS,
        services_per_domain: 1,
    })
    .into_iter()
    .filter(|(name, _)| name != "landfall.yaml" && name != "network.yaml")
    .collect();
    let mut platform = String::from(
        "organization:\n  name: Large Co\n  slug: large\n  email_domain: aws.large.example\n  regions: [eu-central-1, eu-west-1]\n  azs_per_region: 3\n  environments:\n",
    );
    let env_name = |e: usize| match e {
        0 => "dev".to_owned(),
        1 => "staging".to_owned(),
        2 => "prod".to_owned(),
        e => format!("e{e}"),
    };
    for e in 0..ENVIRONMENTS {
        let _ = writeln!(
            platform,
            "    - {{ name: {}, regions: [eu-central-1]{} }}",
            env_name(e),
            if e == 2 { ", production: true" } else { "" }
        );
    }
    platform.push_str(
        "\naccounts:\n  - { name: management, class: management }\n  - { name: log-archive, class: log-archive }\n  - { name: security, class: security-tooling }\n  - { name: network, class: networking }\n  - { name: shared, class: shared-services }\n  - { name: observability, class: observability }\n  - { name: scratch, class: sandbox }\n\nlimits:\n  accounts_per_organization: 3000\n  routes_per_route_table: 1000\n",
    );
    files.push(("landfall.yaml".to_owned(), platform));
    let mut network = String::from(
        "network:\n  address_space: 10.0.0.0/8\n  plan_for: { accounts: 2100, domains: 64, environments: 32, regions: 2 }\n  tiers:\n    - { name: firewall, kind: firewall, prefix_length: 28 }\n    - { name: app, kind: application, prefix_length: 24, per_domain: true }\n    - { name: data, kind: data, prefix_length: 24 }\n    - { name: endpoints, kind: endpoints, prefix_length: 24 }\n  egress:\n",
    );
    for e in 0..ENVIRONMENTS {
        let _ = writeln!(
            network,
            "    - {{ environment: {}, mode: inspected, allow_domains: [.github.com] }}",
            env_name(e)
        );
    }
    files.push(("network.yaml".to_owned(), network));
    files
}

fn synthetic(c: &mut Criterion) {
    let (loaded, diagnostics) = landfall_spec::load_files(large_org());
    let resolved = landfall_model::resolve(loaded, diagnostics);
    let Some(model) = resolved.model.as_ref() else {
        let messages: Vec<_> = resolved
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .take(5)
            .collect();
        panic!("the large synthetic org does not resolve: {messages:#?}");
    };
    let most = model
        .network
        .vpcs
        .iter()
        .map(|v| {
            model
                .network
                .subnets
                .iter()
                .filter(|s| s.vpc == v.id)
                .count()
        })
        .max()
        .unwrap_or(0);
    let fresh = landfall_netplan::plan(model, &resolved.loaded, None, PlanOptions::default());
    assert!(fresh.plan.is_some(), "{:#?}", fresh.diagnostics);
    let lock = fresh.plan.map(|p| p.lockfile);
    eprintln!(
        "large org: {} accounts, {} VPCs, {} subnets, at most {most} per VPC",
        model.accounts.len(),
        model.network.vpcs.len(),
        model.network.subnets.len()
    );
    let mut group = c.benchmark_group("netplan: 2,000 accounts, 198 subnets per VPC");
    group.sample_size(20);
    group.bench_function("no lockfile", |b| {
        b.iter(|| landfall_netplan::plan(model, &resolved.loaded, None, PlanOptions::default()))
    });
    group.bench_function("with lockfile", |b| {
        b.iter(|| {
            landfall_netplan::plan(
                model,
                &resolved.loaded,
                lock.as_ref(),
                PlanOptions::default(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, reference, synthetic);
criterion_main!(benches);
