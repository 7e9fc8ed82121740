//! `--rename OLD=NEW`, checked before anything is written.
//!
//! A rename makes NEW's root module keep OLD's state object (and move its
//! addresses). Applied wrongly it is destructive: if OLD still exists, two
//! modules share one state and applying either destroys the other's
//! resources; if OLD was never deployed (a typo), NEW silently starts from
//! an empty state and re-creates everything. So a rename is accepted only
//! when NEW is a service or data store of the spec, OLD is not any more,
//! and OLD is known from the previous synthesis — a module of that name, or
//! a module that already keeps OLD's state (a rename repeated on the next
//! run is still valid).

use std::collections::{BTreeMap, BTreeSet};

use landfall_diagnostics::did_you_mean;
use landfall_graph::Layer;
use serde_json::Value;

/// What a name in the workload layer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Service,
    Store,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Service => "-service-",
            Kind::Store => "-store-",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Store => "data store",
        }
    }
}

/// A rename that cannot be applied, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameProblem {
    pub message: String,
    pub help: String,
}

/// The services and stores the previous synthesis wrote modules for, read
/// from its `terraform/manifest.json`: every module's name and the stack
/// name its state key keeps (they differ for a module already renamed).
#[derive(Debug, Clone, Default)]
pub struct Previous {
    stacks: BTreeSet<String>,
}

impl Previous {
    /// Reads a Terraform manifest written by `landfall synth`.
    pub fn from_manifest(text: &str) -> Result<Self, String> {
        let manifest: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let modules = manifest
            .get("modules")
            .and_then(Value::as_array)
            .ok_or("no `modules` list: not a manifest written by `landfall synth`")?;
        let prefix = format!("{}/", Layer::Workloads.name());
        let mut stacks = BTreeSet::new();
        for module in modules {
            let stack = module.get("name").and_then(Value::as_str);
            let state = module
                .pointer("/state/key")
                .and_then(Value::as_str)
                .and_then(|key| key.strip_prefix(&prefix))
                .and_then(|key| key.strip_suffix(".tfstate"));
            stacks.extend(stack.into_iter().chain(state).map(str::to_owned));
        }
        Ok(Self { stacks })
    }

    /// Whether a module of the previous synthesis belongs to this service
    /// or store: matched by suffix, exactly as the emitter finds a renamed
    /// stack's old name.
    fn knows(&self, kind: Kind, name: &str) -> bool {
        let suffix = format!("{}{name}", kind.marker());
        self.stacks.iter().any(|s| s.ends_with(&suffix))
    }

    /// The names the previous synthesis had, for suggestions.
    fn names(&self) -> BTreeSet<String> {
        self.stacks
            .iter()
            .filter_map(|s| workload_name(s))
            .map(|(_, n)| n)
            .collect()
    }
}

/// The service or store a workload stack is named after
/// (`<org>-workloads-<domain>-<env>[-<region>]-service-<name>`), for
/// suggestions only: a name that itself holds a marker is ambiguous.
fn workload_name(stack: &str) -> Option<(Kind, String)> {
    [Kind::Service, Kind::Store]
        .into_iter()
        .filter_map(|kind| {
            stack
                .rfind(kind.marker())
                .map(|at| (at, kind, &stack[at + kind.marker().len()..]))
        })
        .max_by_key(|(at, _, _)| *at)
        .map(|(_, kind, name)| (kind, name.to_owned()))
}

