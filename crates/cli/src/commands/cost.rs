//! `landfall cost`: spend per domain. Billing exports in (`ingest`), reports
//! and forecasts per domain out (`report`, `forecast`), the reports to their
//! owners (`notify`, through `landfall-live` for SES and the chat webhook),
//! and the forecaster scored on any history (`backtest`). Exports are read
//! from a local directory, or copied from S3 into one first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use landfall_cost::attribution::AccountMap;
use landfall_cost::backtest::{self, Options, Report, CUTOFFS};
use landfall_cost::date::Date;
use landfall_cost::export::discover;
use landfall_cost::html;
use landfall_cost::inventory;
use landfall_cost::launches::{self, Launches};
use landfall_cost::notify::{self, FileSink, Notify, Recipients, Thresholds};
use landfall_cost::outlook;
use landfall_cost::prices::PriceList;
use landfall_cost::report::{self, ReportInput};
use landfall_cost::series::read_series_file;
use landfall_cost::store::Store;
use landfall_model::Model;

use crate::args::{Format, SpecArgs};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Score the forecaster on daily series (`series,ds,usage,fee,total`,
    /// CSV or .csv.gz): month-end and next-month MAPE and 80 % interval
    /// coverage over the last 6 of 12 rolling origins, forecasts made on
    /// day 0, 10 and 20.
    #[command(
        after_help = "Examples:\n  landfall cost backtest --series history.csv.gz\n  landfall cost backtest --series history.csv --format json | jq .month_end_mape"
    )]
    Backtest(BacktestArgs),
    /// Read a Data Exports delivery (CUR 2.0 or FOCUS 1.2 Parquet, with its
    /// manifests) into the local store: each billing period replaced whole,
    /// `estimated` until invoiced, a closed month that moves recorded as a
    /// restatement; accounts attributed to domains from the spec. Then the
    /// spec snapshot: what the spec runs now, for `forecast`'s launches.
    #[command(
        after_help = "Examples:\n  landfall cost ingest --from s3://billing-bucket/exports/landfall-focus\n  landfall cost ingest --from ./export\n  landfall cost ingest --from ./export --store cost.sqlite --format json"
    )]
    Ingest(IngestArgs),
    /// Per domain: data state, month to date, forecast with its 80 % band,
    /// last month, budget, and the differences by contributor.
    #[command(
        after_help = "Examples:\n  landfall cost report\n  landfall cost report --domain trading --as-of 2025-10-15\n  landfall cost report --format html --out reports"
    )]
    Report(ReportArgs),
    /// Month-end and next-month spend per domain and per domain ×
    /// environment, each with its 80 % band (the report's forecaster), plus
    /// the launches and retirements of the spec since the last ingest's
    /// snapshot, priced from the committed price list.
    #[command(
        after_help = "Examples:\n  landfall cost forecast\n  landfall cost forecast --domain trading --as-of 2025-10-15\n  landfall cost forecast --format json | jq '.lines[] | select(.environment == null)'"
    )]
    Forecast(ForecastArgs),
    /// Each domain's report to its owner (the spec's domain `owner.email`)
    /// when its month-end forecast crosses a `billing.forecast` threshold
    /// against last month, in either direction (the standing last notified
    /// is kept in the store, so a re-run sends nothing new), or always with
    /// `--always`: a mail through SES v2 (HTML, text and a CSV of the
    /// contributions) and a chat summary to a webhook (`--chat-webhook`);
    /// or both written to a directory (`--to-dir`).
    #[command(
        after_help = "Examples:\n  landfall cost notify --from finops@example.com\n  landfall cost notify --from finops@example.com --domain web --always --to-dir outbox\n  landfall cost notify --from finops@example.com --endpoint-url http://127.0.0.1:5000"
    )]
    Notify(NotifyArgs),
}

