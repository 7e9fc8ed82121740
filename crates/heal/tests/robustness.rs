//! No webhook body panics the service: the captured Alertmanager payloads
//! mutated at random (bytes inserted, removed, replaced, cut short) either
//! parse and decide, or are refused with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::sync::Arc;

use landfall_heal::{AlertmanagerPayload, Engine, Rulebook, SqliteJournal};
use proptest::prelude::*;

const CAPTURED: &str = include_str!("fixtures/alertmanager-webhook-v4-captured.json");
const RESOLVED: &str = include_str!("fixtures/alertmanager-webhook-v4-resolved-truncated.json");

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, u8),
    Remove(usize),
    Replace(usize, u8),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop::sample::select(b"{}[]\":,0123456789abc\\ \n-T.Ze\xff\x00".to_vec());
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
        (any::<usize>(), interesting).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut body: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = body.len().max(1);
        match *e {
            Edit::Insert(i, b) => body.insert(i % (body.len() + 1), b),
            Edit::Remove(i) if !body.is_empty() => {
                body.remove(i % n);
            }
            Edit::Replace(i, b) if !body.is_empty() => body[i % n] = b,
            Edit::Truncate(i) => body.truncate(i % n),
            _ => {}
        }
    }
    body
}

fn engine() -> Engine<SqliteJournal> {
    let resolved = landfall_model::reference();
    let (book, _) = Rulebook::from_model(resolved.model.as_ref().unwrap());
    Engine {
        journal: Arc::new(SqliteJournal::in_memory().unwrap()),
        rulebook: book,
        dry_run: true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_payloads_never_panic(which in any::<bool>(), edits in prop::collection::vec(edit(), 1..8)) {
        let base = if which { CAPTURED } else { RESOLVED };
        let body = apply(base.as_bytes().to_vec(), &edits);
        if let Ok(payload) = AlertmanagerPayload::parse(&body) {
            if let Ok(signals) = payload.signals() {
                let engine = engine();
                for s in &signals {
                    // Decided (refused, most likely), never a panic.
                    engine.decide(s, 1_796_518_900).unwrap();
                }
            }
        }
    }
}

#[test]
fn the_captured_payloads_parse() {
    for body in [CAPTURED, RESOLVED] {
        let payload = AlertmanagerPayload::parse(body.as_bytes()).unwrap();
        assert!(!payload.signals().unwrap().is_empty());
    }
}
