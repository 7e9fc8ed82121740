//! Resolution: the merged spec in, a validated [`Model`] out, with every
//! problem found reported at the place in the spec that caused it.
//!
//! Resolution never stops at the first problem: each part resolves what it
//! can and records diagnostics, and a model is returned only when no error
//! was found. When some file failed to load, references into the missing
//! content would all look dangling, so "unknown reference" errors are held
//! back until the files load cleanly.

mod identity;
mod network;
mod organization;
mod settings;
mod workloads;

use std::collections::BTreeMap;

use landfall_diagnostics::{did_you_mean, Diagnostic, Diagnostics, Span};
use landfall_spec::{LoadedSpec, Pointer};

use crate::model::Model;

/// Resolves a loaded spec. `load_failed` says whether loading reported errors
/// (some content may be missing).
pub fn resolve(loaded: &LoadedSpec, load_failed: bool) -> (Option<Model>, Diagnostics) {
    let mut resolver = Resolver {
        loaded,
        diagnostics: Diagnostics::new(),
        incomplete: load_failed,
    };
    let model = resolver.run();
    let Resolver { diagnostics, .. } = resolver;
    let model = if diagnostics.has_errors() || load_failed {
        None
    } else {
        model
    };
    (model, diagnostics)
}

pub(crate) struct Resolver<'a> {
    pub loaded: &'a LoadedSpec,
    pub diagnostics: Diagnostics,
    /// Some file failed to load; references may point at content we lack.
    pub incomplete: bool,
}

/// Names of one kind of thing, for reference checks.
pub(crate) struct Names<Id> {
    pub kind: &'static str,
    pub by_name: BTreeMap<String, Id>,
    /// Names that were defined but could not be resolved (an error was
    /// reported there); references to them stay quiet to avoid cascades.
    pub poisoned: std::collections::BTreeSet<String>,
}

impl<Id: Copy> Names<Id> {
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            by_name: BTreeMap::new(),
            poisoned: std::collections::BTreeSet::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<Id> {
        self.by_name.get(name).copied()
    }
}

