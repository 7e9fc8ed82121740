//! Consistency checks across the generated artefacts, reported at the spec
//! line that caused each problem.
//!
//! No single tool can see these: promtool knows rules but not routes,
//! amtool knows routes but not which alerts exist, Grafana knows panels but
//! not which agent produces a metric. The plan knows all of them.

use std::collections::{BTreeMap, BTreeSet};

use landfall_diagnostics::{did_you_mean, suggestion, Diagnostic};
use landfall_spec::{LoadedSpec, Pointer};
use promql_parser::parser::{self, Expr};

use crate::alertmanager::{self, Config, REMEDIATION, UNROUTED};
use crate::catalog::{self, Producer};
use crate::grafana::{self, Query};
use crate::labels::{DOMAIN, SEVERITY};
use crate::plan::{Plan, Rule};
use crate::{telegraf, Bundle};

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
    pub help: String,
    /// The spec element behind it.
    pub at: Pointer,
}

impl Finding {
    /// As a diagnostic, at the spec value or, for a defaulted one, at the
    /// nearest enclosing value the file has.
    pub fn to_diagnostic(&self, spec: &LoadedSpec) -> Diagnostic {
        let mut at = self.at.clone();
        let span = loop {
            if let Some(span) = spec.span(&at) {
                break Some(span);
            }
            match at.path.rfind('/') {
                Some(cut) if cut > 0 => at.path.truncate(cut),
                _ => break None,
            }
        };
        let mut d = Diagnostic::error(self.code, self.message.clone())
            .with_optional_label(span, "here")
            .with_help(self.help.clone());
        if span.is_none() {
            d = d.in_file(self.at.file);
        }
        d
    }
}

/// Every check, over a generated bundle.
pub fn check(bundle: &Bundle) -> Vec<Finding> {
    check_with(bundle, &alertmanager::config(&bundle.plan))
}

/// [`check`] against a given Alertmanager configuration (the generated one,
/// or one a test broke on purpose).
pub fn check_with(bundle: &Bundle, config: &Config) -> Vec<Finding> {
    let plan = &bundle.plan;
    let mut findings = Vec::new();
    remediation_alerts_exist(plan, config, &mut findings);
    alerts_are_routed(plan, config, &mut findings);
    let dashboards = grafana::dashboards(plan);
    metrics_are_produced(plan, &dashboards, &mut findings);
    dashboards_read_what_exists(plan, &dashboards, &mut findings);
    services_are_covered(bundle, &mut findings);
    probes_have_a_proxy(plan, &mut findings);
    findings
}

/// Every endpoint Zabbix probes is in a VPC with a proxy, when the Zabbix
/// server runs: VPCs are not connected, so nothing else reaches its load
/// balancer.
fn probes_have_a_proxy(plan: &Plan, findings: &mut Vec<Finding>) {
    if plan.zabbix_proxies.is_empty() {
        return;
    }
    for probe in crate::zabbix::probes(plan) {
        if probe.proxy.is_none() {
            findings.push(Finding {
                code: "observability::probe-without-proxy",
                message: format!(
                    "Zabbix probes `{}` in {} ({}), but that VPC has no Zabbix proxy",
                    probe.service.name, probe.environment, probe.region
                ),
                help: "a VPC gets monitoring servers, and so a proxy, when its shared data subnets span two AZs: share a data tier no domain owns with the observability account in two AZs".to_owned(),
                at: probe.service.origin.clone(),
            });
        }
    }
}

/// The dashboard checks over the dashboards of other data stores than the
/// plan's (the plan's namespaces decide what is read).
pub fn check_dashboards_of(
    bundle: &Bundle,
    stores: &[crate::plan::MonitoredStore],
) -> Vec<Finding> {
    let mut plan = bundle.plan.clone();
    let dashboards: Vec<_> = {
        plan.stores = stores.to_vec();
        let all = grafana::dashboards(&plan);
        plan.stores.clear();
        all
    };
    let mut findings = Vec::new();
    dashboards_read_what_exists(&plan, &dashboards, &mut findings);
    findings
}

