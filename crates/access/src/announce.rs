//! Who hears of each change: a chat channel in production, a file in tests.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::grant::{Grant, State};
use crate::time::utc;

/// One change of one grant, as announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub grant: String,
    pub state: State,
    pub by: String,
    pub at: String,
    pub requester: String,
    pub account: String,
    pub permission_set: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub break_glass: bool,
    /// One line for people.
    pub text: String,
}

impl Event {
    pub fn of(grant: &Grant, by: &str, at: u64, what: &str) -> Event {
        let mut text = format!(
            "access {} {what}: {} · {} in {} · {}",
            grant.id, grant.requester, grant.permission_set, grant.account, grant.reason
        );
        if let Some(ticket) = &grant.ticket {
            text.push_str(&format!(" ({ticket})"));
        }
        if let Some(end) = grant.expires_at.filter(|_| grant.state == State::Active) {
            text.push_str(&format!(" · until {}", utc(end)));
        }
        if by != grant.requester {
            text.push_str(&format!(" · by {by}"));
        }
        Event {
            grant: grant.id.clone(),
            state: grant.state,
            by: by.to_owned(),
            at: utc(at),
            requester: grant.requester.clone(),
            account: grant.account.clone(),
            permission_set: grant.permission_set.clone(),
            reason: grant.reason.clone(),
            ticket: grant.ticket.clone(),
            expires_at: grant.expires_at.map(utc),
            break_glass: grant.break_glass,
            text,
        }
    }
}

/// Tells people of a change. A failure to announce never undoes the change;
/// it is reported beside it.
pub trait Announcer: Send + Sync {
    fn announce(&self, event: &Event) -> Result<(), String>;
}

/// Appends each event as a JSON line.
pub struct FileSink {
    pub path: PathBuf,
}

impl Announcer for FileSink {
    fn announce(&self, event: &Event) -> Result<(), String> {
        let line = serde_json::to_string(event).map_err(|e| e.to_string())?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| writeln!(f, "{line}"))
            .map_err(|e| format!("cannot announce to {}: {e}", self.path.display()))
    }
}

/// Announces nothing.
pub struct NoAnnouncer;

impl Announcer for NoAnnouncer {
    fn announce(&self, _: &Event) -> Result<(), String> {
        Ok(())
    }
}
