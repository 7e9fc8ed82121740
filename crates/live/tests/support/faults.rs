//! A fault-injecting proxy between the SDK and moto server, to test what the
//! emulator hides: it answers at once, never throttles, runs StackSet
//! operations synchronously, makes every role assumable at once and never
//! lets a session expire.
//!
//! Started by a test on its own runtime, on a loopback port, and stopped
//! when dropped. Each request is recognised by its service (the SigV4
//! credential scope) and action (`X-Amz-Target` for the JSON protocol,
//! `Action=` in the form body for the query protocol), then either answered
//! with an injected error in the protocol's own shape or forwarded to moto,
//! its answer possibly rewritten. Behaviours:
//!
//! - [`Rule`]s: an error (throttling or any other code) or latency for the
//!   first N requests of an action, or for a while;
//! - `new_account_denial`: `AssumeRole` into an account created through the
//!   proxy answers `AccessDenied` until that long after its creation;
//! - `session_lifetime`: `AssumeRole` answers say the session ends after
//!   that long, and requests signed with it afterwards get `ExpiredToken`;
//! - `stack_set_operation_time`: StackSet operations report `RUNNING` until
//!   that long after they were first described.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// The largest request or response head, and body, the proxy handles.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Connections served at once.
const MAX_CONNECTIONS: usize = 64;

/// What a rule does to the requests it matches.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answers with the service error `code` and HTTP `status`.
    Error { code: String, status: u16 },
    /// Forwards after a delay.
    Latency(Duration),
    /// Forwards (the call takes effect), then answers `500 InternalFailure`
    /// as if the answer had been lost: the client retries a call that went
    /// through.
    LoseResponse,
    /// Answers `200` with this JSON body (JSON-protocol services), as the
    /// service would where moto does not know the answer (an account's
    /// applied quota).
    Answer(serde_json::Value),
}

impl Fault {
    /// Throttling as the service's protocol says it: Organizations (JSON)
    /// `TooManyRequestsException`, EC2 `RequestLimitExceeded` with 503, the
    /// other query services `Throttling`.
    pub fn throttling(service: &str) -> Fault {
        let (code, status) = match service {
            "organizations" => ("TooManyRequestsException", 400),
            "ec2" => ("RequestLimitExceeded", 503),
            _ => ("Throttling", 400),
        };
        Fault::Error {
            code: code.into(),
            status,
        }
    }
}

/// Which requests a fault applies to, and how often.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `service:Action`, `service:*` or `*`.
    pub action: String,
    /// A text the (decoded) request body must contain, when set.
    pub body_contains: Option<String>,
    pub fault: Fault,
    /// Only the first N matching requests; `None`: all.
    pub times: Option<u32>,
    /// Only this long after the rule was added; `None`: always.
    pub during: Option<Duration>,
}

impl Rule {
    pub fn new(action: &str, fault: Fault) -> Rule {
        Rule {
            action: action.into(),
            body_contains: None,
            fault,
            times: None,
            during: None,
        }
    }

    #[must_use]
    pub fn times(mut self, n: u32) -> Rule {
        self.times = Some(n);
        self
    }

    #[must_use]
    pub fn during(mut self, d: Duration) -> Rule {
        self.during = Some(d);
        self
    }

    #[must_use]
    pub fn when_body_contains(mut self, text: &str) -> Rule {
        self.body_contains = Some(text.into());
        self
    }

    fn matches(&self, service: &str, action: &str, body: &str) -> bool {
        let wanted = self.action.as_str();
        let name_ok = wanted == "*"
            || wanted == format!("{service}:*")
            || wanted == format!("{service}:{action}");
        name_ok
            && self
                .body_contains
                .as_ref()
                .is_none_or(|t| body.contains(t.as_str()))
    }
}

/// One request the proxy saw, and what it did with it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub service: String,
    pub action: String,
    /// The decoded form body (query protocol) or the JSON body.
    pub body: String,
    /// The error code injected, or `None` when moto answered.
    pub injected: Option<String>,
    /// The status the client got.
    pub status: u16,
}

/// Behaviours beyond per-request rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    pub new_account_denial: Option<Duration>,
    pub session_lifetime: Option<Duration>,
    pub stack_set_operation_time: Option<Duration>,
}

#[derive(Default)]
struct State {
    rules: Vec<(Rule, Instant, u32)>,
    behaviour: Behaviour,
    seen: Vec<Seen>,
    /// Account id → when the proxy saw it created.
    created: HashMap<String, Instant>,
    /// Access key id → when its session ends.
    sessions: HashMap<String, Instant>,
    /// StackSet operation id → when it was first described.
    operations: HashMap<String, Instant>,
    /// Bucket → its region: S3 answers a request signed for another region
    /// with `301 PermanentRedirect`, as AWS does.
    bucket_regions: HashMap<String, String>,
    /// Requests being handled, answered or not: moto carries out a call
    /// whose client has gone away to its end.
    in_flight: usize,
}