/// Spec and store, shared by `ingest`, `report` and `forecast`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Spec directory; default: `LANDFALL_SPEC`, else the current directory when
    /// it holds `landfall.yaml`, else the built-in reference platform.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<PathBuf>,
    /// The cost store (SQLite, created when missing).
    #[arg(long, value_name = "FILE", default_value = "landfall-cost.sqlite")]
    pub store: PathBuf,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The export's directory (holding `data/` and `metadata/`), local or
    /// `s3://BUCKET/PREFIX/EXPORT` (copied first, through the AWS SDK).
    #[arg(long, value_name = "PATH_OR_S3_URL")]
    pub from: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Send S3 calls to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files; otherwise the standard credential chain.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// One domain; default: every domain with spend.
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,
    /// The day the report is as of (YYYY-MM-DD); default: the last day in the store.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Write one file per domain (`DOMAIN.md`, `DOMAIN.html` or `DOMAIN.json`) here instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// One domain; default: every domain with spend.
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,
    /// The day the forecast is made on (YYYY-MM-DD); default: the last day in the store.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// One domain; default: every domain with spend.
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,
    /// The day the reports are as of (YYYY-MM-DD); default: the last day in the store.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The sender: an SES-verified address or one of a verified domain.
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    /// Send every domain's report, crossing or not.
    #[arg(long)]
    pub always: bool,
    /// Write the mails (`.eml`) and chat summaries (`.chat.json`) here
    /// instead of sending them.
    #[arg(long, value_name = "DIR")]
    pub to_dir: Option<PathBuf>,
    /// Post each sent report's chat summary to this incoming webhook
    /// (https://; a secret, so best from the environment).
    #[arg(
        long,
        value_name = "URL",
        env = "LANDFALL_CHAT_WEBHOOK",
        hide_env_values = true
    )]
    pub chat_webhook: Option<String>,
    /// Send SES calls to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files; otherwise the standard credential chain.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    /// One self-contained page (inline CSS and SVG charts), for email and browsers.
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The series file.
    #[arg(long, value_name = "FILE")]
    pub series: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(command: CostCommand) -> anyhow::Result<ExitCode> {
    match command {
        CostCommand::Backtest(args) => backtest(&args),
        CostCommand::Ingest(args) => ingest(&args),
        CostCommand::Report(args) => report(&args),
        CostCommand::Forecast(args) => forecast(&args),
        CostCommand::Notify(args) => notify(&args),
    }
}

/// The resolved model, or its diagnostics printed and `None`.
fn model(args: &StoreArgs) -> anyhow::Result<Option<Model>> {
    let spec = SpecArgs {
        spec: args.spec.clone(),
        ..SpecArgs::default()
    };
    let resolved = output::load(&spec)?;
    if resolved.model.is_none() {
        output::print_diagnostics(&resolved, &spec)?;
    }
    Ok(resolved.model)
}

/// Workload accounts belong to their domain and environment; the others
/// (core, shared) are attributed by their lines' `user:landfall:domain` tag.
fn account_map(model: &Model) -> AccountMap {
    let mut map = AccountMap::new(model.domains.iter().map(|d| d.name.clone()));
    for account in &model.accounts {
        match (account.domain, account.environment) {
            (Some(domain), Some(environment)) => map.owned(
                &account.name,
                &model.domain(domain).name,
                &model.environment(environment).name,
            ),
            _ => map.shared(&account.name),
        }
    }
    map
}

fn open_store(path: &Path) -> Result<Store, ExitCode> {
    Store::open(path).map_err(|error| {
        eprintln!("error: {error}");
        ExitCode::from(2)
    })
}

