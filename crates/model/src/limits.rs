//! AWS limits as data: one table with AWS's defaults, overridable in the spec
//! (`limits:`) where a quota has been raised for the organization.

use serde::Serialize;

/// One limit: its key in the spec, AWS's default, and where AWS documents it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LimitInfo {
    pub key: &'static str,
    pub default: u64,
    pub description: &'static str,
    pub source: &'static str,
}

macro_rules! limits {
    ($( $(#[doc = $doc:literal])* $key:ident = $default:expr, $source:literal; )*) => {
        /// The limits in force for one platform.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        pub struct Limits {
            $( $(#[doc = $doc])* pub $key: u64, )*
        }

        impl Default for Limits {
            fn default() -> Self {
                Self { $( $key: $default, )* }
            }
        }

        /// Every limit, in table order.
        pub const LIMITS: &[LimitInfo] = &[
            $( LimitInfo {
                key: stringify!($key),
                default: $default,
                description: concat!($($doc),*),
                source: $source,
            }, )*
        ];

        impl Limits {
            /// Sets a limit by key; false when no limit has that key.
            pub fn set(&mut self, key: &str, value: u64) -> bool {
                match key {
                    $( stringify!($key) => { self.$key = value; true } )*
                    _ => false,
                }
            }

            pub fn get(&self, key: &str) -> Option<u64> {
                match key {
                    $( stringify!($key) => Some(self.$key), )*
                    _ => None,
                }
            }
        }
    };
}

limits! {
    /// Accounts in the organization (default quota; usually raised).
    accounts_per_organization = 10, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// OU nesting levels below the root.
    ou_max_depth = 5, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// Accounts being created at the same time.
    concurrent_account_creations = 5, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// SCP document size in characters, minified (all characters count through the API).
    scp_max_chars = 10_240, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// SCPs attached directly to one root, OU or account (FullAWSAccess takes one).
    scps_per_target = 10, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// RCP document size in characters.
    rcp_max_chars = 5_120, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// RCPs attached directly to one target (RCPFullAWSAccess takes one).
    rcps_per_target = 5, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html";
    /// Managed IAM policy size in characters, whitespace not counted.
    managed_policy_max_chars = 6_144, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
    /// Aggregate size of a role's inline policies in characters.
    inline_role_policies_max_chars = 10_240, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
    /// Role trust policy size in characters.
    role_trust_policy_max_chars = 2_048, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
    /// Session policy size in characters (plaintext).
    session_policy_max_chars = 2_048, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
    /// Managed policies attached to one role.
    managed_policies_per_role = 10, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
    /// Shortest VPC prefix length (largest VPC).
    vpc_min_prefix_length = 16, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Longest subnet prefix length (smallest subnet).
    subnet_max_prefix_length = 28, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Addresses AWS reserves in every subnet.
    subnet_reserved_addresses = 5, "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html";
    /// Subnets in one VPC.
    subnets_per_vpc = 200, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Routes in one route table, propagated routes not counted (the NAT gateway's table gets a return route per inspected subnet).
    routes_per_route_table = 50, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// IPv4 CIDR blocks of one VPC.
    cidr_blocks_per_vpc = 5, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Participant accounts of one shared VPC.
    participant_accounts_per_shared_vpc = 100, "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html";
    /// Subnets shared with one account.
    subnets_shared_per_account = 100, "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html";
    /// RAM resource shares per account.
    ram_resource_shares_per_account = 5_000, "https://docs.aws.amazon.com/ram/latest/userguide/ram-limits.html";
    /// Resources in one CloudFormation stack.
    stack_max_resources = 500, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Parameters of one CloudFormation stack.
    stack_max_parameters = 200, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Outputs of one CloudFormation stack.
    stack_max_outputs = 200, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Template body passed inline, in bytes.
    template_inline_max_bytes = 51_200, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Template body uploaded through S3, in bytes.
    template_s3_max_bytes = 1_000_000, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// StackSets per administrator account.
    stacksets_per_admin_account = 1_000, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Stack instances of one StackSet.
    stack_instances_per_stackset = 100_000, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
    /// Permission sets in one IAM Identity Center instance.
    permission_sets_per_instance = 2_000, "https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html";
    /// AWS managed policies attached to one permission set.
    managed_policies_per_permission_set = 20, "https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html";
    /// Inline policy of one permission set, in characters.
    permission_set_inline_policy_max_chars = 32_768, "https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html";
    /// Longest permission set session, in hours.
    permission_set_max_session_hours = 12, "https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html";
    /// Listener rules of one Application Load Balancer, default rules not counted (each internal or public service adds one to its domain's load balancer).
    alb_rules_per_load_balancer = 100, "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html";
    /// Target groups of one Application Load Balancer (each internal or public service adds one).
    alb_target_groups_per_load_balancer = 100, "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html";
    /// Services in one ECS cluster (one cluster per domain account and region).
    ecs_services_per_cluster = 5_000, "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html";
    /// Tasks of one ECS service.
    ecs_tasks_per_service = 5_000, "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html";
    /// Network interfaces per account and region (every awsvpc task holds one).
    network_interfaces_per_region = 5_000, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Elastic IP addresses per account and region (quota L-0263D0A3): the networking account holds one per AZ for the NAT gateway of every VPC with egress.
    elastic_ips_per_region = 5, "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html";
    /// Data nodes of one OpenSearch domain (the log search domain of each VPC is sized from its environment's declared log volume and `opensearch_retention_days`).
    opensearch_data_nodes_per_domain = 80, "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html";
    /// vCPUs of running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances per account and region (quota L-1216C47A; a new account's default: raise it before metal fleets deploy).
    on_demand_standard_vcpus = 5, "https://docs.aws.amazon.com/cli/latest/reference/service-quotas/get-aws-default-service-quota.html";
    /// GiB of EBS storage per MSK Standard broker (the remediation service never grows a broker's storage past it).
    msk_broker_storage_max_gib = 16_384, "https://docs.aws.amazon.com/msk/latest/developerguide/limits.html";
    /// Hours MSK needs after a broker storage update before it accepts another (at least six; automatic scaling counts too).
    msk_storage_update_interval_hours = 6, "https://docs.aws.amazon.com/msk/latest/developerguide/manually-expand-storage.html";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_cites_an_aws_page() {
        for limit in LIMITS {
            assert!(
                limit.source.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                limit.key
            );
            assert!(!limit.description.is_empty(), "{}", limit.key);
        }
    }

    #[test]
    fn set_and_get_round_trip_every_key() {
        let mut limits = Limits::default();
        for (i, limit) in LIMITS.iter().enumerate() {
            assert_eq!(limits.get(limit.key), Some(limit.default));
            assert!(limits.set(limit.key, 1_000 + i as u64));
            assert_eq!(limits.get(limit.key), Some(1_000 + i as u64));
        }
        assert!(!limits.set("no_such_limit", 1));
    }

    #[test]
    fn defaults_match_reference_figures() {
        let limits = Limits::default();
        assert_eq!(limits.scp_max_chars, 10_240);
        assert_eq!(limits.scps_per_target, 10);
        assert_eq!(limits.stack_max_resources, 500);
        assert_eq!(limits.subnets_per_vpc, 200);
    }
}
