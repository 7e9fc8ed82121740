//! Limits, guardrails, CI/CD, billing and observability settings.

use std::collections::{BTreeMap, BTreeSet};

use landfall_diagnostics::did_you_mean;
use landfall_spec::types::{ControlMode, Engine};
use landfall_spec::Spec;

use super::organization::Org;
use super::workloads::Workloads;
use super::{item, Resolver};
use crate::limits::{Limits, LIMITS};
use crate::model::*;

pub(crate) fn limits(r: &mut Resolver<'_>, spec: &Spec) -> Limits {
    let mut limits = Limits::default();
    if let Some(overrides) = &spec.limits {
        for (key, value) in overrides.value.iter() {
            let at = overrides.at.child(key);
            if !limits.set(key, *value) {
                let span = r.loaded.key_span(&at);
                r.diagnostics.push(
                    landfall_diagnostics::Diagnostic::error(
                        "spec::unknown-limit",
                        format!("unknown limit `{key}`"),
                    )
                    .with_optional_label(span, "not a limit Landfall knows")
                    .with_help(did_you_mean(key, LIMITS.iter().map(|l| l.key)))
                    .in_file(at.file),
                );
            }
        }
    }
    limits
}

pub(crate) fn guardrails(r: &mut Resolver<'_>, spec: &Spec, org: &Org) -> Guardrails {
    let allowed_regions = org.regions.iter().map(|region| region.id).collect();
    let Some(guardrails) = spec.guardrails.as_ref() else {
        return Guardrails {
            allowed_regions,
            allowed_services: BTreeMap::new(),
            denied_instance_families: landfall_spec::types::Guardrails::default_denied_families(),
            controls: BTreeMap::new(),
        };
    };
    let at = &guardrails.at;
    let mut allowed_services = BTreeMap::new();
    for (i, list) in guardrails.allowed_services.iter().enumerate() {
        let list_at = item(at, "allowed_services", i);
        let Some(env) = r.lookup(
            &org.env_names,
            &list.environment,
            &list_at.child("environment"),
        ) else {
            continue;
        };
        if allowed_services.contains_key(&env) {
            r.error(
                "spec::duplicate-allowlist",
                format!(
                    "environment `{}` has two service allowlists",
                    list.environment
                ),
                &list_at.child("environment"),
                "second allowlist",
                "merge them into one",
            );
            continue;
        }
        let mut services = BTreeSet::new();
        for (j, prefix) in list.services.iter().enumerate() {
            let valid = !prefix.is_empty()
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                r.error(
                    "spec::invalid-service-prefix",
                    format!("`{prefix}` is not an IAM service prefix"),
                    &item(&list_at, "services", j),
                    "expected a lowercase prefix",
                    "use the prefix of IAM actions, for example `ecs` for `ecs:RunTask`",
                );
                continue;
            }
            if !services.insert(prefix.clone()) {
                r.warning(
                    "spec::duplicate-service-prefix",
                    format!("`{prefix}` is listed twice"),
                    &item(&list_at, "services", j),
                    "repeated",
                    "remove one",
                );
            }
        }
        allowed_services.insert(env, services.into_iter().collect());
    }
    for (i, family) in guardrails.denied_instance_families.iter().enumerate() {
        let valid = !family.is_empty()
            && !family.ends_with('.')
            && family
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.');
        if !valid {
            r.error(
                "spec::invalid-instance-family",
                format!("`{family}` is not an instance family"),
                &item(at, "denied_instance_families", i),
                "expected a family such as `t3` or `db.t4g`",
                "list families, not sizes: `t3`, not `t3.large`",
            );
        }
    }
    let mut controls = BTreeMap::new();
    for (i, control) in guardrails.controls.iter().enumerate() {
        let control_at = item(at, "controls", i);
        if controls.insert(control.id, control.mode).is_some() {
            r.error(
                "spec::duplicate-control",
                "this control is configured twice",
                &control_at.child("id"),
                "second entry",
                "keep one entry per control",
            );
        }
        let weakened = control.mode != ControlMode::Preventive;
        if weakened
            && control
                .reason
                .as_deref()
                .is_none_or(|reason| reason.trim().is_empty())
        {
            r.error_at_key(
                "spec::missing-reason",
                "a control that is not preventive needs a reason",
                &control_at.child("mode"),
                "weakened without a reason",
                "add `reason:` saying why it cannot be prevented, so reviewers see it",
            );
        }
    }
    Guardrails {
        allowed_regions,
        allowed_services,
        denied_instance_families: guardrails.denied_instance_families.clone(),
        controls,
    }
}

