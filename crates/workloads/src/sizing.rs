//! Task counts from declared throughput.
//!
//! A service that declares `peak_rps` and `rps_per_task` (what one task
//! sustains, measured) is sized so that its peak fits with headroom:
//!
//! - tasks needed at peak = ⌈peak_rps / rps_per_task⌉;
//! - with 25% headroom = needed + ⌈needed / 4⌉ (the model's own check uses
//!   the same figure when it says `max_tasks` is too low);
//! - maximum = the larger of the declared `max_tasks` and that figure;
//! - minimum and desired = the declared `min_tasks` (at least two in
//!   production, which the model enforces: one per AZ survives an outage);
//! - scaling tracks requests per task at 80% of a task's capacity
//!   (`ALBRequestCountPerTarget`, a per-minute count: `rps_per_task × 60 ×
//!   0.8`), so scale-out starts before tasks saturate — the same 1/0.8 = 25%
//!   headroom.
//!
//! Without declared throughput, tasks scale on CPU at 60%.
//!
//! Outside production a service runs one task and at most two: test
//! environments are not sized for production load.
//!
//! The blueprint's API: 6,000 requests/s on average, 61,000 at peak. At 500
//! requests/s per task, 122 tasks carry the peak, 153 with headroom, and
//! scaling targets 24,000 requests per task per minute.

use landfall_model::{Environment, Service};

/// Headroom over the tasks a peak needs, in percent.
pub const HEADROOM_PERCENT: u32 = 25;
/// Utilisation a task is scaled to, in percent of its measured capacity.
pub const TARGET_UTILISATION_PERCENT: u32 = 80;
/// CPU utilisation target when throughput is not declared.
pub const CPU_TARGET_PERCENT: u32 = 60;

/// What a service runs with in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaling {
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    /// Tasks the declared peak needs, without headroom.
    pub needed_at_peak: Option<u32>,
    /// The same with headroom.
    pub with_headroom: Option<u32>,
    /// Target of `ALBRequestCountPerTarget` (requests per task per minute),
    /// when throughput is declared and the service has a load balancer.
    pub requests_per_task_per_minute: Option<u32>,
}

/// Sizes a service for an environment.
pub fn size(service: &Service, env: &Environment) -> Scaling {
    let t = service.tasks;
    let (needed, with_headroom) = match (t.peak_rps, t.rps_per_task) {
        (Some(peak), Some(per_task)) if per_task > 0 => {
            let needed = peak.div_ceil(per_task);
            (
                Some(needed),
                Some(needed.saturating_add(needed.div_ceil(100 / HEADROOM_PERCENT))),
            )
        }
        _ => (None, None),
    };
    let target = match (t.rps_per_task, service.ingress) {
        (
            Some(per_task),
            landfall_spec::types::Ingress::Public | landfall_spec::types::Ingress::Internal,
        ) if per_task > 0 => Some(
            per_task
                .saturating_mul(60)
                .saturating_mul(TARGET_UTILISATION_PERCENT)
                / 100,
        )
        .filter(|v| *v > 0),
        _ => None,
    };
    if env.production {
        let min = t.min.max(1);
        let max = t.max.max(with_headroom.unwrap_or(0)).max(min);
        Scaling {
            min,
            desired: min,
            max,
            needed_at_peak: needed,
            with_headroom,
            requests_per_task_per_minute: target,
        }
    } else {
        Scaling {
            min: 1,
            desired: 1,
            max: t.max.clamp(1, 2),
            needed_at_peak: needed,
            with_headroom,
            requests_per_task_per_minute: target,
        }
    }
}
