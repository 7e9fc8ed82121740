//! Facts about AWS the model checks against: regions and their availability
//! zones, Fargate task sizes, instance class families. Kept as data so a new
//! region or size is a one-line change.

/// Commercial regions and how many AZs an account can use in each.
/// Source: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
pub const REGIONS: &[(&str, u8)] = &[
    ("af-south-1", 3),
    ("ap-east-1", 3),
    ("ap-northeast-1", 3),
    ("ap-northeast-2", 4),
    ("ap-northeast-3", 3),
    ("ap-south-1", 3),
    ("ap-south-2", 3),
    ("ap-southeast-1", 3),
    ("ap-southeast-2", 3),
    ("ap-southeast-3", 3),
    ("ap-southeast-4", 3),
    ("ap-southeast-5", 3),
    ("ap-southeast-7", 3),
    ("ca-central-1", 3),
    ("ca-west-1", 3),
    ("eu-central-1", 3),
    ("eu-central-2", 3),
    ("eu-north-1", 3),
    ("eu-south-1", 3),
    ("eu-south-2", 3),
    ("eu-west-1", 3),
    ("eu-west-2", 3),
    ("eu-west-3", 3),
    ("il-central-1", 3),
    ("me-central-1", 3),
    ("me-south-1", 3),
    ("mx-central-1", 3),
    ("sa-east-1", 3),
    ("us-east-1", 6),
    ("us-east-2", 3),
    ("us-west-1", 2),
    ("us-west-2", 4),
];

/// AZs available in a region, if the region is known.
pub fn region_azs(region: &str) -> Option<u8> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, azs)| *azs)
}

/// The AZ names used for the first `count` AZs of a region.
pub fn az_names(region: &str, count: u8) -> Vec<String> {
    (0..count)
        .map(|i| format!("{region}{}", char::from(b'a' + i)))
        .collect()
}

/// Valid Fargate memory sizes (MiB) for a CPU size, as (min, max, step).
/// Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
pub const FARGATE_SIZES: &[(u32, &[u32])] = &[
    (256, &[512, 1024, 2048]),
    (512, &[1024, 2048, 3072, 4096]),
    (1024, &[2048, 3072, 4096, 5120, 6144, 7168, 8192]),
    (
        2048,
        &[
            4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384,
        ],
    ),
    (
        4096,
        &[
            8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456,
            20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720,
        ],
    ),
    (
        8192,
        &[
            16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440,
        ],
    ),
    (
        16384,
        &[
            32768, 40960, 49152, 57344, 65536, 73728, 81920, 90112, 98304, 106496, 114688, 122880,
        ],
    ),
];

/// The memory sizes Fargate accepts for `cpu`, or `None` when the CPU size is invalid.
pub fn fargate_memory_options(cpu: u32) -> Option<&'static [u32]> {
    FARGATE_SIZES
        .iter()
        .find(|(c, _)| *c == cpu)
        .map(|(_, memory)| *memory)
}

/// The family of an instance class: `t3` for `t3.large`, `db.t4g` for
/// `db.t4g.medium`, `cache.r7g` for `cache.r7g.xlarge`.
pub fn instance_family(class: &str) -> &str {
    let prefixed = ["db.", "cache.", "kafka."]
        .iter()
        .any(|prefix| class.starts_with(prefix));
    let dots: Vec<usize> = class.match_indices('.').map(|(i, _)| i).collect();
    let cut = if prefixed { dots.get(1) } else { dots.first() };
    cut.map_or(class, |&i| &class[..i])
}

/// OIDC issuers whose TLS certificate IAM verifies through its own library
/// of trusted root CAs, so an IAM OIDC provider for them needs no
/// thumbprint: exact hosts, or `.suffix` for every host under a domain.
/// Any other issuer must come with the thumbprint of its certificate's top
/// intermediate CA.
/// Source: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateOpenIDConnectProviderThumbprint.html
/// ("These OIDC IdPs include Auth0, GitHub, GitLab, Google"), and
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html
pub const OIDC_ISSUERS_TRUSTED_BY_CA_LIBRARY: &[&str] = &[
    "token.actions.githubusercontent.com",
    "gitlab.com",
    "accounts.google.com",
    ".auth0.com",
];

