//! Which IAM service prefix a resource type belongs to, and which services
//! are global (not bound to a region).

/// IAM service prefixes of global services and actions, exempted from the
/// region allowlist (AWS's example SCP "Deny access to AWS based on the
/// requested Region", plus account and billing).
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html>
pub const GLOBAL_ACTIONS: &[&str] = &[
    "account:*",
    "acm:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "kms:*",
    "networkmanager:*",
    "organizations:*",
    "pricing:*",
    "route53:*",
    "route53domains:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
];

/// Services the region allowlist does not apply to: exactly those whose
/// every action the region SCP exempts (`<prefix>:*` in
/// [`GLOBAL_ACTIONS`]), so the check and the SCP never disagree. CloudFront's
/// web ACLs, for one, must be created in `us-east-1` (`wafv2`).
pub fn is_global_service(prefix: &str) -> bool {
    GLOBAL_ACTIONS
        .iter()
        .any(|a| a.strip_suffix(":*") == Some(prefix))
}

/// The IAM prefix of a CloudFormation type (`AWS::Lambda::Function` →
/// `lambda`) or of an untranslated Terraform type (`terraform:aws_lambda_function`).
pub fn service_prefix(kind: &str) -> Option<String> {
    if let Some(ty) = kind.strip_prefix("terraform:") {
        return terraform_prefix(ty);
    }
    let mut parts = kind.split("::");
    let vendor = parts.next()?;
    let namespace = parts.next()?;
    if vendor == "Landfall" {
        return Some(namespace.to_ascii_lowercase());
    }
    if vendor != "AWS" {
        return None;
    }
    let prefix = match namespace {
        "AccessAnalyzer" => "access-analyzer",
        "ApiGateway" | "ApiGatewayV2" => "apigateway",
        "ApplicationAutoScaling" => "application-autoscaling",
        "AutoScaling" => "autoscaling",
        "CertificateManager" => "acm",
        "CloudWatch" => "cloudwatch",
        "Cognito" => "cognito-idp",
        "DocDB" => "rds",
        "EFS" => "elasticfilesystem",
        "ElasticLoadBalancing" | "ElasticLoadBalancingV2" => "elasticloadbalancing",
        "Elasticsearch" | "OpenSearchService" => "es",
        "Events" => "events",
        "KinesisFirehose" => "firehose",
        "Logs" => "logs",
        "MSK" => "kafka",
        "Neptune" => "rds",
        "OpenSearchServerless" => "aoss",
        "Route53Resolver" => "route53resolver",
        "SSM" => "ssm",
        "SecretsManager" => "secretsmanager",
        "ServiceDiscovery" => "servicediscovery",
        "StepFunctions" => "states",
        "WAFv2" => "wafv2",
        // CloudFormation's own types need no service.
        "CloudFormation" => "cloudformation",
        other => return Some(other.to_ascii_lowercase()),
    };
    Some(prefix.to_owned())
}

fn terraform_prefix(ty: &str) -> Option<String> {
    let rest = ty.strip_prefix("aws_")?;
    let known: &[(&str, &str)] = &[
        ("lambda_", "lambda"),
        ("sagemaker_", "sagemaker"),
        ("glue_", "glue"),
        ("athena_", "athena"),
        ("eks_", "eks"),
        ("ecs_", "ecs"),
        ("ecr_", "ecr"),
        ("sqs_", "sqs"),
        ("sns_", "sns"),
        ("kinesis_firehose", "firehose"),
        ("kinesis_", "kinesis"),
        ("dynamodb_", "dynamodb"),
        ("opensearch_", "es"),
        ("elasticsearch_", "es"),
        ("redshift_", "redshift"),
        ("emr_", "elasticmapreduce"),
        ("batch_", "batch"),
        ("cloudwatch_event", "events"),
        ("cloudwatch_log", "logs"),
        ("cloudwatch_", "cloudwatch"),
        ("sfn_", "states"),
        ("secretsmanager_", "secretsmanager"),
        ("ssm_", "ssm"),
        ("kms_", "kms"),
        ("iam_", "iam"),
        ("s3_", "s3"),
        ("s3control_", "s3"),
        ("route53_", "route53"),
        ("acm_", "acm"),
        ("apigatewayv2_", "apigateway"),
        ("api_gateway_", "apigateway"),
        ("cognito_", "cognito-idp"),
        ("efs_", "elasticfilesystem"),
        ("mq_", "mq"),
        ("codebuild_", "codebuild"),
        ("codepipeline", "codepipeline"),
        ("appsync_", "appsync"),
        ("lb", "elasticloadbalancing"),
        ("alb", "elasticloadbalancing"),
        ("autoscaling_", "autoscaling"),
        ("appautoscaling_", "application-autoscaling"),
        ("db_", "rds"),
        ("rds_", "rds"),
        ("elasticache_", "elasticache"),
        ("msk_", "kafka"),
        ("wafv2_", "wafv2"),
        ("cloudfront_", "cloudfront"),
        ("backup_", "backup"),
        ("scheduler_", "scheduler"),
        ("service_discovery_", "servicediscovery"),
        ("lightsail_", "lightsail"),
        ("transfer_", "transfer"),
        ("bedrock", "bedrock"),
    ];
    known
        .iter()
        .find(|(prefix, _)| rest.starts_with(prefix))
        .map(|(_, service)| (*service).to_owned())
        .or_else(|| {
            Some("ec2".to_owned()).filter(|_| {
                [
                    "instance",
                    "vpc",
                    "subnet",
                    "security_group",
                    "route",
                    "internet_gateway",
                    "nat_gateway",
                    "eip",
                    "ebs_",
                    "launch_",
                    "key_pair",
                    "network_",
                    "flow_log",
                    "ami",
                    "ec2_",
                ]
                .iter()
                .any(|p| rest.starts_with(p))
            })
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_and_terraform_types_map_to_iam_prefixes() {
        assert_eq!(
            service_prefix("AWS::Lambda::Function").as_deref(),
            Some("lambda")
        );
        assert_eq!(
            service_prefix("AWS::MSK::Cluster").as_deref(),
            Some("kafka")
        );
        assert_eq!(
            service_prefix("AWS::ElasticLoadBalancingV2::LoadBalancer").as_deref(),
            Some("elasticloadbalancing")
        );
        assert_eq!(
            service_prefix("AWS::StepFunctions::StateMachine").as_deref(),
            Some("states")
        );
        assert_eq!(
            service_prefix("terraform:aws_lambda_function").as_deref(),
            Some("lambda")
        );
        assert_eq!(
            service_prefix("terraform:aws_sagemaker_domain").as_deref(),
            Some("sagemaker")
        );
        assert_eq!(
            service_prefix("AWS::AccessAnalyzer::Analyzer").as_deref(),
            Some("access-analyzer")
        );
        assert_eq!(service_prefix("Custom::Thing"), None);
    }
}
