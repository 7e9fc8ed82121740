//! The Alertmanager configuration: a route per owning domain (pages to the
//! team's pager, the rest to its mail and chat), the remediation service's
//! webhook for the alerts it acts on, and inhibitions so one outage is one
//! notification.
//!
//! The route tree is kept typed so the consistency check can route every
//! alert the rules can raise, the way Alertmanager does, before anything is
//! deployed; the tests confirm the same answers with `amtool config routes
//! test` against the rendered file.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::labels::{DOMAIN, ENVIRONMENT, HOST, REGION, SERVICE, SEVERITY};
use crate::plan::Plan;
use crate::rules::{
    ERRORS_FAST, ERRORS_SLOW, LATENCY_FAST, LATENCY_SLOW, REGION_WIDE_OUTAGE, TELEGRAF_AGENT_DOWN,
    VECTOR_AGENT_DOWN,
};
use crate::{json_text, yaml, File};

/// The receiver of alerts no route claims: the platform team's mailbox,
/// under a name that says something is missing a route.
pub const UNROUTED: &str = "unrouted";
/// The remediation service's receiver.
pub const REMEDIATION: &str = "remediation";
/// Where secrets live on the Alertmanager hosts (never in the config).
pub const SECRETS_DIR: &str = "/etc/alertmanager/secrets";
/// The platform's private root CA certificate (PEM), which signs the
/// remediation service's certificate: the hosts fetch it with the secrets
/// (an SSM parameter under the same path).
pub const REMEDIATION_CA_FILE: &str = "/etc/alertmanager/secrets/remediation-ca.pem";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Eq,
    NotEq,
    Regex,
    NotRegex,
}

/// One `matchers` entry.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    /// The anchored regular expression, compiled on first use (routing
    /// every alert of a large platform asks the same few matchers).
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl Matcher {
    pub fn eq(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            op: Op::Eq,
            value: value.to_owned(),
            compiled: std::sync::OnceLock::new(),
        }
    }

    pub fn any_of(name: &str, values: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            op: Op::Regex,
            value: values
                .iter()
                .map(|v| regex_escape(v))
                .collect::<Vec<_>>()
                .join("|"),
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// Alertmanager's semantics: a missing label is the empty string;
    /// regular expressions are anchored at both ends.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.name).map_or("", String::as_str);
        match self.op {
            Op::Eq => value == self.value,
            Op::NotEq => value != self.value,
            Op::Regex | Op::NotRegex => {
                let compiled = self
                    .compiled
                    .get_or_init(|| regex::Regex::new(&format!("^(?:{})$", self.value)).ok());
                let found = compiled.as_ref().is_some_and(|r| r.is_match(value));
                found == (self.op == Op::Regex)
            }
        }
    }

    /// The `matchers` syntax (`domain="trading"`).
    pub fn render(&self) -> String {
        let op = match self.op {
            Op::Eq => "=",
            Op::NotEq => "!=",
            Op::Regex => "=~",
            Op::NotRegex => "!~",
        };
        let value = self.value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("{}{op}\"{value}\"", self.name)
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A node of the route tree.
#[derive(Debug, Clone)]
pub struct Route {
    pub receiver: String,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub routes: Vec<Route>,
    /// `['...']` (every alert its own notification) for the remediation route.
    pub group_by_all: bool,
}

impl Route {
    fn new(receiver: String, matchers: Vec<Matcher>) -> Self {
        Self {
            receiver,
            matchers,
            continue_: false,
            routes: Vec::new(),
            group_by_all: false,
        }
    }

    /// The receivers an alert with these labels is sent to, as Alertmanager
    /// walks the tree: depth first, children in order, stopping at the first
    /// matching child unless it says `continue`; a node no child claims
    /// keeps the alert itself.
    pub fn receivers_for(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        let mut found = Vec::new();
        for child in &self.routes {
            if child.matchers.iter().all(|m| m.matches(labels)) {
                found.extend(child.receivers_for(labels));
                if !child.continue_ {
                    return found;
                }
            }
        }
        if found.is_empty() {
            found.push(self.receiver.clone());
        }
        found
    }
}

/// An inhibition: while a source alert fires, matching targets with the
/// same `equal` labels are muted.
#[derive(Debug, Clone)]
pub struct Inhibit {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<&'static str>,
}

/// The whole configuration, typed.
#[derive(Debug, Clone)]
pub struct Config {
    pub route: Route,
    pub receivers: Vec<Value>,
    pub inhibit: Vec<Inhibit>,
    pub global: Value,
}

impl Config {
    pub fn receiver_names(&self) -> Vec<String> {
        self.receivers
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_owned))
            .collect()
    }
}