/// Every alert `observability.remediation.automatic` names is a rule, and
/// reaches the remediation service's webhook.
fn remediation_alerts_exist(plan: &Plan, config: &Config, findings: &mut Vec<Finding>) {
    let Some(remediation) = &plan.remediation else {
        return;
    };
    let names: BTreeSet<&str> = plan.alerts().map(|a| a.name.as_str()).collect();
    for (name, at) in &remediation.alerts {
        if !names.contains(name.as_str()) {
            let known = names
                .iter()
                .copied()
                .chain(landfall_model::monitoring::EVENT_ALERTS.iter().copied())
                .chain(landfall_model::monitoring::ALARM_ALERTS.iter().copied());
            let help = did_you_mean(name, known);
            findings.push(Finding {
                code: "observability::unknown-alert",
                message: format!(
                    "no rule raises an alert named `{name}`, so remediation would never run"
                ),
                help,
                at: at.clone(),
            });
            continue;
        }
        let labels = BTreeMap::from([("alertname".to_owned(), name.clone())]);
        if !config
            .route
            .receivers_for(&labels)
            .iter()
            .any(|r| r == REMEDIATION)
        {
            findings.push(Finding {
                code: "observability::remediation-unreachable",
                message: format!("alert `{name}` does not reach the remediation webhook"),
                help: "the remediation route must match every automatic alert".to_owned(),
                at: at.clone(),
            });
        }
    }
}

/// Every alert, with every value its labels can take, reaches a team's
/// receiver rather than the catch-all.
fn alerts_are_routed(plan: &Plan, config: &Config, findings: &mut Vec<Finding>) {
    let producing_domains: BTreeSet<&str> =
        plan.services.iter().map(|s| s.domain.as_str()).collect();
    // Routing depends only on the labels the tree matches on; many alerts
    // share those, so each distinct projection is routed once.
    let mut routed_on = BTreeSet::new();
    route_labels(&config.route, &mut routed_on);
    let mut cache: std::collections::HashMap<Vec<(String, String)>, bool> =
        std::collections::HashMap::new();
    for alert in plan.alerts() {
        let domains: Vec<&str> = match alert.labels.get(DOMAIN) {
            Some(d) => vec![d.as_str()],
            None if alert.labels_from_series.contains(&DOMAIN) => {
                producing_domains.iter().copied().collect()
            }
            None => vec![""],
        };
        for domain in domains {
            let mut labels: BTreeMap<String, String> = alert.labels.clone();
            labels.insert("alertname".to_owned(), alert.name.clone());
            labels.insert(SEVERITY.to_owned(), alert.severity.as_str().to_owned());
            if !domain.is_empty() {
                labels.insert(DOMAIN.to_owned(), domain.to_owned());
            }
            let key: Vec<(String, String)> = labels
                .iter()
                .filter(|(k, _)| routed_on.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let unrouted = *cache.entry(key).or_insert_with(|| {
                config
                    .route
                    .receivers_for(&labels)
                    .iter()
                    .all(|r| r == UNROUTED || r == REMEDIATION)
            });
            if unrouted {
                findings.push(Finding {
                    code: "observability::alert-unrouted",
                    message: format!(
                        "alert `{}`{} reaches no team, only the catch-all receiver",
                        alert.name,
                        if domain.is_empty() {
                            String::new()
                        } else {
                            format!(" of domain `{domain}`")
                        }
                    ),
                    help: "give the domain an owner in the spec, or the alert a `domain` label"
                        .to_owned(),
                    at: alert.origin.clone(),
                });
                break;
            }
        }
    }
}

fn route_labels<'a>(route: &'a alertmanager::Route, names: &mut BTreeSet<&'a str>) {
    names.extend(route.matchers.iter().map(|m| m.name.as_str()));
    for child in &route.routes {
        route_labels(child, names);
    }
}

