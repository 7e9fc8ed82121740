#!/usr/bin/env bash
# Regenerates crates/cost/data/prices.tsv, the price list `landfall cost
# forecast` prices launches from, from the AWS Price List Bulk API offer
# files (public, no credentials):
#
#   https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<ServiceCode>/current/<region>/index.json
#
# (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api.html;
# the JSON layout, `products` by SKU with their `attributes` and
# `terms.OnDemand` by SKU and offer term with their `priceDimensions`, is
# https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html).
#
#   scripts/refresh-prices.sh                       # the default regions
#   scripts/refresh-prices.sh eu-central-1 eu-west-1
#   OFFERS=DIR scripts/refresh-prices.sh ...        # read DIR/<ServiceCode>/<region>/index.json
#                                                   # instead of downloading (kept in DIR when downloaded)
#   OUT=FILE scripts/refresh-prices.sh ...          # write FILE instead of the committed list
#   EC2_TYPES="c7i.metal-24xl ..." scripts/refresh-prices.sh
#
# Only On-Demand prices in USD are kept, one row per service code, region
# and Landfall usage (see crates/cost/src/prices.rs for the usages); the
# `effective` column is the offer term's effectiveDate, `source` the offer
# file's address. The rows are sorted, so a refresh's diff shows what moved.
# Each usage family found is counted on stderr: one that finds nothing means
# the offer file's attributes changed and this script needs a look.
# Afterwards `cargo test -p landfall-cost --test launches` checks the file.
set -euo pipefail
cd "$(dirname "$0")/.."

