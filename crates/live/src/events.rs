//! The remediation service's event queue, over SQS: what the platform's
//! EventBridge rules deliver (the alerting layer's `landfall-heal-events`),
//! read with long polling and deleted only once the service journaled it
//! (`landfall_heal::queue`).

use std::time::Duration;

use landfall_heal::queue::{EventQueue, QueuedMessage};

use crate::aws::Session;
use crate::error::LiveError;

/// One SQS queue, read by the management account's credentials (the
/// queue's policy admits that account).
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    wait: Duration,
}

impl SqsQueue {
    /// The queue at `url`, in the session's home region, long-polling up
    /// to 20 seconds (SQS's longest).
    pub async fn connect(session: &Session, url: &str) -> Result<SqsQueue, LiveError> {
        let clients = session.management().await?;
        Ok(SqsQueue {
            client: clients.sqs(),
            url: url.to_owned(),
            wait: Duration::from_secs(20),
        })
    }

    /// Another long-polling wait (tests shorten it).
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> SqsQueue {
        self.wait = wait.min(Duration::from_secs(20));
        self
    }
}

impl EventQueue for SqsQueue {
    async fn receive(&self) -> Result<Vec<QueuedMessage>, String> {
        let wait = i32::try_from(self.wait.as_secs()).unwrap_or(20);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait)
            .send()
            .await
            .map_err(|e| {
                LiveError::api(format!("sqs:ReceiveMessage on `{}`", self.url), &e).to_string()
            })?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                Some(QueuedMessage {
                    id: m.message_id()?.to_owned(),
                    receipt: m.receipt_handle()?.to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), String> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                LiveError::api(format!("sqs:DeleteMessage on `{}`", self.url), &e).to_string()
            })
    }
}