impl Resolver<'_> {
    fn run(&mut self) -> Option<Model> {
        let spec = &self.loaded.spec;
        let limits = settings::limits(self, spec);
        let mut org = organization::resolve(self, spec, &limits)?;
        let network = network::resolve(self, spec, &mut org, &limits);
        let workloads = workloads::resolve(self, spec, &org);
        let identity = identity::resolve(self, spec, &org, &limits);
        let guardrails = settings::guardrails(self, spec, &org);
        let cicd = settings::cicd(self, spec);
        let billing = settings::billing(self, spec, &org);
        let observability = settings::observability(self, spec, &workloads);
        settings::remediation_engine(self, spec);
        let change_freezes = settings::change_freezes(self, spec, &org);
        let network = network?;
        Some(Model {
            organization: org.info,
            regions: org.regions,
            environments: org.environments,
            domains: org.domains,
            organizational_units: org.ous,
            accounts: org.accounts,
            network,
            services: workloads.services,
            data_stores: workloads.data_stores,
            topics: workloads.topics,
            identity,
            guardrails,
            cicd,
            billing,
            observability,
            observability_origin: spec.observability.as_ref().map(|o| o.at.clone()),
            change_freezes,
            limits,
        })
    }

    /// The span of the value at a pointer; for a defaulted value that is not
    /// in the file, the nearest enclosing key that is.
    pub fn span(&self, at: &Pointer) -> Option<Span> {
        if let Some(span) = self.loaded.span(at) {
            return Some(span);
        }
        let mut path = at.path.as_str();
        while let Some((parent, _)) = path.rsplit_once('/') {
            if parent.is_empty() {
                break;
            }
            let parent_at = Pointer::new(at.file, parent);
            if let Some(span) = self.loaded.key_span(&parent_at) {
                return Some(span);
            }
            path = parent;
        }
        None
    }

    /// Reports an error at the value a pointer names.
    pub fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        at: &Pointer,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let span = self.span(at);
        self.report(
            Diagnostic::error(code, message),
            span,
            at,
            label.into(),
            help.into(),
        );
    }

    /// Reports an error at the key of the value a pointer names (for
    /// "this field is wrong as a whole").
    pub fn error_at_key(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        at: &Pointer,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let span = self.loaded.key_span(at).or_else(|| self.span(at));
        self.report(
            Diagnostic::error(code, message),
            span,
            at,
            label.into(),
            help.into(),
        );
    }

    pub fn warning(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        at: &Pointer,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let span = self.span(at);
        self.report(
            Diagnostic::warning(code, message),
            span,
            at,
            label.into(),
            help.into(),
        );
    }

    fn report(
        &mut self,
        diagnostic: Diagnostic,
        span: Option<Span>,
        at: &Pointer,
        label: String,
        help: String,
    ) {
        self.diagnostics.push(
            diagnostic
                .with_optional_label(span, label)
                .with_help(help)
                .in_file(at.file),
        );
    }

    /// Looks a name up; reports an unknown reference with a suggestion.
    pub fn lookup<Id: Copy>(&mut self, names: &Names<Id>, name: &str, at: &Pointer) -> Option<Id> {
        if let Some(id) = names.get(name) {
            return Some(id);
        }
        // A name written in a part that did not load may be declared there.
        let held_back = self.loaded.may_be_declared_in_unloaded_part(name);
        if !held_back && !names.poisoned.contains(name) {
            let help = did_you_mean(name, names.by_name.keys().map(String::as_str));
            self.error(
                "spec::unknown-reference",
                format!("unknown {} `{name}`", names.kind),
                at,
                format!(
                    "not {} {} of this platform",
                    article(names.kind),
                    names.kind
                ),
                help,
            );
        }
        None
    }

    /// Registers a name; reports a duplicate at the second definition.
    pub fn define<Id: Copy>(
        &mut self,
        names: &mut Names<Id>,
        name: &str,
        id: Id,
        at: &Pointer,
        first_at: &dyn Fn(Id) -> Pointer,
    ) -> bool {
        if let Some(existing) = names.get(name) {
            let first = first_at(existing);
            let first_span = self.span(&first);
            let span = self.span(at);
            let mut diagnostic = Diagnostic::error(
                "spec::duplicate-name",
                format!("{} `{name}` is defined twice", names.kind),
            )
            .with_optional_label(span, "defined again here");
            if let Some(first_span) = first_span {
                diagnostic = diagnostic.with_label(first_span, "first defined here");
            }
            self.diagnostics.push(
                diagnostic
                    .with_help(format!(
                        "{} names are unique in the platform; rename one of them",
                        names.kind
                    ))
                    .in_file(at.file),
            );
            return false;
        }
        names.by_name.insert(name.to_owned(), id);
        true
    }

    /// Checks a lowercase name (`[a-z][a-z0-9-]*`, no trailing or double dash).
    pub fn check_name(&mut self, kind: &str, name: &str, max_len: usize, at: &Pointer) -> bool {
        let valid = !name.is_empty()
            && name.len() <= max_len
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.ends_with('-')
            && !name.contains("--")
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            let suggestion = suggest_name(name);
            self.error(
                "spec::invalid-name",
                format!("`{name}` is not a valid {kind} name"),
                at,
                format!("lowercase letters, digits and single dashes, starting with a letter, at most {max_len} characters"),
                if suggestion.is_empty() || suggestion == name {
                    "rename it".to_owned()
                } else {
                    format!("for example `{suggestion}`")
                },
            );
        }
        valid
    }
}

/// A valid name close to an invalid one, for help texts.
fn suggest_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Pointer to list element `i` of a list field below `at`.
pub(crate) fn item(at: &Pointer, field: &str, i: usize) -> Pointer {
    at.child(field).child(i)
}

/// "a" or "an" before a word, for messages.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
