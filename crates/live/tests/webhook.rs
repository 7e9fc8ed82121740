//! The chat webhook poster against a loopback server: the JSON arrives as
//! posted, messages are at least a second apart, a refusal is an error that
//! names the answer, and only https:// (or http:// to this host) is taken.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Instant;

use landfall_cost::notify::ChatSender;
use landfall_live::webhook::{WebhookChat, MESSAGE_INTERVAL};

/// Serves `answers.len()` requests, one connection each; sends back each
/// request's head, body and arrival time.
fn server(answers: Vec<&'static str>) -> (String, mpsc::Receiver<(String, String, Instant)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/services/T0/B0/x",
        listener.local_addr().unwrap().port()
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for answer in answers {
            let (stream, _) = listener.accept().unwrap();
            let arrived = Instant::now();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            write!(
                stream,
                "{answer}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            )
            .unwrap();
            tx.send((head, String::from_utf8(body).unwrap(), arrived))
                .unwrap();
        }
    });
    (url, rx)
}

#[test]
fn messages_arrive_as_posted_a_second_apart() {
    let (url, received) = server(vec![
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 400 Bad Request",
    ]);
    let mut chat = WebhookChat::new(&url).unwrap();
    let first = serde_json::json!({"text": "Spend of web: forecast USD 18265.90", "blocks": []});
    let second = serde_json::json!({"text": "Spend of trading", "channel": "#trading-oncall"});
    chat.post(&first).unwrap();
    chat.post(&second).unwrap();
    let (head, body, at_first) = received.recv().unwrap();
    assert!(
        head.starts_with("POST /services/T0/B0/x HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        first
    );
    let (_, body, at_second) = received.recv().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        second
    );
    assert!(at_second - at_first >= MESSAGE_INTERVAL - std::time::Duration::from_millis(20));
    let refused = chat.post(&first).unwrap_err();
    assert!(
        refused.contains("answered 400 Bad Request: ok"),
        "{refused}"
    );
}

#[test]
fn only_https_or_this_host() {
    for bad in [
        "http://hooks.example.com/x",
        "ftp://127.0.0.1/x",
        "not a url",
    ] {
        let error = WebhookChat::new(bad).err().expect(bad).to_string();
        assert!(error.contains(bad), "{error}");
    }
    assert!(WebhookChat::new("https://hooks.example.com/services/x").is_ok());
}

fn event() -> landfall_access::Event {
    landfall_access::Event {
        grant: "g-1".into(),
        state: landfall_access::State::Active,
        by: "cy".into(),
        at: "2026-12-06T18:00:00Z".into(),
        requester: "ana".into(),
        account: "payments-prod".into(),
        permission_set: "OnCallProduction".into(),
        reason: "settlement stuck".into(),
        ticket: Some("INC-42".into()),
        expires_at: Some("2026-12-06T20:00:00Z".into()),
        break_glass: false,
        text: "access g-1 granted: ana · OnCallProduction in payments-prod · settlement stuck (INC-42) · until 2026-12-06T20:00:00Z · by cy".into(),
    }
}

#[test]
fn an_on_call_change_is_posted_as_its_line_for_people() {
    use landfall_access::Announcer;
    let (url, received) = server(vec!["HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"]);
    let chat = landfall_live::webhook::ChatAnnouncer::new(&url).unwrap();
    chat.announce(&event()).unwrap();
    let (_, body, _) = received.recv().unwrap();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, serde_json::json!({ "text": event().text }));
    // A refusal is said, with the answer.
    let refused = chat.announce(&event()).unwrap_err();
    assert!(refused.contains("403"), "{refused}");
}
