//! AWS events from a queue: the platform's EventBridge rules deliver the
//! events of every account and region to one SQS queue (the alerting
//! layer); the service reads them as signals. A message is deleted only
//! after its signal is journaled, so a crash between the two redelivers it
//! and the journal keeps it once; a message that is not an event is left
//! for the queue's redrive policy to move to the dead-letter queue.
//!
//! The queue itself is behind [`EventQueue`], implemented over SQS by the
//! live-operations crate (this crate holds no AWS SDK).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::journal::Journal;
use crate::server::{now, Executor, Service};
use crate::signal::Signal;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: String,
    /// What deletes this delivery of it.
    pub receipt: String,
    pub body: String,
}

/// A queue of AWS events.
pub trait EventQueue: Send + Sync + 'static {
    /// The next messages (waiting a while for some; an empty batch is
    /// fine).
    fn receive(&self) -> impl Future<Output = Result<Vec<QueuedMessage>, String>> + Send;
    /// Deletes a delivered message.
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// What one batch came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Journaled and deleted.
    pub recorded: usize,
    /// Deleted without a signal (nothing to act on).
    pub ignored: usize,
    /// Left on the queue: not an event, or the journal failed.
    pub kept: usize,
}

/// Reads one batch: journals each event's signal, then deletes it.
pub async fn consume_once<J: Journal + ?Sized + 'static, E: Executor, Q: EventQueue>(
    service: &Arc<Service<J, E>>,
    queue: &Q,
) -> Result<BatchOutcome, String> {
    let batch = queue.receive().await?;
    let mut outcome = BatchOutcome::default();
    let metrics = &service.metrics;
    for message in batch {
        metrics.requests.fetch_add(1, Ordering::Relaxed);
        let signals = match Signal::from_event_all(message.body.as_bytes()) {
            Ok(signals) => signals,
            Err(e) => {
                // Redelivered until the redrive policy moves it aside.
                eprintln!("heal: queue message {}: {e}", message.id);
                metrics.rejected.fetch_add(1, Ordering::Relaxed);
                outcome.kept += 1;
                continue;
            }
        };
        if !signals.is_empty() {
            let count = signals.len();
            let journal = Arc::clone(&service.engine.journal);
            let stored =
                tokio::task::spawn_blocking(move || journal.record_signals(&signals, now())).await;
            match stored {
                Ok(Ok(new)) => {
                    metrics.signals.fetch_add(new as u64, Ordering::Relaxed);
                    metrics
                        .duplicates
                        .fetch_add((count - new) as u64, Ordering::Relaxed);
                    service.wake.notify_one();
                    outcome.recorded += 1;
                }
                Ok(Err(e)) => {
                    eprintln!("heal: journal: {e}");
                    outcome.kept += 1;
                    continue;
                }
                Err(e) => {
                    eprintln!("heal: journal: {e}");
                    outcome.kept += 1;
                    continue;
                }
            }
        } else {
            outcome.ignored += 1;
        }
        // Durable first; a failed delete only means a redelivery, which
        // the journal recognises.
        if let Err(e) = queue.delete(&message.receipt).await {
            eprintln!("heal: deleting queue message {}: {e}", message.id);
        }
    }
    Ok(outcome)
}

/// Reads the queue until the process stops; backs off while the queue
/// cannot be read.
pub async fn consume<J: Journal + ?Sized + 'static, E: Executor, Q: EventQueue>(
    service: Arc<Service<J, E>>,
    queue: Q,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match consume_once(&service, &queue).await {
            Ok(_) => backoff = Duration::from_secs(1),
            Err(e) => {
                eprintln!("heal: reading the event queue: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}
