//! Attribution never creates or loses money: whatever the accounts, tags and
//! amounts, the attributed rows sum to the bill, per account, and the
//! unallocated report is exactly what went to `unallocated`.

#![allow(clippy::unwrap_used, reason = "test")]

use std::collections::BTreeMap;

use landfall_cost::attribution::{AccountMap, UNALLOCATED};
use landfall_cost::date::Date;
use landfall_cost::lines::{ChargeCategory, Line};
use landfall_cost::store::Attributed;
use proptest::prelude::*;

const ACCOUNTS: [&str; 6] = [
    "trading-prod",
    "web-dev",
    "shared-services",
    "networking",
    "legacy",
    "",
];
const TAGS: [Option<&str>; 4] = [None, Some("trading"), Some("web"), Some("no-such-domain")];
const CHARGES: [ChargeCategory; 5] = [
    ChargeCategory::Usage,
    ChargeCategory::Purchase,
    ChargeCategory::Tax,
    ChargeCategory::Credit,
    ChargeCategory::Adjustment,
];

fn accounts() -> AccountMap {
    let mut map = AccountMap::new(["trading", "web"].map(String::from));
    map.owned("trading-prod", "trading", "prod");
    map.owned("web-dev", "web", "dev");
    map.shared("shared-services");
    map.shared("networking");
    map
}

fn line() -> impl Strategy<Value = Line> {
    (
        0..ACCOUNTS.len(),
        0..TAGS.len(),
        0..CHARGES.len(),
        0i32..31,
        0usize..3,
        -50_000i64..500_000,
        -50_000i64..500_000,
    )
        .prop_map(|(a, t, c, day, service, billed, effective)| Line {
            payer: "111111111111".into(),
            invoice_id: None,
            account_id: format!("2100000000{a:02}"),
            account_name: ACCOUNTS[a].into(),
            day: Date::parse("2025-09-01").unwrap().add_days(day),
            service: ["AmazonEC2", "AmazonS3", "AWSELB"][service].into(),
            charge: CHARGES[c],
            billed: billed as f64 / 100.0,
            effective: effective as f64 / 100.0,
            domain_tag: TAGS[t].map(str::to_string),
        })
}

proptest! {
    #[test]
    fn attributions_sum_to_the_bill(lines in prop::collection::vec(line(), 0..300)) {
        let map = accounts();
        let mut attributed = Attributed::default();
        for line in &lines {
            attributed.add(line, &map);
        }
        let cents = |v: f64| (v * 100.0).round() as i64;
        let mut bill: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for line in &lines {
            let e = bill.entry(line.account_id.clone()).or_default();
            e.0 += cents(line.billed);
            e.1 += cents(line.effective);
        }
        let mut rows: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut unallocated = 0;
        for (key, (billed, effective)) in &attributed.rows {
            let e = rows.entry(key.1.clone()).or_default();
            e.0 += cents(*billed);
            e.1 += cents(*effective);
            if key.3 == UNALLOCATED {
                unallocated += cents(*billed);
            }
            // Owned accounts never leak to another domain.
            match key.2.as_str() {
                "trading-prod" => prop_assert_eq!(&key.3, "trading"),
                "web-dev" => prop_assert_eq!(&key.3, "web"),
                "legacy" | "" => prop_assert_eq!(&key.3, UNALLOCATED),
                _ => {}
            }
        }
        prop_assert_eq!(rows, bill);
        prop_assert_eq!(attributed.unallocated.values().map(|v| cents(*v)).sum::<i64>(), unallocated);
    }
}
