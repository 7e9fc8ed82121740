//! IAM Identity Center drift against moto server: `examples/emulator` with
//! an `identity` section, deployed; the permission sets and assignments the
//! spec declares made through the SSO admin API (moto's CloudFormation
//! cannot create `AWS::SSO::*`, so the deployer leaves those stacks out),
//! a clean audit, then an assignment made by hand, one removed and a
//! permission set changed: the audit reports exactly those, each with its
//! account and permission set; then a user given the on-call permission
//! set by hand beside one holding it through an active grant: only the
//! first is reported.
//!
//! Skipped without a moto server (see `emulator.rs`), failed with `CI=true`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use landfall_live::{audit, load_platform, Compat, ConnectOptions, Engine, LiveOptions, Progress};
use support::{endpoint_or_skip, reset, workspace_root};

// moto knows AWS managed policies only at the root path (it has no
// `job-function/ViewOnlyAccess`), so the viewer here gets SecurityAudit.
const IDENTITY: &str = "identity:
  permission_sets:
    - name: ProductionViewer
      managed_policies: [SecurityAudit]
      session_hours: 8
      data_access: false
      inline_policy:
        - { sid: NoData, effect: deny, actions: [s3:GetObject, dynamodb:GetItem] }
    - name: Developer
      managed_policies: [PowerUserAccess]
      session_hours: 8
    - name: OnCall
      managed_policies: [PowerUserAccess]
      session_hours: 2
  groups:
    - name: payments
      access:
        - { permission_set: Developer, accounts: { domains: [payments], environments: [dev] } }
        - { permission_set: ProductionViewer, accounts: { domains: [payments], environments: [prod] } }
    - name: trading
      access:
        - { permission_set: ProductionViewer, accounts: { domains: [trading], environments: [prod] } }
    - name: risk
  on_call:
    - { group: payments, permission_set: OnCall, accounts: { domains: [payments], environments: [prod] }, max_hours: 2, approvers: trading }
";

const IDENTITY_CODES: &[&str] = &["LFD011", "LFD012", "LFD013", "LFD014", "LFD015"];