/// Whether IAM verifies the issuer at `url` (`https://host/path`) through
/// its CA library rather than a thumbprint.
pub fn oidc_issuer_trusted_by_ca_library(url: &str) -> bool {
    let host = url
        .trim_start_matches("https://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    OIDC_ISSUERS_TRUSTED_BY_CA_LIBRARY
        .iter()
        .any(|trusted| match trusted.strip_prefix('.') {
            Some(domain) => host.ends_with(trusted) || host == domain,
            None => host == *trusted,
        })
}

/// An IAM OIDC thumbprint: the SHA-1 of a certificate, 40 hex digits.
/// Source: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
pub fn is_oidc_thumbprint(text: &str) -> bool {
    text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// A DNS name Route 53 hosts and ACM certifies: at least two labels of
/// lowercase letters, digits and inner hyphens, 63 characters each, 253 in
/// all; the platform adds up to 70 characters of its own labels in front
/// (`origin-<region>.<domain>.<environment>.`), so the zone keeps room.
/// Source: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
pub fn is_dns_name(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 180
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A Route 53 hosted zone id as the console and `ListHostedZones` show it
/// (without the `/hostedzone/` prefix): `Z` and up to 31 capitals or digits.
/// Source: https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html
pub fn is_hosted_zone_id(text: &str) -> bool {
    text.len() >= 2
        && text.len() <= 32
        && text.starts_with('Z')
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// AWS managed policies for job functions live under the path
/// `job-function/`; every other one the platform names is at the root
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html>).
pub const JOB_FUNCTION_POLICIES: &[&str] = &[
    "Billing",
    "DataScientist",
    "DatabaseAdministrator",
    "NetworkAdministrator",
    "SupportUser",
    "SystemAdministrator",
    "ViewOnlyAccess",
];

/// The path and name of an AWS managed policy named in the spec, as its ARN
/// ends (`arn:aws:iam::aws:policy/<this>`); a name given with its path is
/// kept as written.
pub fn managed_policy_path(name: &str) -> String {
    if name.contains('/') || !JOB_FUNCTION_POLICIES.contains(&name) {
        name.to_owned()
    } else {
        format!("job-function/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_issuers_iam_verifies_without_a_thumbprint() {
        assert!(oidc_issuer_trusted_by_ca_library(
            "https://token.actions.githubusercontent.com"
        ));
        assert!(oidc_issuer_trusted_by_ca_library(
            "https://smallco.eu.auth0.com/"
        ));
        assert!(!oidc_issuer_trusted_by_ca_library("https://notauth0.com"));
        assert!(!oidc_issuer_trusted_by_ca_library(
            "https://jenkins.smallco.example/oidc"
        ));
        assert!(is_oidc_thumbprint(
            "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
        ));
        assert!(!is_oidc_thumbprint(
            "9e99a48a9960b14926bb7f3b02e22da2b0ab728"
        ));
    }

    #[test]
    fn families() {
        assert_eq!(instance_family("t3.large"), "t3");
        assert_eq!(instance_family("db.t4g.medium"), "db.t4g");
        assert_eq!(instance_family("cache.r7g.xlarge"), "cache.r7g");
        assert_eq!(instance_family("kafka.m7g.large"), "kafka.m7g");
        assert_eq!(instance_family("weird"), "weird");
    }

    #[test]
    fn fargate_pairs() {
        assert!(fargate_memory_options(1024).unwrap().contains(&4096));
        assert!(!fargate_memory_options(256).unwrap().contains(&4096));
        assert!(fargate_memory_options(300).is_none());
    }

    #[test]
    fn az_names_follow_region() {
        assert_eq!(
            az_names("eu-west-1", 3),
            ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        );
        assert_eq!(region_azs("us-east-1"), Some(6));
        assert_eq!(region_azs("mars-1"), None);
    }
}
