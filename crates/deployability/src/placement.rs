//! Where each stack lands and what its values read there: the accounts and
//! regions of a stack or StackSet, deploy waves, and strings of the graph's
//! intrinsics resolved for one account and region.
//!
//! Account ids are not known offline: each account gets the stable
//! placeholder id of [`landfall_proofs::placeholder_id`], so an ARN or an
//! image URI built from a parameter can be traced back to the account.

use std::collections::HashMap;

use landfall_graph::{Graph, ParameterValue, Stack, Target};
use landfall_model::{Account, Model};
use landfall_proofs::placeholder_id;
use landfall_spec::types::AccountClass;
use serde_json::Value;

/// One account and region a stack deploys to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place<'a> {
    pub account: &'a str,
    pub region: &'a str,
}

/// Facts about the graph every check needs, computed once.
pub struct Layout<'a> {
    pub model: &'a Model,
    pub graph: &'a Graph,
    /// Wave of each stack, by index in the graph; `None` on a cycle (which
    /// `Graph::check` reports).
    waves: Option<Vec<usize>>,
    /// Placements of each stack, by index in the graph.
    places: Vec<Vec<Place<'a>>>,
    by_name: HashMap<&'a str, &'a Account>,
    by_id: HashMap<String, &'a Account>,
    pub management: Option<&'a Account>,
}

impl<'a> Layout<'a> {
    pub fn new(model: &'a Model, graph: &'a Graph) -> Self {
        let index: HashMap<&str, usize> = graph
            .stacks
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let waves = graph.deploy_waves().ok().map(|waves| {
            let mut of = vec![0; graph.stacks.len()];
            for (w, names) in waves.iter().enumerate() {
                for name in names {
                    if let Some(&i) = index.get(name) {
                        of[i] = w;
                    }
                }
            }
            of
        });
        let by_name = model
            .accounts
            .iter()
            .map(|a| (a.name.as_str(), a))
            .collect();
        let by_id = model
            .accounts
            .iter()
            .map(|a| (placeholder_id(a.id), a))
            .collect();
        let places = graph.stacks.iter().map(|s| places_of(model, s)).collect();
        Self {
            model,
            graph,
            waves,
            places,
            by_name,
            by_id,
            management: model.core_account(AccountClass::Management),
        }
    }

    /// The deploy wave of the stack at `index`.
    pub fn wave(&self, index: usize) -> Option<usize> {
        self.waves.as_ref().map(|w| w[index])
    }

    /// Every account and region the stack at `index` deploys to.
    pub fn places(&self, index: usize) -> &[Place<'a>] {
        &self.places[index]
    }

    pub fn account(&self, name: &str) -> Option<&'a Account> {
        self.by_name.get(name).copied()
    }

    /// The account of a placeholder id.
    pub fn account_of_id(&self, id: &str) -> Option<&'a Account> {
        self.by_id.get(id).copied()
    }

    pub fn is_management(&self, account: &str) -> bool {
        self.management.is_some_and(|m| m.name == account)
    }

    /// A string value of `stack`'s template as it reads in `place`:
    /// literals, `Ref`s to parameters known now and to pseudo parameters,
    /// and `Fn::Sub` over those. `None` when any part is only known at
    /// deploy time (a resource's attribute, another stack's output).
    pub fn string(&self, stack: &Stack, place: Place<'_>, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) if map.len() == 1 => {
                if let Some(Value::String(name)) = map.get("Ref") {
                    return self.variable(stack, place, name, None);
                }
                let (text, vars) = match map.get("Fn::Sub")? {
                    Value::String(text) => (text.as_str(), None),
                    Value::Array(items) => (
                        items.first()?.as_str()?,
                        items.get(1).and_then(Value::as_object),
                    ),
                    _ => return None,
                };
                let mut out = String::new();
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let end = after.find('}')?;
                    let name = &after[..end];
                    if let Some(literal) = name.strip_prefix('!') {
                        out.push_str("${");
                        out.push_str(literal);
                        out.push('}');
                    } else {
                        out.push_str(&self.variable(stack, place, name, vars)?);
                    }
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                Some(out)
            }
            _ => None,
        }
    }

    fn variable(
        &self,
        stack: &Stack,
        place: Place<'_>,
        name: &str,
        vars: Option<&serde_json::Map<String, Value>>,
    ) -> Option<String> {
        if let Some(v) = vars.and_then(|v| v.get(name)) {
            return self.string(stack, place, v);
        }
        match name {
            "AWS::Region" => return Some(place.region.to_owned()),
            "AWS::AccountId" => return self.account(place.account).map(|a| placeholder_id(a.id)),
            "AWS::Partition" => return Some("aws".to_owned()),
            "AWS::URLSuffix" => return Some("amazonaws.com".to_owned()),
            _ => {}
        }
        let parameter = stack.parameters.iter().find(|p| p.name == name)?;
        match &parameter.value {
            ParameterValue::Literal(v) => Some(v.clone()),
            ParameterValue::AccountId(account) => {
                self.account(account).map(|a| placeholder_id(a.id))
            }
            _ => None,
        }
    }
}

/// Accounts and regions of a stack: its own, or for a service-managed
/// StackSet every account in its OUs and their child OUs (narrowed to its
/// accounts when it lists some), in each of its regions.
fn places_of<'a>(model: &'a Model, stack: &'a Stack) -> Vec<Place<'a>> {
    match &stack.target {
        Target::Account { account, region } => vec![Place { account, region }],
        Target::StackSet(set) => model
            .accounts_under(&set.organizational_units, &set.accounts)
            .flat_map(|account| {
                set.regions.iter().map(move |region| Place {
                    account: &account.name,
                    region,
                })
            })
            .collect(),
    }
}

/// Names for a finding's list of accounts: the first few, then how many more.
pub fn some_of(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut names: Vec<&str> = names.to_vec();
    names.sort_unstable();
    names.dedup();
    let head: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        format!("{} and {} more", head.join(", "), names.len() - SHOWN)
    } else {
        head.join(", ")
    }
}
