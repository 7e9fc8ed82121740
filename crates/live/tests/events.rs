//! `landfall heal`'s event queue against moto server's SQS: a message is
//! deleted only after its signal is journaled, a redelivered event is one
//! signal, and what is not an event stays for the dead-letter queue.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use landfall_heal::journal::Journal;
use landfall_heal::queue::consume_once;
use landfall_heal::server::{Executor, Service};
use landfall_heal::{Engine, Rulebook, SqliteJournal};
use landfall_live::events::SqsQueue;
use landfall_live::{ConnectOptions, Session};

struct Refuses;

impl Executor for Refuses {
    fn execute(&self, _kind: &str, _target: &str, _id: &str) -> Result<String, String> {
        Err("this test runs no action".into())
    }
}

fn alarm(state: &str, previous: &str) -> String {
    serde_json::json!({
        "version": "0", "id": "4f2b7a9e", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "123456789012", "time": "2026-12-06T10:05:00Z",
        "region": "eu-central-1", "resources": [],
        "detail": {
            "alarmName": "landfall/EcsServiceBelowDesiredCount/service=order-gateway/environment=prod",
            "previousState": { "value": previous, "timestamp": "2026-12-06T10:00:00.000+0000" },
            "state": { "value": state, "timestamp": "2026-12-06T10:05:00.000+0000" }
        }
    })
    .to_string()
}

#[test]
fn queued_events_are_journaled_once_then_deleted_and_garbage_stays() {
    let Some(url) = support::endpoint_or_skip("queued_events_are_journaled_once_then_deleted")
    else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let session = Session::connect(ConnectOptions {
            endpoint_url: Some(url.clone()),
            profile: None,
            home_region: "eu-central-1".into(),
            max_attempts: 0,
        })
        .await;
        let sqs = session.management().await.unwrap().sqs();
        let name = format!("landfall-heal-events-{}", std::process::id());
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            // What is kept comes back quickly in the test.
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "1",
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        // The alarm fires; EventBridge delivers it twice (at-least-once);
        // then something that is no event; then INSUFFICIENT_DATA.
        for body in [
            alarm("ALARM", "OK"),
            alarm("ALARM", "OK"),
            "{\"not\": \"an event\"}".to_owned(),
            alarm("INSUFFICIENT_DATA", "ALARM"),
        ] {
            sqs.send_message()
                .queue_url(&queue_url)
                .message_body(body)
                .send()
                .await
                .unwrap();
        }

        let journal = Arc::new(SqliteJournal::in_memory().unwrap());
        let resolved = landfall_model::reference();
        let (rulebook, _) = Rulebook::from_model(resolved.model.as_ref().unwrap());
        let engine = Engine {
            journal: Arc::clone(&journal),
            rulebook,
            dry_run: true,
        };
        let service = Service::new(engine, Refuses, "token-0123456789abcdef".into());
        let queue = SqsQueue::connect(&session, &queue_url)
            .await
            .unwrap()
            .with_wait(Duration::from_secs(1));
        let mut recorded = 0;
        let mut ignored = 0;
        for _ in 0..10 {
            let outcome = consume_once(&service, &queue).await.unwrap();
            recorded += outcome.recorded;
            ignored += outcome.ignored;
            if recorded == 2 && ignored == 1 {
                break;
            }
        }
        assert_eq!((recorded, ignored), (2, 1));
        // One signal for the two deliveries, with its target's labels.
        let undecided = journal.undecided(10).unwrap();
        assert_eq!(undecided.len(), 1, "{undecided:#?}");
        let signal = &undecided[0].0;
        assert_eq!(signal.alertname, "EcsServiceBelowDesiredCount");
        assert_eq!(signal.labels["service"], "order-gateway");
        assert_eq!(signal.labels["environment"], "prod");

        // Only the message that is no event is left, back after its
        // visibility timeout, and kept again.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let left = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .send()
            .await
            .unwrap();
        let bodies: Vec<&str> = left.messages().iter().filter_map(|m| m.body()).collect();
        assert_eq!(bodies, ["{\"not\": \"an event\"}"]);
        sqs.delete_queue()
            .queue_url(&queue_url)
            .send()
            .await
            .unwrap();
    });
}
