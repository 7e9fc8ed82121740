//! The query reader of the consistency checks never panics, whatever the
//! text: generated queries mutated at random parse or are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_observability::checks::metrics_of;
use proptest::prelude::*;

const QUERIES: &[&str] = &[
    "sum by (domain, service, environment, region) (rate(app_http_server_requests_total{code=~\"5..\"}[5m]))\n/\nsum by (domain, service, environment, region) (rate(app_http_server_requests_total[5m]))",
    "(\n  slo:request_errors:ratio_rate1h{service=\"a\"} > 0.0144\nand\n  slo:request_errors:ratio_rate5m{service=\"a\"} > 0.0144\n)",
    "group by (domain, service) (max_over_time(internal_agent_metrics_gathered[1h]))\nunless\ngroup by (domain, service) (internal_agent_metrics_gathered)",
    "label_replace(x{cluster_name=~\"d-(prod|dev)\"} < y, \"environment\", \"$1\", \"cluster_name\", \"d-(.+)\")",
    "histogram_quantile(0.99, sum by (le) (rate(app_http_server_request_duration_seconds_bucket[5m])))",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_queries_never_panic(
        which in 0..QUERIES.len(),
        cuts in prop::collection::vec((any::<usize>(), prop::sample::select(vec!['(', ')', '{', '}', '"', '[', ']', ' ', 'x', '~', '=', ',', '5', '\\'])), 1..6),
    ) {
        let mut text: Vec<char> = QUERIES[which].chars().collect();
        for (i, c) in cuts {
            let at = i % (text.len() + 1);
            if i % 3 == 0 && !text.is_empty() {
                text.remove(at.min(text.len() - 1));
            } else {
                text.insert(at, c);
            }
        }
        let query: String = text.into_iter().collect();
        let _ = metrics_of(&query);
    }
}

#[test]
fn the_generated_shapes_parse() {
    for q in QUERIES {
        assert!(!metrics_of(q).unwrap().is_empty(), "{q}");
    }
}