pub(crate) fn cicd(r: &mut Resolver<'_>, spec: &Spec) -> Option<landfall_spec::types::Cicd> {
    let cicd = spec.cicd.as_ref()?;
    let at = &cicd.at;
    let org_name = &cicd.github.organization;
    let valid = !org_name.is_empty()
        && org_name.len() <= 39
        && !org_name.starts_with('-')
        && org_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        r.error(
            "spec::invalid-github-organization",
            format!("`{org_name}` is not a GitHub organization name"),
            &at.child("github").child("organization"),
            "letters, digits and dashes, at most 39 characters",
            "use the organization's login as in its URL",
        );
    }
    if let Some(jenkins) = &cicd.jenkins {
        if !jenkins.issuer_url.starts_with("https://") {
            r.error(
                "spec::insecure-issuer",
                format!("OIDC issuer `{}` is not an https URL", jenkins.issuer_url),
                &at.child("jenkins").child("issuer_url"),
                "IAM trusts only https issuers",
                "use the issuer's https URL",
            );
        }
        let jenkins_at = at.child("jenkins");
        for (i, thumbprint) in jenkins.thumbprints.iter().enumerate() {
            if !crate::aws::is_oidc_thumbprint(thumbprint) {
                r.error(
                    "spec::invalid-thumbprint",
                    format!("`{thumbprint}` is not a certificate thumbprint"),
                    &item(&jenkins_at, "thumbprints", i),
                    "expected 40 hex digits",
                    "give the SHA-1 fingerprint of the issuer's top intermediate CA certificate, without colons",
                );
            }
        }
        if jenkins.thumbprints.is_empty()
            && !crate::aws::oidc_issuer_trusted_by_ca_library(&jenkins.issuer_url)
        {
            r.error(
                "spec::missing-thumbprint",
                format!(
                    "IAM cannot verify the OIDC issuer `{}` without a thumbprint",
                    jenkins.issuer_url
                ),
                &jenkins_at.child("issuer_url"),
                "not an issuer IAM verifies through its own CA library",
                "add `thumbprints:` with the SHA-1 fingerprint (40 hex digits) of the issuer's top intermediate CA certificate",
            );
        }
    }
    // CodeArtifact upstreams: names known, no cycles.
    let repos = &cicd.codeartifact.repositories;
    let repos_at = at.child("codeartifact").child("repositories");
    let names: BTreeMap<&str, usize> = repos
        .iter()
        .enumerate()
        .map(|(i, repo)| (repo.name.as_str(), i))
        .collect();
    for (i, repo) in repos.iter().enumerate() {
        for (j, upstream) in repo.upstreams.iter().enumerate() {
            if !names.contains_key(upstream.as_str()) {
                r.error(
                    "spec::unknown-reference",
                    format!("unknown CodeArtifact repository `{upstream}`"),
                    &item(&repos_at.child(i), "upstreams", j),
                    "not a repository of this domain",
                    did_you_mean(upstream, names.keys().copied()),
                );
            }
        }
    }
    for (i, repo) in repos.iter().enumerate() {
        // Follow upstreams breadth-first; reaching the start again is a cycle.
        let mut seen = BTreeSet::new();
        let mut queue: Vec<&str> = repo.upstreams.iter().map(String::as_str).collect();
        while let Some(next) = queue.pop() {
            if next == repo.name {
                r.error_at_key(
                    "spec::upstream-cycle",
                    format!(
                        "CodeArtifact repository `{}` is its own upstream through a cycle",
                        repo.name
                    ),
                    &repos_at.child(i).child("upstreams"),
                    "leads back to this repository",
                    "upstreams must form a chain; remove one link",
                );
                break;
            }
            if seen.insert(next) {
                if let Some(&k) = names.get(next) {
                    queue.extend(repos[k].upstreams.iter().map(String::as_str));
                }
            }
        }
    }
    Some(cicd.value.clone())
}

