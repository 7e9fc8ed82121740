//! `landfall heal`: the remediation service and the commands around it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use landfall_heal::journal::Journal;
use landfall_heal::server;
#[cfg(feature = "live")]
use landfall_heal::server::{Executor, Service};
use landfall_heal::{AlertmanagerPayload, Engine, Rulebook, SqliteJournal};

use crate::args::{Format, SpecArgs};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum HealCommand {
    /// Run the service: Alertmanager webhooks in (`POST /alertmanager`, bearer
    /// token from `LANDFALL_HEAL_TOKEN`), `/healthz`, `/metrics`.
    Serve(ServeArgs),
    /// The rulebook generated from the spec, with every limit and its reason.
    Rules(SpecArgs),
    /// The rulebook for Event-Driven Ansible and Automation Controller:
    /// per environment an ansible-rulebook rulebook and the controller's
    /// job and workflow templates (`awx.awx` module tasks), under `--out`.
    ExportAnsible(ExportAnsibleArgs),
    /// Every decision with its reason and outcome, newest first.
    History(JournalArgs),
    /// What the service would decide for a webhook payload (no AWS call,
    /// nothing journaled).
    Test(TestArgs),
    /// Approve an action that waits for a human (its id is in `history`).
    Approve(ActionArgs),
    /// Deny an action that waits for a human.
    Deny(ActionArgs),
    /// Close a rule's open breaker for a target, after a human looked
    /// (journaled with who and why).
    Reset(ResetArgs),
    /// Switch actions off: all of them, or one kind (`ec2-reboot`).
    Pause(SwitchArgs),
    /// Switch actions back on.
    Resume(SwitchArgs),
}

/// Where the journal is, and how AWS is reached when it is in DynamoDB.
#[derive(Debug, Args)]
pub struct JournalLocation {
    /// The journal: a SQLite file (created when missing), or
    /// `dynamodb://TABLE` with a table's name or ARN (the alerting layer's
    /// `landfall-heal-journal`), which instances share to run active/active.
    #[arg(
        long,
        value_name = "PATH|dynamodb://TABLE",
        default_value = "heal-journal.sqlite"
    )]
    pub journal: String,
    /// Send every AWS call to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files; otherwise the
    /// standard credential chain. Actions enter member accounts as the
    /// baseline's `landfall-remediation` role only.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

/// The journal location's DynamoDB table, if it names one.
fn dynamodb_table(journal: &str) -> Option<&str> {
    journal.strip_prefix("dynamodb://")
}

/// Opens the journal `location` names; a DynamoDB journal's calls run on
/// `runtime`, in the table's region (its ARN's, else `home_region`, else
/// the environment's `AWS_REGION`).
fn open_journal(
    location: &JournalLocation,
    runtime: &tokio::runtime::Runtime,
    home_region: Option<&str>,
) -> anyhow::Result<Arc<dyn Journal>> {
    let Some(table) = dynamodb_table(&location.journal) else {
        let path = PathBuf::from(&location.journal);
        let journal = SqliteJournal::open(&path)
            .with_context(|| format!("cannot open the journal `{}`", path.display()))?;
        return Ok(Arc::new(journal));
    };
    if table.is_empty() {
        anyhow::bail!("--journal dynamodb:// needs a table: `dynamodb://landfall-heal-journal` or the table's ARN");
    }
    open_dynamodb_journal(table, location, runtime, home_region)
}

#[cfg(not(feature = "live"))]
fn open_dynamodb_journal(
    table: &str,
    _: &JournalLocation,
    _: &tokio::runtime::Runtime,
    _: Option<&str>,
) -> anyhow::Result<Arc<dyn Journal>> {
    anyhow::bail!(
        "this build has no AWS SDK (the `live` feature), so it cannot open the DynamoDB journal `{table}`"
    )
}