fn ingest(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let Some(model) = model(&args.store)? else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let mut store = match open_store(&args.store.store) {
        Ok(store) => store,
        Err(code) => return Ok(code),
    };
    let started = std::time::Instant::now();
    let copy = match args.from.to_str().filter(|f| f.starts_with("s3://")) {
        Some(url) => match copy_from_s3(url, args, &model) {
            Ok(copy) => Some(copy),
            Err(error) => {
                eprintln!("error: {error}\n  (nothing was stored)");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let from = copy.as_ref().map_or(args.from.clone(), |c| c.0.clone());
    let ingested = match discover(&from).and_then(|d| store.ingest(&d, &account_map(&model))) {
        Ok(ingested) => ingested,
        Err(error) => {
            eprintln!("error: {error}\n  (nothing was stored)");
            return Ok(ExitCode::from(super::INVALID));
        }
    };
    // What the spec runs now: the next forecast's launches are what it
    // runs beyond this.
    let items = inventory::of(&model);
    if let Err(error) = store.record_spec_snapshot(&now_utc(), &items) {
        eprintln!("error: {error}\n  (the billing data was stored; the spec snapshot was not)");
        return Ok(ExitCode::from(2));
    }
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&ingested)?);
        return Ok(ExitCode::SUCCESS);
    }
    for period in &ingested {
        println!(
            "{} {:?}: {} lines, {}, billed {:.2}, amortized {:.2}{}",
            period.period,
            period.format,
            period.lines,
            period.state,
            period.billed,
            period.effective,
            if period.replaced {
                " (replaced the earlier delivery)"
            } else {
                ""
            }
        );
        if let Some(r) = &period.restatement {
            println!(
                "  restated after close: billed {:.2} -> {:.2} ({:+.2})",
                r.billed_before,
                r.billed_after,
                r.billed_after - r.billed_before
            );
        }
        for (account, billed) in &period.unallocated {
            println!(
                "  unallocated: {account} {billed:.2} (an account the spec does not know, or shared lines without a `user:landfall:domain` tag naming a domain)"
            );
        }
    }
    eprintln!(
        "ingested into {} in {:.2?}; recorded the spec snapshot ({} accounts, services and stores by region)",
        args.store.store.display(),
        started.elapsed(),
        items.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = Date::EPOCH.add_days(i32::try_from(seconds / 86_400).unwrap_or(i32::MAX));
    let time = seconds % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The launches and retirements of the spec since the store's spec
/// snapshot, priced from the committed price list, as of `as_of`; or the
/// exit code after the error was printed.
fn spec_launches(model: &Model, store: &StoreArgs, as_of: &str) -> Result<Launches, ExitCode> {
    let prices = PriceList::committed().map_err(|errors| {
        for error in errors {
            eprintln!("error: {error}");
        }
        ExitCode::from(2)
    })?;
    let snapshot = open_store(&store.store)?
        .last_spec_snapshot()
        .map_err(|error| {
            eprintln!("error: {error}");
            ExitCode::from(2)
        })?;
    let as_of = Date::parse(as_of).unwrap_or(Date::EPOCH);
    Ok(launches::compare(
        snapshot.as_ref(),
        &inventory::of(model),
        &prices,
        as_of,
    ))
}

/// The spec's model and what the report and the forecast read from the
/// store, or the exit code after the user's mistake was printed.
/// A copy of an export from S3, removed when dropped.
struct CopiedExport(PathBuf);

impl Drop for CopiedExport {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "live")]
fn copy_from_s3(url: &str, args: &IngestArgs, model: &Model) -> anyhow::Result<CopiedExport> {
    use landfall_live::billing_export::{download, ExportLocation};
    let location = ExportLocation::parse(url).map_err(anyhow::Error::msg)?;
    let copy =
        CopiedExport(std::env::temp_dir().join(format!("landfall-export-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&copy.0);
    let options = landfall_live::ConnectOptions {
        endpoint_url: args.endpoint_url.clone(),
        profile: args.profile.clone(),
        home_region: model.region(model.organization.home_region).name.clone(),
        ..landfall_live::ConnectOptions::default()
    };
    let copied = download(options, &location, &copy.0)?;
    eprintln!(
        "copied {} files ({} bytes) from {url}",
        copied.files, copied.bytes
    );
    Ok(copy)
}

#[cfg(not(feature = "live"))]
fn copy_from_s3(_: &str, _: &IngestArgs, _: &Model) -> anyhow::Result<CopiedExport> {
    anyhow::bail!(
        "this build has no AWS SDK (the `live` feature): copy the export first (`aws s3 sync`)"
    )
}

fn report_input(
    domain: Option<&String>,
    as_of: Option<&str>,
    store: &StoreArgs,
) -> anyhow::Result<Result<(Model, ReportInput), ExitCode>> {
    let Some(model) = model(store)? else {
        return Ok(Err(ExitCode::from(super::INVALID)));
    };
    let as_of = match as_of.map(|d| Date::parse(d).filter(|_| d.len() == 10).ok_or(d)) {
        Some(Err(text)) => {
            eprintln!("error: --as-of `{text}` is not a date (YYYY-MM-DD)");
            return Ok(Err(ExitCode::from(2)));
        }
        Some(Ok(date)) => Some(date),
        None => None,
    };
    if let Some(domain) = domain {
        if !model.domains.iter().any(|d| &d.name == domain) {
            let names: Vec<&str> = model.domains.iter().map(|d| d.name.as_str()).collect();
            eprintln!(
                "error: no domain `{domain}` in the spec (domains: {})",
                names.join(", ")
            );
            return Ok(Err(ExitCode::from(2)));
        }
    }
    let opened = match open_store(&store.store) {
        Ok(opened) => opened,
        Err(code) => return Ok(Err(code)),
    };
    let (rows, periods) = match opened
        .daily()
        .and_then(|rows| Ok((rows, opened.periods()?)))
    {
        Ok(read) => read,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(Err(ExitCode::from(2)));
        }
    };
    let billing = model.billing.as_ref();
    let input = ReportInput {
        rows,
        periods,
        budgets: billing
            .map(|b| {
                b.budgets
                    .iter()
                    .map(|budget| (budget.1.domain.clone(), budget.1.monthly as f64))
                    .collect()
            })
            .unwrap_or_default(),
        currency: billing.map(|b| b.currency.clone()).unwrap_or_default(),
        as_of,
        domain: domain.cloned(),
    };
    Ok(Ok((model, input)))
}

fn no_data(store: &StoreArgs) -> ExitCode {
    eprintln!(
        "error: {} holds no cost data: run `landfall cost ingest --from EXPORT` first",
        store.store.display()
    );
    ExitCode::from(super::INVALID)
}

fn forecast(args: &ForecastArgs) -> anyhow::Result<ExitCode> {
    let (model, input) =
        match report_input(args.domain.as_ref(), args.as_of.as_deref(), &args.store)? {
            Ok(read) => read,
            Err(code) => return Ok(code),
        };
    let Some(mut outlook) = outlook::build(&input) else {
        return Ok(no_data(&args.store));
    };
    match spec_launches(&model, &args.store, &outlook.as_of) {
        Ok(launches) => outlook::add_launches(&mut outlook, &launches, args.domain.as_deref()),
        Err(code) => return Ok(code),
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&outlook)?),
        Format::Text => print!("{}", outlook::text(&outlook)),
    }
    Ok(ExitCode::SUCCESS)
}

fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let (model, input) =
        match report_input(args.domain.as_ref(), args.as_of.as_deref(), &args.store)? {
            Ok(read) => read,
            Err(code) => return Ok(code),
        };
    let Some(mut report) = report::build(&input) else {
        return Ok(no_data(&args.store));
    };
    match spec_launches(&model, &args.store, &report.as_of) {
        Ok(launches) => report::add_launches(&mut report, &launches),
        Err(code) => return Ok(code),
    }
    let render = |one: &landfall_cost::report::Report| -> anyhow::Result<String> {
        Ok(match args.format {
            ReportFormat::Json => serde_json::to_string_pretty(one)? + "\n",
            ReportFormat::Markdown => report::markdown(one),
            ReportFormat::Html => html::html(one),
        })
    };
    match &args.out {
        None => print!("{}", render(&report)?),
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let extension = match args.format {
                ReportFormat::Json => "json",
                ReportFormat::Html => "html",
                ReportFormat::Markdown => "md",
            };
            for domain in &report.domains {
                let one = landfall_cost::report::Report {
                    domains: vec![domain.clone()],
                    ..report.clone()
                };
                let path = dir.join(format!("{}.{extension}", domain.domain));
                std::fs::write(&path, render(&one)?)?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn notify(args: &NotifyArgs) -> anyhow::Result<ExitCode> {
    let (model, input) =
        match report_input(args.domain.as_ref(), args.as_of.as_deref(), &args.store)? {
            Ok(read) => read,
            Err(code) => return Ok(code),
        };
    let Some(billing) = model.billing.as_ref() else {
        eprintln!("error: the spec has no `billing` section: its `forecast` thresholds say when to notify");
        return Ok(ExitCode::from(2));
    };
    let Some(mut report) = report::build(&input) else {
        return Ok(no_data(&args.store));
    };
    // The owners are told of the forecast with its launches, as `report` shows it.
    match spec_launches(&model, &args.store, &report.as_of) {
        Ok(launches) => report::add_launches(&mut report, &launches),
        Err(code) => return Ok(code),
    }
    let thresholds = Thresholds {
        difference_percent: f64::from(billing.forecast.difference_percent),
        difference_amount: billing.forecast.difference_amount as f64,
    };
    let recipients: BTreeMap<String, Recipients> = model
        .domains
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                Recipients {
                    emails: vec![d.owner.email.clone()],
                    chat: d.owner.chat.clone(),
                },
            )
        })
        .collect();
    let mut store = match open_store(&args.store.store) {
        Ok(store) => store,
        Err(code) => return Ok(code),
    };
    let outcomes = match &args.to_dir {
        Some(dir) => {
            let mut mail = FileSink::new(dir).map_err(anyhow::Error::msg)?;
            let mut chat = FileSink::new(dir).map_err(anyhow::Error::msg)?;
            let mut options = Notify {
                thresholds,
                from: args.from.clone(),
                always: args.always,
                mail: &mut mail,
                chat: Some(&mut chat),
            };
            notify::notify(&report, &recipients, &mut store, &mut options)
        }
        None => send_with_ses(args, &model, &report, &recipients, &mut store, thresholds)?,
    };
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(error) => {
            eprintln!("error: {error}\n  (the domains not yet sent will be sent on the next run)");
            return Ok(ExitCode::from(2));
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&outcomes)?),
        Format::Text => {
            for o in &outcomes {
                let d = &o.decision;
                match &o.message_id {
                    Some(id) => println!(
                        "{}: sent to {} ({}; message {id})",
                        d.domain,
                        o.to.join(", "),
                        d.reason
                    ),
                    None => println!("{}: not sent ({})", d.domain, d.reason),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "live")]
fn send_with_ses(
    args: &NotifyArgs,
    model: &Model,
    report: &report::Report,
    recipients: &BTreeMap<String, Recipients>,
    store: &mut Store,
    thresholds: Thresholds,
) -> anyhow::Result<Result<Vec<notify::Outcome>, String>> {
    let mut ses = landfall_live::mail::SesMail::connect(landfall_live::ConnectOptions {
        endpoint_url: args.endpoint_url.clone(),
        profile: args.profile.clone(),
        home_region: model.region(model.organization.home_region).name.clone(),
        ..landfall_live::ConnectOptions::default()
    })?;
    let mut webhook = match args.chat_webhook.as_deref() {
        Some(url) => Some(landfall_live::webhook::WebhookChat::new(url)?),
        None => None,
    };
    let mut options = Notify {
        thresholds,
        from: args.from.clone(),
        always: args.always,
        mail: &mut ses,
        chat: webhook.as_mut().map(|w| w as &mut dyn notify::ChatSender),
    };
    Ok(notify::notify(report, recipients, store, &mut options))
}

#[cfg(not(feature = "live"))]
fn send_with_ses(
    _: &NotifyArgs,
    _: &Model,
    _: &report::Report,
    _: &BTreeMap<String, Recipients>,
    _: &mut Store,
    _: Thresholds,
) -> anyhow::Result<Result<Vec<notify::Outcome>, String>> {
    Ok(Err(
        "this build has no AWS SDK (the `live` feature): use --to-dir, or a build with it".into(),
    ))
}

fn backtest(args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let series = match read_series_file(&args.series) {
        Ok(series) => series,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = match backtest::run(&series, &Options::default()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {}: {error}", args.series.display());
            return Ok(ExitCode::from(super::INVALID));
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", render_text(&report)),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_text(report: &Report) -> String {
    let mut out = format!(
        "{} series, {} cases per cutoff; scored origins {}…{}, calibrated on {}…{}; {} spike days clipped\n\n",
        report.series,
        report.cases,
        report.scored_origins.first().map_or("", String::as_str),
        report.scored_origins.last().map_or("", String::as_str),
        report.calibration_origins.first().map_or("", String::as_str),
        report.calibration_origins.last().map_or("", String::as_str),
        report.anomalies,
    );
    out.push_str("cutoff  month-end MAPE  next-month MAPE  80% coverage month-end  80% coverage next month\n");
    for cutoff in CUTOFFS {
        let key = cutoff.to_string();
        let percent = |map: &std::collections::BTreeMap<String, f64>| {
            map.get(&key).copied().unwrap_or(f64::NAN) * 100.0
        };
        let fraction = |map: &std::collections::BTreeMap<String, f64>| {
            map.get(&key).copied().unwrap_or(f64::NAN)
        };
        out.push_str(&format!(
            "day {cutoff:<3} {:>13.1}% {:>15.1}% {:>23.2} {:>24.2}\n",
            percent(&report.month_end_mape),
            percent(&report.next_month_mape),
            fraction(&report.coverage80_month_end),
            fraction(&report.coverage80_next_month),
        ));
    }
    out
}
