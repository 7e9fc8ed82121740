//! Landfall's guardrail rules, written once and used four ways.
//!
//! Each rule (one file under `rules/<family>/`, listed in [`codes`]) carries
//! its documentation, the AWS Config managed rules that detect it in live
//! accounts, the SCP statements that prevent it, the checkov checks that
//! cover the same ground, and a check over the [resource view](view):
//!
//! - **prevent**: [`compile_scps`] packs the preventive statements of every
//!   rule whose guardrail is preventive, the region allowlist and the
//!   per-environment service allowlists into SCPs per OU, within AWS's limits;
//! - **detect**: [`config_rules`] lists the AWS Config rules per account class;
//! - **scan**: [`check`] runs every rule over a [`ResourceView`] built once
//!   from CloudFormation templates, Terraform plans or the synthesized
//!   platform;
//! - **audit**: a live inventory becomes a [`ResourceView`] through
//!   [`ViewBuilder::push`], and the same rules run on it.
//!
//! ```
//! use landfall_rules::{check, LoadOptions, Settings, ViewBuilder};
//!
//! let mut builder = ViewBuilder::new(LoadOptions::default());
//! builder.add_text("volume.yaml", "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n");
//! let view = builder.finish();
//! let report = check(&view, &Settings::default());
//! assert_eq!(report.findings[0].rule, "LF101");
//! assert_eq!(report.findings[0].line, 3);
//! ```

pub mod codes;
pub mod config;
pub mod docs;
pub mod registry;
pub mod report;
pub mod rules;
pub mod scan;
pub mod scp;
pub mod services;
pub mod settings;
pub mod tree;
pub mod value;
pub mod view;

pub use codes::{rule_by_code, RegisteredRule, RULES};
pub use config::{config_rules, ConfigRule, ConfigRuleSet};
pub use registry::{Rule, RuleMeta, Severity};
pub use scan::{check, Finding, Report};
pub use scp::{compile_scps, compile_scps_with, Scp, ScpOptions, ScpSet};
pub use settings::Settings;
pub use value::Value;
pub use view::{AccountInfo, InputKind, LoadOptions, Resource, ResourceView, ViewBuilder};

/// Reads files and directories once and checks them: the whole scan.
pub fn scan_paths(
    paths: &[std::path::PathBuf],
    options: &LoadOptions,
    settings: &Settings,
) -> (ResourceView, Report) {
    let view = ResourceView::load(paths, options);
    let report = check(&view, settings);
    (view, report)
}
