//! What findings and input errors say, and how SARIF presents them.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_rules::{check, report, LoadOptions, ResourceView, Settings, ViewBuilder};

fn read(name: &str, text: &str) -> ResourceView {
    let mut builder = ViewBuilder::new(LoadOptions::default());
    assert!(builder.add_text(name, text));
    builder.finish()
}

/// A suppression naming a rule that does not exist is told what is wrong
/// with it (not "add a reason"), with the rule probably meant.
#[test]
fn a_suppression_of_an_unknown_rule_says_how_to_name_a_rule() {
    let view = read(
        "t.yaml",
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Metadata:\n      landfall:\n        suppress:\n          - rule: LF1O1\n            reason: scratch\n    Properties:\n      Size: 10\n      Encrypted: true\n",
    );
    let report = check(&view, &Settings::default());
    let finding = report
        .findings
        .iter()
        .find(|f| f.message.contains("unknown rule"))
        .expect("the unknown rule is reported");
    assert!(
        finding.fix.contains("did you mean `LF101`?"),
        "{}",
        finding.fix
    );
    assert!(!finding.fix.contains("reason"), "{}", finding.fix);
}

/// CloudFormation refuses a template whose `Ref` names nothing
/// ("Unresolved resource dependencies"):
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html
#[test]
fn an_undefined_or_empty_ref_is_a_located_input_error() {
    let view = read(
        "t.yaml",
        "Parameters:\n  VolumeSize:\n    Type: Number\nResources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: !Ref VolumeSzie\n      Encrypted: true\n      AvailabilityZone: !Ref ''\n      KmsKeyId: !Sub 'arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyIdd}'\n",
    );
    let codes: Vec<&str> = view.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "input::undefined-reference",
            "input::empty-reference",
            "input::undefined-reference"
        ],
        "{:?}",
        view.diagnostics
    );
    let undefined = &view.diagnostics[0];
    assert!(undefined.message.contains("`VolumeSzie`"));
    assert!(undefined
        .help
        .as_deref()
        .unwrap()
        .contains("did you mean `VolumeSize`?"));
    let location = view.sources.location(undefined.primary_span().unwrap());
    // At the `!Ref` that names nothing.
    assert_eq!((location.line, location.column), (8, 13));
    // A transform adds names the template does not declare: not checked.
    let view = read(
        "sam.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n      Encrypted: true\n      KmsKeyId: !Ref FunctionRole\n",
    );
    assert!(view.diagnostics.is_empty(), "{:?}", view.diagnostics);
}

/// GitHub code scanning ranks results by the rule's `security-severity`;
/// without it every finding shows as a plain error.
/// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
#[test]
fn sarif_carries_security_severity() {
    let view = read(
        "t.yaml",
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n",
    );
    let findings = check(&view, &Settings::default());
    let sarif = report::sarif(&findings);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| {
        r["properties"]["security-severity"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|s| (0.1..=10.0).contains(&s))
    }));
    let lf101 = rules.iter().find(|r| r["id"] == "LF101").unwrap();
    // LF101 is high by default: 8.0 is in code scanning's high band.
    assert_eq!(lf101["properties"]["security-severity"], "8.0");
    assert_eq!(
        run["results"][0]["properties"]["security-severity"],
        report::security_severity(findings.findings[0].severity)
    );
}

/// A plan's findings speak Terraform: the attribute names and the fix its
/// author would write, not the CloudFormation properties they are read as.
#[test]
fn terraform_findings_use_terraform_names() {
    let view = read(
        "plan.json",
        r#"{"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {"resources": [
          {"address": "aws_ebs_volume.data", "mode": "managed", "type": "aws_ebs_volume", "name": "data",
           "values": {"availability_zone": "eu-west-1a", "encrypted": false}},
          {"address": "aws_instance.app", "mode": "managed", "type": "aws_instance", "name": "app",
           "values": {"instance_type": "m7i.large", "iam_instance_profile": "ssm", "metadata_options": [{"http_tokens": "optional"}]}}
        ]}}}"#,
    );
    let report = check(&view, &Settings::default());
    let ebs = report.findings.iter().find(|f| f.rule == "LF101").unwrap();
    assert_eq!(ebs.message, "EBS volume has `encrypted = false`");
    assert_eq!(ebs.fix, "set `encrypted = true`");
    let imds = report.findings.iter().find(|f| f.rule == "LF307").unwrap();
    assert!(
        imds.message
            .starts_with("`metadata_options.http_tokens` is `optional`"),
        "{}",
        imds.message
    );
    assert_eq!(
        imds.fix,
        "set `metadata_options { http_tokens = \"required\" }`"
    );
    // The same rules on CloudFormation keep its names.
    let view = read(
        "t.yaml",
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: false\n",
    );
    let report = check(&view, &Settings::default());
    let ebs = report.findings.iter().find(|f| f.rule == "LF101").unwrap();
    assert_eq!(ebs.message, "EBS volume has `Encrypted: false`");
    assert!(ebs.fix.starts_with("set `Encrypted: true`"));
}

/// An AWS SAM template says what was not checked instead of passing
/// silently: the transform creates resources the template does not declare.
#[test]
fn sam_resources_not_checked_are_reported() {
    let view = read(
        "sam.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Policies: AWSLambdaBasicExecutionRole\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n",
    );
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    let warning = &view.diagnostics[0];
    assert!(!warning.is_error());
    assert_eq!(warning.code, "input::serverless-not-checked");
    assert!(
        warning
            .message
            .contains("1 checked only for their IAM `Policies`")
            && warning.message.contains("`Api` (AWS::Serverless::Api)"),
        "{}",
        warning.message
    );
    assert!(check(&view, &Settings::default()).findings.is_empty());
}

/// A Rain module is not a resource: say what to run first. A loop over
/// values known only at deployment says its resources are not checked.
#[test]
fn rain_modules_and_unexpandable_loops_say_what_to_do() {
    let view = read(
        "rain.yaml",
        "Resources:\n  Site:\n    Type: !Rain::Module \"./modules/site.yaml\"\n    Properties:\n      Name: docs\n",
    );
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    let error = &view.diagnostics[0];
    assert_eq!(error.code, "input::rain-module");
    assert!(
        error
            .message
            .contains("`!Rain::Module ./modules/site.yaml`"),
        "{}",
        error.message
    );
    assert!(error.help.as_deref().unwrap().contains("rain pkg"));

    let view = read(
        "loop.yaml",
        "Transform: AWS::LanguageExtensions\nParameters:\n  Names:\n    Type: CommaDelimitedList\nResources:\n  Fn::ForEach::Buckets:\n    - Name\n    - !Ref Names\n    - \"${Name}\":\n        Type: AWS::S3::Bucket\n",
    );
    assert_eq!(view.diagnostics.len(), 1, "{:?}", view.diagnostics);
    assert_eq!(view.diagnostics[0].code, "input::foreach-not-expanded");
    assert!(!view.diagnostics[0].is_error());
    let mut builder = ViewBuilder::new(LoadOptions {
        parameters: [("Names".to_owned(), "a,b".to_owned())].into(),
        ..LoadOptions::default()
    });
    assert!(builder.add_text(
        "loop.yaml",
        "Transform: AWS::LanguageExtensions\nParameters:\n  Names:\n    Type: CommaDelimitedList\nResources:\n  Fn::ForEach::Buckets:\n    - Name\n    - !Ref Names\n    - \"${Name}\":\n        Type: AWS::S3::Bucket\n",
    ));
    let view = builder.finish();
    assert!(view.diagnostics.is_empty(), "{:?}", view.diagnostics);
    let ids: Vec<&str> = view.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}
