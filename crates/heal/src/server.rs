//! `landfall heal serve`: the HTTP front (Alertmanager webhook, health,
//! metrics) and the worker that decides journaled signals.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

use crate::engine::{target_region, Engine, Outcome};
use crate::journal::Journal;
use crate::signal::AlertmanagerPayload;

/// Bodies larger than this are refused (Alertmanager's `max_alerts` keeps
/// real ones far smaller).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Signals a worker leases per pass.
const CLAIM_BATCH: usize = 500;
/// How long a lease keeps other instances off a signal: long enough for a
/// pass over a batch, short enough that a crashed instance's signals are
/// decided by another soon after.
pub const LEASE_SECONDS: u64 = 60;

/// This instance's name in leases: the host's name, so a service
/// restarted on its host takes up its own leases at once rather than after
/// [`LEASE_SECONDS`]; a further service in the same process (tests) adds a
/// number. Two processes on one host share the name and so do not split
/// the work between them, but never decide a signal twice: that is the
/// journal's condition on the decision, not the lease's.
fn instance_name() -> String {
    static SERVICES: AtomicU64 = AtomicU64::new(0);
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    match SERVICES.fetch_add(1, Ordering::Relaxed) {
        0 => host,
        n => format!("{host}/{n}"),
    }
}

/// Does what a decision says. The AWS implementation lives with the other
/// AWS calls; tests use a recording one.
pub trait Executor: Send + Sync + 'static {
    /// Runs the action; `Ok` with what was done, or why it failed.
    fn execute(&self, kind: &str, target: &str, action_id: &str) -> Result<String, String>;

    /// Just before an action runs (a decided one, or one a human approved
    /// maybe hours ago): what AWS says of the target now. `Some(why)`
    /// holds it back: the target is being deployed or changed, or the
    /// alert's condition no longer holds. The default re-checks nothing.
    fn hold(&self, _alert: &str, _kind: &str, _target: &str) -> Option<String> {
        None
    }

    /// After a crash between an action's intent and its result: what AWS
    /// says became of it, read back, never by running it again.
    fn reconcile(
        &self,
        _kind: &str,
        _target: &str,
        _action_id: &str,
        _started_at: u64,
    ) -> Reconciled {
        Reconciled::Unknown("this executor cannot read its actions back".into())
    }
}

/// What became of an action whose result was never journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// It took effect: recorded as done.
    Done(String),
    /// It did not: recorded as failed (the alert, if it persists, decides
    /// again under the usual limits).
    NotDone(String),
    /// AWS keeps no trace to tell: the target stays blocked for a human.
    Unknown(String),
}

/// Settles every intent without a result through `executor`; returns what
/// was left for a human, as lines to print.
pub fn reconcile<J: Journal + ?Sized, E: Executor>(
    journal: &J,
    executor: &E,
    now: u64,
) -> crate::journal::Result<Vec<String>> {
    let mut left = Vec::new();
    for action in journal.unfinished_actions()? {
        match executor.reconcile(&action.kind, &action.target, &action.id, action.started_at) {
            Reconciled::Done(what) => journal.finish_action(
                &action.id,
                true,
                &format!("reconciled after a restart: {what}"),
                now,
            )?,
            Reconciled::NotDone(why) => journal.finish_action(
                &action.id,
                false,
                &format!("reconciled after a restart, not carried out: {why}"),
                now,
            )?,
            Reconciled::Unknown(why) => left.push(format!(
                "action {} ({} on {}) has no recorded result and cannot be read back ({why}); its target waits for a human",
                action.id, action.kind, action.target
            )),
        }
    }
    Ok(left)
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub rejected: AtomicU64,
    pub signals: AtomicU64,
    pub duplicates: AtomicU64,
    pub decisions: [AtomicU64; 6],
    pub actions_ok: AtomicU64,
    pub actions_failed: AtomicU64,
    /// Actions the re-check just before acting held back.
    pub actions_held: AtomicU64,
}

const OUTCOMES: [Outcome; 6] = [
    Outcome::Act,
    Outcome::DryRun,
    Outcome::AwaitingApproval,
    Outcome::Suppressed,
    Outcome::Refused,
    Outcome::Recovered,
];

