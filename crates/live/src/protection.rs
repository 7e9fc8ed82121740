//! Deletion protection that stands between a deploy and a deletion the
//! spec asks for.
//!
//! The platform's load balancers have deletion protection on, so nothing
//! but a deliberate change removes them. CloudFormation does not turn it off
//! for a resource it deletes: the deletion fails (in an update's clean-up
//! the load balancer is left behind, running and billed; a stack deletion
//! ends in `DELETE_FAILED`). So when an update drops a protected load
//! balancer, or a retired stack holds one, the deploy first updates the
//! live stack with its own template and only that attribute turned off,
//! then goes on. A load balancer holds no data, so lifting its protection
//! loses nothing the spec did not already give up; a protected table or
//! database is never lifted (they are kept with `DeletionPolicy: Retain`,
//! which deletion skips).
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#deletion-protection>

use serde_json::Value;

const LOAD_BALANCER: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const PROTECTION: &str = "deletion_protection.enabled";

/// The logical ids of the load balancers of `template` whose deletion
/// protection is on and that a deletion would really delete (no
/// `DeletionPolicy: Retain`), in the template's order.
pub fn protected_load_balancers(template: &Value) -> Vec<String> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    resources
        .iter()
        .filter(|(_, r)| {
            r.get("Type").and_then(Value::as_str) == Some(LOAD_BALANCER)
                && r.get("DeletionPolicy").and_then(Value::as_str) != Some("Retain")
                && protection_attribute(r).is_some_and(|v| v == "true")
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// The protected load balancers of the live template that the desired
/// template no longer has: the ones an update from `live` to `desired`
/// would fail to delete.
pub fn dropped_protected(live: &Value, desired: &Value) -> Vec<String> {
    let kept = desired.get("Resources").and_then(Value::as_object);
    protected_load_balancers(live)
        .into_iter()
        .filter(|id| !kept.is_some_and(|k| k.contains_key(id)))
        .collect()
}

/// `template` with the deletion protection of the load balancers `ids`
/// turned off, and nothing else changed.
pub fn unprotected(template: &Value, ids: &[String]) -> Value {
    let mut out = template.clone();
    for id in ids {
        let attributes = out
            .get_mut("Resources")
            .and_then(|r| r.get_mut(id))
            .and_then(|r| r.get_mut("Properties"))
            .and_then(|p| p.get_mut("LoadBalancerAttributes"))
            .and_then(Value::as_array_mut);
        for attribute in attributes.into_iter().flatten() {
            if attribute.get("Key").and_then(Value::as_str) == Some(PROTECTION) {
                attribute["Value"] = Value::String("false".into());
            }
        }
    }
    out
}

fn protection_attribute(resource: &Value) -> Option<&str> {
    resource
        .get("Properties")?
        .get("LoadBalancerAttributes")?
        .as_array()?
        .iter()
        .find(|a| a.get("Key").and_then(Value::as_str) == Some(PROTECTION))?
        .get("Value")?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load_balancer(protected: &str, retain: bool) -> Value {
        let mut lb = json!({
            "Type": LOAD_BALANCER,
            "Properties": {
                "Type": "network",
                "LoadBalancerAttributes": [
                    { "Key": "load_balancing.cross_zone.enabled", "Value": "true" },
                    { "Key": PROTECTION, "Value": protected }
                ]
            }
        });
        if retain {
            lb["DeletionPolicy"] = json!("Retain");
        }
        lb
    }

    fn template() -> Value {
        json!({
            "Resources": {
                "HealLoadBalancer": load_balancer("true", false),
                "Unprotected": load_balancer("false", false),
                "Kept": load_balancer("true", true),
                "Queue": { "Type": "AWS::SQS::Queue" }
            }
        })
    }

    #[test]
    fn only_protected_load_balancers_a_deletion_would_delete_are_named() {
        assert_eq!(
            protected_load_balancers(&template()),
            vec!["HealLoadBalancer"]
        );
        assert!(protected_load_balancers(&json!({})).is_empty());
    }

    #[test]
    fn an_update_dropping_a_protected_load_balancer_is_seen() {
        let live = template();
        assert!(dropped_protected(&live, &live).is_empty());
        let mut desired = live.clone();
        if let Some(resources) = desired["Resources"].as_object_mut() {
            resources.remove("HealLoadBalancer");
        }
        assert_eq!(dropped_protected(&live, &desired), vec!["HealLoadBalancer"]);
    }

    #[test]
    fn lifting_changes_the_protection_attribute_alone() {
        let live = template();
        let lifted = unprotected(&live, &["HealLoadBalancer".to_owned()]);
        assert!(protected_load_balancers(&lifted).is_empty());
        let mut back = lifted.clone();
        back["Resources"]["HealLoadBalancer"]["Properties"]["LoadBalancerAttributes"][1]["Value"] =
            json!("true");
        assert_eq!(back, live);
    }
}