REGIONS=("$@")
if [ ${#REGIONS[@]} -eq 0 ]; then
  REGIONS=(eu-central-1 eu-west-1 us-east-1)
fi
OUT=${OUT:-crates/cost/data/prices.tsv}
if [ -z "${OFFERS:-}" ]; then
  OFFERS=$(mktemp -d)
  trap 'rm -rf "$OFFERS"' EXIT
fi
EC2_TYPES=${EC2_TYPES:-c7i.metal-24xl}
BASE=https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws
SERVICES=(AmazonECS AmazonEC2 AmazonRDS AmazonElastiCache AmazonMSK AWSELB awskms)

for service in "${SERVICES[@]}"; do
  for region in "${REGIONS[@]}"; do
    file="$OFFERS/$service/$region/index.json"
    if [ ! -s "$file" ]; then
      mkdir -p "$(dirname "$file")"
      echo "downloading $BASE/$service/current/$region/index.json" >&2
      curl --fail --silent --show-error --location --retry 3 \
        -o "$file.part" "$BASE/$service/current/$region/index.json"
      mv "$file.part" "$file"
    fi
  done
done

tmp=$(mktemp)
python3 - "$OFFERS" "$BASE" "$EC2_TYPES" "${REGIONS[@]}" >"$tmp" <<'PYTHON'
import json
import re
import sys
from collections import Counter

offers, base, ec2_types = sys.argv[1], sys.argv[2], set(sys.argv[3].split())
regions = sys.argv[4:]
# Usage types carry a region prefix (`EUC1-`), except in us-east-1.
PREFIX = r"(?:[A-Z0-9]+-)?"
# Offer-file engine names to the CloudFormation `Engine` values the spec uses.
RDS_ENGINES = {"PostgreSQL": "postgres", "MySQL": "mysql", "MariaDB": "mariadb"}
DEPLOYMENT = {"Single-AZ": "single-az", "Multi-AZ": "multi-az"}


def usage(service, product):
    """Landfall's (usage, unit) for an offer-file product, or None."""
    a = product.get("attributes", {})
    family = product.get("productFamily", "")
    ut = a.get("usagetype", "")
    if service == "AmazonECS":
        if re.fullmatch(PREFIX + r"Fargate-vCPU-Hours:perCPU", ut):
            return "fargate-vcpu", "Hrs"
        if re.fullmatch(PREFIX + r"Fargate-GB-Hours", ut):
            return "fargate-gb", "Hrs"
    elif service == "AmazonEC2":
        if (
            family == "Compute Instance"
            and a.get("instanceType") in ec2_types
            and a.get("operatingSystem") == "Linux"
            and a.get("tenancy") == "Shared"
            and a.get("preInstalledSw") == "NA"
            and a.get("capacitystatus") == "Used"
            and a.get("licenseModel") == "No License required"
        ):
            return "instance:" + a["instanceType"], "Hrs"
    elif service == "AmazonRDS":
        engine = a.get("databaseEngine", "")
        # Aurora Standard (not I/O-Optimized) instance hours.
        if family == "Database Instance" and re.fullmatch(PREFIX + r"InstanceUsage:db\..+", ut):
            if engine in ("Aurora MySQL", "Aurora PostgreSQL"):
                flavor = "aurora-mysql" if engine == "Aurora MySQL" else "aurora-postgresql"
                return flavor + ":" + a["instanceType"], "Hrs"
            if engine in RDS_ENGINES and a.get("deploymentOption") == "Single-AZ":
                return RDS_ENGINES[engine] + ":" + a["instanceType"] + ":single-az", "Hrs"
        if family == "Database Instance" and re.fullmatch(PREFIX + r"Multi-AZUsage:db\..+", ut):
            if engine in RDS_ENGINES and a.get("deploymentOption") == "Multi-AZ":
                return RDS_ENGINES[engine] + ":" + a["instanceType"] + ":multi-az", "Hrs"
        if (
            family == "Database Storage"
            and a.get("volumeType") == "General Purpose-GP3"
            and a.get("deploymentOption") in DEPLOYMENT
            and engine in ("Any", "PostgreSQL", "MySQL")
        ):
            return "gp3-storage:" + DEPLOYMENT[a["deploymentOption"]], "GB-Mo"
    elif service == "AmazonElastiCache":
        if family == "Cache Instance" and re.fullmatch(PREFIX + r"NodeUsage:cache\..+", ut):
            engine = a.get("cacheEngine", "")
            if engine in ("Valkey", "Memcached"):
                return engine.lower() + ":" + a["instanceType"], "Hrs"
    elif service == "AmazonMSK":
        m = re.fullmatch(PREFIX + r"Kafka\.(m\d+g?\.[0-9a-z]+)", ut)
        if m:
            return "broker:kafka." + m.group(1), "Hrs"
        if re.fullmatch(PREFIX + r"Kafka\.Storage\.GP2", ut):
            return "broker-storage", "GB-Mo"
    elif service == "AWSELB":
        if re.fullmatch(PREFIX + r"LoadBalancerUsage", ut) and a.get("operation") == "LoadBalancing:Application":
            return "alb", "Hrs"
    elif service == "awskms":
        if re.fullmatch(PREFIX + r"KMS-Keys", ut):
            return "key", "Mo"
    return None


rows = {}
found = Counter()
for service in ["AmazonECS", "AmazonEC2", "AmazonRDS", "AmazonElastiCache", "AmazonMSK", "AWSELB", "awskms"]:
    for region in regions:
        path = f"{offers}/{service}/{region}/index.json"
        with open(path) as f:
            offer = json.load(f)
        source = f"{base}/{service}/current/{region}/index.json"
        on_demand = offer.get("terms", {}).get("OnDemand", {})
        for sku in sorted(offer.get("products", {})):
            mapped = usage(service, offer["products"][sku])
            if mapped is None:
                continue
            name, unit = mapped
            for term_code in sorted(on_demand.get(sku, {})):
                term = on_demand[sku][term_code]
                for dimension in term.get("priceDimensions", {}).values():
                    if dimension.get("beginRange", "0") != "0":
                        continue
                    usd = dimension.get("pricePerUnit", {}).get("USD")
                    if usd is None:
                        continue
                    key = (service, region, name)
                    if key in rows:
                        print(f"note: a second {service} {region} {name} ({sku}) ignored", file=sys.stderr)
                        continue
                    price = f"{float(usd):.10f}".rstrip("0").rstrip(".") or "0"
                    rows[key] = (unit, price, term.get("effectiveDate", "")[:10], source)
                    found[(service, name.split(":")[0])] += 1
for (service, family), count in sorted(found.items()):
    print(f"{service} {family}: {count} prices", file=sys.stderr)
for service, family in [
    ("AmazonECS", "fargate-vcpu"), ("AmazonECS", "fargate-gb"), ("AmazonEC2", "instance"),
    ("AmazonRDS", "aurora-mysql"), ("AmazonRDS", "aurora-postgresql"), ("AmazonElastiCache", "valkey"),
    ("AmazonMSK", "broker"), ("AmazonMSK", "broker-storage"), ("AWSELB", "alb"), ("awskms", "key"),
]:
    if not found[(service, family)]:
        print(f"warning: no {service} {family} price found: have the offer file's attributes changed?", file=sys.stderr)
print("service\tregion\tusage\tunit\tusd\teffective\tsource")
for (service, region, name), (unit, price, effective, source) in sorted(rows.items()):
    print("\t".join([service, region, name, unit, price, effective, source]))
PYTHON

{
  echo "# Public On-Demand prices Landfall prices launches from (\`landfall cost forecast\`)."
  echo "#"
  echo "# Generated by scripts/refresh-prices.sh on $(date -u +%Y-%m-%d) from the AWS Price List"
  echo "# Bulk API offer files ($BASE/<ServiceCode>/current/<region>/index.json):"
  echo "# \`effective\` is the offer term's effectiveDate, \`source\` the offer file."
  echo "# Regions: ${REGIONS[*]}."
  echo "#"
  echo "# Columns (tab-separated): service code, region, usage (see crates/cost/src/prices.rs),"
  echo "# unit (Hrs | Mo | GB-Mo), USD per unit, effective date, source."
  cat "$tmp"
} >"$OUT"
rm -f "$tmp"
echo "wrote $OUT ($(grep -vc '^#' "$OUT") lines with the header); check it with: cargo test -p landfall-cost --test launches" >&2