/// The DynamoDB journal `table`, its calls run on `runtime`.
#[cfg(feature = "live")]
fn open_dynamodb_journal(
    table: &str,
    location: &JournalLocation,
    runtime: &tokio::runtime::Runtime,
    home_region: Option<&str>,
) -> anyhow::Result<Arc<dyn Journal>> {
    // arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME
    let from_arn = table
        .strip_prefix("arn:")
        .and_then(|arn| arn.split(':').nth(2))
        .filter(|r| !r.is_empty());
    let region = from_arn
        .map(str::to_owned)
        .or_else(|| home_region.map(str::to_owned))
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .with_context(|| {
            format!("which region is `{table}` in? Give the table's ARN or set AWS_REGION")
        })?;
    let clients = runtime
        .block_on(async {
            landfall_live::Session::connect(landfall_live::ConnectOptions {
                endpoint_url: location.endpoint_url.clone(),
                profile: location.profile.clone(),
                home_region: region,
                max_attempts: 0,
            })
            .await
            .management()
            .await
        })
        .map_err(|e| anyhow::anyhow!("cannot reach the journal `{table}`: {e}"))?;
    Ok(Arc::new(landfall_live::heal_journal::DynamoJournal::new(
        runtime.handle().clone(),
        clients.dynamodb(),
        table,
    )))
}

/// A runtime for the DynamoDB journal's calls (and the service's).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[arg(long, default_value = "127.0.0.1:9095")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub location: JournalLocation,
    /// Decide and journal, never call AWS.
    #[arg(long)]
    pub dry_run: bool,
    /// Page here (`http://HOST:PORT` of an Alertmanager) when remediation
    /// holds back on purpose: a systemic problem, an open breaker.
    #[arg(long, value_name = "URL")]
    pub alertmanager_url: Option<String>,
    /// Also read AWS events (alarm state changes, AWS Health, ECS,
    /// GuardDuty) from this SQS queue: the alerting layer's
    /// `landfall-heal-events`. A message is deleted once journaled.
    #[arg(long, value_name = "URL", env = "LANDFALL_HEAL_QUEUE_URL")]
    pub queue_url: Option<String>,
    /// Act only on targets in these regions (comma-separated); the others
    /// are journaled as refused, for their own region's service. The
    /// service then runs in the first: it signs in, reads its queue and
    /// opens a journal named without an ARN there. Default: every region,
    /// from the home region (a service that reaches them all).
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); plain
    /// HTTP is then refused on the port.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportAnsibleArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The directory written: `<environment>/rulebook.yml` and
    /// `<environment>/controller.yml`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only this environment; default: every environment.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The controller organization of the templates.
    #[arg(long, value_name = "NAME", default_value = "Default")]
    pub organization: String,
    /// The controller project holding `remediate/<action>.yml`.
    #[arg(long, value_name = "NAME", default_value = "landfall-remediation")]
    pub project: String,
    /// The controller inventory the jobs run against.
    #[arg(long, value_name = "NAME", default_value = "landfall-remediation")]
    pub inventory: String,
    /// Where the rulebook's Alertmanager source listens (`HOST:PORT`).
    #[arg(long, value_name = "HOST:PORT", default_value = "0.0.0.0:5000")]
    pub listen: String,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    #[command(flatten)]
    pub location: JournalLocation,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// An Alertmanager webhook body (JSON).
    #[arg(long)]
    pub payload: PathBuf,
}

#[derive(Debug, Args)]
pub struct ActionArgs {
    pub id: String,
    #[command(flatten)]
    pub location: JournalLocation,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The rule (its alert name).
    pub rule: String,
    /// The target as `history` shows it (`service/order-gateway/prod/eu-central-1`).
    pub target: String,
    /// Why the breaker may close: what was found and done (journaled).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who resets it (journaled); default: `USER`.
    #[arg(long, value_name = "NAME", env = "USER")]
    pub by: String,
    #[command(flatten)]
    pub location: JournalLocation,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// An action kind; default: every action.
    pub action: Option<String>,
    /// The journal, a SQLite file or `dynamodb://TABLE` (a table's name or
    /// ARN); repeat it for the journal of every region's service, so one
    /// command stops them all. Each is switched in turn; one that cannot be
    /// reached is reported and the others are still switched.
    #[arg(
        long = "journal",
        value_name = "PATH|dynamodb://TABLE",
        default_value = "heal-journal.sqlite"
    )]
    pub journals: Vec<String>,
    /// Send every AWS call to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

