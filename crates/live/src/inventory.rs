//! Live inventory: every resource type the rules read, fetched once per
//! account and region (IAM and S3 once per account), normalized into the
//! CloudFormation vocabulary of the rules' resource view.

use aws_sdk_ec2::types::IpPermission;
use serde_json::{json, Map, Value};

use crate::aws::Clients;

/// What one account-region holds.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// (logical id, CloudFormation type, properties).
    pub resources: Vec<(String, String, Value)>,
    /// Stacks: (name, status).
    pub stacks: Vec<(String, String)>,
    /// Non-default VPCs: (id, Name tag, CIDR).
    pub vpcs: Vec<(String, String, String)>,
    /// Subnets of non-default VPCs: (Name tag, CIDR, AZ).
    pub subnets: Vec<(String, String, String)>,
    /// Default VPCs (AWS creates one per region; not platform resources).
    pub default_vpcs: usize,
    /// Fetches that failed; the rest of the inventory still counts.
    pub errors: Vec<String>,
}

fn tags_value<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Array(tags.map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
}

fn name_tag(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .unwrap_or_default()
        .to_owned()
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    tags_value(
        tags.iter()
            .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
    )
}

fn permissions(perms: &[IpPermission], egress: bool) -> Value {
    let mut out = Vec::new();
    for p in perms {
        let mut base = Map::new();
        base.insert("IpProtocol".into(), json!(p.ip_protocol().unwrap_or("-1")));
        if let Some(from) = p.from_port() {
            base.insert("FromPort".into(), json!(from));
        }
        if let Some(to) = p.to_port() {
            base.insert("ToPort".into(), json!(to));
        }
        for r in p.ip_ranges() {
            let mut e = base.clone();
            e.insert("CidrIp".into(), json!(r.cidr_ip().unwrap_or("")));
            out.push(Value::Object(e));
        }
        for r in p.ipv6_ranges() {
            let mut e = base.clone();
            e.insert("CidrIpv6".into(), json!(r.cidr_ipv6().unwrap_or("")));
            out.push(Value::Object(e));
        }
        for g in p.user_id_group_pairs() {
            let mut e = base.clone();
            let key = if egress {
                "DestinationSecurityGroupId"
            } else {
                "SourceSecurityGroupId"
            };
            e.insert(key.into(), json!(g.group_id().unwrap_or("")));
            out.push(Value::Object(e));
        }
        for l in p.prefix_list_ids() {
            let mut e = base.clone();
            let key = if egress {
                "DestinationPrefixListId"
            } else {
                "SourcePrefixListId"
            };
            e.insert(key.into(), json!(l.prefix_list_id().unwrap_or("")));
            out.push(Value::Object(e));
        }
    }
    Value::Array(out)
}

macro_rules! fetch {
    ($inv:expr, $what:literal, $call:expr) => {
        match $call.await {
            Ok(v) => Some(v),
            Err(e) => {
                $inv.errors
                    .push(format!("{}: {}", $what, crate::error::sdk_message(&e)));
                None
            }
        }
    };
}

