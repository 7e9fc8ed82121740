use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds identity policies (managed, inline on roles, users and groups)
    /// with a statement that allows every action on every resource. A
    /// managed policy used as a permissions boundary in the same template
    /// (referred to from a `PermissionsBoundary` property or an
    /// `iam:PermissionsBoundary` condition) is skipped: boundaries only cap.
    /// AWS SAM functions and state machines are checked through their
    /// `Policies`: inline documents, and the `AdministratorAccess` managed
    /// policy.
    ///
    /// ## Why is this bad?
    /// `"Action": "*"` on `"Resource": "*"` is administrator access: it can
    /// switch off logging, read every secret and create more administrators.
    /// Administrator access comes from a time-bound permission set, never
    /// from a policy in a template.
    ///
    /// ## Example
    /// ```yaml
    /// PolicyDocument:
    ///   Statement:
    ///     - Effect: Allow
    ///       Action: '*'
    ///       Resource: '*'
    /// ```
    ///
    /// ## Use instead
    /// List the actions and resources the workload uses.
    ///
    /// ## References
    /// - [AWS SAM `Policies` of a function](https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-policies)
    /// - [AWS Config rule `iam-policy-no-statements-with-admin-access`](https://docs.aws.amazon.com/config/latest/developerguide/iam-policy-no-statements-with-admin-access.html)
    pub struct IamPolicyAllowsFullAdmin {
        name: "iam-policy-allows-full-admin",
        family: "iam",
        summary: "IAM policy allows `*` on `*`",
        severity: High,
        guardrail: None,
        config_rules: ["IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"],
        checkov: ["CKV_AWS_1", "CKV_AWS_62"],
        kinds: [
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            "AWS::IAM::User",
            "AWS::IAM::Group",
            "AWS::Serverless::Function",
            "AWS::Serverless::StateMachine",
        ],
        fix: "grant the specific actions and resources needed",
    }
}

fn is_star(value: Option<&Value>) -> bool {
    value.is_some_and(|v| v.items().iter().any(|i| i.as_str() == Some("*")))
}

fn check_document(document: &Value, path: &[&str], out: &mut Vec<Violation>) {
    for statement in document
        .get("Statement")
        .map(Value::items)
        .unwrap_or_default()
    {
        if statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && is_star(statement.get("Action"))
            && is_star(statement.get("Resource"))
            && statement.get("Condition").is_none()
        {
            out.push(Violation::new("policy allows every action on every resource").at(path));
            return;
        }
    }
}

impl Rule for IamPolicyAllowsFullAdmin {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        // A permissions boundary only caps what roles may do; allowing `*`
        // and denying exceptions is its normal shape.
        let is_boundary = check.resource.kind == "AWS::IAM::ManagedPolicy"
            && check.view.referrers(check.resource).any(|r| {
                r.properties()
                    .to_json()
                    .to_string()
                    .contains("PermissionsBoundary")
            });
        if is_boundary {
            return;
        }
        if check.resource.kind.starts_with("AWS::Serverless::") {
            // SAM: a managed policy name or ARN, an inline document, or a
            // policy template, alone or in a list.
            for (i, policy) in check
                .props
                .get("Policies")
                .map(Value::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let index = i.to_string();
                match policy {
                    Value::String(name)
                        if name == "AdministratorAccess"
                            || name.ends_with(":policy/AdministratorAccess") =>
                    {
                        out.push(
                            Violation::new("the function's role gets `AdministratorAccess`")
                                .at(&["Policies", &index]),
                        );
                    }
                    Value::Map(_) if policy.get("Statement").is_some() => {
                        check_document(policy, &["Policies", &index], out);
                    }
                    _ => {}
                }
            }
            return;
        }
        if let Some(document) = check.props.get("PolicyDocument") {
            check_document(document, &["PolicyDocument"], out);
        }
        for (i, policy) in check
            .props
            .get("Policies")
            .map(Value::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(document) = policy.get("PolicyDocument") {
                let index = i.to_string();
                check_document(document, &["Policies", &index, "PolicyDocument"], out);
            }
        }
    }
}
