//! Messages posted to an incoming chat webhook (Slack's, or anything that
//! takes its JSON): the summaries of `landfall cost notify`, behind
//! `landfall-cost`'s `ChatSender`, and the on-call grants' changes, behind
//! `landfall-access`'s `Announcer`.
//!
//! HTTPS with the system's root certificates (plain HTTP only for a relay
//! on this host), one message per second at most: Slack allows about one
//! message per second per channel
//! (<https://docs.slack.dev/apis/web-api/rate-limits>).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use landfall_cost::notify::ChatSender;

use crate::error::LiveError;

/// Least time between two messages to one webhook.
pub const MESSAGE_INTERVAL: Duration = Duration::from_secs(1);
/// How long one post may take.
const TIMEOUT: Duration = Duration::from_secs(15);

type HttpsClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

pub struct WebhookChat {
    url: hyper::Uri,
    client: HttpsClient,
    runtime: tokio::runtime::Runtime,
    last: Option<Instant>,
}

impl WebhookChat {
    /// `https://…` (or `http://` to a loopback address).
    pub fn new(url: &str) -> Result<WebhookChat, LiveError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| LiveError::Plan(format!("`{url}` is not a webhook URL: {e}")))?;
        let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if loopback => {}
            _ => {
                return Err(LiveError::Plan(format!(
                    "`{url}` must be an https:// webhook (http:// only to this host)"
                )))
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LiveError::Plan(format!("cannot start the async runtime: {e}")))?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| LiveError::Plan(format!("no root certificates for HTTPS: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(WebhookChat {
            url: uri,
            client,
            runtime,
            last: None,
        })
    }
}

impl ChatSender for WebhookChat {
    fn post(&mut self, message: &serde_json::Value) -> Result<(), String> {
        if let Some(wait) = self
            .last
            .map(|last| MESSAGE_INTERVAL.saturating_sub(last.elapsed()))
        {
            std::thread::sleep(wait);
        }
        self.last = Some(Instant::now());
        let request = hyper::Request::post(self.url.clone())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(message.to_string())))
            .map_err(|e| e.to_string())?;
        let client = self.client.clone();
        let host = self.url.host().unwrap_or_default().to_string();
        self.runtime.block_on(async move {
            let answer = tokio::time::timeout(TIMEOUT, client.request(request))
                .await
                .map_err(|_| format!("the webhook at {host} did not answer in {TIMEOUT:?}"))?
                .map_err(|e| format!("cannot post to the webhook at {host}: {e}"))?;
            let status = answer.status();
            let body = answer
                .into_body()
                .collect()
                .await
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).to_string())
                .unwrap_or_default();
            if status.is_success() {
                Ok(())
            } else {
                Err(format!(
                    "the webhook at {host} answered {status}: {}",
                    body.chars().take(200).collect::<String>()
                ))
            }
        })
    }
}

/// Announces each change of an on-call grant to a chat channel: its one
/// line for people as the message text (`{"text": ...}`).
pub struct ChatAnnouncer {
    chat: std::sync::Mutex<WebhookChat>,
}

impl ChatAnnouncer {
    pub fn new(url: &str) -> Result<ChatAnnouncer, LiveError> {
        Ok(ChatAnnouncer {
            chat: std::sync::Mutex::new(WebhookChat::new(url)?),
        })
    }
}

impl landfall_access::Announcer for ChatAnnouncer {
    fn announce(&self, event: &landfall_access::Event) -> Result<(), String> {
        let mut chat = self
            .chat
            .lock()
            .map_err(|_| "the chat webhook failed earlier in this run".to_owned())?;
        chat.post(&serde_json::json!({ "text": event.text }))
    }
}