impl Metrics {
    fn render(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, name: &str, help: &str, value: u64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        };
        line(
            &mut out,
            "landfall_heal_requests_total",
            "Webhook requests received.",
            self.requests.load(Ordering::Relaxed),
        );
        line(
            &mut out,
            "landfall_heal_requests_rejected_total",
            "Webhook requests refused (auth, type, size, body).",
            self.rejected.load(Ordering::Relaxed),
        );
        line(
            &mut out,
            "landfall_heal_signals_total",
            "New signals journaled.",
            self.signals.load(Ordering::Relaxed),
        );
        line(
            &mut out,
            "landfall_heal_signals_duplicate_total",
            "Signals already journaled (re-sends, HA duplicates).",
            self.duplicates.load(Ordering::Relaxed),
        );
        out.push_str("# HELP landfall_heal_decisions_total Decisions by outcome.\n# TYPE landfall_heal_decisions_total counter\n");
        for (i, o) in OUTCOMES.iter().enumerate() {
            out.push_str(&format!(
                "landfall_heal_decisions_total{{outcome=\"{}\"}} {}\n",
                o.as_str(),
                self.decisions[i].load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP landfall_heal_actions_total Actions by result.\n# TYPE landfall_heal_actions_total counter\n");
        out.push_str(&format!(
            "landfall_heal_actions_total{{result=\"ok\"}} {}\nlandfall_heal_actions_total{{result=\"failed\"}} {}\nlandfall_heal_actions_total{{result=\"held\"}} {}\n",
            self.actions_ok.load(Ordering::Relaxed),
            self.actions_failed.load(Ordering::Relaxed),
            self.actions_held.load(Ordering::Relaxed)
        ));
        out
    }
}

/// Everything the handlers and the worker share.
pub struct Service<J: Journal + ?Sized + 'static, E: Executor> {
    pub engine: Engine<J>,
    pub executor: E,
    /// The bearer token Alertmanager must send.
    pub token: String,
    pub metrics: Metrics,
    /// Where held-back remediation is paged, when set.
    pub pager: Option<crate::pager::Pager>,
    /// This instance's name in the journal's leases.
    pub instance: String,
    pub(crate) wake: Notify,
}

impl<J: Journal + ?Sized + 'static, E: Executor> Service<J, E> {
    pub fn new(engine: Engine<J>, executor: E, token: String) -> Arc<Self> {
        Arc::new(Self {
            engine,
            executor,
            token,
            metrics: Metrics::default(),
            pager: None,
            instance: instance_name(),
            wake: Notify::new(),
        })
    }

    /// The same service, paging held-back remediation to an Alertmanager.
    pub fn with_pager(
        engine: Engine<J>,
        executor: E,
        token: String,
        pager: crate::pager::Pager,
    ) -> Arc<Self> {
        Arc::new(Self {
            engine,
            executor,
            token,
            metrics: Metrics::default(),
            pager: Some(pager),
            instance: instance_name(),
            wake: Notify::new(),
        })
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn refuse(service_metrics: &Metrics, status: StatusCode, message: String) -> Response {
    service_metrics.rejected.fetch_add(1, Ordering::Relaxed);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

/// Constant-time comparison, so the token cannot be guessed byte by byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn alertmanager<J: Journal + ?Sized + 'static, E: Executor>(
    State(service): State<Arc<Service<J, E>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let m = &service.metrics;
    m.requests.fetch_add(1, Ordering::Relaxed);
    let expected = format!("Bearer {}", service.token);
    let given = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(given, expected.as_bytes()) {
        return refuse(
            m,
            StatusCode::UNAUTHORIZED,
            "a valid bearer token is required".to_owned(),
        );
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return refuse(
            m,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected `Content-Type: application/json`".to_owned(),
        );
    }
    let signals = match AlertmanagerPayload::parse(&body).and_then(|p| p.signals()) {
        Ok(s) => s,
        Err(e) => return refuse(m, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let count = signals.len();
    let journal = Arc::clone(&service.engine.journal);
    // Durable before the answer: Alertmanager retries anything but 2xx.
    let stored = tokio::task::spawn_blocking(move || journal.record_signals(&signals, now())).await;
    match stored {
        Ok(Ok(new)) => {
            m.signals.fetch_add(new as u64, Ordering::Relaxed);
            m.duplicates
                .fetch_add((count - new) as u64, Ordering::Relaxed);
            service.wake.notify_one();
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "received": count, "new": new }).to_string(),
            )
                .into_response()
        }
        Ok(Err(e)) => refuse(m, StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => refuse(m, StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn healthz<J: Journal + ?Sized + 'static, E: Executor>(
    State(service): State<Arc<Service<J, E>>>,
) -> Response {
    let journal = Arc::clone(&service.engine.journal);
    match tokio::task::spawn_blocking(move || journal.paused("all")).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok\n").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "journal unavailable\n").into_response(),
    }
}

async fn metrics<J: Journal + ?Sized + 'static, E: Executor>(
    State(service): State<Arc<Service<J, E>>>,
) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        service.metrics.render(),
    )
        .into_response()
}

