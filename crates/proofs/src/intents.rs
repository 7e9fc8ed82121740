//! The guardrail intents of the blueprint, as questions the prover answers:
//! "can any request of this kind succeed in this account?"

use std::collections::BTreeMap;

use landfall_iam::prove::Intent;
use landfall_iam::request::ContextValue;
use landfall_model::{Account, Model};
use landfall_spec::types::{AccountClass, EgressMode, GuardrailId};

/// Which member accounts an intent is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every member account.
    AllMembers,
    /// Workload accounts of environments whose egress is not open, where
    /// only the networking account may build paths to the internet.
    EgressControlledWorkloads,
}

impl Scope {
    pub fn applies(self, model: &Model, account: &Account) -> bool {
        match self {
            Scope::AllMembers => true,
            Scope::EgressControlledWorkloads => {
                account.class == AccountClass::Workload
                    && account
                        .environment
                        .is_some_and(|e| model.environment(e).egress.mode != EgressMode::Open)
            }
        }
    }
}

/// One thing the platform promises never happens.
#[derive(Debug, Clone)]
pub struct GuardrailIntent {
    pub name: &'static str,
    pub description: &'static str,
    pub guardrail: GuardrailId,
    pub scope: Scope,
    actions: &'static [&'static str],
    /// Resource ARN template; `{account}` and `{region}` are filled in.
    resource: Option<&'static str>,
    /// Context keys held to these values.
    fixed: &'static [(&'static str, &'static str)],
    /// Keys whose values are enumerated from this list (always sent).
    values: Vec<(&'static str, Vec<String>)>,
}

impl GuardrailIntent {
    /// The prover's question for one account.
    pub fn for_account(&self, model: &Model, account_id: &str) -> Intent {
        let home = model.region(model.organization.home_region).name.clone();
        let fill = |text: &str| {
            text.replace("{account}", account_id)
                .replace("{region}", &home)
        };
        let mut fixed: BTreeMap<String, ContextValue> = self
            .fixed
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ContextValue::One(fill(v))))
            .collect();
        // Requests come from an allowed region unless the intent is about regions.
        if !self.values.iter().any(|(k, _)| *k == "aws:RequestedRegion") {
            fixed
                .entry("aws:RequestedRegion".to_owned())
                .or_insert_with(|| ContextValue::One(home.clone()));
        }
        Intent {
            name: self.name.to_owned(),
            actions: self.actions.iter().map(|a| (*a).to_owned()).collect(),
            resource: self.resource.map(fill),
            keys: Vec::new(),
            principal: Some(format!("arn:aws:iam::{account_id}:role/developer")),
            fixed,
            values: self
                .values
                .iter()
                .map(|(k, vs)| ((*k).to_owned(), vs.clone()))
                .collect(),
            always_present: self.values.iter().map(|(k, _)| (*k).to_owned()).collect(),
        }
    }
}

