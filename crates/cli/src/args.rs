//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run a multi-account AWS platform as code: one typed spec, compiled, checked
/// and proven offline. Commands read `--spec DIR`, else `LANDFALL_SPEC`, else
/// the current directory when it holds `landfall.yaml`, else the built-in
/// reference platform.
#[derive(Debug, Parser)]
#[command(
    name = "landfall",
    version,
    propagate_version = true,
    // One layout for every command's help (clap would pick another for a
    // command with multi-paragraph flag docs); inherited by subcommands.
    next_line_help = true,
    after_help = "Examples:
  landfall init my-platform && cd my-platform
  landfall validate                      every problem, located, in one run
  landfall synth --out out               templates, Terraform, monitoring configuration
  landfall check                         guardrails and what AWS would refuse at deploy time
  landfall iam prove                     every guardrail holds in every account
  landfall completions bash > /etc/bash_completion.d/landfall

Exit codes: 0 nothing wrong; 1 the input has problems (spec errors, findings,
denials, drift); 2 the command line is wrong (an unknown name or value) or a
file cannot be read; 3 an audit that could not read everything."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec and report every problem with its file, line and column.
    #[command(
        after_help = "Examples:\n  landfall validate --spec my-platform\n  landfall validate --format json | jq '.diagnostics[] | .code'"
    )]
    Validate(SpecArgs),
    /// Show the resolved platform: accounts, OUs, network, services, data stores;
    /// `show service NAME` explains what a service gets and why.
    #[command(
        after_help = "Examples:\n  landfall show\n  landfall show service order-gateway\n  landfall show --format json"
    )]
    Show(ShowArgs),
    /// Print the JSON Schema of spec files (for editor completion and checks).
    #[command(
        after_help = "Examples:\n  landfall schema > landfall.schema.json   (point your editor's YAML plugin at it)"
    )]
    Schema,
    /// Write the reference platform into DIR as a starting point.
    #[command(
        after_help = "Examples:\n  landfall init my-platform && cd my-platform && landfall validate"
    )]
    Init(InitArgs),
    /// List the AWS limits Landfall checks, with their values in this spec.
    #[command(after_help = "Examples:\n  landfall limits\n  landfall limits --format json")]
    Limits(SpecArgs),
    /// The address plan: VPC and subnet CIDRs, sharing, egress and room to grow; keeps `landfall.lock`.
    #[command(
        after_help = "Examples:\n  landfall net\n  landfall net --format svg > plan.svg\n  landfall net --update          (re-plan what the spec no longer agrees with)"
    )]
    Net(crate::commands::net::NetArgs),
    /// Compile the platform into CloudFormation templates, StackSets and a deployment manifest.
    #[command(
        after_help = "Examples:\n  landfall synth --out out\n  landfall synth --emit terraform --out out\n  landfall synth --service order-gateway --out out\n  landfall synth --rename old-name=new-name --out out"
    )]
    Synth(SynthArgs),
    /// Print the GitHub Actions pipeline generated for a repository, or list the repositories that get one.
    #[command(
        after_help = "Examples:\n  landfall pipelines                              (the repositories)\n  landfall pipelines --repository order-gateway > .github/workflows/deploy.yml\n  landfall pipelines --repository order-gateway --format json   (with its GitHub environments as Terraform)"
    )]
    Pipelines(PipelinesArgs),
    /// Evaluate IAM requests offline, exactly as AWS does.
    #[command(subcommand)]
    Iam(IamCommand),
    /// What vulnerability scanners and penetration testers need from the spec.
    #[command(subcommand)]
    Scan(crate::commands::scan::ScanCommand),
    /// Check CloudFormation templates and Terraform plans against the guardrail rules.
    #[command(
        after_help = "Examples:\n  landfall check                            (the synthesized platform)\n  landfall check path/to/templates plan.json --environment prod\n  landfall check --format sarif > landfall.sarif\n  landfall check vpc.yaml --parameter NumberOfAZs=3 --parameter-file prod-params.json"
    )]
    Check(crate::commands::check::CheckArgs),
    /// List the guardrail rules, or explain one (`landfall rules LF101`).
    #[command(after_help = "Examples:\n  landfall rules\n  landfall rules LF101")]
    Rules(crate::commands::rules::RulesArgs),
    /// The remediation service: serve, its rulebook, its history, its kill switch.
    #[command(subcommand)]
    Heal(crate::commands::heal::HealCommand),
    /// Spend per domain: ingest billing exports, report per domain, backtest the forecaster.
    #[command(subcommand)]
    Cost(crate::commands::cost::CostCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  landfall completions bash > ~/.local/share/bash-completion/completions/landfall\n  landfall completions zsh > \"${fpath[1]}/_landfall\""
    )]
    Completions { shell: clap_complete::Shell },
    /// Show what `deploy` would change in the live platform; changes nothing.
    #[cfg(feature = "live")]
    Plan(crate::commands::plan::PlanArgs),
    /// Apply the plan: organization, accounts, SCPs, stacks and StackSets.
    #[cfg(feature = "live")]
    Deploy(crate::commands::deploy::DeployArgs),
    /// Check every live account and region against the guardrails and the spec.
    #[cfg(feature = "live")]
    Audit(crate::commands::audit::AuditArgs),
    /// Temporary elevated access for on-call engineers: request, approve,
    /// deny, revoke, review, list, sweep.
    #[cfg(feature = "live")]
    #[command(subcommand)]
    Access(crate::commands::access::AccessCommand),
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Evaluate one request file (request, identity/resource/boundary/session
    /// policies, SCP and RCP levels) and explain the decision.
    Simulate(SimulateArgs),
    /// Could a request in one of the platform's accounts get past its SCPs?
    Can(CanArgs),
    /// Prove every guardrail of the platform holds in every member account,
    /// or show a request that gets through.
    Prove(SpecArgs),
    /// What the platform's roles and permission sets can do on its data
    /// stores, KMS keys and log buckets, grouped by the statements that allow it.
    #[command(
        after_help = "Examples:\n  landfall iam access-review --account trading-prod\n  landfall iam access-review --format json > access-review.json"
    )]
    AccessReview(AccessReviewArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AccessReviewArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Only the principals of this account and what can reach its
    /// resources (name or placeholder id).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CanArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Account name (for example `trading-dev`).
    #[arg(long, value_name = "NAME_OR_ID")]
    pub account: String,
    /// The action, for example `ec2:RunInstances`.
    #[arg(long)]
    pub action: String,
    /// Resource ARN; default: an example of the first resource type the
    /// action requires (for `ec2:RunInstances`, an instance in the home region).
    #[arg(long)]
    pub resource: Option<String>,
    /// Context keys, `key=value`; repeat a key for a multivalued key.
    /// `aws:RequestedRegion` defaults to the home region.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Request file (JSON, or JSON lines: one request per line; format in
    /// docs/iam-simulate.md); `-` reads stdin. Repeat for several files: one
    /// decision per request, in order.
    #[arg(long, value_name = "FILE", required = true)]
    pub input: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct PipelinesArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The repository (its name in the GitHub organization).
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SpecArgs {
    /// Spec directory; default: `LANDFALL_SPEC`, else the current directory when
    /// it holds `landfall.yaml`, else the built-in reference platform.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour: auto (when the output is a terminal and `NO_COLOR` is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl Default for SpecArgs {
    fn default() -> Self {
        Self {
            spec: None,
            format: Format::Text,
            color: ColorChoice::Auto,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Directory to write templates and manifest.json into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Which infrastructure code to write: CloudFormation templates (every
    /// layer), Terraform JSON root modules (the workload layer, and every
    /// other stack Terraform can express), or both.
    #[arg(long, value_enum, default_value_t = Emit::Both)]
    pub emit: Emit,
    /// Only this service (repeatable): its stacks, its account's shared
    /// stack and the data stores it uses; no platform layers.
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// A renamed service or data store, `OLD=NEW` (repeatable): its Terraform
    /// module keeps its state and moves addresses instead of replacing them.
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
}

/// Infrastructure code `landfall synth` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    Cloudformation,
    Terraform,
    Both,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// What to show: nothing for the platform, `servers` for the sizing of
    /// the monitoring and log search servers, `service` for one service.
    #[arg(value_name = "WHAT")]
    pub what: Option<String>,
    /// The service's name (with `service`).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Directory to write the spec into (created if missing).
    pub dir: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn arguments_are_consistent() {
        Cli::command().debug_assert();
    }
}