pub(crate) fn billing(r: &mut Resolver<'_>, spec: &Spec, org: &Org) -> Option<Billing> {
    let billing = spec.billing.as_ref()?;
    let at = &billing.at;
    let mut budgets = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, budget) in billing.budgets.iter().enumerate() {
        let budget_at = item(at, "budgets", i);
        let Some(domain) = r.lookup(
            &org.domain_names,
            &budget.domain,
            &budget_at.child("domain"),
        ) else {
            continue;
        };
        if !seen.insert(domain) {
            r.error(
                "spec::duplicate-budget",
                format!("domain `{}` has two budgets", budget.domain),
                &budget_at.child("domain"),
                "second budget",
                "keep one monthly budget per domain",
            );
            continue;
        }
        for (j, percent) in budget.alert_at_percent.iter().enumerate() {
            if *percent == 0 || *percent > 1000 {
                r.error(
                    "spec::invalid-percent",
                    format!("an alert at {percent}% of the budget never fires usefully"),
                    &item(&budget_at, "alert_at_percent", j),
                    "expected 1 to 1000",
                    "alert at, for example, 80 and 100 percent",
                );
            }
        }
        budgets.push((domain, budget.clone()));
    }
    if !r.incomplete {
        for domain in &org.domains {
            if !seen.contains(&domain.id) {
                r.warning(
                    "spec::domain-without-budget",
                    format!("domain `{}` has no budget", domain.name),
                    &at.child("budgets"),
                    "missing budget",
                    format!(
                        "add `- {{ domain: {}, monthly: ... }}` so its owner gets forecasts",
                        domain.name
                    ),
                );
            }
        }
    }
    for (i, recipient) in billing.report_recipients.iter().enumerate() {
        if !super::organization::is_email(recipient) {
            r.error(
                "spec::invalid-email",
                format!("`{recipient}` is not an email address"),
                &item(at, "report_recipients", i),
                "expected `name@domain`",
                "give a mailbox",
            );
        }
    }
    Some(Billing {
        currency: billing.currency.clone(),
        budgets,
        forecast: billing.forecast.clone(),
        report_recipients: billing.report_recipients.clone(),
    })
}

pub(crate) fn observability(
    r: &mut Resolver<'_>,
    spec: &Spec,
    workloads: &Workloads,
) -> Option<landfall_spec::types::Observability> {
    let observability = spec.observability.as_ref()?;
    let at = &observability.at;
    let logs_at = at.child("logs");
    if let Some(cluster) = r.lookup(
        &workloads.store_names,
        &observability.logs.kafka_cluster,
        &logs_at.child("kafka_cluster"),
    ) {
        let store = &workloads.data_stores[cluster.index()];
        if let Engine::Msk { topics, .. } = &store.engine {
            if !topics.iter().any(|t| t.name == observability.logs.topic) {
                r.error(
                    "spec::unknown-reference",
                    format!(
                        "MSK cluster `{}` has no topic `{}`",
                        store.name, observability.logs.topic
                    ),
                    &logs_at.child("topic"),
                    "not a topic of that cluster",
                    did_you_mean(
                        &observability.logs.topic,
                        topics.iter().map(|t| t.name.as_str()),
                    ),
                );
            }
        } else {
            r.error(
                "spec::log-pipeline-not-kafka",
                format!("`{}` is not an MSK cluster", store.name),
                &logs_at.child("kafka_cluster"),
                "the log pipeline writes to Kafka",
                "name a data store with `kind: msk`",
            );
        }
    }
    if let Some(id) = &observability.security.siem_account_id {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            r.error(
                "spec::invalid-account-id",
                format!("`{id}` is not an AWS account id"),
                &at.child("security").child("siem_account_id"),
                "not an account id",
                "write the SIEM's 12-digit AWS account id, as a quoted string so leading zeros stay",
            );
        }
    }
    if observability.tracing.sample_percent > 100 {
        r.error(
            "spec::invalid-percent",
            format!(
                "{}% of requests cannot be sampled",
                observability.tracing.sample_percent
            ),
            &at.child("tracing").child("sample_percent"),
            "expected 0 to 100",
            "choose a share from 0 to 100",
        );
    }
    Some(observability.value.clone())
}

