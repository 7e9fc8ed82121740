//! Telling a human when remediation holds back on purpose (a systemic
//! problem: many targets at once; an open breaker) or an action failed
//! (AWS refused it, or its own limit did): it is raised as an alert
//! in Alertmanager (its v2 API), so it is routed, grouped and repeated like
//! every other page: one page, not one per suppressed signal.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

/// The alert name of a page from the remediation service.
pub const HELD_BACK: &str = "RemediationHeldBack";

/// Posts held-back pages to an Alertmanager, at most one per rule and
/// reason a minute (Alertmanager deduplicates identical label sets too).
pub struct Pager {
    /// `host:port` of the Alertmanager (plain HTTP inside the VPC).
    address: String,
    last: Mutex<HashMap<(String, &'static str), u64>>,
}

impl Pager {
    /// `http://host:port` (no path, no TLS).
    pub fn new(url: &str) -> Result<Self, String> {
        let address = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{url}` is not an http:// address of an Alertmanager"))?
            .trim_end_matches('/')
            .to_owned();
        if address.is_empty() || address.contains('/') {
            return Err(format!("`{url}` must be `http://HOST:PORT`"));
        }
        Ok(Self {
            address,
            last: Mutex::new(HashMap::new()),
        })
    }

    /// Raises the page unless one for the same rule and reason went out in
    /// the last minute; `Ok(false)` when it was not due.
    pub fn page(
        &self,
        rule: &str,
        kind: &'static str,
        summary: &str,
        now: u64,
        starts_at: &str,
    ) -> Result<bool, String> {
        {
            let mut last = self
                .last
                .lock()
                .map_err(|_| "pager state poisoned".to_owned())?;
            let key = (rule.to_owned(), kind);
            if last.get(&key).is_some_and(|t| now.saturating_sub(*t) < 60) {
                return Ok(false);
            }
            last.insert(key, now);
        }
        let mut alert = serde_json::json!({
            "labels": {
                "alertname": HELD_BACK,
                "rule": rule,
                "reason": kind,
                "domain": "platform",
                "severity": "page",
            },
            "annotations": { "summary": summary },
        });
        // Without a start (an approved action has no signal at hand),
        // Alertmanager starts the alert when it receives it.
        if !starts_at.is_empty() {
            alert["startsAt"] = starts_at.into();
        }
        let body = serde_json::Value::Array(vec![alert]).to_string();
        self.post("/api/v2/alerts", &body)?;
        Ok(true)
    }

    fn post(&self, path: &str, body: &str) -> Result<(), String> {
        let addr = self
            .address
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve `{}`: {e}", self.address))?
            .next()
            .ok_or_else(|| format!("`{}` resolves to nothing", self.address))?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("cannot reach Alertmanager at {}: {e}", self.address))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response.split_whitespace().nth(1).unwrap_or("");
        if status.starts_with('2') {
            Ok(())
        } else {
            Err(format!(
                "Alertmanager answered `{status}`: {}",
                response.lines().last().unwrap_or("")
            ))
        }
    }
}
