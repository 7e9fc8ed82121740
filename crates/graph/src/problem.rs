//! A problem that stops building or emitting the graph.

use std::fmt;

use landfall_diagnostics::Diagnostic;
use landfall_spec::{LoadedSpec, Pointer};

/// Something in the spec the output cannot express, or an AWS limit the
/// output would break; located in the spec when it comes from a spec value.
/// Shared by every stage that builds or emits the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub help: String,
    /// The spec value behind it, when there is one.
    pub at: Option<Pointer>,
}

impl Problem {
    /// The problem as a diagnostic located in the spec.
    pub fn to_diagnostic(&self, spec: &LoadedSpec) -> Diagnostic {
        let span = self.at.as_ref().and_then(|at| spec.span(at));
        let mut d = Diagnostic::error(self.code, self.message.clone())
            .with_optional_label(span, "here")
            .with_help(self.help.clone());
        if let (None, Some(at)) = (span, &self.at) {
            d = d.in_file(at.file);
        }
        d
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.code, self.message, self.help)
    }
}
