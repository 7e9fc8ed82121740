#!/usr/bin/env python3
"""Landfall and checkov side by side on the rule fixture corpus.

Runs checkov (`--framework cloudformation` on the templates,
`--framework terraform_plan` on the plans, always `--skip-download`) and
`landfall check --format json` on crates/rules/tests/fixtures, and writes
docs/checkov-comparison.md: for every checkov check that a Landfall rule
maps to (the `checkov` column of docs/rules.md), per resource, whether both
tools fail it, both pass it, or they disagree, with each disagreement
explained.

    python3 -m venv .venv && .venv/bin/pip install checkov
    scripts/compare-checkov.py            # writes docs/checkov-comparison.md
    scripts/compare-checkov.py --check    # fails if the report is stale
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/rules/tests/fixtures"

# Why the tools disagree, per (check, fixture file, resource). Every
# disagreement must have an entry: the script fails on an unexplained one.
EXPLANATIONS = {
    ("CKV_AWS_3", "cloudformation/ebs.fail.yaml", "PlainVolume"):
        "Encrypted is not set. checkov passes it; Landfall reports it because the volume is then encrypted only if "
        "the account's default encryption is on, which the template cannot show (the SCP and "
        "`ebs-default-encryption-disabled` keep that default on).",
    ("CKV_AWS_3", "cloudformation/ebs.fail.yaml", "ParameterDefaultUnencrypted"):
        "`Encrypted: !Ref EncryptVolumes` with the default `\"false\"`. A default is one value the stack may be "
        "deployed with: Landfall reports the volume \"when parameter `EncryptVolumes` keeps its default\" "
        "(`--parameter EncryptVolumes=true` pins it); checkov does not read the parameter and passes the volume.",
    ("CKV_AWS_3", "cloudformation/ebs.fail.yaml", "UnencryptedInOneBranch"):
        "`Encrypted: !If [UseFastDisks, true, false]` on a condition the template cannot decide. Landfall checks both "
        "branches and reports the false one with its condition; checkov passes the `Fn::If`.",
    ("CKV_AWS_3", "cloudformation/suppressions.yaml", "Scratch"):
        "Encrypted not set (see PlainVolume); Landfall's finding is suppressed inline with a reason and reported as suppressed.",
    ("CKV_AWS_3", "cloudformation/suppressions.yaml", "Unexplained"):
        "Encrypted not set (see PlainVolume); the suppression has no reason, so Landfall does not apply it.",
    ("CKV_AWS_3", "terraform/suppressions.tfplan.json", "aws_ebs_volume.scratch"):
        "Both see `encrypted = false`; Landfall's finding is suppressed by the `landfall:suppress` tag with a reason "
        "and still listed as suppressed. (checkov has its own skip comments, not used here.)",
    ("CKV_AWS_8", "cloudformation/ebs.fail.yaml", "LegacyWorkers"):
        "The launch configuration's block device does not set Encrypted. checkov passes it; Landfall reports it "
        "(encrypted only if the account default is on), as for PlainVolume.",
    ("CKV_AWS_8", "cloudformation/ebs.fail.yaml", "Host"):
        "checkov's CloudFormation CKV_AWS_8 covers `AWS::AutoScaling::LaunchConfiguration` only; the instance's "
        "`/dev/xvda` has `Encrypted: false` and is not checked by checkov at all.",
    ("CKV_AWS_24", "terraform/platform.fail.tfplan.json", "aws_security_group_rule.everything"):
        "Protocol `-1` from `0.0.0.0/0` opens port 22. checkov's CKV_AWS_24 on `aws_security_group_rule` only "
        "matches port ranges and misses protocol -1 (it reports CKV_AWS_277 instead); Landfall reports SSH and all traffic.",
    ("CKV_AWS_24", "cloudformation/network.fail.yaml", "StandaloneRange"):
        "A standalone `AWS::EC2::SecurityGroupIngress` with ports written as strings (`\"20\"`-`\"30\"`). checkov "
        "does not find port 22 inside it; Landfall reads the range.",
    ("CKV_AWS_24", "cloudformation/network.fail.yaml", "AllTraffic"):
        "Protocol `-1` without ports: checkov's CKV_AWS_24 skips rules without FromPort/ToPort; Landfall "
        "treats -1 as every port.",
    ("CKV_AWS_24", "terraform/platform.fail.tfplan.json", "aws_vpc_security_group_ingress_rule.low_ports"):
        "Ports 1-1024 from `0.0.0.0/0` in the provider v5 `aws_vpc_security_group_ingress_rule`; checkov has no "
        "CKV_AWS_24 for that resource type.",
    ("CKV_AWS_25", "cloudformation/network.fail.yaml", "AllTraffic"):
        "As for CKV_AWS_24: protocol -1 opens 3389 too; checkov skips rules without ports.",
    ("CKV_AWS_25", "terraform/platform.fail.tfplan.json", "aws_security_group_rule.everything"):
        "As for CKV_AWS_24: protocol -1 on `aws_security_group_rule` opens 3389; checkov misses it.",
    ("CKV_AWS_277", "terraform/platform.fail.tfplan.json", "aws_security_group.bastion"):
        "checkov's CKV_AWS_277 fails the group for its *egress* rule (`-1` to `0.0.0.0/0`); Landfall's "
        "`all-traffic-open-to-internet` is about ingress, and the open egress is reported by "
        "`open-egress-in-blocked-environment` (the group is in dev).",
    ("CKV_AWS_382", "terraform/platform.fail.tfplan.json", "aws_default_security_group.default"):
        "Egress `-1` to `0.0.0.0/0` on the default security group: checkov's CKV_AWS_382 reports it, Landfall "
        "reports it as `default-security-group-allows-traffic` (LF506) rather than LF505, whose scope is "
        "environments with blocked egress, and the default group has no environment tag.",
    ("CKV_AWS_382", "cloudformation/network.fail.yaml", "DefaultEgress"):
        "No egress rules in CloudFormation means AWS's allow-all egress rule; Landfall reports it because the "
        "template is for dev, where egress is blocked. checkov has CKV_AWS_382 for Terraform only.",
    ("CKV_AWS_382", "cloudformation/network.fail.yaml", "AllTraffic"):
        "Egress `-1` to `0.0.0.0/0` from a dev template. checkov has CKV_AWS_382 for Terraform only; nothing "
        "checks CloudFormation egress.",
    ("CKV_AWS_21", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket_versioning.elsewhere"):
        "A versioning resource (provider v4+ split) with status `Disabled` for a bucket outside the plan. "
        "checkov only evaluates `aws_s3_bucket`; Landfall checks the unlinked split resource on its own.",
    ("CKV_AWS_21", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket.suspended"):
        "The split `aws_s3_bucket_versioning` says `Suspended`. Landfall merges it into the bucket and fails it; "
        "checkov only checks that a versioning resource is connected and passes.",
    ("CKV2_AWS_11", "terraform/platform.pass.tfplan.json", "aws_vpc.main"):
        "The flow log's `vpc_id` is known only after apply; the plan's configuration says it refers to "
        "`aws_vpc.main`. Landfall follows the configuration's reference; checkov's graph check does not connect "
        "them in a plan and fails the VPC.",
    ("CKV2_AWS_12", "terraform/platform.fail.tfplan.json", "aws_vpc.main"):
        "Attribution: the VPC's `aws_default_security_group` (attached by reference) has an egress rule. checkov "
        "fails the VPC; Landfall reports LF506 on the default security group itself, and fails a VPC only when the "
        "plan does not manage its default group (`terraform/default-sg.fail.tfplan.json`).",
    ("CKV2_AWS_28", "terraform/platform.pass.tfplan.json", "aws_lb.public"):
        "The WAF association's `resource_arn` is known only after apply; Landfall follows the configuration's "
        "reference to `aws_lb.public`, checkov's graph check does not and fails the load balancer.",
    ("CKV_AWS_68", "terraform/platform.fail.tfplan.json", "aws_cloudfront_distribution.cdn"):
        "`web_acl_id = \"\"`: checkov treats the empty string as set; Landfall reports the distribution without WAF.",
    ("CKV2_AWS_6", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket.suspended"):
        "The split `aws_s3_bucket_public_access_block` names the bucket by its literal name and the plan's "
        "configuration carries no reference. Landfall links split resources by reference and, failing that, by "
        "bucket name, and finds all four settings on; checkov's graph only follows references and fails the bucket.",
    ("CKV_AWS_3", "cloudformation/ebs.pass.yaml", "CallerDecides"):
        "`Encrypted: !Ref EncryptFromCaller`, a parameter without a default: the value is chosen at deployment. "
        "checkov reads the unresolved `Ref` as not-true and fails; Landfall keeps it unknown and does not guess "
        "(the SCP `LandfallDenyUnencryptedVolumes` stops an unencrypted volume at deployment).",
    ("CKV_AWS_53", "cloudformation/s3.fail.yaml", "SuspendedByDefault"):
        "Granularity: Landfall's `s3-bucket-without-public-access-block` covers all four settings in one rule and "
        "fails the bucket because `BlockPublicPolicy` is false (checkov's CKV_AWS_54 fails it too); checkov's "
        "per-setting CKV_AWS_53 passes.",
    ("CKV_AWS_55", "cloudformation/s3.fail.yaml", "SuspendedByDefault"):
        "Granularity, as for CKV_AWS_53: one Landfall rule for the four settings.",
    ("CKV_AWS_56", "cloudformation/s3.fail.yaml", "SuspendedByDefault"):
        "Granularity, as for CKV_AWS_53: one Landfall rule for the four settings.",
    ("CKV_AWS_54", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket_public_access_block.unversioned"):
        "Attribution: checkov fails the split `aws_s3_bucket_public_access_block` resource; Landfall merges it into "
        "`aws_s3_bucket.unversioned` and reports the same two settings on the bucket.",
    ("CKV_AWS_56", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket_public_access_block.unversioned"):
        "Attribution, as for CKV_AWS_54: reported on the bucket the block belongs to.",
    ("CKV_AWS_57", "cloudformation/s3.fail.yaml", "PublicSite"):
        "Granularity: CKV_AWS_57 is about public *write*; `PublicRead` passes it. Landfall's `s3-bucket-public-acl` "
        "covers read and write (checkov's CKV_AWS_20 fails the bucket too).",
    ("CKV_AWS_57", "terraform/s3-split.fail.tfplan.json", "aws_s3_bucket.legacy"):
        "Granularity, as for PublicSite: `acl = \"public-read\"` fails Landfall's read-or-write rule and checkov's "
        "CKV_AWS_20, not the write-only CKV_AWS_57.",
    ("CKV_AWS_273", "terraform/platform.fail.tfplan.json", "aws_iam_user.deployer"):
        "CKV_AWS_273 fails users that are not managed through SSO; Landfall fails every IAM user. They agree here.",
    ("CKV_AWS_16", "cloudformation/aurora.pass.yaml", "LedgerReader"):
        "An Aurora-engine `AWS::RDS::DBInstance` with `StorageEncrypted: false`. Aurora instances take storage "
        "encryption from their cluster (CloudFormation documents the instance property as \"Amazon Aurora: Not "
        "applicable\"); Landfall judges the cluster, checkov reads the instance property.",
    ("CKV_AWS_16", "terraform/aurora.pass.tfplan.json", "aws_db_instance.ledger_reader"):
        "As for `LedgerReader`: an `aws_db_instance` of engine `aurora-postgresql` takes storage encryption from "
        "its cluster (`aws_rds_cluster.ledger` is encrypted); checkov reads the instance attribute.",
    ("CKV_AWS_293", "terraform/aurora.pass.tfplan.json", "aws_db_instance.ledger_reader"):
        "Deletion protection of an Aurora instance is the cluster's (`aws_rds_cluster.ledger` has it on); checkov "
        "reads the instance attribute.",
    ("CKV_AWS_133", "terraform/aurora.pass.tfplan.json", "aws_db_instance.ledger_reader"):
        "`backup_retention_period = 0` on an Aurora-engine instance: backups are the cluster's (14 days on "
        "`aws_rds_cluster.ledger`); checkov reads the instance attribute.",
    ("CKV_AWS_3", "terraform/unset.fail.tfplan.json", "aws_ebs_volume.chosen"):
        "`encrypted = var.encrypt_volumes`, a variable known only at apply. Landfall keeps it unknown and does not "
        "guess (the SCP `LandfallDenyUnencryptedVolumes` stops an unencrypted volume at deployment); checkov fails "
        "the unknown value.",
    ("CKV_AWS_57", "terraform/s3-indexed.fail.tfplan.json", "module.logs.aws_s3_bucket.this[0]"):
        "Granularity, as for PublicSite: the module's `aws_s3_bucket_acl.this[0]` sets `acl = \"public-read\"`, which "
        "fails Landfall's read-or-write `s3-bucket-public-acl` (linked to the count-indexed bucket), not the "
        "write-only CKV_AWS_57.",
    ("CKV_AWS_21", "cloudformation/foreach.fail.yaml", "ExportsBucket"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_21", "cloudformation/foreach.fail.yaml", "LogsBucket"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_3", "cloudformation/foreach.fail.yaml", "dataVolume10"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_3", "cloudformation/foreach.fail.yaml", "dataVolume20"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_3", "cloudformation/foreach.fail.yaml", "webVolume10"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_3", "cloudformation/foreach.fail.yaml", "webVolume20"):
        "Made by `Fn::ForEach` (AWS::LanguageExtensions): checkov does not expand the loop, so the copies exist only "
        "for Landfall, which expands it as CloudFormation does.",
    ("CKV_AWS_1", "cloudformation/sam.fail.yaml", "Admin"):
        "An AWS SAM function's `Policies` (the transform turns them into its role): checkov's IAM checks read "
        "`AWS::IAM::*` resources only.",
    ("CKV_AWS_1", "cloudformation/sam.fail.yaml", "Inline"):
        "An AWS SAM function's `Policies` (the transform turns them into its role): checkov's IAM checks read "
        "`AWS::IAM::*` resources only.",
}


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def rule_map():
    """checkov id -> Landfall rule codes, from docs/rules.md."""
    mapping = defaultdict(set)
    for line in (ROOT / "docs/rules.md").read_text().splitlines():
        m = re.match(r"\| \[(LF\d{3})\]\(#lf\d{3}\) \| `([^`]+)` \|(.*)\|$", line)
        if not m:
            continue
        checkov = m.group(3).split("|")[-1].strip()
        for check in filter(None, (c.strip() for c in checkov.split(","))):
            mapping[check].add(m.group(1))
    return mapping


def checkov_results(checkov):
    results = {}  # (check, file, resource) -> "failed" | "passed"
    for framework, directory in (("cloudformation", "cloudformation"), ("terraform_plan", "terraform")):
        out = run([checkov, "-d", str(FIXTURES / directory), "--framework", framework, "--skip-download",
                   "-o", "json", "--compact"])
        data = json.loads(out.stdout)
        reports = data if isinstance(data, list) else [data]
        for report in reports:
            for verdict in ("failed_checks", "passed_checks"):
                for item in report["results"][verdict]:
                    resource = item["resource"]
                    if framework == "cloudformation":
                        resource = resource.split(".", 1)[1] if "." in resource else resource
                    file = f"{directory}{item['file_path']}"
                    results[(item["check_id"], file, resource)] = verdict.split("_")[0]
    return results


def landfall_results(landfall):
    out = run([landfall, "check", ".", "--format", "json", "--fail-on", "never"], cwd=FIXTURES)
    findings = json.loads(out.stdout)
    failed = defaultdict(set)  # (file, resource) -> codes
    for f in findings:
        if "rule" not in f:
            continue  # what reading the inputs reported (warnings, skipped files)
        failed[(f["file"].removeprefix("./"), f["resource"])].add(f["rule"])
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkov", default=str(ROOT / ".venv/bin/checkov"))
    parser.add_argument("--landfall", default=None)
    parser.add_argument("--out", default=str(ROOT / "docs/checkov-comparison.md"))
    parser.add_argument("--check", action="store_true", help="fail if the committed report differs")
    args = parser.parse_args()
    landfall = args.landfall
    if landfall is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "landfall"], cwd=ROOT, check=True)
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        landfall = str(target / "release/landfall")
    landfall = str(Path(landfall).resolve())
    version = run([args.checkov, "--version"]).stdout.strip()

    mapping = rule_map()
    ck = checkov_results(args.checkov)
    lf = landfall_results(landfall)

    rows = defaultdict(lambda: {"both_fail": 0, "both_pass": 0, "checkov_only": [], "landfall_only": []})
    unexplained = []
    for (check, file, resource), verdict in sorted(ck.items()):
        if check not in mapping:
            continue
        landfall_fails = bool(lf.get((file, resource), set()) & mapping[check])
        checkov_fails = verdict == "failed"
        row = rows[check]
        if checkov_fails and landfall_fails:
            row["both_fail"] += 1
        elif not checkov_fails and not landfall_fails:
            row["both_pass"] += 1
        else:
            key = (check, file, resource)
            side = "checkov_only" if checkov_fails else "landfall_only"
            row[side].append(key)
            if key not in EXPLANATIONS:
                unexplained.append(f"{side}: {key}")
    # Landfall failures on resources checkov gives no verdict for under any
    # check the rule maps to: resource types or formats checkov does not cover.
    uncovered = []
    checks_of = defaultdict(set)
    for check, rules in mapping.items():
        for code in rules:
            checks_of[code].add(check)
    resource_types = {}
    for (file, resource), codes in sorted(lf.items()):
        for code in sorted(codes):
            checks = checks_of.get(code, set())
            if checks and not any((c, file, resource) in ck for c in checks):
                uncovered.append((code, sorted(checks), file, resource))
    lines = [
        "<!-- Generated by scripts/compare-checkov.py; do not edit. -->",
        "",
        "# Landfall and checkov on the rule fixtures",
        "",
        f"Corpus: `crates/rules/tests/fixtures` (CloudFormation JSON and YAML, Terraform plan JSON). "
        f"checkov {version} with `--framework cloudformation` / `--framework terraform_plan --skip-download`; "
        "Landfall with `landfall check --format json` and the reference platform's guardrails. Only the "
        "checkov checks a Landfall rule maps to are compared, resource by resource. "
        "Regenerate with `scripts/compare-checkov.py`.",
        "",
        "| checkov | Landfall | both fail | both pass | only checkov fails | only Landfall fails |",
        "|---|---|---|---|---|---|",
    ]
    total = defaultdict(int)
    for check in sorted(rows, key=lambda c: (c.startswith("CKV2"), int(re.sub(r"\D", "", c.split("_")[-1])))):
        row = rows[check]
        lines.append(f"| {check} | {', '.join(sorted(mapping[check]))} | {row['both_fail']} | {row['both_pass']} | "
                     f"{len(row['checkov_only'])} | {len(row['landfall_only'])} |")
        for k in ("both_fail", "both_pass"):
            total[k] += row[k]
        total["checkov_only"] += len(row["checkov_only"])
        total["landfall_only"] += len(row["landfall_only"])
    lines.append(f"| **total** | | {total['both_fail']} | {total['both_pass']} | {total['checkov_only']} | {total['landfall_only']} |")
    lines += ["", f"Both tools give a verdict on {total['both_fail'] + total['both_pass'] + total['checkov_only'] + total['landfall_only']} "
              f"(check, resource) pairs and agree on {total['both_fail'] + total['both_pass']}.", "", "## Disagreements", ""]
    for check in sorted(rows):
        for side in ("landfall_only", "checkov_only"):
            for key in rows[check][side]:
                who = "Landfall fails, checkov passes" if side == "landfall_only" else "checkov fails, Landfall passes"
                lines.append(f"- **{key[0]}** `{key[1]}` `{key[2]}` — {who}. {EXPLANATIONS.get(key, 'UNEXPLAINED')}")
    lines += ["", "## Landfall findings checkov does not evaluate", "",
              "Findings of a mapped rule on resources for which checkov reports no verdict under any of the "
              "rule's checkov ids: resource types or formats the checkov checks do not cover.", ""]
    for code, checks, file, resource in uncovered:
        note = next((EXPLANATIONS[(c, file, resource)] for c in checks if (c, file, resource) in EXPLANATIONS),
                    f"checkov's {', '.join(checks)} does not evaluate this resource.")
        lines.append(f"- {code} `{file}` `{resource}` ({', '.join(checks)}). {note}")
    lines.append("")
    text = "\n".join(lines)
    if unexplained:
        print("unexplained disagreements:\n  " + "\n  ".join(unexplained), file=sys.stderr)
    if args.check:
        if Path(args.out).read_text() != text:
            print(f"{args.out} is stale: run scripts/compare-checkov.py", file=sys.stderr)
            return 1
        return 0
    Path(args.out).write_text(text)
    print(f"wrote {args.out}: {total['both_fail']} agreeing failures, {total['both_pass']} agreeing passes, "
          f"{total['checkov_only'] + total['landfall_only']} disagreements ({len(unexplained)} unexplained)")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