/// Counts a request as in flight while it lives.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn new(state: &Arc<Mutex<State>>) -> InFlight {
        state.lock().unwrap().in_flight += 1;
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.in_flight -= 1;
        }
    }
}

/// The running proxy; stops when dropped.
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    /// Listens on a loopback port and forwards to `upstream` (moto's URL).
    /// Must be called inside a Tokio runtime.
    pub async fn start(upstream: &str) -> FaultProxy {
        let (host, port) = crate::support::host_port(upstream).expect("moto URL");
        assert!(
            host == "127.0.0.1" || host == "localhost" || host == "::1",
            "the fault proxy forwards to loopback only, not `{host}`"
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        let upstream = (host, port);
        let server = tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
            while let Ok((stream, _)) = listener.accept().await {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let state = shared.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let _ = serve(stream, state, upstream).await;
                });
            }
        });
        FaultProxy { url, state, server }
    }

    pub fn add(&self, rule: Rule) {
        self.state
            .lock()
            .unwrap()
            .rules
            .push((rule, Instant::now(), 0));
    }

    /// Makes S3 requests for `bucket` signed for any region but `region`
    /// fail with `301 PermanentRedirect`.
    pub fn bucket_in(&self, bucket: &str, region: &str) {
        self.state
            .lock()
            .unwrap()
            .bucket_regions
            .insert(bucket.to_owned(), region.to_owned());
    }

    pub fn clear_rules(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Requests of `service:Action`.
    pub fn seen_of(&self, action: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| format!("{}:{}", s.service, s.action) == action)
            .collect()
    }

    /// Waits (up to `limit`) until no request is being handled: what an
    /// abandoned client asked for has been carried out.
    pub async fn idle(&self, limit: Duration) {
        let until = Instant::now() + limit;
        while self.state.lock().unwrap().in_flight > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn forget_seen(&self) {
        self.state.lock().unwrap().seen.clear();
    }
}

/// A request or response read off a connection: its head and its body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

async fn serve(
    mut client: TcpStream,
    state: Arc<Mutex<State>>,
    upstream: (String, u16),
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_message(&mut client, &mut buffer, true).await? else {
            return Ok(());
        };
        let response = handle(&request, &state, &upstream).await?;
        client.write_all(&response).await?;
    }
}

