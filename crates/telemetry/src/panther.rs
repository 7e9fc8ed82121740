//! Panther detections for the platform's own guardrails, in Panther's
//! format (a Python rule and its YAML with unit tests, as
//! `panther-analysis-tool test` runs them), over CloudTrail.
//!
//! The SCPs prevent most of these; a detection fires when one happened all
//! the same (from the management account, which SCPs do not bind, or after
//! a guardrail was loosened), so each looks at successful calls only.

use std::fmt::Write;

use serde_json::{json, Value};

use landfall_observability::File;

/// One detection and the CloudTrail records that prove it fires and stays
/// silent.
#[derive(Debug, Clone)]
pub struct Detection {
    /// File stem, for example `landfall_root_sign_in`.
    pub stem: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub severity: &'static str,
    pub description: &'static str,
    pub runbook: &'static str,
    /// The body of `rule(event)` (Python, four-space indent).
    pub rule: String,
    /// `(name, fires, CloudTrail record)`.
    pub tests: Vec<(&'static str, bool, Value)>,
}

const ACCOUNT: &str = "123456789012";

fn event(source: &str, name: &str, parameters: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-central-1",
        "eventTime": "2026-12-01T10:00:00Z",
        "recipientAccountId": ACCOUNT,
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/admin/someone"),
            "accountId": ACCOUNT,
        },
        "requestParameters": parameters,
    })
}

fn failed(mut record: Value) -> Value {
    if let Some(map) = record.as_object_mut() {
        map.insert("errorCode".to_owned(), json!("AccessDenied"));
        map.insert(
            "errorMessage".to_owned(),
            json!("explicit deny in a service control policy"),
        );
    }
    record
}

/// `rule(event)` true for successful calls of `names` to `source`.
fn calls(source: &str, names: &[&str]) -> String {
    let names = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "    if event.get(\"errorCode\"):\n        return False\n    return event.get(\"eventSource\") == \"{source}\" and event.get(\"eventName\") in {{{names}}}\n"
    )
}

