//! Remap programs compiled and run with Vector's own VRL compiler and
//! runtime (the `vrl` crate, the version the pinned Vector release uses).

use std::collections::BTreeMap;

use vrl::compiler::state::RuntimeState;
use vrl::compiler::{Context, Program, TargetValue, TimeZone};
use vrl::diagnostic::Formatter;
use vrl::value::{Secrets, Value};

/// A program VRL accepted.
pub struct Compiled {
    program: Program,
}

/// Compiles a remap program as Vector would at start-up; the error is
/// VRL's own report (error codes, the offending span).
pub fn compile(source: &str) -> Result<Compiled, String> {
    match vrl::compiler::compile(source, &vrl::stdlib::all()) {
        Ok(result) => Ok(Compiled {
            program: result.program,
        }),
        Err(diagnostics) => Err(Formatter::new(source, diagnostics).to_string()),
    }
}

impl Compiled {
    /// Runs the program on one record, as Vector's `remap` transform does;
    /// the record as it leaves the program, or the runtime error.
    pub fn run(&self, record: &serde_json::Value) -> Result<serde_json::Value, String> {
        let mut target = TargetValue {
            value: Value::from(record),
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut state = RuntimeState::default();
        let timezone = TimeZone::default();
        let mut ctx = Context::new(&mut target, &mut state, &timezone);
        self.program.resolve(&mut ctx).map_err(|e| e.to_string())?;
        serde_json::to_value(&target.value).map_err(|e| e.to_string())
    }
}