#[test]
fn a_hand_made_assignment_is_reported_with_its_account_and_permission_set() {
    let Some(url) = endpoint_or_skip("a_hand_made_assignment_is_reported") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("landfall-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let example = workspace_root().join("examples/emulator");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.join("identity.yaml"), IDENTITY).unwrap();
    let (mut platform, settings) = load_platform(&dir, Compat::Moto).expect("compiles");
    platform.lockfile = None;
    let _ = std::fs::remove_dir_all(&dir);
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    let desired = platform.desired.clone();
    assert_eq!(desired.identity.assignments.len(), 3);

    let runtime = landfall_live::runtime().unwrap();
    runtime.block_on(async {
        reset(&url);
        let session = || async {
            landfall_live::Session::connect(ConnectOptions {
                endpoint_url: Some(url.clone()),
                profile: None,
                home_region: desired.home_region.clone(),
                max_attempts: 8,
            })
            .await
        };
        let engine = Engine::new(session().await, &platform, options.waits(), Progress::new(false));
        let (plan, _) = engine.plan().await.expect("plan");
        let report = engine.deploy(&plan).await.expect("deploy");
        assert!(report.ok(), "{}", report.render());

        // What the identity stacks create in AWS, made through the API.
        let s = session().await;
        let mgmt = s.management().await.unwrap().in_region(&desired.home_region);
        let sso = mgmt.ssoadmin();
        let instance = sso.list_instances().send().await.unwrap().instances()[0]
            .instance_arn()
            .unwrap()
            .to_owned();
        let org = landfall_live::org::read(&s.management().await.unwrap())
            .await
            .unwrap();
        let account_id = |name: &str| -> String {
            org.accounts
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.id.clone())
                .unwrap_or_else(|| panic!("no account `{name}`"))
        };
        let mut group_ids = BTreeMap::new();
        for (group, parameter) in &desired.identity.groups {
            let id = format!("90000000-0000-0000-0000-{:012}", group_ids.len());
            mgmt.ssm()
                .put_parameter()
                .name(parameter)
                .value(&id)
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .send()
                .await
                .unwrap();
            group_ids.insert(group.clone(), id);
        }
        let mut set_arns = BTreeMap::new();
        for set in &desired.identity.permission_sets {
            let arn = sso
                .create_permission_set()
                .instance_arn(&instance)
                .name(&set.name)
                .session_duration(&set.session_duration)
                .send()
                .await
                .unwrap()
                .permission_set()
                .unwrap()
                .permission_set_arn()
                .unwrap()
                .to_owned();
            for policy in &set.managed_policies {
                sso.attach_managed_policy_to_permission_set()
                    .instance_arn(&instance)
                    .permission_set_arn(&arn)
                    .managed_policy_arn(format!("arn:aws:iam::aws:policy/{policy}"))
                    .send()
                    .await
                    .unwrap();
            }
            if let Some(document) = &set.inline_policy {
                sso.put_inline_policy_to_permission_set()
                    .instance_arn(&instance)
                    .permission_set_arn(&arn)
                    .inline_policy(document)
                    .send()
                    .await
                    .unwrap();
            }
            set_arns.insert(set.name.clone(), arn);
        }
        let assign = |account: String, set: String, principal: String, kind: &'static str| {
            let sso = sso.clone();
            let instance = instance.clone();
            async move {
                sso.create_account_assignment()
                    .instance_arn(&instance)
                    .target_id(account)
                    .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
                    .permission_set_arn(set)
                    .principal_type(kind.into())
                    .principal_id(principal)
                    .send()
                    .await
                    .unwrap();
            }
        };
        for (account, set, group) in &desired.identity.assignments {
            assign(
                account_id(account),
                set_arns[set].clone(),
                group_ids[group].clone(),
                "GROUP",
            )
            .await;
        }

        let audit = || async {
            let report = audit::audit(
                &session().await,
                &desired,
                &settings,
                16,
                &Progress::new(false),
            )
            .await
            .expect("audit");
            let identity: Vec<audit::AuditFinding> = report
                .findings
                .iter()
                .filter(|f| IDENTITY_CODES.contains(&f.rule.as_str()))
                .cloned()
                .collect();
            (report, identity)
        };
        let (report, identity) = audit().await;
        assert!(identity.is_empty(), "{identity:#?}");
        assert!(
            report.unseen().iter().all(|u| !u.contains("Identity Center")),
            "{:?}",
            report.unseen()
        );

        // By hand: `risk` gets ProductionViewer in payments' production
        // account, payments' Developer grant in dev is removed, and the
        // viewer's session is lengthened.
        let (payments_dev, payments_prod) = (
            desired
                .identity
                .assignments
                .iter()
                .find(|(_, set, _)| set == "Developer")
                .unwrap()
                .0
                .clone(),
            desired
                .identity
                .assignments
                .iter()
                .find(|(_, set, group)| set == "ProductionViewer" && group == "payments")
                .unwrap()
                .0
                .clone(),
        );
        assign(
            account_id(&payments_prod),
            set_arns["ProductionViewer"].clone(),
            group_ids["risk"].clone(),
            "GROUP",
        )
        .await;
        sso.delete_account_assignment()
            .instance_arn(&instance)
            .target_id(account_id(&payments_dev))
            .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
            .permission_set_arn(&set_arns["Developer"])
            .principal_type(aws_sdk_ssoadmin::types::PrincipalType::Group)
            .principal_id(&group_ids["payments"])
            .send()
            .await
            .unwrap();
        sso.update_permission_set()
            .instance_arn(&instance)
            .permission_set_arn(&set_arns["ProductionViewer"])
            .session_duration("PT12H")
            .send()
            .await
            .unwrap();

        let (_, identity) = audit().await;
        let found: BTreeSet<(&str, &str)> = identity
            .iter()
            .map(|f| (f.rule.as_str(), f.account.as_str()))
            .collect();
        let management = desired.management.as_str();
        assert_eq!(
            found,
            BTreeSet::from([
                ("LFD011", payments_prod.as_str()),
                ("LFD012", payments_dev.as_str()),
                ("LFD013", management),
            ]),
            "{identity:#?}"
        );
        let hand_made = identity.iter().find(|f| f.rule == "LFD011").unwrap();
        assert_eq!(
            hand_made.message,
            format!("group `risk` has permission set `ProductionViewer` in account `{payments_prod}`, which the spec does not declare")
        );
        assert_eq!(hand_made.account_id, account_id(&payments_prod));
        let changed = identity.iter().find(|f| f.rule == "LFD013").unwrap();
        assert!(
            changed.message.contains("session `PT12H` instead of `PT8H`"),
            "{}",
            changed.message
        );

        // On-call: a user given the on-call set by hand is reported; one
        // holding it through an active grant (in the grants table of the
        // security account, as `landfall access` records it) is not.
        let security = desired.identity.access_account.clone().unwrap();
        let grants = s
            .member(
                &s.management().await.unwrap(),
                &account_id(&security),
                &desired.home_region,
                &landfall_live::aws::AUDIT_ROLES,
            )
            .await
            .unwrap()
            .dynamodb();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let grant = serde_json::json!({
            "id": "g-1", "requester": "ana", "account": payments_prod,
            "permission_set": "OnCall", "duration_secs": 3600, "reason": "INC-1",
            "break_glass": false, "approvers": "trading", "state": "active",
            "requested_at": now - 60, "approver": "cy", "granted_at": now - 60,
            "expires_at": now + 3540, "principal_id": "u-granted", "version": 3,
            "history": []
        });
        grants
            .put_item()
            .table_name(landfall_synth::layers::access::GRANTS_TABLE)
            .item("id", aws_sdk_dynamodb::types::AttributeValue::S("g-1".into()))
            .item("version", aws_sdk_dynamodb::types::AttributeValue::N("3".into()))
            .item("record", aws_sdk_dynamodb::types::AttributeValue::S(grant.to_string()))
            .send()
            .await
            .unwrap();
        for user in ["u-granted", "u-hand-made"] {
            assign(
                account_id(&payments_prod),
                set_arns["OnCall"].clone(),
                user.to_owned(),
                "USER",
            )
            .await;
        }
        let (_, identity) = audit().await;
        let on_call: Vec<&audit::AuditFinding> =
            identity.iter().filter(|f| f.rule == "LFD015").collect();
        assert_eq!(on_call.len(), 1, "{identity:#?}");
        assert_eq!(on_call[0].account, payments_prod);
        assert_eq!(on_call[0].account_id, account_id(&payments_prod));
        assert_eq!(
            on_call[0].message,
            format!("user `u-hand-made` holds on-call permission set `OnCall` in account `{payments_prod}` without an active grant (`landfall access list --active`); remove it, or request it with `landfall access request`")
        );
    });
}