/// Reads one HTTP/1.1 message; `None` at a clean end of the connection.
async fn read_message(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    is_request: bool,
) -> std::io::Result<Option<Message>> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let head_end = loop {
        if let Some(i) = find(buffer, b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("head too large"));
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buffer.is_empty() {
                Ok(None)
            } else {
                Err(invalid("truncated head"))
            };
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head: Vec<u8> = buffer.drain(..head_end).collect();
    let headers = header_map(&head);
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let body = if chunked {
        read_chunked(stream, buffer).await?
    } else if let Some(length) = length {
        if length > MAX_BODY {
            return Err(invalid("body too large"));
        }
        fill(stream, buffer, length).await?;
        buffer.drain(..length).collect()
    } else if is_request {
        Vec::new()
    } else {
        // A response without a length ends with the connection.
        stream.read_to_end(buffer).await?;
        std::mem::take(buffer)
    };
    Ok(Some(Message { head, body }))
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    while buffer.len() < len {
        let mut chunk = [0u8; 64 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// Decodes a chunked body (trailers dropped).
async fn read_chunked(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(buffer, b"\r\n") {
                break i;
            }
            let have = buffer.len();
            fill(stream, buffer, have + 1).await?;
        };
        let line = String::from_utf8_lossy(&buffer[..line_end]).to_string();
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size"))?;
        buffer.drain(..line_end + 2);
        if size == 0 {
            // Trailers until an empty line.
            loop {
                let end = loop {
                    if let Some(i) = find(buffer, b"\r\n") {
                        break i;
                    }
                    let have = buffer.len();
                    fill(stream, buffer, have + 1).await?;
                };
                buffer.drain(..end + 2);
                if end == 0 {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "body too large",
            ));
        }
        fill(stream, buffer, size + 2).await?;
        body.extend(buffer.drain(..size));
        buffer.drain(..2);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Header names (lower case) → values.
fn header_map(head: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

/// (service, action, decoded body, access key id) of a request.
/// The SigV4 credential scope of a request: key id, date, region, service.
fn credential_scope(headers: &HashMap<String, String>) -> Vec<String> {
    headers
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split([',', ' ']).next())
        .unwrap_or("")
        .split('/')
        .map(str::to_owned)
        .collect()
}

fn identify(request: &Message) -> (String, String, String, String) {
    let headers = header_map(&request.head);
    let scope = credential_scope(&headers);
    let key = scope.first().cloned().unwrap_or_default();
    let service = scope.get(3).cloned().unwrap_or_default();
    let raw = String::from_utf8_lossy(&request.body).to_string();
    if let Some(target) = headers.get("x-amz-target") {
        let action = target.rsplit('.').next().unwrap_or(target).to_owned();
        return (service, action, raw, key);
    }
    let form = form_decode(&raw);
    let action = form
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| {
            // REST (S3): the method.
            String::from_utf8_lossy(&request.head)
                .split(' ')
                .next()
                .unwrap_or("")
                .to_owned()
        });
    let decoded = form
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    (service, action, decoded, key)
}

/// Whether an S3 request names a bucket the proxy knows to be in another
/// region than the one the request is signed for.
fn wrong_bucket_region(request: &Message, state: &Arc<Mutex<State>>) -> bool {
    let scope = credential_scope(&header_map(&request.head));
    if scope.get(3).map(String::as_str) != Some("s3") {
        return false;
    }
    let signed_for = scope.get(2).map_or("", String::as_str);
    let head = String::from_utf8_lossy(&request.head);
    let path = head.split(' ').nth(1).unwrap_or("");
    // GetBucketLocation answers from any region: it is how the region is found.
    if path.contains("?location") {
        return false;
    }
    let bucket = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let s = state.lock().unwrap();
    s.bucket_regions
        .get(bucket)
        .is_some_and(|region| region != signed_for)
}

/// `a=b&c=d` with percent-decoding and `+` as space.
fn form_decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| char::from(b).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

pub fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&')
        .find_map(|p| p.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

/// What to do with a request, decided under the lock.
enum Decision {
    Inject(String, u16),
    Answer(String),
    Forward(Duration),
    ForwardThenLose,
}

async fn handle(
    request: &Message,
    state: &Arc<Mutex<State>>,
    upstream: &(String, u16),
) -> std::io::Result<Vec<u8>> {
    let _in_flight = InFlight::new(state);
    let (service, action, body, key) = identify(request);
    // JSON errors for the JSON protocol (`X-Amz-Target`) and the REST-JSON
    // services; XML for the query protocol.
    let json = header_map(&request.head).contains_key("x-amz-target")
        || REST_JSON_SERVICES.contains(&service.as_str());
    let decision = match wrong_bucket_region(request, state) {
        true => Decision::Inject("PermanentRedirect".into(), 301),
        false => decide(state, &service, &action, &body, &key),
    };
    let (status, bytes, injected) = match decision {
        Decision::Inject(code, status) => {
            let bytes = error_response(&service, json, &code, status);
            (status, bytes, Some(code))
        }
        Decision::Answer(body) => {
            let bytes = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes();
            (200, bytes, Some("answer".to_owned()))
        }
        Decision::ForwardThenLose => {
            let _ = forward(request, upstream).await?;
            let code = "InternalFailure";
            (
                500,
                error_response(&service, json, code, 500),
                Some(code.to_owned()),
            )
        }
        Decision::Forward(delay) => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let response = forward(request, upstream).await?;
            let (status, bytes) = rewrite(state, &service, &action, &body, response);
            (status, bytes, None)
        }
    };
    state.lock().unwrap().seen.push(Seen {
        service,
        action,
        body,
        injected,
        status,
    });
    Ok(bytes)
}

fn decide(
    state: &Arc<Mutex<State>>,
    service: &str,
    action: &str,
    body: &str,
    key: &str,
) -> Decision {
    let mut s = state.lock().unwrap();
    let now = Instant::now();
    // A session past its end.
    if s.sessions.get(key).is_some_and(|end| now >= *end) {
        let code = if service == "organizations" {
            "ExpiredTokenException"
        } else {
            "ExpiredToken"
        };
        return Decision::Inject(code.into(), 400);
    }
    // A role in an account created a moment ago.
    if let (Some(wait), true) = (s.behaviour.new_account_denial, action == "AssumeRole") {
        let role = form_value(body, "RoleArn").unwrap_or_default();
        let account = role.split(':').nth(4).unwrap_or("");
        if s.created.get(account).is_some_and(|at| now < *at + wait) {
            return Decision::Inject("AccessDenied".into(), 403);
        }
    }
    let mut delay = Duration::ZERO;
    for (rule, added, hits) in &mut s.rules {
        if !rule.matches(service, action, body) {
            continue;
        }
        if rule.during.is_some_and(|d| now >= *added + d) {
            continue;
        }
        if rule.times.is_some_and(|n| *hits >= n) {
            continue;
        }
        *hits += 1;
        match &rule.fault {
            Fault::Error { code, status } => return Decision::Inject(code.clone(), *status),
            Fault::Latency(d) => delay += *d,
            Fault::LoseResponse => return Decision::ForwardThenLose,
            Fault::Answer(body) => return Decision::Answer(body.to_string()),
        }
    }
    Decision::Forward(delay)
}

/// Sends the request to moto on a new connection and reads the answer.
async fn forward(request: &Message, upstream: &(String, u16)) -> std::io::Result<Message> {
    let mut stream = TcpStream::connect((upstream.0.as_str(), upstream.1)).await?;
    // The body goes on with a length (a chunked body arrives decoded).
    let head = String::from_utf8_lossy(&request.head).to_string();
    let mut lines: Vec<String> = head
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let name = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !matches!(
                name.as_str(),
                "connection" | "transfer-encoding" | "content-length"
            )
        })
        .map(str::to_owned)
        .collect();
    lines.push(format!("Content-Length: {}", request.body.len()));
    lines.push("Connection: close".into());
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&request.body);
    stream.write_all(&out).await?;
    let mut buffer = Vec::new();
    read_message(&mut stream, &mut buffer, false)
        .await?
        .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
}