/// Actions carried out through the AWS SDK. The service's worker runs on a
/// blocking thread, so the call is driven on the service's runtime.
#[cfg(feature = "live")]
struct Aws {
    remediator: landfall_live::remediate::Remediator,
    runtime: tokio::runtime::Handle,
}

#[cfg(feature = "live")]
impl Executor for Aws {
    fn execute(&self, kind: &str, target: &str, action_id: &str) -> Result<String, String> {
        self.runtime
            .block_on(self.remediator.execute(kind, target, action_id))
    }

    fn hold(&self, alert: &str, kind: &str, target: &str) -> Option<String> {
        self.runtime
            .block_on(self.remediator.hold(alert, kind, target))
    }

    fn reconcile(
        &self,
        kind: &str,
        target: &str,
        action_id: &str,
        started_at: u64,
    ) -> server::Reconciled {
        use landfall_live::remediate::ReadBack;
        match self.runtime.block_on(
            self.remediator
                .read_back(kind, target, action_id, started_at),
        ) {
            ReadBack::Done(s) => server::Reconciled::Done(s),
            ReadBack::NotDone(s) => server::Reconciled::NotDone(s),
            ReadBack::Unknown(s) => server::Reconciled::Unknown(s),
        }
    }
}

/// What the commands read from the spec: the rulebook, where its targets
/// run, and the organization's home region.
struct FromSpec {
    book: Rulebook,
    #[cfg(feature = "live")]
    targets: landfall_live::remediate::Targets,
    #[cfg(feature = "live")]
    home_region: String,
}

fn rulebook(spec: &SpecArgs) -> anyhow::Result<Option<Rulebook>> {
    Ok(from_spec(spec)?.map(|f| f.book))
}

fn from_spec(spec: &SpecArgs) -> anyhow::Result<Option<FromSpec>> {
    let resolved = output::load(spec)?;
    output::print_diagnostics(&resolved, spec)?;
    let Some(model) = resolved.model.as_ref() else {
        return Ok(None);
    };
    let (book, unknown) = Rulebook::from_model(model);
    #[cfg(feature = "live")]
    let targets = landfall_live::remediate::Targets::from_model(model);
    // Where a service without `--regions` runs: the first alert path's
    // region (the home region's when it has one).
    #[cfg(feature = "live")]
    let home_region = landfall_model::monitoring::alert_regions(model)
        .into_iter()
        .next()
        .unwrap_or_else(|| model.region(model.organization.home_region).name.clone());
    for alert in unknown {
        eprintln!("warning: remediation has no action for `{alert}`; its alerts will be refused");
    }
    Ok(Some(FromSpec {
        book,
        #[cfg(feature = "live")]
        targets,
        #[cfg(feature = "live")]
        home_region,
    }))
}

