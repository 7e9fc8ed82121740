//! Monitoring configuration generated from the platform model, and the
//! checks that keep it consistent.
//!
//! The model knows every service, data store, domain, owner and region, so
//! the configuration a platform team would otherwise write by hand per
//! service is derived here, in one pass and in agreement with itself:
//!
//! ```text
//! Model ──▶ Plan (labels, objectives, teams, alert rules with their tests)
//!             ├─▶ rules/        vmalert / Prometheus rule files + promtool unit tests
//!             ├─▶ alertmanager/ routes per owning team, inhibitions, remediation webhook
//!             ├─▶ telegraf/     one agent per service, per metal host class, per region
//!             ├─▶ grafana/      data sources, folders, dashboards with stable uids
//!             └─▶ zabbix/       endpoint probes, host groups per domain (the cross-check)
//!        checks: every alert routed, every queried metric produced, …
//! ```
//!
//! Output is written for one pinned set of tool versions ([`Profile`]): the
//! Debian tools the tests run are older than upstream, and field names that a
//! newer release added would be rejected by them.

pub mod alertmanager;
pub mod catalog;
pub mod checks;
pub mod grafana;
pub mod labels;
pub mod plan;
pub mod profile;
pub mod rules;
pub mod telegraf;
pub mod yaml;
pub mod zabbix;

pub use plan::Plan;
pub use profile::Profile;

use landfall_model::Model;

/// One generated file, relative to the `observability/` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub contents: String,
}

/// Everything generated for a platform: the plan it was rendered from and
/// the files, in a stable order.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub plan: Plan,
    pub files: Vec<File>,
}

impl Bundle {
    pub fn file(&self, path: &str) -> Option<&File> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Plans and renders the monitoring configuration of a platform. `None`
/// when the spec has no `observability` section.
pub fn generate(model: &Model) -> Option<Bundle> {
    let plan = plan::plan(model, Profile::default())?;
    let mut files = Vec::new();
    files.extend(rules::render(&plan));
    files.extend(alertmanager::render(&plan));
    files.extend(telegraf::render(model, &plan));
    files.extend(grafana::render(model, &plan));
    files.extend(zabbix::render(&plan));
    files.push(manifest(&plan, &files));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Some(Bundle { plan, files })
}

/// Every service's Telegraf sidecar configuration by service name (the
/// text written under `telegraf/services/`), for the workload layer's task
/// definitions; `None` when the spec has no `observability` section.
pub fn sidecar_configs(model: &Model) -> Option<std::collections::BTreeMap<String, String>> {
    let plan = plan::plan(model, Profile::default())?;
    Some(telegraf::sidecar_configs(&plan))
}

/// The Telegraf host daemon's configuration of every domain with metal
/// services by domain name (the text written under `telegraf/hosts/`), for
/// the workload layer's daemon services; `None` without `observability`.
pub fn host_agent_configs(model: &Model) -> Option<std::collections::BTreeMap<String, String>> {
    let plan = plan::plan(model, Profile::default())?;
    Some(telegraf::host_configs(&plan))
}

/// `manifest.json`: the target versions and what was generated, so a
/// reader (or a deploy step) knows what the files are for.
fn manifest(plan: &Plan, files: &[File]) -> File {
    let by_component = |prefix: &str| files.iter().filter(|f| f.path.starts_with(prefix)).count();
    let value = serde_json::json!({
        "profile": plan.profile,
        "alerts": plan.alerts().count(),
        "recording_rules": plan.recordings().count(),
        "services": plan.services.len(),
        "teams": plan.teams.len(),
        "files": {
            "rules": by_component("rules/"),
            "alertmanager": by_component("alertmanager/"),
            "telegraf": by_component("telegraf/"),
            "grafana": by_component("grafana/"),
            "zabbix": by_component("zabbix/"),
        },
    });
    File {
        path: "manifest.json".to_owned(),
        contents: json_text(&value),
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
