//! The reference platform's plan, the lockfile's guarantees, and every
//! located error of the planner.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use common::{edit, plan, plan_with, small};
use landfall_netplan::{Lockfile, PlanOptions, LOCKFILE_NAME};
use landfall_spec::types::AccountClass;

fn reference_lock_text() -> &'static str {
    landfall_spec::REFERENCE_FILES
        .iter()
        .find(|(name, _)| *name == LOCKFILE_NAME)
        .map(|(_, text)| *text)
        .expect("reference/landfall.lock is committed")
}

#[test]
fn reference_plans_about_150_subnets_and_two_production_vpcs() {
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let planned = landfall_netplan::plan(model, &resolved.loaded, None, PlanOptions::default());
    assert!(planned.diagnostics.is_empty(), "{:#?}", planned.diagnostics);
    let plan = planned.plan.unwrap();
    assert!(
        (140..=170).contains(&plan.subnets.len()),
        "{}",
        plan.subnets.len()
    );
    let production: Vec<_> = model
        .network
        .vpcs
        .iter()
        .filter(|v| model.environment(v.environment).production)
        .map(|v| plan.vpc_cidr(v.id))
        .collect();
    assert_eq!(production.len(), 2);
    assert_ne!(production[0], production[1]);
    // Every subnet inside its VPC; usable = size - 5.
    for subnet in &model.network.subnets {
        let cidr = plan.subnet_cidr(subnet.id);
        assert!(plan.vpc_cidr(subnet.vpc).contains(&cidr), "{}", subnet.name);
        let size = 1u64 << (32 - cidr.prefix_len());
        assert_eq!(plan.subnets[subnet.id.index()].usable, size - 5);
    }
    // Latency-sensitive domains get placement groups shared with their account.
    assert!(!plan.placement_groups.is_empty());
    for group in &plan.placement_groups {
        assert_eq!(group.shared_with.len(), 1, "{}", group.name);
        let share = plan
            .shares_with(group.shared_with[0])
            .find(|s| s.vpc == group.vpc)
            .unwrap();
        assert!(share
            .placement_groups
            .iter()
            .any(|i| plan.placement_groups[*i].name == group.name));
    }
    // Shares come from the networking account.
    let networking = model.core_account(AccountClass::Networking).unwrap().id;
    assert!(plan.shares.iter().all(|s| s.owner == networking));
}

#[test]
fn reference_plan_snapshot() {
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let plan = landfall_netplan::plan(model, &resolved.loaded, None, PlanOptions::default())
        .plan
        .unwrap();
    insta::assert_snapshot!(
        "reference_plan",
        landfall_netplan::render::text(model, &plan)
    );
}

#[test]
fn committed_reference_lockfile_records_the_current_plan() {
    let mut resolved = landfall_model::reference();
    let text = reference_lock_text();
    let file = resolved.loaded.sources.add(LOCKFILE_NAME, text);
    let lock = Lockfile::parse(text, file).unwrap();
    let model = resolved.model.as_ref().unwrap();
    let planned =
        landfall_netplan::plan(model, &resolved.loaded, Some(&lock), PlanOptions::default());
    assert!(planned.diagnostics.is_empty(), "{:#?}", planned.diagnostics);
    let plan = planned.plan.unwrap();
    assert_eq!(
        plan.lockfile.to_toml(),
        text,
        "reference/landfall.lock is stale: run `landfall init DIR && landfall net --spec DIR` and copy DIR/landfall.lock"
    );
}

#[test]
fn plan_is_deterministic_and_lockfile_round_trips() {
    let files = small();
    let first = plan(&files, None);
    let second = plan(&files, None);
    assert_eq!(first.lock_text(), second.lock_text());
    let again = plan(&files, Some(&first.lock_text()));
    assert!(again.planned.diagnostics.is_empty(), "{}", again.rendered());
    assert_eq!(again.lock_text(), first.lock_text());
}

