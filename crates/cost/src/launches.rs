//! Launches the spec knows about: what the current model runs that the
//! spec snapshot recorded at the last `cost ingest` did not (a new account,
//! service or store, or one grown in quantity), and what it no longer runs
//! (retirements), each priced ([`crate::pricing`]) and turned into its
//! contribution to this month's end and to next month.
//!
//! The assumption, stated with every forecast that carries launches: each
//! change takes effect on the day after the as-of day and runs for the rest
//! of the month (month end: its monthly price × remaining days / days in
//! the month) and the whole of next month (its monthly price, 730 hours).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::inventory::{Item, Kind, Quantity};
use crate::prices::PriceList;
use crate::pricing::{estimate, Estimate};

/// The assumption behind the contributions, shown with them.
pub const ASSUMPTION: &str = "each launch or retirement takes effect on the day after the as-of day: month end gets its monthly price for the remaining days of the month, next month the whole monthly price (730 hours)";

/// The inventory recorded at an ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When the ingest ran (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub taken: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the snapshot: a launch.
    New,
    /// More of it than in the snapshot: a launch of the difference.
    Grown,
    /// In the snapshot, no longer in the spec: a retirement.
    Removed,
    /// Less of it than in the snapshot: a retirement of the difference.
    Shrunk,
}

impl Change {
    pub fn is_launch(self) -> bool {
        matches!(self, Change::New | Change::Grown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Grown => "grown",
            Change::Removed => "removed",
            Change::Shrunk => "shrunk",
        }
    }
}

/// One launch or retirement, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Launch {
    pub domain: String,
    pub environment: String,
    pub region: String,
    pub kind: Kind,
    pub name: String,
    pub change: Change,
    /// The monthly price of the change: negative for a retirement.
    pub monthly: f64,
    /// Its contribution to this month's end.
    pub month_end: f64,
    /// Its contribution to next month.
    pub next_month: f64,
    /// The breakdown (quantities negative for a retirement).
    pub estimate: Estimate,
}

/// The launches and retirements since the spec snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Launches {
    /// When the snapshot compared against was taken; `None` when the store
    /// has none yet (nothing is added then).
    pub since: Option<String>,
    pub as_of: String,
    /// Days of the month after the as-of day.
    pub remaining_days: u32,
    pub days_in_month: u32,
    pub assumption: &'static str,
    pub items: Vec<Launch>,
}

impl Launches {
    /// Only the launches of `domain` (and `environment`, when given).
    pub fn of<'a>(
        &'a self,
        domain: &'a str,
        environment: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Launch> + 'a {
        self.items
            .iter()
            .filter(move |l| l.domain == domain && environment.is_none_or(|e| l.environment == e))
    }
}

fn round_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Compares the current inventory with the snapshot and prices every
/// difference, as of `as_of`.
pub fn compare(
    snapshot: Option<&Snapshot>,
    current: &[Item],
    prices: &PriceList,
    as_of: Date,
) -> Launches {
    let month = as_of.month();
    let days_in_month = month.len();
    let remaining_days = days_in_month.saturating_sub(as_of.day());
    let mut launches = Launches {
        since: snapshot.map(|s| s.taken.clone()),
        as_of: as_of.to_string(),
        remaining_days,
        days_in_month,
        assumption: ASSUMPTION,
        items: Vec::new(),
    };
    let Some(snapshot) = snapshot else {
        return launches;
    };
    let before: BTreeMap<_, &Item> = snapshot.items.iter().map(|i| (i.key(), i)).collect();
    let now: BTreeMap<_, &Item> = current.iter().map(|i| (i.key(), i)).collect();
    let mut push = |item: &Item, change: Change, estimate: Estimate| {
        let monthly = estimate.monthly;
        launches.items.push(Launch {
            domain: item.domain.clone(),
            environment: item.environment.clone(),
            region: item.region.clone(),
            kind: item.kind,
            name: item.name.clone(),
            change,
            monthly: round_cents(monthly),
            month_end: round_cents(
                monthly * f64::from(remaining_days) / f64::from(days_in_month.max(1)),
            ),
            next_month: round_cents(monthly),
            estimate,
        });
    };
    for (key, item) in &now {
        match before.get(key) {
            None => push(
                item,
                Change::New,
                estimate(prices, &item.region, &item.quantities, &item.usage_based),
            ),
            Some(previous) => {
                let delta = difference(&previous.quantities, &item.quantities);
                if delta.is_empty() {
                    continue;
                }
                let priced = estimate(prices, &item.region, &delta, &[]);
                let grew = if priced.monthly.abs() >= 0.005 {
                    priced.monthly > 0.0
                } else {
                    delta.iter().map(|q| q.quantity).sum::<f64>() > 0.0
                };
                push(
                    item,
                    if grew { Change::Grown } else { Change::Shrunk },
                    priced,
                );
            }
        }
    }
    for (key, item) in &before {
        if !now.contains_key(key) {
            let gone: Vec<Quantity> = item
                .quantities
                .iter()
                .map(|q| Quantity {
                    quantity: -q.quantity,
                    ..q.clone()
                })
                .collect();
            push(
                item,
                Change::Removed,
                estimate(prices, &item.region, &gone, &item.usage_based),
            );
        }
    }
    launches.items.sort_by(|a, b| {
        (&a.domain, &a.environment, &a.region, a.kind, &a.name).cmp(&(
            &b.domain,
            &b.environment,
            &b.region,
            b.kind,
            &b.name,
        ))
    });
    launches
}

/// Quantities that changed, as current minus previous (one per service and
/// usage; the resource text says what it was).
fn difference(previous: &[Quantity], current: &[Quantity]) -> Vec<Quantity> {
    let key = |q: &Quantity| (q.service.clone(), q.usage.clone());
    let was: BTreeMap<_, &Quantity> = previous.iter().map(|q| (key(q), q)).collect();
    let is: BTreeMap<_, &Quantity> = current.iter().map(|q| (key(q), q)).collect();
    let mut out = Vec::new();
    for q in current {
        let before = was.get(&key(q));
        let change = q.quantity - before.map_or(0.0, |b| b.quantity);
        if change.abs() > 1e-9 {
            out.push(Quantity {
                resource: match before {
                    Some(b) => format!("{} (was: {})", q.resource, b.resource),
                    None => q.resource.clone(),
                },
                quantity: change,
                ..q.clone()
            });
        }
    }
    for q in previous {
        if !is.contains_key(&key(q)) {
            out.push(Quantity {
                resource: format!("{} (no longer)", q.resource),
                quantity: -q.quantity,
                ..q.clone()
            });
        }
    }
    out
}