/// Parses and checks every `OLD=NEW`; all problems are returned together.
///
/// `current` holds the spec's services and data stores; `previous` is the
/// previous synthesis, `None` when the output directory has none.
pub fn check(
    raw: &[String],
    current: &BTreeMap<String, Kind>,
    previous: Option<&Previous>,
) -> Result<Vec<(String, String)>, Vec<RenameProblem>> {
    let mut problems = Vec::new();
    let mut renames = Vec::new();
    let mut olds = BTreeSet::new();
    let mut news = BTreeSet::new();
    let gone: Vec<String> = previous
        .map(|p| {
            p.names()
                .into_iter()
                .filter(|n| !current.contains_key(n))
                .collect()
        })
        .unwrap_or_default();
    for value in raw {
        let Some((old, new)) = value
            .split_once('=')
            .map(|(o, n)| (o.trim(), n.trim()))
            .filter(|(o, n)| !o.is_empty() && !n.is_empty())
        else {
            problems.push(RenameProblem {
                message: format!("`--rename {value}` is not of the form OLD=NEW"),
                help: "give the old and the new name of one service or data store, for example `--rename margin-engine=risk-engine`".into(),
            });
            continue;
        };
        let mut ok = true;
        if old == new {
            problems.push(RenameProblem {
                message: format!("`--rename {value}` renames `{old}` to itself"),
                help: "leave it out: a name that did not change needs no rename".into(),
            });
            continue;
        }
        if !olds.insert(old.to_owned()) {
            problems.push(RenameProblem {
                message: format!("`{old}` is renamed more than once"),
                help: "give one `--rename` per old name".into(),
            });
            ok = false;
        }
        if !news.insert(new.to_owned()) {
            problems.push(RenameProblem {
                message: format!("more than one name is renamed to `{new}`"),
                help:
                    "two modules would share one Terraform state: give one `--rename` per new name"
                        .into(),
            });
            ok = false;
        }
        let kind = current.get(new).copied();
        match kind {
            None => {
                problems.push(RenameProblem {
                    message: format!(
                        "`{new}` (the new name in `--rename {value}`) is not a service or data store of the spec"
                    ),
                    help: did_you_mean(new, current.keys().map(String::as_str)),
                });
                ok = false;
            }
            Some(_) if current.contains_key(old) => {
                problems.push(RenameProblem {
                    message: format!(
                        "`{old}` (the old name in `--rename {value}`) is still in the spec: both modules would keep one Terraform state, and applying one would destroy the other's resources"
                    ),
                    help: format!(
                        "rename `{old}` to `{new}` in the spec first, or leave out the rename if `{new}` is new"
                    ),
                });
                ok = false;
            }
            Some(kind) => match previous {
                None => {
                    problems.push(RenameProblem {
                        message: format!(
                            "cannot check `--rename {value}`: the output directory holds no earlier synthesis (`terraform/manifest.json`)"
                        ),
                        help: "synthesize into the output directory the deployed modules came from, so the rename can be checked against them".into(),
                    });
                    ok = false;
                }
                Some(p) if !p.knows(kind, old) => {
                    let help = if p.knows(other(kind), old) {
                        format!(
                            "`{old}` was a {}, `{new}` is a {}: a rename keeps the kind",
                            other(kind).noun(),
                            kind.noun()
                        )
                    } else {
                        format!(
                            "{} (without a known old name, `{new}` would start from an empty state and re-create everything)",
                            did_you_mean(old, gone.iter().map(String::as_str))
                        )
                    };
                    problems.push(RenameProblem {
                        message: format!(
                            "`{old}` is not a {} of the previous synthesis",
                            kind.noun()
                        ),
                        help,
                    });
                    ok = false;
                }
                Some(_) => {}
            },
        }
        if ok {
            renames.push((old.to_owned(), new.to_owned()));
        }
    }
    if problems.is_empty() {
        Ok(renames)
    } else {
        Err(problems)
    }
}

