//! What a rule is: its metadata, its check over the resource view, and the
//! SCP statements that prevent what it detects.

use landfall_spec::types::{ControlMode, GuardrailId};
use serde::Serialize;

use crate::settings::Settings;
use crate::value::Value;
use crate::view::{Resource, ResourceView};

/// How bad a finding is. `critical` means the guardrail is preventive (an
/// SCP blocks it and AWS Config detects it); below that, Config only alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// Everything about a rule but its check: the data the docs, the SCP
/// compiler and the Config rule list are generated from.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// The bad pattern, kebab-case: `unencrypted-ebs-volume`.
    pub name: &'static str,
    /// Folder the rule lives in: `ebs`, `s3`, `network`, ...
    pub family: &'static str,
    /// One line for listings.
    pub summary: &'static str,
    /// Severity when the guardrail is not preventive (or the rule has none).
    pub severity: Severity,
    /// The blueprint guardrail it belongs to; `None` for additional checks.
    pub guardrail: Option<GuardrailId>,
    /// AWS Config managed rule identifiers that detect it in live accounts.
    pub config_rules: &'static [&'static str],
    /// checkov check ids that cover the same ground.
    pub checkov: &'static [&'static str],
    /// Resource kinds the check reads; `*` for every resource.
    pub kinds: &'static [&'static str],
    /// How to fix a finding, in one line.
    pub fix: &'static str,
    /// The rule's doc comment (Markdown with the fixed headings).
    pub docs: &'static str,
}

/// A violation found by a rule in one resource reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub message: String,
    /// Property path under `Properties`, to point at its line.
    pub path: Vec<String>,
}

impl Violation {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            path: Vec::new(),
        }
    }

    #[must_use]
    pub fn at(mut self, path: &[&str]) -> Self {
        self.path = path.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// What a check sees: one resource reading and the whole view.
pub struct Check<'a> {
    pub view: &'a ResourceView,
    pub resource: &'a Resource,
    /// The properties of the reading being checked.
    pub props: &'a Value,
    pub settings: &'a Settings,
}

/// What an SCP statement may depend on.
pub struct ScpContext<'a> {
    pub settings: &'a Settings,
    /// `aws:PrincipalArn` patterns of the platform's deployment and
    /// break-glass roles, exempted where blocking them would break deployment.
    pub exempt_principals: &'a [String],
}

/// A rule's documentation, metadata and check. Implemented by one unit
/// struct per rule file; see [`crate::codes`] for the table of codes.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;

    /// Checks one reading of one resource of the rule's kinds.
    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>);

    /// SCP statements that prevent the violation (Deny statements), when
    /// the guardrail is preventive. Statements of rules of one guardrail
    /// may repeat; the compiler keeps one per `Sid`.
    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        Vec::new()
    }
}

impl RuleMeta {
    /// The severity of findings under the platform's control modes, or
    /// `None` when the guardrail is switched off.
    pub fn effective_severity(&self, settings: &Settings) -> Option<Severity> {
        match self.guardrail.map(|g| settings.mode(g)) {
            Some(ControlMode::Off) => None,
            Some(ControlMode::Preventive) => Some(Severity::Critical),
            Some(ControlMode::Detective) | None => Some(self.severity),
        }
    }

    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| *k == "*" || *k == kind)
    }
}

/// Declares a rule's unit struct with its doc comment and metadata.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            name: $rule_name:literal,
            family: $family:literal,
            summary: $summary:literal,
            severity: $severity:ident,
            guardrail: $guardrail:expr,
            config_rules: [$($config:literal),* $(,)?],
            checkov: [$($checkov:literal),* $(,)?],
            kinds: [$($kind:literal),* $(,)?],
            fix: $fix:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            pub const META: $crate::registry::RuleMeta = $crate::registry::RuleMeta {
                name: $rule_name,
                family: $family,
                summary: $summary,
                severity: $crate::registry::Severity::$severity,
                guardrail: $guardrail,
                config_rules: &[$($config),*],
                checkov: &[$($checkov),*],
                kinds: &[$($kind),*],
                fix: $fix,
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}

pub(crate) use declare_rule;