/// Every detection; the burstable-family one lists `denied_families`.
pub fn detections(denied_families: &[String]) -> Vec<Detection> {
    let mut families: Vec<&str> = denied_families.iter().map(String::as_str).collect();
    families.sort_unstable();
    // Samples for the tests: a family of each kind the spec denies.
    let ec2_family = families
        .iter()
        .find(|f| !f.contains('.'))
        .copied()
        .unwrap_or("t3");
    let db_family = families
        .iter()
        .find(|f| f.starts_with("db."))
        .copied()
        .unwrap_or("db.t3");
    vec![
        Detection {
            stem: "landfall_root_sign_in",
            id: "Landfall.AWS.RootSignIn",
            title: "Root user signed in",
            severity: "Critical",
            description: "The root user of an account signed in to the console. Nobody works as root; the root credentials of member accounts are not even set.",
            runbook: "Confirm with the account owner within the hour; if nobody claims it, reset the root password and MFA and review everything the session did.",
            rule: "    identity = event.get(\"userIdentity\") or {}\n    return event.get(\"eventName\") == \"ConsoleLogin\" and identity.get(\"type\") == \"Root\"\n".to_owned(),
            tests: vec![
                ("root console sign-in", true, {
                    let mut e = event("signin.amazonaws.com", "ConsoleLogin", Value::Null);
                    e["userIdentity"] = json!({ "type": "Root", "arn": format!("arn:aws:iam::{ACCOUNT}:root"), "accountId": ACCOUNT });
                    e["responseElements"] = json!({ "ConsoleLogin": "Success" });
                    e
                }),
                ("a role's console sign-in", false, event("signin.amazonaws.com", "ConsoleLogin", Value::Null)),
            ],
        },
        Detection {
            stem: "landfall_scp_changed",
            id: "Landfall.AWS.ServiceControlPolicyChanged",
            title: "A service control policy was detached, changed or deleted",
            severity: "High",
            description: "Guardrails are SCPs written by Landfall; a change outside its deployment loosens them for a whole OU.",
            runbook: "Compare with the last `landfall deploy`; redeploy the organization layer to restore the policies and find who changed them.",
            rule: calls("organizations.amazonaws.com", &["DetachPolicy", "UpdatePolicy", "DeletePolicy", "DisablePolicyType"]),
            tests: vec![
                ("an SCP detached from an OU", true, event("organizations.amazonaws.com", "DetachPolicy", json!({ "policyId": "p-examplepolicy", "targetId": "ou-ab12-workloads" }))),
                ("an SCP changed", true, event("organizations.amazonaws.com", "UpdatePolicy", json!({ "policyId": "p-examplepolicy" }))),
                ("policies listed", false, event("organizations.amazonaws.com", "ListPolicies", json!({ "filter": "SERVICE_CONTROL_POLICY" }))),
                ("a detach the organization refused", false, failed(event("organizations.amazonaws.com", "DetachPolicy", json!({ "policyId": "p-examplepolicy" })))),
            ],
        },
        Detection {
            stem: "landfall_cloudtrail_stopped",
            id: "Landfall.AWS.CloudTrailStopped",
            title: "CloudTrail logging stopped or a trail deleted",
            severity: "Critical",
            description: "Without the trail nothing that follows is on record.",
            runbook: "Start logging again (`aws cloudtrail start-logging`) or redeploy the security layer; treat the gap as an incident.",
            rule: calls("cloudtrail.amazonaws.com", &["StopLogging", "DeleteTrail"]),
            tests: vec![
                ("logging stopped", true, event("cloudtrail.amazonaws.com", "StopLogging", json!({ "name": "organization-trail" }))),
                ("logging started", false, event("cloudtrail.amazonaws.com", "StartLogging", json!({ "name": "organization-trail" }))),
            ],
        },
        Detection {
            stem: "landfall_config_recorder_stopped",
            id: "Landfall.AWS.ConfigRecorderStopped",
            title: "AWS Config recorder stopped or deleted",
            severity: "High",
            description: "Detective guardrails are Config rules; without the recorder they see nothing.",
            runbook: "Start the recorder again or redeploy the baseline in that account and region.",
            rule: calls("config.amazonaws.com", &["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"]),
            tests: vec![
                ("recorder stopped", true, event("config.amazonaws.com", "StopConfigurationRecorder", json!({ "configurationRecorderName": "default" }))),
                ("recorder started", false, event("config.amazonaws.com", "StartConfigurationRecorder", json!({ "configurationRecorderName": "default" }))),
            ],
        },
        Detection {
            stem: "landfall_iam_user_or_key_created",
            id: "Landfall.AWS.IamUserOrAccessKeyCreated",
            title: "An IAM user, password or access key was created",
            severity: "High",
            description: "People sign in through IAM Identity Center and workloads use roles; long-lived IAM credentials are not part of the platform.",
            runbook: "Find who created it and why; delete the user or key once the need is met by a role.",
            rule: calls("iam.amazonaws.com", &["CreateUser", "CreateAccessKey", "CreateLoginProfile"]),
            tests: vec![
                ("a user created", true, event("iam.amazonaws.com", "CreateUser", json!({ "userName": "ci-bot" }))),
                ("an access key created", true, event("iam.amazonaws.com", "CreateAccessKey", json!({ "userName": "ci-bot" }))),
                ("a role created", false, event("iam.amazonaws.com", "CreateRole", json!({ "roleName": "service-role" }))),
            ],
        },
        Detection {
            stem: "landfall_denied_instance_family",
            id: "Landfall.AWS.DeniedInstanceFamilyLaunched",
            title: "An instance of a denied family was launched",
            severity: "Medium",
            description: "Burstable instances run out of CPU credits under sustained load; the spec's guardrails deny these families.",
            runbook: "Replace the instance with one of an allowed family and find how the launch got past the SCP.",
            rule: concat!(
                "    field = TYPE_FIELDS.get(event.get(\"eventName\"))\n",
                "    if event.get(\"errorCode\") or not field:\n",
                "        return False\n",
                "    instance_type = (event.get(\"requestParameters\") or {}).get(field) or \"\"\n",
                "    # `t3.micro` is of family `t3`, `db.t3.micro` of `db.t3`.\n",
                "    return instance_type.rsplit(\".\", 1)[0] in DENIED_FAMILIES\n",
            )
            .to_owned(),
            tests: vec![
                ("a denied family launched", true, event("ec2.amazonaws.com", "RunInstances", json!({ "instanceType": format!("{ec2_family}.micro"), "instancesSet": { "items": [{ "imageId": "ami-0123456789abcdef0", "minCount": 1, "maxCount": 1 }] } }))),
                ("an allowed family launched", false, event("ec2.amazonaws.com", "RunInstances", json!({ "instanceType": "m7g.large" }))),
                ("a launch the SCP refused", false, failed(event("ec2.amazonaws.com", "RunInstances", json!({ "instanceType": format!("{ec2_family}.micro") })))),
                ("a database of a denied class created", true, event("rds.amazonaws.com", "CreateDBInstance", json!({ "dBInstanceIdentifier": "reporting", "dBInstanceClass": format!("{db_family}.medium") }))),
            ],
        },
        Detection {
            stem: "landfall_security_group_open_to_internet",
            id: "Landfall.AWS.SecurityGroupOpenToInternet",
            title: "A security group was opened to the internet",
            severity: "High",
            description: "Only load balancers and CloudFront face the internet; a rule from 0.0.0.0/0 or ::/0 on anything else exposes it.",
            runbook: "Revoke the rule; public traffic goes through the service's load balancer.",
            rule: concat!(
                "    if event.get(\"errorCode\") or event.get(\"eventName\") != \"AuthorizeSecurityGroupIngress\":\n",
                "        return False\n",
                "    permissions = ((event.get(\"requestParameters\") or {}).get(\"ipPermissions\") or {}).get(\"items\") or []\n",
                "    for permission in permissions:\n",
                "        for r in (permission.get(\"ipRanges\") or {}).get(\"items\") or []:\n",
                "            if r.get(\"cidrIp\") == \"0.0.0.0/0\":\n",
                "                return True\n",
                "        for r in (permission.get(\"ipv6Ranges\") or {}).get(\"items\") or []:\n",
                "            if r.get(\"cidrIpv6\") == \"::/0\":\n",
                "                return True\n",
                "    return False\n",
            )
            .to_owned(),
            tests: vec![
                ("ssh opened to the world", true, event("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", json!({ "groupId": "sg-0123456789abcdef0", "ipPermissions": { "items": [{ "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": { "items": [{ "cidrIp": "0.0.0.0/0" }] } }] } }))),
                ("https opened to the world over IPv6", true, event("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", json!({ "groupId": "sg-0123456789abcdef0", "ipPermissions": { "items": [{ "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6Ranges": { "items": [{ "cidrIpv6": "::/0" }] } }] } }))),
                ("a rule from the VPC", false, event("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", json!({ "groupId": "sg-0123456789abcdef0", "ipPermissions": { "items": [{ "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "ipRanges": { "items": [{ "cidrIp": "10.0.0.0/8" }] } }] } }))),
            ],
        },
    ]
}

/// The rule files (`panther/rules/<stem>.py` and `.yml`).
pub fn render(denied_families: &[String]) -> Vec<File> {
    let mut families: Vec<&str> = denied_families.iter().map(String::as_str).collect();
    families.sort_unstable();
    let family_set = if families.is_empty() {
        "set()".to_owned()
    } else {
        format!(
            "{{{}}}",
            families
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut files = Vec::new();
    for d in detections(denied_families) {
        let mut py = String::new();
        let _ = writeln!(
            py,
            "\"\"\"{} (generated by landfall from the spec).\"\"\"\n",
            d.title
        );
        if d.rule.contains("DENIED_FAMILIES") {
            let _ = writeln!(
                py,
                "# guardrails.denied_instance_families\nDENIED_FAMILIES = {family_set}\n"
            );
            py.push_str(concat!(
                "# The request field naming the instance type of each launching call.\n",
                "TYPE_FIELDS = {\n",
                "    \"RunInstances\": \"instanceType\",\n",
                "    \"CreateDBInstance\": \"dBInstanceClass\",\n",
                "    \"CreateCacheCluster\": \"cacheNodeType\",\n",
                "    \"CreateReplicationGroup\": \"cacheNodeType\",\n",
                "}\n",
            ));
        }
        let _ = write!(py, "\ndef rule(event):\n{}", d.rule);
        let _ = write!(
            py,
            "\n\ndef title(event):\n    return f\"{}: {{event.get('eventName')}} in {{event.get('recipientAccountId')}}\"\n",
            d.title
        );
        let tests: Vec<Value> = d
            .tests
            .iter()
            .map(|(name, fires, log)| json!({ "Name": name, "ExpectedResult": fires, "Log": log }))
            .collect();
        let yml = json!({
            "AnalysisType": "rule",
            "Filename": format!("{}.py", d.stem),
            "RuleID": d.id,
            "DisplayName": d.title,
            "Enabled": true,
            "LogTypes": ["AWS.CloudTrail"],
            "Severity": d.severity,
            "Description": d.description,
            "Runbook": d.runbook,
            "Tags": ["Landfall", "Guardrails"],
            "Tests": tests,
        });
        files.push(File {
            path: format!("panther/rules/{}.py", d.stem),
            contents: py,
        });
        files.push(File {
            path: format!("panther/rules/{}.yml", d.stem),
            contents: landfall_observability::yaml::to_yaml(&yml),
        });
    }
    files
}