fn other(kind: Kind) -> Kind {
    match kind {
        Kind::Service => Kind::Store,
        Kind::Store => Kind::Service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> BTreeMap<String, Kind> {
        [
            ("limits-api", Kind::Service),
            ("margin-engine", Kind::Service),
            ("risk-engine", Kind::Service),
            ("margin", Kind::Store),
        ]
        .into_iter()
        .map(|(n, k)| (n.to_owned(), k))
        .collect()
    }

    fn previous(modules: &[(&str, &str)]) -> Previous {
        let modules: Vec<Value> = modules
            .iter()
            .map(|(name, state)| {
                serde_json::json!({ "name": name, "state": { "key": format!("workloads/{state}.tfstate") } })
            })
            .collect();
        Previous::from_manifest(&serde_json::json!({ "modules": modules }).to_string()).unwrap()
    }

    fn deployed() -> Previous {
        previous(&[
            (
                "m-workloads-risk-prod-service-margin-engine",
                "m-workloads-risk-prod-service-margin-engine",
            ),
            (
                "m-workloads-risk-prod-eu-west-1-service-var-engine",
                "m-workloads-risk-prod-eu-west-1-service-var-engine",
            ),
            (
                "m-workloads-risk-prod-store-margin",
                "m-workloads-risk-prod-store-margin",
            ),
            (
                "m-workloads-risk-prod-service-limits-api",
                "m-workloads-risk-prod-service-limits-api",
            ),
        ])
    }

    fn messages(result: Result<Vec<(String, String)>, Vec<RenameProblem>>) -> Vec<String> {
        result
            .unwrap_err()
            .into_iter()
            .map(|p| format!("{} | {}", p.message, p.help))
            .collect()
    }

    #[test]
    fn an_old_name_still_in_the_spec_is_refused() {
        // The blocker: two modules would share one backend key.
        let out = messages(check(
            &["margin-engine=limits-api".into()],
            &current(),
            Some(&deployed()),
        ));
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("`margin-engine` (the old name in `--rename margin-engine=limits-api`) is still in the spec"), "{out:?}");
    }

    #[test]
    fn a_misspelt_old_name_is_refused_with_a_suggestion() {
        let out = messages(check(
            &["var-engin=risk-engine".into()],
            &current(),
            Some(&deployed()),
        ));
        assert_eq!(out.len(), 1);
        assert!(
            out[0].starts_with("`var-engin` is not a service of the previous synthesis"),
            "{out:?}"
        );
        assert!(out[0].contains("did you mean `var-engine`?"), "{out:?}");
    }

    #[test]
    fn malformed_values_and_unknown_new_names_are_all_reported() {
        let out = messages(check(
            &[
                "nonsense".into(),
                "=x".into(),
                "var-engine=risk-engin".into(),
            ],
            &current(),
            Some(&deployed()),
        ));
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[0].contains("`--rename nonsense` is not of the form OLD=NEW"));
        assert!(out[1].contains("`--rename =x` is not of the form OLD=NEW"));
        assert!(
            out[2].contains("`risk-engin` (the new name")
                && out[2].contains("did you mean `risk-engine`?")
        );
    }

    #[test]
    fn a_rename_needs_the_previous_synthesis() {
        let out = messages(check(&["var-engine=risk-engine".into()], &current(), None));
        assert!(out[0].contains("holds no earlier synthesis"), "{out:?}");
    }

    #[test]
    fn a_rename_keeps_the_kind() {
        let now: BTreeMap<String, Kind> = [("margin-store".to_owned(), Kind::Store)].into();
        let out = messages(check(
            &["margin-engine=margin-store".into()],
            &now,
            Some(&deployed()),
        ));
        assert!(
            out[0].contains("`margin-engine` was a service, `margin-store` is a data store"),
            "{out:?}"
        );
    }

    #[test]
    fn two_names_onto_one_are_refused() {
        let now: BTreeMap<String, Kind> = [("risk-engine".to_owned(), Kind::Service)].into();
        let out = messages(check(
            &[
                "margin-engine=risk-engine".into(),
                "var-engine=risk-engine".into(),
            ],
            &now,
            Some(&deployed()),
        ));
        assert!(
            out.iter()
                .any(|m| m.contains("more than one name is renamed to `risk-engine`")),
            "{out:?}"
        );
    }

    #[test]
    fn a_valid_rename_passes_and_stays_valid_on_the_next_run() {
        let now: BTreeMap<String, Kind> = [
            ("risk-engine".to_owned(), Kind::Service),
            ("limits-api".to_owned(), Kind::Service),
        ]
        .into();
        let renames = check(&["var-engine=risk-engine".into()], &now, Some(&deployed())).unwrap();
        assert_eq!(
            renames,
            vec![("var-engine".to_owned(), "risk-engine".to_owned())]
        );
        // The next synthesis wrote the module under the new name, keeping the
        // old state key: the same flag is still accepted.
        let after = previous(&[(
            "m-workloads-risk-prod-eu-west-1-service-risk-engine",
            "m-workloads-risk-prod-eu-west-1-service-var-engine",
        )]);
        assert!(check(&["var-engine=risk-engine".into()], &now, Some(&after)).is_ok());
    }

    #[test]
    fn workload_names_come_from_the_last_marker() {
        assert_eq!(
            workload_name("m-workloads-a-dev-eu-west-1-service-order-store-api"),
            Some((Kind::Store, "api".to_owned()))
        );
        assert_eq!(
            workload_name("m-workloads-a-dev-service-orders"),
            Some((Kind::Service, "orders".to_owned()))
        );
        assert_eq!(workload_name("m-network-prod-core"), None);
    }
}
