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

/// Every announcer of a list, each told even when another fails.
pub struct Announcers(pub Vec<Box<dyn Announcer>>);

impl Announcer for Announcers {
    fn announce(&self, event: &Event) -> Result<(), String> {
        let failed: Vec<String> = self
            .0
            .iter()
            .filter_map(|a| a.announce(event).err())
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("; "))
        }
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test")]
mod tests {
    use super::*;

    struct Refuses;
    impl Announcer for Refuses {
        fn announce(&self, _: &Event) -> Result<(), String> {
            Err("the channel is archived".into())
        }
    }

    #[test]
    fn every_announcer_is_told_even_when_one_fails() {
        let dir = std::env::temp_dir().join(format!("landfall-announcers-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let all = Announcers(vec![
            Box::new(Refuses),
            Box::new(FileSink { path: dir.clone() }),
        ]);
        let event = Event {
            grant: "g-1".into(),
            state: State::Pending,
            by: "ana".into(),
            at: "2026-12-06T18:00:00Z".into(),
            requester: "ana".into(),
            account: "payments-prod".into(),
            permission_set: "OnCallProduction".into(),
            reason: "r".into(),
            ticket: None,
            expires_at: None,
            break_glass: false,
            text: "access g-1 requested".into(),
        };
        assert_eq!(all.announce(&event).unwrap_err(), "the channel is archived");
        let written = std::fs::read_to_string(&dir).unwrap();
        assert!(written.contains("\"grant\":\"g-1\""), "{written}");
        let _ = std::fs::remove_file(&dir);
    }
}