pub fn router<J: Journal + ?Sized + 'static, E: Executor>(service: Arc<Service<J, E>>) -> Router {
    Router::new()
        .route("/alertmanager", post(alertmanager::<J, E>))
        // The path of the generated Alertmanager configuration's default
        // webhook URL (`observability.remediation.webhook_url`).
        .route("/v1/alertmanager", post(alertmanager::<J, E>))
        .route("/healthz", get(healthz::<J, E>))
        .route("/metrics", get(metrics::<J, E>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service)
}

/// Decides every undecided signal, then runs what must run; one pass.
/// Returns how many signals it decided.
pub fn work_once<J: Journal + ?Sized + 'static, E: Executor>(
    service: &Service<J, E>,
) -> crate::journal::Result<usize> {
    let journal = &service.engine.journal;
    // Only the signals leased to this instance: another instance on the
    // same journal decides the others.
    let pending =
        journal.claim_undecided(CLAIM_BATCH, &service.instance, now() + LEASE_SECONDS, now())?;
    for (signal, _) in &pending {
        let Some(decision) = service.engine.decide_once(signal, now())? else {
            continue;
        };
        let i = OUTCOMES
            .iter()
            .position(|o| *o == decision.outcome)
            .unwrap_or(0);
        service.metrics.decisions[i].fetch_add(1, Ordering::Relaxed);
        if let (Some(pager), Outcome::Suppressed) = (&service.pager, decision.outcome) {
            let kind = if decision.reason.starts_with("systemic") {
                Some("systemic")
            } else if decision.reason.starts_with("breaker open") {
                Some("breaker-open")
            } else if decision.reason.starts_with("budget") {
                // Held back for good (a decision is final): a human looks.
                Some("budget")
            } else {
                None
            };
            if let Some(kind) = kind {
                // A page that cannot be sent must not stop decisions; the
                // journal has the reason either way.
                let paged = pager.page(
                    &decision.alert,
                    kind,
                    &decision.reason,
                    now(),
                    &signal.starts_at,
                );
                if let Err(e) = paged {
                    eprintln!("heal: cannot page: {e}");
                }
            }
        }
        if let (Outcome::Act, Some(id), Some(target), Some(kind)) = (
            decision.outcome,
            &decision.action_id,
            &decision.target,
            decision.action,
        ) {
            if let Some(why) = service
                .executor
                .hold(&decision.alert, kind.as_str(), target)
            {
                hold_back(service, id, &decision.alert, target, &why, true)?;
                continue;
            }
            let result = service.executor.execute(kind.as_str(), target, id);
            let ok = result.is_ok();
            let text = result.unwrap_or_else(|e| e);
            journal.finish_action(id, ok, &text, now())?;
            if !ok {
                page_failure(service, &decision.alert, target, &text, &signal.starts_at);
            }
            let counter = if ok {
                &service.metrics.actions_ok
            } else {
                &service.metrics.actions_failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
    // Approved actions run once: the state moves to `intent` first, so a
    // crash leaves an intent to reconcile, never a second run.
    for action in journal.approved_actions()? {
        if !journal.transition(&action.id, "approved", "intent")? {
            continue;
        }
        // The gates again (a kill switch, a freeze or an AWS Health issue
        // may have come since the decision), then AWS's word on the target.
        let kind = service.engine.rulebook.rule(&action.rule).map(|r| r.action);
        let gated = match kind {
            Some(kind) => {
                service
                    .engine
                    .gates(kind, &action.target, target_region(&action.target), now())?
            }
            None => Some("its rule is no longer in the rulebook".to_owned()),
        };
        if let Some(why) = gated.or_else(|| {
            service
                .executor
                .hold(&action.rule, &action.kind, &action.target)
        }) {
            hold_back(
                service,
                &action.id,
                &action.rule,
                &action.target,
                &why,
                false,
            )?;
            // Somebody approved it and waits for it: they are told.
            page_failure(service, &action.rule, &action.target, &why, "");
            continue;
        }
        // An approved action counts toward the breaker when it runs, as a
        // decided one does when it is decided.
        let (count, open) = journal.breaker(&action.rule, &action.target)?;
        journal.set_breaker(&action.rule, &action.target, count + 1, open)?;
        let result = service
            .executor
            .execute(&action.kind, &action.target, &action.id);
        let ok = result.is_ok();
        let text = result.unwrap_or_else(|e| e);
        journal.finish_action(&action.id, ok, &text, now())?;
        if !ok {
            page_failure(service, &action.rule, &action.target, &text, "");
        }
    }
    Ok(pending.len())
}

/// Records an action the re-check held back: not carried out, and not
/// counted toward the breaker, which counts actions taken (`counted`: the
/// decision counted it already).
fn hold_back<J: Journal + ?Sized + 'static, E: Executor>(
    service: &Service<J, E>,
    id: &str,
    rule: &str,
    target: &str,
    why: &str,
    counted: bool,
) -> crate::journal::Result<()> {
    let journal = &service.engine.journal;
    journal.hold_action(id, &format!("held back before acting: {why}"), now())?;
    if counted {
        let (count, open) = journal.breaker(rule, target)?;
        journal.set_breaker(rule, target, count.saturating_sub(1), open)?;
    }
    service.metrics.actions_held.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// A failed action (AWS refused it, or the action's own limit did, such as
/// a service at its declared maximum) leaves the problem to a human: it is
/// paged, like held-back remediation.
fn page_failure<J: Journal + ?Sized + 'static, E: Executor>(
    service: &Service<J, E>,
    rule: &str,
    target: &str,
    text: &str,
    starts_at: &str,
) {
    let Some(pager) = &service.pager else {
        return;
    };
    let summary = format!("remediation of {target} failed: {text}");
    if let Err(e) = pager.page(rule, "action-failed", &summary, now(), starts_at) {
        eprintln!("heal: cannot page: {e}");
    }
}

/// The worker: decides as signals arrive (and every second, for anything
/// left by a crash).
pub async fn worker<J: Journal + ?Sized + 'static, E: Executor>(service: Arc<Service<J, E>>) {
    loop {
        let s = Arc::clone(&service);
        let decided = tokio::task::spawn_blocking(move || work_once(&s)).await;
        let busy = matches!(decided, Ok(Ok(n)) if n > 0);
        if let Ok(Err(e)) = decided {
            eprintln!("heal: {e}");
        }
        if !busy {
            let _ = tokio::time::timeout(Duration::from_secs(1), service.wake.notified()).await;
        }
    }
}

/// Serves until the process is stopped: HTTPS with `tls`, else plain HTTP.
pub async fn serve<J: Journal + ?Sized + 'static, E: Executor>(
    service: Arc<Service<J, E>>,
    listen: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    tokio::spawn(worker(Arc::clone(&service)));
    match tls {
        Some(config) => {
            eprintln!("heal: listening on https://{local}");
            let listener = crate::tls::TlsListener::new(listener, config)?;
            axum::serve(listener, router(service)).await
        }
        None => {
            eprintln!("heal: listening on http://{local}");
            axum::serve(listener, router(service)).await
        }
    }
}

