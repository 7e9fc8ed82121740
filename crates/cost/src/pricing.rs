//! What an inventory item costs a month, infracost-style: one line per
//! priced usage (resource, quantity, unit price, monthly), from the price
//! list snapshot ([`crate::prices`]). A usage the list has no price for in
//! the item's region is listed as not priced, as are the resources whose
//! cost depends on use; neither is ever counted as zero silently.

use serde::Serialize;

use crate::inventory::{Item, Quantity};
use crate::prices::PriceList;

/// One priced usage of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub resource: String,
    pub service: String,
    pub usage: String,
    pub quantity: f64,
    /// `Hrs`, `Mo` or `GB-Mo`.
    pub unit: String,
    pub unit_price: f64,
    /// quantity × unit price × units a month (730 hours for hourly prices).
    pub monthly: f64,
    /// The price list row's source and effective date.
    pub source: String,
    pub effective: String,
}

/// Something an item creates that the estimate does not include.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotPriced {
    pub resource: String,
    pub reason: String,
}

/// The monthly estimate of one item (or of a change in its quantities).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Estimate {
    pub monthly: f64,
    pub lines: Vec<Line>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_priced: Vec<NotPriced>,
}

/// Prices `quantities` held in `region`; `usage_based` are listed as not
/// priced.
pub fn estimate(
    prices: &PriceList,
    region: &str,
    quantities: &[Quantity],
    usage_based: &[String],
) -> Estimate {
    let mut out = Estimate::default();
    for q in quantities {
        match prices.get(&q.service, region, &q.usage) {
            Some(price) => {
                let monthly = q.quantity * price.usd * price.unit.per_month();
                out.monthly += monthly;
                out.lines.push(Line {
                    resource: q.resource.clone(),
                    service: q.service.clone(),
                    usage: q.usage.clone(),
                    quantity: q.quantity,
                    unit: price.unit.as_str().to_string(),
                    unit_price: price.usd,
                    monthly,
                    source: price.source.clone(),
                    effective: price.effective.clone(),
                });
            }
            None => out.not_priced.push(NotPriced {
                resource: q.resource.clone(),
                reason: format!(
                    "no price for {} `{}` in {region} in the price list (scripts/refresh-prices.sh)",
                    q.service, q.usage
                ),
            }),
        }
    }
    out.not_priced
        .extend(usage_based.iter().map(|resource| NotPriced {
            resource: resource.clone(),
            reason: "depends on use".to_string(),
        }));
    out
}

/// An item's full monthly estimate.
pub fn price(prices: &PriceList, item: &Item) -> Estimate {
    estimate(prices, &item.region, &item.quantities, &item.usage_based)
}