/// The metric names a PromQL expression reads, or why it does not parse.
pub fn metrics_of(expr: &str) -> Result<BTreeSet<String>, String> {
    let ast = parser::parse(expr)?;
    let mut names = BTreeSet::new();
    collect(&ast, &mut names);
    Ok(names)
}

fn collect(expr: &Expr, names: &mut BTreeSet<String>) {
    match expr {
        Expr::Aggregate(a) => {
            collect(&a.expr, names);
            if let Some(p) = &a.param {
                collect(p, names);
            }
        }
        Expr::Unary(u) => collect(&u.expr, names),
        Expr::Binary(b) => {
            collect(&b.lhs, names);
            collect(&b.rhs, names);
        }
        Expr::Paren(p) => collect(&p.expr, names),
        Expr::Subquery(s) => collect(&s.expr, names),
        Expr::VectorSelector(v) => {
            if let Some(name) = &v.name {
                names.insert(name.clone());
            }
        }
        Expr::MatrixSelector(m) => {
            if let Some(name) = &m.vs.name {
                names.insert(name.clone());
            }
        }
        Expr::Call(c) => {
            for arg in &c.args.args {
                collect(arg, names);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// An expression with the contents of its string literals emptied: every
/// service's alerts differ only there (`service="…"`), and metric names are
/// never inside a literal, so one parse serves all of them.
fn shape(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in expr.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if c == '"' || c == '\'' || c == '`' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Every metric a rule or panel queries is produced by a configured input,
/// a recording rule, or the rule engine itself (`ALERTS`).
fn metrics_are_produced(
    plan: &Plan,
    dashboards: &[grafana::Dashboard],
    findings: &mut Vec<Finding>,
) {
    let namespaces = telegraf::platform_namespaces(plan);
    let mut produced = catalog::produced(&namespaces, plan.recordings().map(|r| r.record.clone()));
    produced.insert("ALERTS".to_owned(), Producer::Recording);
    let mut parsed: std::collections::HashMap<String, Result<BTreeSet<String>, String>> =
        std::collections::HashMap::new();
    let mut check = |expr: &str, what: String, at: &Pointer| match parsed
        .entry(shape(expr))
        .or_insert_with_key(|shape| metrics_of(shape))
        .clone()
    {
        Err(e) => findings.push(Finding {
            code: "observability::invalid-query",
            message: format!("{what} does not parse: {e}"),
            help: "this is a defect of the generator; please report it".to_owned(),
            at: at.clone(),
        }),
        Ok(names) => {
            for name in names {
                if !produced.contains_key(&name) {
                    findings.push(Finding {
                        code: "observability::metric-not-produced",
                        message: format!("{what} reads `{name}`, which no agent, namespace or rule produces"),
                        help: suggestion(&name, produced.keys().map(String::as_str)).map_or_else(
                            || "add the CloudWatch namespace to `observability.metrics.cloudwatch_namespaces`".to_owned(),
                            |best| format!("did you mean `{best}`?"),
                        ),
                        at: at.clone(),
                    });
                }
            }
        }
    };
    for group in &plan.groups {
        for rule in &group.rules {
            match rule {
                Rule::Alert(a) => check(&a.expr, format!("alert `{}`", a.name), &a.origin),
                Rule::Record(r) => check(
                    &r.expr,
                    format!("recording rule `{}`", r.record),
                    &plan.namespaces_origin,
                ),
            }
        }
    }
    let origins = dashboard_origins(plan);
    for dashboard in dashboards {
        let at = *origins
            .get(dashboard.uid.as_str())
            .unwrap_or(&&plan.namespaces_origin);
        for panel in &dashboard.panels {
            if let Query::PromQl(expr) = &panel.query {
                check(
                    expr,
                    format!("panel `{}` of dashboard `{}`", panel.title, dashboard.uid),
                    at,
                );
            }
        }
    }
}

/// The spec element behind each dashboard (its service or data store).
fn dashboard_origins(plan: &Plan) -> std::collections::HashMap<&str, &Pointer> {
    plan.services
        .iter()
        .map(|s| (s.dashboard_uid.as_str(), &s.origin))
        .chain(
            plan.stores
                .iter()
                .map(|s| (s.dashboard_uid.as_str(), &s.origin)),
        )
        .collect()
}

/// Every panel's data source exists; every CloudWatch panel reads a
/// namespace Grafana is meant to show.
fn dashboards_read_what_exists(
    plan: &Plan,
    dashboards: &[grafana::Dashboard],
    findings: &mut Vec<Finding>,
) {
    let sources: BTreeSet<String> = grafana::datasources(plan)
        .iter()
        .filter_map(|d| d["uid"].as_str().map(str::to_owned))
        .collect();
    let namespaces = telegraf::platform_namespaces(plan);
    let origins = dashboard_origins(plan);
    for dashboard in dashboards {
        let at = (*origins
            .get(dashboard.uid.as_str())
            .unwrap_or(&&plan.namespaces_origin))
        .clone();
        for panel in &dashboard.panels {
            if !sources.contains(&panel.datasource) {
                findings.push(Finding {
                    code: "observability::unknown-datasource",
                    message: format!(
                        "panel `{}` of dashboard `{}` reads data source `{}`, which is not provisioned",
                        panel.title, dashboard.uid, panel.datasource
                    ),
                    help: format!("provisioned data sources: {}", sources.iter().cloned().collect::<Vec<_>>().join(", ")),
                    at: at.clone(),
                });
            }
            if let Query::CloudWatch { namespace, .. } = &panel.query {
                if !namespaces.contains(namespace) {
                    findings.push(Finding {
                        code: "observability::namespace-not-listed",
                        message: format!(
                            "panel `{}` of dashboard `{}` reads CloudWatch namespace `{namespace}`, which the spec does not list",
                            panel.title, dashboard.uid
                        ),
                        help: format!("add `{namespace}` to `observability.metrics.cloudwatch_namespaces`"),
                        at: plan.namespaces_origin.clone(),
                    });
                }
            }
        }
    }
}

/// Every service has an agent configuration, alerts and a dashboard.
fn services_are_covered(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let plan = &bundle.plan;
    let written: BTreeSet<&str> = bundle.files.iter().map(|f| f.path.as_str()).collect();
    for service in &plan.services {
        let agent = format!("telegraf/services/{}/{}.conf", service.domain, service.name);
        let dashboard = format!(
            "grafana/dashboards/{}/{}.json",
            service.domain, service.dashboard_uid
        );
        let mut missing = Vec::new();
        if !written.contains(agent.as_str()) {
            missing.push("a metrics agent");
        }
        if service.alerts.is_empty() {
            missing.push("alerts");
        }
        if !written.contains(dashboard.as_str()) {
            missing.push("a dashboard");
        }
        if !missing.is_empty() {
            findings.push(Finding {
                code: "observability::service-unmonitored",
                message: format!(
                    "service `{}` has no {}",
                    service.name,
                    missing.join(", no ")
                ),
                help: "every service gets an agent, objective alerts and a dashboard".to_owned(),
                at: service.origin.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_keeps_names_and_empties_literals() {
        assert_eq!(
            shape(r#"sum(rate(app_x{service="a\"b",code=~'5..'}[5m])) > 0.1"#),
            r#"sum(rate(app_x{service="",code=~''}[5m])) > 0.1"#
        );
        assert_eq!(
            metrics_of(&shape(r#"a{x="b"} / on() c"#)).unwrap(),
            BTreeSet::from(["a".to_owned(), "c".to_owned()])
        );
    }
}
