use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds RDS and Aurora instances with `PubliclyAccessible: true`.
    ///
    /// ## Why is this bad?
    /// The database gets a public DNS name and address; one security group
    /// mistake away from the internet, and scanned continuously.
    ///
    /// ## Example
    /// ```yaml
    /// Reports:
    ///   Type: AWS::RDS::DBInstance
    ///   Properties:
    ///     PubliclyAccessible: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     PubliclyAccessible: false
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `rds-instance-public-access-check`](https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-public-access-check.html)
    pub struct RdsPubliclyAccessible {
        name: "rds-publicly-accessible",
        family: "data",
        summary: "database instance is publicly accessible",
        severity: Critical,
        guardrail: None,
        config_rules: ["RDS_INSTANCE_PUBLIC_ACCESS_CHECK"],
        checkov: ["CKV_AWS_17"],
        kinds: ["AWS::RDS::DBInstance"],
        fix: "set `PubliclyAccessible: false`",
    }
}

impl Rule for RdsPubliclyAccessible {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if flag(check.props, &["PubliclyAccessible"]) == Flag::True {
            out.push(Violation::new("`PubliclyAccessible: true`").at(&["PubliclyAccessible"]));
        }
    }
}