/// Starts the service's front (and, when asked, its worker) on a loopback
/// port of a runtime, for tests and the load benchmark; returns the port.
pub fn start_on_loopback<J: Journal + ?Sized + 'static, E: Executor>(
    runtime: &tokio::runtime::Runtime,
    service: Arc<Service<J, E>>,
    worker_too: bool,
) -> std::io::Result<u16> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = runtime.block_on(tokio::net::TcpListener::bind(any))?;
    let port = listener.local_addr()?.port();
    if worker_too {
        runtime.spawn(worker(Arc::clone(&service)));
    }
    runtime.spawn(async move { axum::serve(listener, router(service)).await });
    Ok(port)
}

/// The same front over HTTPS (`tls`), worker included; returns the port.
pub fn start_tls_on_loopback<J: Journal + ?Sized + 'static, E: Executor>(
    runtime: &tokio::runtime::Runtime,
    service: Arc<Service<J, E>>,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<u16> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = runtime.block_on(tokio::net::TcpListener::bind(any))?;
    let port = listener.local_addr()?.port();
    let _inside = runtime.enter();
    let listener = crate::tls::TlsListener::new(listener, tls)?;
    runtime.spawn(worker(Arc::clone(&service)));
    runtime.spawn(async move { axum::serve(listener, router(service)).await });
    Ok(port)
}
