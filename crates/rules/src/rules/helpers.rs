//! Small readers shared by rules: flags, ports, CIDRs, statement builders.

use serde_json::json;

use crate::registry::{Check, Violation};
use crate::value::Value;
use crate::view::Resource;

/// A boolean property as the template states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    True,
    False,
    /// Not set: AWS's default applies.
    Absent,
    /// Set to something known only at deployment.
    Unknown,
}

pub fn flag(props: &Value, path: &[&str]) -> Flag {
    match props.at(path) {
        None | Some(Value::Null | Value::Absent) => Flag::Absent,
        Some(v) if v.is_unknown() => Flag::Unknown,
        Some(v) => match v.as_bool() {
            Some(true) => Flag::True,
            Some(false) => Flag::False,
            None => Flag::Unknown,
        },
    }
}

/// An `AWS::RDS::DBInstance` whose storage encryption, deletion protection
/// and backups are the cluster's: one in a DB cluster, or of an Aurora
/// engine (Aurora instances always belong to a cluster, and AWS documents
/// `StorageEncrypted`, `DeletionProtection` and `BackupRetentionPeriod` as
/// not applicable to them).
pub fn instance_of_cluster(resource: &Resource, props: &Value) -> bool {
    resource.kind == "AWS::RDS::DBInstance"
        && (!matches!(
            props.get("DBClusterIdentifier"),
            None | Some(Value::Null | Value::Absent)
        ) || text(props, &["Engine"])
            .is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("aurora")))
}

/// A string property when known.
pub fn text<'a>(props: &'a Value, path: &[&str]) -> Option<&'a str> {
    props.at(path).and_then(Value::as_str)
}

/// `0.0.0.0/0`, `::/0` and any other prefix of length zero.
pub fn is_whole_internet(cidr: &str) -> bool {
    cidr.trim()
        .rsplit_once('/')
        .is_some_and(|(_, len)| len.trim() == "0")
}

/// The internet-wide sources of a security group rule entry.
pub fn open_sources(entry: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["CidrIp", "CidrIpv6"] {
        for value in entry.get(key).map(Value::items).unwrap_or_default() {
            if let Some(cidr) = value.as_str() {
                if is_whole_internet(cidr) {
                    out.push(cidr.to_owned());
                }
            }
        }
    }
    out
}

/// Ports an entry opens: `None` when unknown; all ports for protocol `-1`
/// (`all`), and for `-1` port bounds. ICMP and other non-port protocols
/// open no TCP port.
pub fn tcp_ports(entry: &Value) -> Option<(i64, i64)> {
    let protocol = entry.get("IpProtocol")?;
    let protocol = match protocol {
        Value::Number(n) => crate::tree::format_number(*n),
        Value::String(s) => s.to_ascii_lowercase(),
        _ => return None,
    };
    match protocol.as_str() {
        "-1" | "all" => Some((0, 65535)),
        "tcp" | "6" => {
            let from = entry.get("FromPort").and_then(Value::as_i64);
            let to = entry.get("ToPort").and_then(Value::as_i64);
            match (from, to) {
                (Some(-1), _) | (_, Some(-1)) => Some((0, 65535)),
                // An inverted range is an input error, reported when read.
                (Some(from), Some(to)) if from > to => None,
                (Some(from), Some(to)) => Some((from, to)),
                (Some(port), None) | (None, Some(port)) => Some((port, port)),
                (None, None) => None,
            }
        }
        _ => Some((1, 0)),
    }
}

/// Protocol `-1`: every protocol and port.
pub fn all_traffic(entry: &Value) -> bool {
    match entry.get("IpProtocol") {
        Some(Value::Number(n)) => *n == -1.0,
        Some(Value::String(s)) => s == "-1" || s.eq_ignore_ascii_case("all"),
        _ => false,
    }
}

/// Ingress rule entries of a security group or a standalone ingress resource.
pub fn ingress_entries<'a>(resource: &Resource, props: &'a Value) -> Vec<(Vec<String>, &'a Value)> {
    entries(
        resource,
        props,
        "AWS::EC2::SecurityGroupIngress",
        "SecurityGroupIngress",
    )
}

/// Egress rule entries; `None` for a CloudFormation security group that
/// declares none (AWS then adds an allow-all rule).
pub fn egress_entries<'a>(
    resource: &Resource,
    props: &'a Value,
) -> Option<Vec<(Vec<String>, &'a Value)>> {
    if resource.kind == "AWS::EC2::SecurityGroup" && props.get("SecurityGroupEgress").is_none() {
        return None;
    }
    Some(entries(
        resource,
        props,
        "AWS::EC2::SecurityGroupEgress",
        "SecurityGroupEgress",
    ))
}

fn entries<'a>(
    resource: &Resource,
    props: &'a Value,
    standalone: &str,
    list: &str,
) -> Vec<(Vec<String>, &'a Value)> {
    if resource.kind == standalone {
        return vec![(Vec::new(), props)];
    }
    props
        .get(list)
        .map(Value::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, entry)| (vec![list.to_owned(), i.to_string()], entry))
        .collect()
}

pub fn path_refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// Reports a denied instance family at `path`, if the value is one.
pub fn burst_check(
    check: &Check<'_>,
    value: Option<&Value>,
    path: &[&str],
    what: &str,
    out: &mut Vec<Violation>,
) {
    let Some(instance_type) = value.and_then(Value::as_str) else {
        return;
    };
    if let Some(family) = check.settings.denied_family_of(instance_type) {
        out.push(
            Violation::new(format!(
                "{what} `{instance_type}` is of the burstable family `{family}`"
            ))
            .at(path),
        );
    }
}

/// An SCP Deny statement.
pub fn deny(sid: &str, actions: &[&str], resource: &str) -> serde_json::Value {
    json!({
        "Sid": sid,
        "Effect": "Deny",
        "Action": actions,
        "Resource": resource,
    })
}

/// Adds a condition block to a statement.
pub fn with_condition(
    mut statement: serde_json::Value,
    operator: &str,
    key: &str,
    value: serde_json::Value,
) -> serde_json::Value {
    if let Some(object) = statement.as_object_mut() {
        let condition = object.entry("Condition").or_insert_with(|| json!({}));
        if let Some(condition) = condition.as_object_mut() {
            let block = condition.entry(operator).or_insert_with(|| json!({}));
            if let Some(block) = block.as_object_mut() {
                block.insert(key.to_owned(), value);
            }
        }
    }
    statement
}

/// Exempts the platform's deployment and break-glass roles.
pub fn exempt_platform(statement: serde_json::Value, principals: &[String]) -> serde_json::Value {
    if principals.is_empty() {
        return statement;
    }
    with_condition(
        statement,
        "ArnNotLike",
        "aws:PrincipalArn",
        json!(principals),
    )
}