pub fn config(plan: &Plan) -> Config {
    let mut receivers = vec![json!({
        "name": UNROUTED,
        "email_configs": [{
            "to": plan.team(crate::plan::PLATFORM_DOMAIN).map_or_else(
                || format!("platform@{}", plan.email_domain),
                |t| t.email.clone(),
            ),
            "send_resolved": true,
            "headers": { "Subject": "[unrouted] {{ .CommonLabels.alertname }}" },
        }],
    })];
    let mut seen = std::collections::BTreeSet::new();
    for team in &plan.teams {
        if !seen.insert(team.name.clone()) {
            continue;
        }
        let email = json!({ "to": team.email, "send_resolved": true });
        let chat = team.chat.as_ref().map(|channel| {
            json!({
                "api_url_file": format!("{SECRETS_DIR}/chat-webhook-url"),
                "channel": channel,
                "send_resolved": true,
                "title": "{{ .CommonLabels.alertname }} ({{ .Status }})",
                "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
            })
        });
        let mut ticket =
            json!({ "name": team.ticket_receiver(), "email_configs": [email.clone()] });
        if let Some(chat) = &chat {
            ticket["slack_configs"] = json!([chat]);
        }
        receivers.push(ticket);
        let mut page = json!({ "name": team.page_receiver(), "email_configs": [email] });
        if let Some(chat) = &chat {
            page["slack_configs"] = json!([chat]);
        }
        if team.pager.is_some() {
            page["pagerduty_configs"] = json!([{
                "routing_key_file": format!("{SECRETS_DIR}/pagerduty-{}", team.name),
                "send_resolved": true,
                "description": "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}",
            }]);
        }
        receivers.push(page);
    }
    let mut routes = Vec::new();
    if let Some(remediation) = &plan.remediation {
        let mut http_config = json!({
            "authorization": {
                "type": "Bearer",
                "credentials_file": format!("{SECRETS_DIR}/remediation-token"),
            },
        });
        if let Some(ca) = &remediation.ca_file {
            // The service's certificate names the URL's host and is signed
            // by the platform's private root, which no system store holds.
            http_config["tls_config"] = json!({ "ca_file": ca });
        }
        receivers.push(json!({
            "name": REMEDIATION,
            "webhook_configs": [{
                "url": remediation.webhook_url,
                "send_resolved": true,
                "max_alerts": 0,
                "http_config": http_config,
            }],
        }));
        let names: Vec<&str> = remediation.alerts.iter().map(|(n, _)| n.as_str()).collect();
        if !names.is_empty() {
            let mut route = Route::new(
                REMEDIATION.to_owned(),
                vec![Matcher::any_of("alertname", &names)],
            );
            route.continue_ = true;
            route.group_by_all = true;
            routes.push(route);
        }
    }
    // One route per domain; teams owning several domains get several routes
    // to the same receivers.
    let mut domains: Vec<(&str, &crate::plan::Team)> = plan
        .teams
        .iter()
        .filter_map(|t| t.domain.as_deref().map(|d| (d, t)))
        .collect();
    domains.sort_by(|a, b| a.0.cmp(b.0));
    for (domain, team) in domains {
        let mut route = Route::new(team.ticket_receiver(), vec![Matcher::eq(DOMAIN, domain)]);
        route.routes.push(Route::new(
            team.page_receiver(),
            vec![Matcher::eq(SEVERITY, "page")],
        ));
        routes.push(route);
    }
    let mut root = Route::new(UNROUTED.to_owned(), Vec::new());
    root.routes = routes;
    let inhibit = vec![
        Inhibit {
            source: vec![Matcher::eq("alertname", REGION_WIDE_OUTAGE)],
            target: vec![Matcher::any_of(
                "alertname",
                &[ERRORS_FAST, ERRORS_SLOW, LATENCY_FAST, LATENCY_SLOW],
            )],
            equal: vec![ENVIRONMENT, REGION],
        },
        Inhibit {
            source: vec![Matcher::eq("alertname", TELEGRAF_AGENT_DOWN)],
            target: vec![Matcher::eq("alertname", VECTOR_AGENT_DOWN)],
            equal: vec![DOMAIN, SERVICE, ENVIRONMENT, REGION, HOST],
        },
        Inhibit {
            source: vec![Matcher::eq("alertname", ERRORS_FAST)],
            target: vec![Matcher::eq("alertname", ERRORS_SLOW)],
            equal: vec![SERVICE, ENVIRONMENT, REGION],
        },
        Inhibit {
            source: vec![Matcher::eq("alertname", LATENCY_FAST)],
            target: vec![Matcher::eq("alertname", LATENCY_SLOW)],
            equal: vec![SERVICE, ENVIRONMENT, REGION],
        },
    ];
    let global = json!({
        "resolve_timeout": "5m",
        // Amazon SES's SMTP interface in the home region; the credentials
        // are an SES SMTP user's, kept in a file on the hosts.
        "smtp_smarthost": format!("email-smtp.{}.amazonaws.com:587", plan.home_region),
        "smtp_from": format!("alertmanager@{}", plan.email_domain),
        "smtp_auth_username": "alertmanager",
        "smtp_auth_password_file": format!("{SECRETS_DIR}/smtp-password"),
        "smtp_require_tls": true,
    });
    Config {
        route: root,
        receivers,
        inhibit,
        global,
    }
}