#[test]
fn json_names_vpcs_and_subnets() {
    let files = small();
    let outcome = plan(&files, None);
    let model = outcome.resolved.model.as_ref().unwrap();
    let json = landfall_netplan::render::json(model, outcome.planned.plan.as_ref().unwrap());
    let vpcs = json["vpcs"].as_array().unwrap();
    assert!(vpcs
        .iter()
        .all(|v| v["name"].is_string() && v["cidr"].is_string()));
    let subnets = json["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), model.network.subnets.len());
    for subnet in subnets {
        let vpc = subnet["vpc"].as_str().unwrap();
        assert!(vpcs.iter().any(|v| v["name"] == vpc));
        for key in ["cidr", "az", "tier"] {
            assert!(subnet[key].is_string(), "{key}");
        }
        assert!(subnet["shared_with"].is_array());
    }
    let svg = landfall_netplan::render::svg(model, outcome.planned.plan.as_ref().unwrap());
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn egress_routes_follow_the_policy() {
    use landfall_netplan::RouteTarget;
    let files = small();
    let outcome = plan(&files, None);
    let model = outcome.resolved.model.as_ref().unwrap();
    let plan = outcome.planned.plan.as_ref().unwrap();
    let env = |name: &str| {
        model
            .environments
            .iter()
            .find(|e| e.name == name)
            .unwrap()
            .id
    };
    let tier = |name: &str| {
        model
            .network
            .tiers
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .id
    };
    let target = |e: &str, t: &str| plan.routes(env(e), tier(t)).first().map(|r| r.target);
    assert_eq!(target("prod", "app"), Some(RouteTarget::FirewallEndpoint));
    assert_eq!(target("prod", "firewall"), Some(RouteTarget::NatGateway));
    assert_eq!(target("prod", "edge"), Some(RouteTarget::InternetGateway));
    assert_eq!(target("prod", "data"), None);
    assert_eq!(target("dev", "app"), None);
    assert!(!plan.egress(env("dev")).unwrap().nat_gateway);
}

// ---------------------------------------------------------------- located errors

#[test]
fn address_space_exhausted_says_how_many_blocks_are_missing() {
    let mut files = small();
    edit(&mut files, "network.yaml", "10.0.0.0/8", "10.0.0.0/14");
    let outcome = plan(&files, None);
    insta::assert_snapshot!("space_exhausted", outcome.rendered());
}

#[test]
fn tiers_that_do_not_fit_a_vpc_say_how_many_domains_would() {
    let mut files = small();
    edit(&mut files, "network.yaml", "domains: 8", "domains: 40");
    edit(
        &mut files,
        "platform.yaml",
        "accounts_per_organization: 20",
        "accounts_per_organization: 200",
    );
    let outcome = plan(&files, None);
    insta::assert_snapshot!("vpc_space_exhausted", outcome.rendered());
}

#[test]
fn subnet_too_small_for_its_services() {
    let mut files = small();
    edit(
        &mut files,
        "network.yaml",
        "prefix_length: 22, per_domain",
        "prefix_length: 28, per_domain",
    );
    edit(
        &mut files,
        "services/payments-api.yaml",
        "max_tasks: 10,",
        "max_tasks: 100,",
    );
    let outcome = plan(&files, None);
    insta::assert_snapshot!("subnet_too_small", outcome.rendered());
    assert_eq!(
        outcome.codes(),
        ["net::subnet-too-small"],
        "{}",
        outcome.rendered()
    );
    let rendered = outcome.rendered();
    assert!(rendered.starts_with("network.yaml:7:54:"), "{rendered}");
    assert!(rendered.contains("use `prefix_length:"), "{rendered}");
}

#[test]
fn changed_tier_prefix_is_an_error_at_the_spec_and_the_lockfile() {
    let files = small();
    let lock = plan(&files, None).lock_text();
    let mut changed = files.clone();
    edit(
        &mut changed,
        "network.yaml",
        "prefix_length: 22, per_domain",
        "prefix_length: 23, per_domain",
    );
    let outcome = plan(&changed, Some(&lock));
    assert!(outcome.planned.plan.is_none());
    insta::assert_snapshot!("tier_changed", outcome.rendered());

    // `--update` re-plans it on purpose, and says what moved.
    let updated = plan_with(
        &changed,
        Some(&lock),
        PlanOptions {
            update: true,
            prune: false,
        },
        |_| {},
    );
    assert!(
        updated.planned.diagnostics.is_empty(),
        "{}",
        updated.rendered()
    );
    let new = &updated.planned.plan.as_ref().unwrap().lockfile;
    let mut sources = landfall_diagnostics::SourceSet::default();
    let old = Lockfile::parse(&lock, sources.add(LOCKFILE_NAME, lock.as_str())).unwrap();
    let changes = new.changes_from(&old);
    assert_eq!(changes.moved.len(), 12);
    assert!(changes
        .moved
        .iter()
        .all(|(name, _, to)| name.contains("-app-") && to.prefix_len() == 23));
}

#[test]
fn hand_edited_pin_is_located_in_the_lockfile() {
    let files = small();
    let lock = plan(&files, None).lock_text();
    let edited = lock.replacen(
        "prod-eu-west-1-data-a = \"10.5.66.0/24\"",
        "prod-eu-west-1-data-a = \"10.5.67.0/24\"",
        1,
    );
    assert_ne!(edited, lock);
    let outcome = plan(&files, Some(&edited));
    insta::assert_snapshot!("lock_moved", outcome.rendered());
}

#[test]
fn overlapping_pinned_ranges_are_located() {
    let files = small();
    let lock = plan(&files, None).lock_text();
    let edited = lock.replacen(
        "[subnets]\n",
        "[subnets]\nlegacy-app = \"10.5.64.0/22\"\n",
        1,
    );
    let outcome = plan(&files, Some(&edited));
    assert!(
        outcome.codes().iter().all(|c| *c == "net::overlap"),
        "{}",
        outcome.rendered()
    );
    assert_eq!(
        outcome.codes().len(),
        4,
        "legacy-app overlaps 4 subnets: {}",
        outcome.rendered()
    );
    assert!(
        outcome
            .rendered()
            .contains("landfall.lock:46:14: this range"),
        "{}",
        outcome.rendered()
    );
}

#[test]
fn removed_domains_keep_their_slots_until_pruned() {
    let mut files = small();
    edit(&mut files, "network.yaml", "domains: 8", "domains: 2");
    let lock = plan(&files, None).lock_text();
    // Rename `trading` to `markets`: a removal and an addition.
    for (_, text) in files.iter_mut() {
        *text = text.replace("trading", "markets");
    }
    let outcome = plan(&files, Some(&lock));
    insta::assert_snapshot!("domain_slots_exhausted", outcome.rendered());
    let pruned = plan_with(
        &files,
        Some(&lock),
        PlanOptions {
            update: true,
            prune: true,
        },
        |_| {},
    );
    assert!(
        pruned.planned.diagnostics.is_empty(),
        "{}",
        pruned.rendered()
    );
    let lockfile = &pruned.planned.plan.as_ref().unwrap().lockfile;
    assert_eq!(lockfile.domains.get("markets"), Some(&1));
    assert!(!lockfile.domains.contains_key("trading"));
    assert!(!lockfile.subnets.keys().any(|k| k.contains("trading")));
}

#[test]
fn plan_for_change_is_an_error_unless_updated() {
    let files = small();
    let lock = plan(&files, None).lock_text();
    let mut changed = files.clone();
    edit(
        &mut changed,
        "network.yaml",
        "plan_for: { accounts: 50, domains: 8 }",
        "plan_for: { accounts: 50, domains: 8, regions: 8 }",
    );
    let outcome = plan(&changed, Some(&lock));
    assert_eq!(
        outcome.codes(),
        ["net::lock-mismatch"],
        "{}",
        outcome.rendered()
    );
    let rendered = outcome.rendered();
    assert!(rendered.starts_with("network.yaml:3:"), "{rendered}");
    assert!(rendered.contains("landfall.lock:"), "{rendered}");
}

#[test]
fn sharing_limits_are_checked_against_the_limits_table() {
    let files = small();
    let outcome = plan_with(&files, None, PlanOptions::default(), |model| {
        model.limits.subnets_shared_per_account = 3;
        model.limits.participant_accounts_per_shared_vpc = 1;
        model.limits.subnets_per_vpc = 10;
    });
    let mut codes: Vec<_> = outcome
        .planned
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes,
        [
            "net::participants-per-vpc",
            "net::subnets-per-vpc",
            "net::subnets-shared-per-account"
        ],
        "{}",
        outcome.rendered()
    );
    assert!(
        outcome.rendered().contains("network.yaml:4:3"),
        "{}",
        outcome.rendered()
    );
}

#[test]
fn malformed_lockfile_is_located() {
    let files = small();
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let mut resolved = landfall_model::resolve(loaded, diagnostics);
    let text = "version = 1\naddress_space = \"10.0.0.0/8\"\nvpc_prefix_length = 16\n[grid]\nenvironments = 4\nregions = 4\naz_slots = 2\ndomain_slots = 8\n[vpcs]\nprod = \"10.300.0.0/16\"\n";
    let file = resolved.loaded.sources.add(LOCKFILE_NAME, text);
    let errors = Lockfile::parse(text, file).unwrap_err();
    assert_eq!(errors.len(), 1);
    let at = resolved
        .loaded
        .sources
        .location(errors[0].primary_span().unwrap());
    assert_eq!((at.line, at.column), (10, 8));
    assert_eq!(
        errors[0].message,
        "`10.300.0.0/16` is not an IPv4 CIDR block"
    );
}
