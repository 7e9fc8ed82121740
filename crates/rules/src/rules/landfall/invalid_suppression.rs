use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Reports inline suppressions that do not say why, or that name a rule
    /// that does not exist. A suppression without a reason is not honoured:
    /// the finding it tried to hide is reported too.
    ///
    /// ## Why is this bad?
    /// A suppression is an accepted risk. Without the reason, nobody can
    /// tell later whether it still holds, and reviewers learn to wave
    /// suppressions through.
    ///
    /// ## Example
    /// ```yaml
    /// Metadata:
    ///   landfall:
    ///     suppress:
    ///       - rule: LF101
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Metadata:
    ///   landfall:
    ///     suppress:
    ///       - rule: LF101
    ///         reason: scratch volume, wiped on every boot (SEC-1234)
    /// ```
    /// Terraform: tag `landfall:suppress` = `"LF101: scratch volume, wiped on every boot"`.
    ///
    /// ## References
    /// - [Landfall rules](https://github.com/landfall-dev/landfall/blob/main/docs/rules.md)
    pub struct InvalidSuppression {
        name: "invalid-suppression",
        family: "landfall",
        summary: "suppression without a reason or for an unknown rule",
        severity: High,
        guardrail: None,
        config_rules: [],
        checkov: [],
        kinds: [],
        fix: "add a `reason` that says why the risk is accepted, or remove the suppression",
    }
}

impl Rule for InvalidSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// Reported by the scanner itself, which sees every suppression.
    fn check(&self, _check: &Check<'_>, _out: &mut Vec<Violation>) {}
}