/// Every intent, with values drawn from the model where they depend on it.
pub fn intents(model: &Model) -> Vec<GuardrailIntent> {
    let allowed: Vec<&str> = model
        .guardrails
        .allowed_regions
        .iter()
        .map(|r| model.region(*r).name.as_str())
        .collect();
    let outside: Vec<String> = landfall_model::aws::REGIONS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !allowed.contains(name))
        .map(str::to_owned)
        .collect();
    let burst_sizes = |prefix: &str| -> Vec<String> {
        model
            .guardrails
            .denied_instance_families
            .iter()
            .filter(|f| {
                let has_prefix = f.contains('.');
                if prefix.is_empty() {
                    !has_prefix
                } else {
                    f.starts_with(prefix)
                }
            })
            .flat_map(|family| ["micro", "large", "2xlarge"].map(|size| format!("{family}.{size}")))
            .collect()
    };
    vec![
        GuardrailIntent {
            name: "no-iam-users",
            description: "no member account can create IAM users or long-lived credentials",
            guardrail: GuardrailId::SsoOnly,
            scope: Scope::AllMembers,
            actions: &[
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
                "iam:CreateServiceSpecificCredential",
            ],
            resource: Some("arn:aws:iam::{account}:user/someone"),
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-unencrypted-ebs-volume",
            description: "no member account can create an unencrypted EBS volume",
            guardrail: GuardrailId::EbsEncryption,
            scope: Scope::AllMembers,
            actions: &["ec2:CreateVolume"],
            resource: Some("arn:aws:ec2:{region}:{account}:volume/*"),
            fixed: &[],
            values: vec![("ec2:Encrypted", vec!["false".to_owned()])],
        },
        GuardrailIntent {
            name: "no-disabling-ebs-default-encryption",
            description: "no member account can turn off EBS encryption by default",
            guardrail: GuardrailId::EbsEncryption,
            scope: Scope::AllMembers,
            actions: &["ec2:DisableEbsEncryptionByDefault"],
            resource: None,
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-burst-instance-launch",
            description: "no member account can launch a burstable EC2 instance",
            guardrail: GuardrailId::NoBurstInstances,
            scope: Scope::AllMembers,
            actions: &["ec2:RunInstances"],
            resource: Some("arn:aws:ec2:{region}:{account}:instance/*"),
            fixed: &[],
            values: vec![("ec2:InstanceType", burst_sizes(""))],
        },
        GuardrailIntent {
            name: "no-burst-database",
            description: "no member account can create a burstable RDS or Aurora instance",
            guardrail: GuardrailId::NoBurstInstances,
            scope: Scope::AllMembers,
            actions: &["rds:CreateDBInstance"],
            resource: Some("arn:aws:rds:{region}:{account}:db:someone"),
            fixed: &[],
            values: vec![("rds:DatabaseClass", burst_sizes("db."))],
        },
        GuardrailIntent {
            name: "no-leaving-the-organization",
            description: "no member account can leave the organization",
            guardrail: GuardrailId::StayInOrganization,
            scope: Scope::AllMembers,
            actions: &["organizations:LeaveOrganization"],
            resource: None,
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-disabling-cloudtrail",
            description: "no member account can stop, delete or reconfigure CloudTrail",
            guardrail: GuardrailId::ProtectAuditServices,
            scope: Scope::AllMembers,
            actions: &[
                "cloudtrail:StopLogging",
                "cloudtrail:DeleteTrail",
                "cloudtrail:UpdateTrail",
                "cloudtrail:PutEventSelectors",
            ],
            resource: Some("arn:aws:cloudtrail:{region}:{account}:trail/organization"),
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-disabling-config",
            description: "no member account can stop, delete or reconfigure the AWS Config recorder or delivery channel",
            guardrail: GuardrailId::ProtectAuditServices,
            scope: Scope::AllMembers,
            actions: &[
                "config:StopConfigurationRecorder",
                "config:DeleteConfigurationRecorder",
                "config:DeleteDeliveryChannel",
                "config:PutConfigurationRecorder",
                "config:PutDeliveryChannel",
            ],
            resource: None,
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-disabling-guardduty-or-flow-logs",
            description: "no member account can delete GuardDuty detectors or VPC flow logs",
            guardrail: GuardrailId::ProtectAuditServices,
            scope: Scope::AllMembers,
            actions: &["guardduty:DeleteDetector", "ec2:DeleteFlowLogs"],
            resource: None,
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-forging-platform-roles",
            description: "no member account can create or change a role named like the StackSet execution role, which the guardrails exempt",
            guardrail: GuardrailId::ProtectAuditServices,
            scope: Scope::AllMembers,
            actions: &[
                "iam:CreateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
            ],
            resource: Some("arn:aws:iam::{account}:role/stacksets-exec-forged"),
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-region-outside-allowlist",
            description: "no member account can use a region outside the allowlist",
            guardrail: GuardrailId::RegionAllowlist,
            scope: Scope::AllMembers,
            actions: &["ec2:RunInstances", "s3:CreateBucket", "rds:CreateDBCluster"],
            resource: None,
            fixed: &[],
            values: vec![("aws:RequestedRegion", outside)],
        },
        GuardrailIntent {
            name: "no-ssh-key-pairs",
            description: "no member account can create or import EC2 key pairs",
            guardrail: GuardrailId::SessionManagerOnly,
            scope: Scope::AllMembers,
            actions: &["ec2:CreateKeyPair", "ec2:ImportKeyPair"],
            resource: Some("arn:aws:ec2:{region}:{account}:key-pair/*"),
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-internet-gateways-in-controlled-environments",
            description: "workload accounts of environments without open egress cannot create or attach internet gateways",
            guardrail: GuardrailId::EgressBlocked,
            scope: Scope::EgressControlledWorkloads,
            actions: &[
                "ec2:CreateInternetGateway",
                "ec2:AttachInternetGateway",
                "ec2:CreateEgressOnlyInternetGateway",
            ],
            resource: None,
            fixed: &[],
            values: Vec::new(),
        },
        GuardrailIntent {
            name: "no-suspending-s3-versioning",
            description: "no one but the platform's roles can change S3 bucket versioning",
            guardrail: GuardrailId::S3Versioning,
            scope: Scope::AllMembers,
            actions: &["s3:PutBucketVersioning"],
            resource: Some("arn:aws:s3:::some-bucket"),
            fixed: &[],
            values: Vec::new(),
        },
    ]
}