pub fn run(command: HealCommand) -> anyhow::Result<ExitCode> {
    match command {
        HealCommand::Serve(args) => serve(args),
        HealCommand::Rules(spec) => {
            let Some(book) = rulebook(&spec)? else {
                return Ok(ExitCode::from(super::INVALID));
            };
            match spec.format {
                Format::Json => output::print_stdout(&serde_json::to_string_pretty(&book)?)?,
                Format::Text => {
                    let mut text =
                        format!("rulebook {} ({} rules)\n", book.version, book.rules.len());
                    for r in &book.rules {
                        text.push_str(&format!(
                            "\n{} -> {} on a {:?}{}{}\n  cool-down {} s, breaker after {} unverified actions, at most {} per 10 minutes, systemic at {} targets in 5 minutes\n  why: {}\n",
                            r.alert,
                            r.action.as_str(),
                            r.target,
                            if r.needs_approval { ", needs approval" } else { "" },
                            if r.dry_run { ", dry run" } else { "" },
                            r.cooldown_seconds,
                            r.breaker_after,
                            r.budget_per_10m,
                            r.systemic_targets,
                            r.reason
                        ));
                    }
                    output::print_stdout(text.trim_end())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HealCommand::ExportAnsible(args) => export_ansible(&args),
        HealCommand::History(args) => {
            let runtime = runtime()?;
            let journal = open_journal(&args.location, &runtime, None)?;
            let history = journal.history(args.limit)?;
            match args.format {
                Format::Json => output::print_stdout(&serde_json::to_string_pretty(&history)?)?,
                Format::Text => {
                    let lines: Vec<String> = history
                        .iter()
                        .map(|d| {
                            format!(
                                "{} {} {} -> {}{}: {}",
                                d.at,
                                d.alert,
                                d.target.as_deref().unwrap_or("-"),
                                d.outcome,
                                d.action_id
                                    .as_deref()
                                    .map(|id| format!(" [{id}]"))
                                    .unwrap_or_default(),
                                d.reason
                            )
                        })
                        .collect();
                    output::print_stdout(&lines.join("\n"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HealCommand::Test(args) => {
            let Some(book) = rulebook(&args.spec)? else {
                return Ok(ExitCode::from(super::INVALID));
            };
            let body = std::fs::read(&args.payload)
                .with_context(|| format!("cannot read `{}`", args.payload.display()))?;
            let signals = match AlertmanagerPayload::parse(&body).and_then(|p| p.signals()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {}: {e}", args.payload.display());
                    return Ok(ExitCode::from(super::INVALID));
                }
            };
            let engine = Engine {
                journal: Arc::new(SqliteJournal::in_memory()?),
                rulebook: book,
                dry_run: true,
            };
            let mut decisions = Vec::new();
            for s in &signals {
                decisions.push(engine.decide(s, server::now())?);
            }
            match args.spec.format {
                Format::Json => output::print_stdout(&serde_json::to_string_pretty(&decisions)?)?,
                Format::Text => {
                    let lines: Vec<String> = decisions
                        .iter()
                        .map(|d| {
                            format!(
                                "{} {} -> {}: {}",
                                d.alert,
                                d.target.as_deref().unwrap_or("-"),
                                d.outcome.as_str(),
                                d.reason
                            )
                        })
                        .collect();
                    output::print_stdout(&lines.join("\n"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HealCommand::Approve(args) | HealCommand::Deny(args) if args.id.is_empty() => {
            eprintln!("error: give the action id");
            Ok(ExitCode::from(2))
        }
        HealCommand::Approve(args) => decide_action(&args, "approved"),
        HealCommand::Deny(args) => decide_action(&args, "denied"),
        HealCommand::Reset(args) => {
            if args.reason.trim().is_empty() || args.by.trim().is_empty() {
                eprintln!("error: a reset is journaled with who and why: give --reason and --by (or USER)");
                return Ok(ExitCode::from(2));
            }
            let runtime = runtime()?;
            let journal = open_journal(&args.location, &runtime, None)?;
            let closed = landfall_heal::journal::reset_breaker(
                journal.as_ref(),
                &args.rule,
                &args.target,
                args.by.trim(),
                args.reason.trim(),
                server::now(),
            )?;
            if closed {
                eprintln!(
                    "breaker of `{}` on `{}` closed by {}",
                    args.rule,
                    args.target,
                    args.by.trim()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "error: the breaker of `{}` on `{}` is not open (see `landfall heal history`)",
                    args.rule, args.target
                );
                Ok(ExitCode::from(super::INVALID))
            }
        }
        HealCommand::Pause(args) => switch(&args, true),
        HealCommand::Resume(args) => switch(&args, false),
    }
}

fn switch(args: &SwitchArgs, paused: bool) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let name = args.action.as_deref().unwrap_or("all");
    let what = if name == "all" {
        "every action".to_owned()
    } else {
        format!("`{name}` actions")
    };
    let verb = if paused { "paused" } else { "resumed" };
    let mut failed = 0;
    for journal in &args.journals {
        let location = JournalLocation {
            journal: journal.clone(),
            endpoint_url: args.endpoint_url.clone(),
            profile: args.profile.clone(),
        };
        let switched = open_journal(&location, &runtime, None)
            .and_then(|j| j.set_paused(name, paused).map_err(anyhow::Error::from));
        match switched {
            Ok(()) => eprintln!("{verb} {what} in `{journal}`"),
            Err(e) => {
                failed += 1;
                eprintln!("error: `{journal}` was not {verb}: {e:#}");
            }
        }
    }
    if failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {failed} of {} journals not {verb}; run the command again for them",
            args.journals.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

fn decide_action(args: &ActionArgs, to: &str) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let journal = open_journal(&args.location, &runtime, None)?;
    if journal.transition(&args.id, "awaiting-approval", to)? {
        eprintln!("action {} {to}", args.id);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: no action `{}` waits for approval (see `landfall heal history`)",
            args.id
        );
        Ok(ExitCode::from(super::INVALID))
    }
}

/// What `serve` reads besides the spec and the journal, checked before
/// anything starts.
// Without the SDK, `serve` only checks them.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
struct ServeSettings {
    /// HTTPS, when `--tls-cert` and `--tls-key` are given.
    tls: Option<Arc<landfall_heal::tls::ServerConfig>>,
    /// `LANDFALL_HEAL_ACCOUNTS`: account ids by name, for a service that
    /// cannot list the organization (the one on ECS).
    account_ids: BTreeMap<String, String>,
}

impl ServeSettings {
    fn read(args: &ServeArgs) -> Result<ServeSettings, String> {
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(landfall_heal::tls::server_config(cert, key)?),
            _ => None,
        };
        let account_ids = match std::env::var("LANDFALL_HEAL_ACCOUNTS") {
            Ok(text) => account_ids(&text).map_err(|e| format!("LANDFALL_HEAL_ACCOUNTS: {e}"))?,
            Err(_) => BTreeMap::new(),
        };
        Ok(ServeSettings { tls, account_ids })
    }
}

/// `name=id,...`: account names (as the spec has them) and their ids.
fn account_ids(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut ids = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, id) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not `NAME=ID`"))?;
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{id}` (account `{name}`) is not a 12-digit account id"
            ));
        }
        ids.insert(name.to_owned(), id.to_owned());
    }
    Ok(ids)
}

#[cfg(not(feature = "live"))]
fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // What is wrong with the flags is said first, as with the SDK.
    if let Err(e) = ServeSettings::read(&args) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    anyhow::bail!("this build has no AWS SDK (the `live` feature): `heal serve` acts through it; build with default features")
}

/// `heal serve`: the service, acting through the AWS SDK.
#[cfg(feature = "live")]
fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(FromSpec {
        book,
        targets,
        home_region,
    }) = from_spec(&args.spec)?
    else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let settings = match ServeSettings::read(&args) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let token = std::env::var("LANDFALL_HEAL_TOKEN")
        .ok()
        .filter(|t| t.len() >= 16);
    let Some(token) = token else {
        eprintln!("error: set LANDFALL_HEAL_TOKEN to the bearer token Alertmanager sends (at least 16 characters)");
        return Ok(ExitCode::from(2));
    };
    let book = if args.regions.is_empty() {
        book
    } else {
        match book.acting_in(&args.regions) {
            Ok(book) => book,
            Err(e) => {
                eprintln!("error: --regions: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    // Where the service runs: its STS, queue and journal are reachable.
    let home_region = args.regions.first().cloned().unwrap_or(home_region);
    let runtime = runtime()?;
    let journal = open_journal(&args.location, &runtime, Some(&home_region))?;
    let engine = Engine {
        journal,
        rulebook: book,
        dry_run: args.dry_run,
    };
    let pager = args
        .alertmanager_url
        .as_deref()
        .map(landfall_heal::pager::Pager::new);
    let session = runtime.block_on(landfall_live::Session::connect(
        landfall_live::ConnectOptions {
            endpoint_url: args.location.endpoint_url.clone(),
            profile: args.location.profile.clone(),
            home_region,
            max_attempts: 0,
        },
    ));
    let queue = match &args.queue_url {
        Some(url) => Some(
            runtime
                .block_on(landfall_live::events::SqsQueue::connect(&session, url))
                .map_err(|e| anyhow::anyhow!("cannot read the event queue `{url}`: {e}"))?,
        ),
        None => None,
    };
    let executor = Aws {
        remediator: landfall_live::remediate::Remediator::new(
            session,
            targets.with_account_ids(settings.account_ids),
        ),
        runtime: runtime.handle().clone(),
    };
    // Intents without a result: a crash came between the call and its
    // record. Each is read back from AWS, never run again; what
    // cannot be read back keeps its target blocked for a human.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for line in server::reconcile(engine.journal.as_ref(), &executor, now)? {
        eprintln!("heal: {line}");
    }
    let service = match pager {
        None => Service::new(engine, executor, token),
        Some(Ok(pager)) => Service::with_pager(engine, executor, token, pager),
        Some(Err(e)) => {
            eprintln!("error: --alertmanager-url: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(queue) = queue {
        runtime.spawn(landfall_heal::queue::consume(Arc::clone(&service), queue));
    }
    runtime.block_on(server::serve(service, args.listen, settings.tls))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the ansible-rulebook rulebooks and controller templates.
fn export_ansible(args: &ExportAnsibleArgs) -> anyhow::Result<ExitCode> {
    let resolved = output::load(&args.spec)?;
    output::print_diagnostics(&resolved, &args.spec)?;
    let Some(model) = resolved.model.as_ref() else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let Some((host, port)) = args
        .listen
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .filter(|(h, _)| !h.is_empty())
    else {
        eprintln!(
            "error: --listen `{}` is not HOST:PORT (for example 0.0.0.0:5000)",
            args.listen
        );
        return Ok(ExitCode::from(2));
    };
    let environments: Vec<String> = model.environments.iter().map(|e| e.name.clone()).collect();
    let environments = match &args.env {
        None => environments,
        Some(env) if environments.contains(env) => vec![env.clone()],
        Some(env) => {
            eprintln!(
                "error: no environment `{env}` in the spec; it declares {}",
                environments.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
    };
    if !landfall_model::monitoring::runs_on_automation_controller(model) {
        eprintln!(
            "error: the spec's remediation engine is not `{}`: the remediation service acts, and the alert paths have no queue for Event-Driven Ansible; set `observability.remediation.engine: {}` to export (one engine acts on each alert)",
            landfall_model::monitoring::AUTOMATION_CONTROLLER,
            landfall_model::monitoring::AUTOMATION_CONTROLLER
        );
        return Ok(ExitCode::from(2));
    }
    let (book, unknown) = Rulebook::from_model(model);
    for alert in unknown {
        eprintln!("warning: remediation has no action for `{alert}`; no rule is written for it");
    }
    let mut options = landfall_heal::ansible::Options::new(
        environments,
        landfall_model::monitoring::alert_regions(model),
    );
    options.organization.clone_from(&args.organization);
    options.project.clone_from(&args.project);
    options.inventory.clone_from(&args.inventory);
    options.listen_host = host.to_owned();
    options.listen_port = port;
    for (path, text) in landfall_heal::ansible::export(&book, &options) {
        let file = args.out.join(&path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        std::fs::write(&file, text)
            .with_context(|| format!("cannot write `{}`", file.display()))?;
        println!("{}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test")]
mod tests {
    use super::account_ids;

    #[test]
    fn account_ids_are_name_equals_twelve_digits() {
        let ids = account_ids("trading-prod=111122223333, web-dev=444455556666,").unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids["web-dev"], "444455556666");
        assert!(account_ids("trading-prod").unwrap_err().contains("NAME=ID"));
        assert!(account_ids("trading-prod=1234")
            .unwrap_err()
            .contains("12-digit"));
        assert!(account_ids("").unwrap().is_empty());
    }
}
