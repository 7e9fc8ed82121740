//! Policy bytes → parse, validate, compile and evaluate: never panics.
#![no_main]

use landfall_diagnostics::SourceSet;
use landfall_iam::authorize::{evaluate, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::request::{Request, RequestInput};
use landfall_iam::validate::{check_policy_bytes, Limits, PolicyKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sources = SourceSet::default();
    let (policy, _) = check_policy_bytes(&mut sources, "fuzz.json", data, PolicyKind::Managed, &Limits::default());
    if let Some(policy) = policy {
        let set = PolicySet {
            identity: vec![CompiledPolicy::new(policy)],
            ..PolicySet::default()
        };
        let request = Request::new(RequestInput {
            principal: "arn:aws:iam::111122223333:user/fuzz".into(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::bucket/key".into(),
            ..RequestInput::default()
        });
        let _ = evaluate(&set, &request);
    }
});
