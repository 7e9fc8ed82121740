"""DuckDB's side of the aggregation benchmark (crates/cost/benches/aggregate.rs).

    python aggregate_duckdb.py FILE.parquet ACCOUNTS.json

The same aggregation as `landfall cost ingest` on a CUR 2.0 file, in SQL:
each line's domain from its account (a VALUES table of the account map),
a shared account's line by its `user:landfall:domain` tag when the tag names a
domain, else `unallocated`; amortized cost by the line item type; summed
per domain, service and day. Prints one JSON object: seconds (the query
alone, import and connection excluded), the process's peak resident set
(VmHWM, so the Python interpreter is included), the threads DuckDB used, and
the groups.
"""

import json
import sys
import time

import duckdb


def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def main():
    path, accounts_path = sys.argv[1], sys.argv[2]
    with open(accounts_path) as f:
        spec = json.load(f)
    rows = ", ".join(
        f"({quote(a['name'])}, {quote(a['domain']) if a['domain'] else 'NULL'}, {'true' if a['shared'] else 'false'})"
        for a in spec["accounts"]
    )
    domains = ", ".join(quote(d) for d in spec["domains"])
    sql = f"""
    WITH accounts(name, domain, shared) AS (VALUES {rows}),
    lines AS (
      SELECT
        CASE
          WHEN a.name IS NULL THEN 'unallocated'
          WHEN NOT a.shared THEN a.domain
          WHEN NULLIF(l.resource_tags['user:landfall:domain'], '') IN ({domains}) THEN l.resource_tags['user:landfall:domain']
          ELSE 'unallocated'
        END AS domain,
        COALESCE(NULLIF(l.line_item_product_code, ''), '(none)') AS service,
        epoch_ms(l.line_item_usage_start_date) // 86400000 AS day,
        COALESCE(l.line_item_unblended_cost, 0) AS billed,
        CASE l.line_item_line_item_type
          WHEN 'SavingsPlanCoveredUsage' THEN COALESCE(l.savings_plan_savings_plan_effective_cost, 0)
          WHEN 'DiscountedUsage' THEN COALESCE(l.reservation_effective_cost, 0)
          WHEN 'SavingsPlanNegation' THEN 0
          WHEN 'SavingsPlanUpfrontFee' THEN 0
          WHEN 'SavingsPlanRecurringFee' THEN COALESCE(l.savings_plan_total_commitment_to_date, 0)
                                             - COALESCE(l.savings_plan_used_commitment, 0)
          WHEN 'RIFee' THEN COALESCE(l.reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                          + COALESCE(l.reservation_unused_recurring_fee, 0)
          ELSE COALESCE(l.line_item_unblended_cost, 0)
        END AS effective
      FROM read_parquet({quote(path)}) l
      LEFT JOIN accounts a ON a.name = COALESCE(l.line_item_usage_account_name, '')
    )
    SELECT domain, service, day, SUM(billed), SUM(effective)
    FROM lines GROUP BY domain, service, day
    """
    connection = duckdb.connect()
    threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
    start = time.perf_counter()
    groups = connection.execute(sql).fetchall()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_kib": peak_kib(),
                "threads": threads,
                "version": duckdb.__version__,
                "groups": [[d, s, int(day), b, e] for d, s, day, b, e in groups],
            }
        )
    )


main()