/// Regional resources: EC2, KMS, CloudFormation.
pub async fn regional(clients: &Clients) -> Inventory {
    let mut inv = Inventory::default();
    let ec2 = clients.ec2();
    let (volumes, instances, groups, vpcs, subnets, flow_logs) = tokio::join!(
        ec2.describe_volumes()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        ec2.describe_instances()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        ec2.describe_security_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        ec2.describe_vpcs()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        ec2.describe_subnets()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        ec2.describe_flow_logs()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let mut encrypted_volumes = std::collections::BTreeMap::new();
    if let Some(volumes) = fetch!(inv, "ec2:DescribeVolumes", async { volumes }) {
        for v in volumes {
            let id = v.volume_id().unwrap_or_default().to_owned();
            let encrypted = v.encrypted().unwrap_or(false);
            encrypted_volumes.insert(id.clone(), encrypted);
            let mut props = json!({
                "AvailabilityZone": v.availability_zone().unwrap_or(""),
                "Size": v.size().unwrap_or(0),
                "Encrypted": encrypted,
                "Tags": ec2_tags(v.tags()),
            });
            if let Some(t) = v.volume_type() {
                props["VolumeType"] = json!(t.as_str());
            }
            if let Some(k) = v.kms_key_id() {
                props["KmsKeyId"] = json!(k);
            }
            inv.resources.push((id, "AWS::EC2::Volume".into(), props));
        }
    }
    let mut default_vpc_ids = Vec::new();
    if let Some(vpcs) = fetch!(inv, "ec2:DescribeVpcs", async { vpcs }) {
        for v in vpcs {
            let id = v.vpc_id().unwrap_or_default().to_owned();
            if v.is_default().unwrap_or(false) {
                inv.default_vpcs += 1;
                default_vpc_ids.push(id);
                continue;
            }
            let cidr = v.cidr_block().unwrap_or_default().to_owned();
            inv.vpcs
                .push((id.clone(), name_tag(v.tags()), cidr.clone()));
            inv.resources.push((
                id,
                "AWS::EC2::VPC".into(),
                json!({ "CidrBlock": cidr, "Tags": ec2_tags(v.tags()) }),
            ));
        }
    }
    if let Some(subnets) = fetch!(inv, "ec2:DescribeSubnets", async { subnets }) {
        for s in subnets {
            if s.vpc_id()
                .is_some_and(|v| default_vpc_ids.iter().any(|d| d == v))
            {
                continue;
            }
            inv.subnets.push((
                name_tag(s.tags()),
                s.cidr_block().unwrap_or_default().to_owned(),
                s.availability_zone().unwrap_or_default().to_owned(),
            ));
        }
    }
    if let Some(logs) = fetch!(inv, "ec2:DescribeFlowLogs", async { flow_logs }) {
        for l in logs {
            let target = l.resource_id().unwrap_or_default().to_owned();
            // A reference, so the rule sees the flow log refer to its VPC.
            let resource = if inv.resources.iter().any(|(id, _, _)| *id == target) {
                json!({ "Ref": target })
            } else {
                json!(target)
            };
            inv.resources.push((
                l.flow_log_id().unwrap_or_default().to_owned(),
                "AWS::EC2::FlowLog".into(),
                json!({
                    "ResourceId": resource,
                    "ResourceType": if target.starts_with("vpc-") { "VPC" } else if target.starts_with("subnet-") { "Subnet" } else { "NetworkInterface" },
                    "TrafficType": l.traffic_type().map_or("ALL", |t| t.as_str()),
                }),
            ));
        }
    }
    if let Some(groups) = fetch!(inv, "ec2:DescribeSecurityGroups", async { groups }) {
        for g in groups {
            // Every VPC's own default group is AWS's, not a platform resource.
            if g.group_name() == Some("default") {
                continue;
            }
            inv.resources.push((
                g.group_id().unwrap_or_default().to_owned(),
                "AWS::EC2::SecurityGroup".into(),
                json!({
                    "GroupName": g.group_name().unwrap_or(""),
                    "GroupDescription": g.description().unwrap_or(""),
                    "VpcId": g.vpc_id().unwrap_or(""),
                    "SecurityGroupIngress": permissions(g.ip_permissions(), false),
                    "SecurityGroupEgress": permissions(g.ip_permissions_egress(), true),
                    "Tags": ec2_tags(g.tags()),
                }),
            ));
        }
    }
    if let Some(reservations) = fetch!(inv, "ec2:DescribeInstances", async { instances }) {
        for i in reservations.iter().flat_map(|r| r.instances()) {
            if i.state()
                .and_then(|s| s.name())
                .is_some_and(|n| n.as_str() == "terminated")
            {
                continue;
            }
            let devices: Vec<Value> = i
                .block_device_mappings()
                .iter()
                .map(|b| {
                    let volume = b.ebs().and_then(|e| e.volume_id()).unwrap_or_default();
                    json!({
                        "DeviceName": b.device_name().unwrap_or(""),
                        "Ebs": { "Encrypted": encrypted_volumes.get(volume).copied().unwrap_or(false) },
                    })
                })
                .collect();
            let mut props = json!({
                "InstanceType": i.instance_type().map_or("", |t| t.as_str()),
                "ImageId": i.image_id().unwrap_or(""),
                "SubnetId": i.subnet_id().unwrap_or(""),
                "BlockDeviceMappings": devices,
                "Tags": ec2_tags(i.tags()),
            });
            if let Some(p) = i.iam_instance_profile().and_then(|p| p.arn()) {
                props["IamInstanceProfile"] = json!(p);
            }
            if let Some(k) = i.key_name() {
                props["KeyName"] = json!(k);
            }
            if let Some(t) = i.metadata_options().and_then(|m| m.http_tokens()) {
                props["MetadataOptions"] = json!({ "HttpTokens": t.as_str() });
            }
            inv.resources.push((
                i.instance_id().unwrap_or_default().to_owned(),
                "AWS::EC2::Instance".into(),
                props,
            ));
        }
    }

    // KMS: customer keys, with rotation.
    let kms = clients.kms();
    if let Some(keys) = fetch!(
        inv,
        "kms:ListKeys",
        kms.list_keys()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
    ) {
        for k in keys {
            let id = k.key_id().unwrap_or_default().to_owned();
            let Some(d) = fetch!(
                inv,
                "kms:DescribeKey",
                kms.describe_key().key_id(&id).send()
            ) else {
                continue;
            };
            let Some(meta) = d.key_metadata() else {
                continue;
            };
            let customer = meta.key_manager().is_none_or(|m| m.as_str() == "CUSTOMER");
            let enabled = meta.key_state().is_none_or(|s| s.as_str() == "Enabled");
            if !customer || !enabled {
                continue;
            }
            let spec = meta
                .key_spec()
                .map_or("SYMMETRIC_DEFAULT", |s| s.as_str())
                .to_owned();
            let mut props = json!({ "KeySpec": spec });
            if spec == "SYMMETRIC_DEFAULT" {
                if let Some(r) = fetch!(
                    inv,
                    "kms:GetKeyRotationStatus",
                    kms.get_key_rotation_status().key_id(&id).send()
                ) {
                    props["EnableKeyRotation"] = json!(r.key_rotation_enabled());
                }
            }
            inv.resources.push((id, "AWS::KMS::Key".into(), props));
        }
    }

    // Stacks (for drift).
    if let Some(stacks) = fetch!(
        inv,
        "cloudformation:DescribeStacks",
        clients
            .cloudformation()
            .describe_stacks()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
    ) {
        for s in stacks {
            inv.stacks.push((
                s.stack_name().unwrap_or_default().to_owned(),
                s.stack_status()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            ));
        }
    }
    inv
}

/// Global resources of an account (IAM, S3), each bucket placed in its region.
pub async fn global(clients: &Clients) -> (Inventory, Vec<(String, String, String, Value)>) {
    let mut inv = Inventory::default();
    let mut buckets_out = Vec::new();
    let iam = clients.iam();
    if let Some(users) = fetch!(
        inv,
        "iam:ListUsers",
        iam.list_users()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
    ) {
        for u in users {
            let name = u.user_name().to_owned();
            inv.resources.push((
                format!("user/{name}"),
                "AWS::IAM::User".into(),
                json!({ "UserName": name, "Path": u.path() }),
            ));
            if let Some(keys) = fetch!(
                inv,
                "iam:ListAccessKeys",
                iam.list_access_keys().user_name(&name).send()
            ) {
                for k in keys.access_key_metadata() {
                    // The key id is not a secret, but only its status is needed.
                    inv.resources.push((
                        format!("access-key/{name}/{}", inv.resources.len()),
                        "AWS::IAM::AccessKey".into(),
                        json!({ "UserName": name, "Status": k.status().map_or("Active", |s| s.as_str()) }),
                    ));
                }
            }
            if iam
                .get_login_profile()
                .user_name(&name)
                .send()
                .await
                .is_ok()
            {
                inv.resources.push((
                    format!("login-profile/{name}"),
                    "Landfall::IAM::LoginProfile".into(),
                    json!({ "UserName": name }),
                ));
            }
        }
    }
    let s3 = clients.s3();
    if let Some(list) = fetch!(inv, "s3:ListBuckets", s3.list_buckets().send()) {
        for b in list.buckets() {
            let name = b.name().unwrap_or_default().to_owned();
            let region = match b.bucket_region() {
                Some(r) if !r.is_empty() => r.to_owned(),
                _ => match s3.get_bucket_location().bucket(&name).send().await {
                    Ok(l) => l
                        .location_constraint()
                        .map(|c| c.as_str().to_owned())
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| "us-east-1".to_owned()),
                    Err(e) => {
                        // Read in the home region, it would answer with a
                        // redirect and look unversioned: say so instead.
                        inv.errors.push(format!(
                            "s3:GetBucketLocation `{name}`: {}",
                            crate::error::sdk_message(&e)
                        ));
                        clients.region.clone()
                    }
                },
            };
            // A bucket answers only in its own region (a request signed for
            // another gets `301 PermanentRedirect`, which would read as "not
            // versioned").
            let regional;
            let s3 = if region == clients.region {
                &s3
            } else {
                regional = clients.in_region(&region).s3();
                &regional
            };
            let mut props = json!({ "BucketName": name });
            match s3.get_bucket_versioning().bucket(&name).send().await {
                Ok(v) => {
                    if let Some(status) = v.status() {
                        props["VersioningConfiguration"] = json!({ "Status": status.as_str() });
                    }
                }
                Err(e) => match crate::emulator::moto_versioning_status(&e) {
                    Some(Some(status)) => {
                        props["VersioningConfiguration"] = json!({ "Status": status });
                    }
                    Some(None) => {}
                    None => inv.errors.push(format!(
                        "s3:GetBucketVersioning `{name}`: {}",
                        crate::error::sdk_message(&e)
                    )),
                },
            }
            let block = s3.get_public_access_block().bucket(&name).send().await;
            // A bucket without a block answers NoSuchPublicAccessBlockConfiguration;
            // anything else means it could not be read, which must not look
            // like "no block".
            if let Err(e) = &block {
                if crate::error::code_of(e) != "NoSuchPublicAccessBlockConfiguration" {
                    inv.errors.push(format!(
                        "s3:GetPublicAccessBlock `{name}`: {}",
                        crate::error::sdk_message(e)
                    ));
                }
            }
            if let Ok(p) = block {
                if let Some(c) = p.public_access_block_configuration() {
                    props["PublicAccessBlockConfiguration"] = json!({
                        "BlockPublicAcls": c.block_public_acls().unwrap_or(false),
                        "BlockPublicPolicy": c.block_public_policy().unwrap_or(false),
                        "IgnorePublicAcls": c.ignore_public_acls().unwrap_or(false),
                        "RestrictPublicBuckets": c.restrict_public_buckets().unwrap_or(false),
                    });
                }
            }
            buckets_out.push((
                format!("bucket/{name}"),
                "AWS::S3::Bucket".to_owned(),
                region,
                props,
            ));
        }
    }
    (inv, buckets_out)
}