/// `observability.remediation.engine`: one Landfall knows.
pub(crate) fn remediation_engine(r: &mut Resolver<'_>, spec: &Spec) {
    let Some(observability) = spec.observability.as_ref() else {
        return;
    };
    let Some(remediation) = observability.remediation.as_ref() else {
        return;
    };
    if crate::monitoring::REMEDIATION_ENGINES.contains(&remediation.engine.as_str()) {
        return;
    }
    r.error(
        "spec::unknown-engine",
        format!(
            "`{}` is not a remediation engine Landfall knows",
            remediation.engine
        ),
        &observability.at.child("remediation").child("engine"),
        "unknown engine",
        format!(
            "write `{}` (the remediation service acts) or `{}` (Automation Controller acts, the service shadows it)",
            crate::monitoring::LANDFALL_ENGINE,
            crate::monitoring::AUTOMATION_CONTROLLER
        ),
    );
}

/// `observability.remediation.change_freezes`: each window's times read
/// (RFC 3339 with a zone, so a freeze means one instant everywhere), its
/// end after its start, its environments the spec's.
pub(crate) fn change_freezes(r: &mut Resolver<'_>, spec: &Spec, org: &Org) -> Vec<ChangeFreeze> {
    let Some(observability) = spec.observability.as_ref() else {
        return Vec::new();
    };
    let Some(remediation) = observability.remediation.as_ref() else {
        return Vec::new();
    };
    let at = observability.at.child("remediation");
    let mut freezes = Vec::new();
    for (i, freeze) in remediation.change_freezes.iter().enumerate() {
        let here = item(&at, "change_freezes", i);
        let read = |r: &mut Resolver<'_>, key: &str, text: &str| {
            let parsed =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339);
            match parsed {
                Ok(t) => Some(t.unix_timestamp()),
                Err(_) => {
                    r.error(
                        "spec::invalid-time",
                        format!("`{text}` is not an RFC 3339 time with a zone"),
                        &here.child(key),
                        "not a time",
                        "write a date, a time and a zone, such as `2026-12-31T16:00:00Z`",
                    );
                    None
                }
            }
        };
        let from = read(r, "from", &freeze.from);
        let until = read(r, "until", &freeze.until);
        let mut environments = Vec::new();
        for (j, name) in freeze.environments.iter().enumerate() {
            if r.lookup(&org.env_names, name, &item(&here, "environments", j))
                .is_some()
            {
                environments.push(name.clone());
            }
        }
        let (Some(from), Some(until)) = (from, until) else {
            continue;
        };
        if until <= from {
            r.error(
                "spec::empty-freeze",
                format!(
                    "the freeze ends (`{}`) before it starts (`{}`)",
                    freeze.until, freeze.from
                ),
                &here.child("until"),
                "not after `from`",
                "set `until` later than `from`",
            );
            continue;
        }
        freezes.push(ChangeFreeze {
            from,
            until,
            until_text: freeze.until.clone(),
            environments,
            reason: freeze.reason.clone(),
        });
    }
    freezes
}