fn route_json(route: &Route, root: bool) -> Value {
    let mut v = json!({ "receiver": route.receiver });
    if !route.matchers.is_empty() {
        v["matchers"] = json!(route
            .matchers
            .iter()
            .map(Matcher::render)
            .collect::<Vec<_>>());
    }
    if root {
        v["group_by"] = json!(["alertname", DOMAIN, SERVICE, ENVIRONMENT, REGION]);
        v["group_wait"] = json!("30s");
        v["group_interval"] = json!("5m");
        v["repeat_interval"] = json!("4h");
    }
    if route.group_by_all {
        v["group_by"] = json!(["..."]);
        v["group_wait"] = json!("0s");
        v["group_interval"] = json!("1m");
        v["repeat_interval"] = json!("1h");
    }
    if route.continue_ {
        v["continue"] = json!(true);
    }
    if !route.routes.is_empty() {
        v["routes"] = json!(route
            .routes
            .iter()
            .map(|r| route_json(r, false))
            .collect::<Vec<_>>());
    }
    v
}

/// The label sets the tests route with `amtool config routes test`, with the
/// receivers each must reach: every domain at every severity, and every
/// remediation alert.
pub fn expectations(plan: &Plan, config: &Config) -> Vec<(BTreeMap<String, String>, Vec<String>)> {
    let mut cases = Vec::new();
    for team in &plan.teams {
        let Some(domain) = &team.domain else { continue };
        for severity in ["page", "ticket"] {
            let labels = BTreeMap::from([
                ("alertname".to_owned(), "ExampleAlert".to_owned()),
                (DOMAIN.to_owned(), domain.clone()),
                (SEVERITY.to_owned(), severity.to_owned()),
            ]);
            let receivers = config.route.receivers_for(&labels);
            cases.push((labels, receivers));
        }
    }
    if let Some(remediation) = &plan.remediation {
        for (name, _) in &remediation.alerts {
            let alert = plan.alerts().find(|a| &a.name == name);
            let mut labels = BTreeMap::from([("alertname".to_owned(), name.clone())]);
            if let Some(alert) = alert {
                labels.insert(SEVERITY.to_owned(), alert.severity.as_str().to_owned());
                if let Some(case) = alert.cases.iter().find(|c| !c.firing.is_empty()) {
                    if let Some(domain) = case.firing[0].get(DOMAIN) {
                        labels.insert(DOMAIN.to_owned(), domain.clone());
                    }
                }
            }
            let receivers = config.route.receivers_for(&labels);
            cases.push((labels, receivers));
        }
    }
    cases
}

/// The configuration file's text.
pub fn render_config(config: &Config) -> String {
    let inhibit: Vec<Value> = config
        .inhibit
        .iter()
        .map(|i| {
            json!({
                "source_matchers": i.source.iter().map(Matcher::render).collect::<Vec<_>>(),
                "target_matchers": i.target.iter().map(Matcher::render).collect::<Vec<_>>(),
                "equal": i.equal,
            })
        })
        .collect();
    let doc = json!({
        "global": config.global,
        "route": route_json(&config.route, true),
        "inhibit_rules": inhibit,
        "receivers": config.receivers,
    });
    crate::rules::header("#") + &yaml::to_yaml(&doc)
}

pub fn render(plan: &Plan) -> Vec<File> {
    let config = config(plan);
    let cases: Vec<Value> = expectations(plan, &config)
        .into_iter()
        .map(|(labels, receivers)| json!({ "labels": labels, "receivers": receivers }))
        .collect();
    vec![
        File {
            path: "alertmanager/alertmanager.yml".to_owned(),
            contents: render_config(&config),
        },
        File {
            path: "alertmanager/routing-tests.json".to_owned(),
            contents: json_text(&json!({ "cases": cases })),
        },
    ]
}
