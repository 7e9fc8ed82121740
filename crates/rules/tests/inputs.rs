//! Reading input files from disk: encodings, and what a directory scan
//! reads, skips and reports.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::PathBuf;

use landfall_rules::{check, InputKind, LoadOptions, ResourceView, Settings, ViewBuilder};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PLAN: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.8",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_ebs_volume.data", "mode": "managed", "type": "aws_ebs_volume", "name": "data",
     "values": {"availability_zone": "eu-west-1a", "encrypted": false, "size": 20, "tags": {"Name": "données"}}}
  ]}}
}
"#;

fn utf16(text: &str, little_endian: bool, mark: bool) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    if mark {
        units.push(0xFEFF);
    }
    units.extend(text.encode_utf16());
    units
        .into_iter()
        .flat_map(|u| {
            if little_endian {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

/// `terraform show -json > plan.json` in Windows PowerShell 5 writes UTF-16LE
/// with a byte order mark; other tools write UTF-8 with one.
#[test]
fn plans_in_utf16_and_with_byte_order_marks_are_read() {
    let dir = tempdir("encodings");
    let mut utf8_bom = b"\xef\xbb\xbf".to_vec();
    utf8_bom.extend_from_slice(PLAN.as_bytes());
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("powershell.json", utf16(PLAN, true, true)),
        ("big-endian.json", utf16(PLAN, false, true)),
        ("no-mark.json", utf16(PLAN, true, false)),
        ("utf8-bom.json", utf8_bom),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    // Walked as a directory and named one by one: the same result.
    let named: Vec<PathBuf> = files.iter().map(|(n, _)| dir.join(n)).collect();
    for paths in [vec![dir.clone()], named] {
        let view = ResourceView::load(&paths, &LoadOptions::default());
        assert!(view.diagnostics.is_empty(), "{:?}", view.diagnostics);
        assert!(view.skipped.is_empty(), "{:?}", view.skipped);
        assert_eq!(view.files.len(), 4);
        assert!(view
            .files
            .iter()
            .all(|f| f.kind == InputKind::TerraformPlan));
        let report = check(&view, &Settings::default());
        let ebs: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "LF101")
            .collect();
        assert_eq!(ebs.len(), 4, "{:?}", report.findings);
        // Located in the decoded text: line 5, where the resource starts.
        assert!(ebs.iter().all(|f| f.line == 5), "{ebs:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn read(name: &str, text: &str) -> ResourceView {
    let mut builder = ViewBuilder::new(LoadOptions::default());
    assert!(builder.add_text(name, text));
    builder.finish()
}

/// A TCP range from 23 down to 21 does not say which ports were meant: EC2
/// reads a range from `FromPort` up to `ToPort`
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
/// It is an input error, never silently swapped into "SSH open".
#[test]
fn an_inverted_port_range_is_an_input_error_where_it_is_written() {
    let template = "Resources:\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 23\n          ToPort: 21\n          CidrIp: 0.0.0.0/0\n        - IpProtocol: icmp\n          FromPort: 8\n          ToPort: 0\n          CidrIp: 10.0.0.0/8\n      SecurityGroupEgress: []\n";
    let view = read("sg.yaml", template);
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    let error = &view.diagnostics[0];
    assert_eq!(error.code, "input::inverted-port-range");
    assert!(
        error.message.contains("`FromPort` 23 is above `ToPort` 21"),
        "{}",
        error.message
    );
    let help = error.help.as_deref().unwrap_or_default();
    assert!(help.contains("`FromPort: 21`, `ToPort: 23`"), "{help}");
    let location = view.sources.location(error.primary_span().unwrap());
    assert_eq!((location.line, location.column), (8, 21));
    // No guess: the rule is not read as SSH (22) open to the internet.
    let report = check(&view, &Settings::default());
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.name != "ssh-open-to-internet"),
        "{:?}",
        report.findings
    );

    let plan = r#"{"format_version": "1.2", "terraform_version": "1.9.8",
      "planned_values": {"root_module": {"resources": [
        {"address": "aws_vpc_security_group_ingress_rule.ssh", "mode": "managed",
         "type": "aws_vpc_security_group_ingress_rule", "name": "ssh",
         "values": {"ip_protocol": "tcp", "from_port": 23, "to_port": 21, "cidr_ipv4": "0.0.0.0/0"}}
      ]}}}"#;
    let view = read("plan.json", plan);
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    assert!(view.diagnostics[0]
        .message
        .contains("`from_port` 23 is above `to_port` 21"));
}

/// `terraform show -json` without a plan file, and a state file itself: what
/// exists, not what a change creates. Read as a plan they had no resources
/// and looked clean.
#[test]
fn terraform_state_is_an_input_error_not_an_empty_plan() {
    for (name, text) in [
        (
            "state.json",
            r#"{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": [
              {"address": "aws_ebs_volume.data", "mode": "managed", "type": "aws_ebs_volume", "name": "data",
               "values": {"encrypted": false}}]}}}"#,
        ),
        (
            "terraform.tfstate.json",
            r#"{"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "5f0c", "outputs": {}, "resources": []}"#,
        ),
    ] {
        let view = read(name, text);
        assert!(view.files.is_empty(), "{name}");
        assert_eq!(view.diagnostics.len(), 1, "{name}: {:?}", view.diagnostics);
        let error = &view.diagnostics[0];
        assert_eq!(error.code, "input::terraform-state");
        assert!(error.message.contains("not a plan"), "{}", error.message);
        assert!(error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("terraform show -json tfplan")));
    }
}

/// A directory with nothing to check is an error that lists what it skipped.
#[test]
fn a_directory_with_nothing_checkable_is_an_error() {
    let dir = tempdir("nothing");
    std::fs::write(dir.join("package.json"), r#"{"name": "site"}"#).unwrap();
    std::fs::write(dir.join("values.yaml"), "replicas: 3\n").unwrap();
    let view = ResourceView::load(std::slice::from_ref(&dir), &LoadOptions::default());
    assert!(view.files.is_empty());
    assert_eq!(view.skipped.len(), 2);
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    let error = &view.diagnostics[0];
    assert_eq!(error.code, "input::nothing-to-check");
    let help = error.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("2 file(s) skipped") && help.contains("package.json"),
        "{help}"
    );
    // An empty directory too.
    let empty = tempdir("empty");
    let view = ResourceView::load(std::slice::from_ref(&empty), &LoadOptions::default());
    assert_eq!(view.diagnostics.len(), 1);
    // A directory with one template among other files: skipped files are
    // listed, and that is no error.
    std::fs::write(
        dir.join("volume.yaml"),
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n",
    )
    .unwrap();
    let view = ResourceView::load(std::slice::from_ref(&dir), &LoadOptions::default());
    assert!(view.diagnostics.is_empty(), "{:?}", view.diagnostics);
    assert_eq!(view.skipped.len(), 2);
    let json = landfall_rules::report::input_problems_json(&view);
    assert_eq!(json.len(), 2);
    assert!(json.iter().all(|p| p["code"] == "input::skipped"));
    let invocations = landfall_rules::report::sarif_invocations(&view);
    assert_eq!(invocations[0]["executionSuccessful"], true);
    assert_eq!(
        invocations[0]["toolExecutionNotifications"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&empty);
}
