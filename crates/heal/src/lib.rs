//! The remediation service: alerts in, decisions out, actions only where
//! the platform model says a machine may act, and only within limits.
//!
//! ```text
//! POST /alertmanager ─▶ signals ─▶ journal (durable, deduplicated) ─▶ 200
//! SQS (AWS events)   ─▶ signals ─▶ journal ─────────────────────────▶ delete
//!                                    │
//!              worker ◀──────────────┘  decide: rulebook + safety ─▶ decision ─▶ intent ─▶ action ─▶ result
//! ```
//!
//! A signal is journaled before it is acknowledged, so Alertmanager's
//! retries and an HA pair's duplicates become one signal; decisions are
//! taken from the journal, so a restart continues where it stopped and
//! cool-downs, breakers and switches survive it.

pub mod ansible;
pub mod engine;
pub mod journal;
pub mod pager;
pub mod queue;
pub mod rulebook;
pub mod server;
pub mod signal;
pub mod tls;

pub use engine::{Decision, Engine, Outcome};
pub use journal::{Journal, SqliteJournal};
pub use rulebook::{ActionKind, Rule, Rulebook};
pub use signal::{AlertmanagerPayload, Signal};