/// Applies the behaviours to moto's answer; returns the status and the bytes
/// for the client (always with a length, never chunked).
fn rewrite(
    state: &Arc<Mutex<State>>,
    service: &str,
    action: &str,
    request_body: &str,
    response: Message,
) -> (u16, Vec<u8>) {
    let head = String::from_utf8_lossy(&response.head).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let mut body = response.body;
    let mut s = state.lock().unwrap();
    let now = Instant::now();
    if status == 200 {
        match (service, action) {
            ("organizations", "CreateAccount" | "DescribeCreateAccountStatus") => {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Some(id) = v["CreateAccountStatus"]["AccountId"].as_str() {
                    s.created.entry(id.to_owned()).or_insert(now);
                }
            }
            ("sts", "AssumeRole") => {
                if let Some(lifetime) = s.behaviour.session_lifetime {
                    let text = String::from_utf8_lossy(&body).to_string();
                    let end = SystemTime::now() + lifetime;
                    let rewritten = replace_element(&text, "Expiration", &rfc3339(end));
                    if let Some(key) = element(&text, "AccessKeyId") {
                        s.sessions.insert(key, now + lifetime);
                    }
                    body = rewritten.into_bytes();
                }
            }
            ("cloudformation", "DescribeStackSetOperation") => {
                if let Some(time) = s.behaviour.stack_set_operation_time {
                    let id = form_value(request_body, "OperationId").unwrap_or_default();
                    let first = *s.operations.entry(id).or_insert(now);
                    let text = String::from_utf8_lossy(&body).to_string();
                    if now < first + time
                        && element(&text, "Status").as_deref() == Some("SUCCEEDED")
                    {
                        body = replace_element(&text, "Status", "RUNNING").into_bytes();
                    }
                }
            }
            _ => {}
        }
    }
    drop(s);
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let name = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !matches!(
                name.as_str(),
                "connection" | "transfer-encoding" | "content-length"
            )
        })
        .collect();
    let length = format!("Content-Length: {}", body.len());
    lines.push(&length);
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&body);
    (status, out)
}

fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].to_owned())
}

fn replace_element(xml: &str, name: &str, value: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let Some(start) = xml.find(&open).map(|i| i + open.len()) else {
        return xml.to_owned();
    };
    let Some(end) = xml[start..].find(&close).map(|i| i + start) else {
        return xml.to_owned();
    };
    format!("{}{value}{}", &xml[..start], &xml[end..])
}

/// Services whose REST protocol answers errors in JSON (their action, to
/// a rule, is the HTTP method).
const REST_JSON_SERVICES: &[&str] = &["scheduler"];

/// An HTTP error response of `service` in its protocol's shape.
fn error_response(service: &str, json: bool, code: &str, status: u16) -> Vec<u8> {
    let message = format!("injected by the fault proxy: {code}");
    let request_id = "00000000-0000-0000-0000-000000000000";
    let (content_type, body, extra) = if json {
        (
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": code, "Message": message }).to_string(),
            format!("x-amzn-ErrorType: {code}\r\n"),
        )
    } else if service == "ec2" {
        (
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            ),
            String::new(),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ),
            String::new(),
        )
    };
    let reason = match status {
        403 => "Forbidden",
        503 => "Service Unavailable",
        _ => "Bad Request",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nx-amzn-RequestId: {request_id}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `2026-12-06T03:00:00Z`.
fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
