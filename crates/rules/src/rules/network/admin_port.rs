//! Shared check: an administrative port reachable from the whole internet.

use crate::registry::{Check, Violation};
use crate::rules::helpers::{all_traffic, ingress_entries, open_sources, path_refs, tcp_ports};

/// Reports every ingress entry that opens `port` (inside any port range,
/// protocol `-1` included) to `0.0.0.0/0` or `::/0`.
pub(crate) fn check_port(check: &Check<'_>, port: i64, service: &str, out: &mut Vec<Violation>) {
    for (path, entry) in ingress_entries(check.resource, check.props) {
        let sources = open_sources(entry);
        if sources.is_empty() {
            continue;
        }
        let Some((from, to)) = tcp_ports(entry) else {
            continue;
        };
        if from <= port && port <= to {
            let how = if all_traffic(entry) {
                "all traffic (protocol -1)".to_owned()
            } else if from == to {
                format!("port {port}")
            } else {
                format!("ports {from}-{to}, which include {port}")
            };
            out.push(
                Violation::new(format!(
                    "{service} reachable from the internet: {how} open to {}",
                    sources
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ))
                .at(&path_refs(&path)),
            );
        }
    }
}
