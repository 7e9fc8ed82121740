//! What CloudFormation needs to create, update and delete each resource
//! type: the `handlers.<op>.permissions` of the resource provider schemas
//! (<https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html#schema-properties-handlers>),
//! as cfn-lint ships them, in a compact embedded copy
//! (`data/handler-permissions.tsv.zz`, refreshed by
//! `scripts/refresh-handler-permissions.sh`).

use std::collections::HashMap;
use std::sync::OnceLock;

static DATA: &[u8] = include_bytes!("../data/handler-permissions.tsv.zz");

/// A handler of a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 3] = [Operation::Create, Operation::Update, Operation::Delete];

    pub fn verb(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// Every resource type's handler permissions.
pub struct Handlers {
    /// Where the table came from (`cfn-lint@<version>`, schema date).
    pub source: String,
    types: HashMap<String, [Vec<String>; 3]>,
}

impl Handlers {
    /// The embedded table, decompressed and parsed once.
    pub fn get() -> &'static Handlers {
        static TABLE: OnceLock<Handlers> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The data is ours and tested; a broken copy reads as empty.
            let text = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(DATA, 16 << 20)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .unwrap_or_default();
            Handlers::parse(&text)
        })
    }

    fn parse(text: &str) -> Handlers {
        let mut source = String::new();
        let mut types = HashMap::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            if let Some(header) = line.strip_prefix("#landfall-handler-permissions") {
                source = header.trim().replace('\t', " ");
                continue;
            }
            let [name, create, update, delete] = fields[..] else {
                continue;
            };
            let list = |s: &str| -> Vec<String> {
                s.split(',')
                    .filter(|a| !a.is_empty() && *a != "-")
                    .map(str::to_owned)
                    .collect()
            };
            types.insert(name.to_owned(), [list(create), list(update), list(delete)]);
        }
        Handlers { source, types }
    }

    /// The actions one handler of a type needs; `None` for a type the
    /// schemas do not know. Custom resources need to invoke their provider.
    pub fn actions(&self, kind: &str, operation: Operation) -> Option<&[String]> {
        self.types
            .get(kind)
            .map(|ops| ops[operation as usize].as_slice())
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_has_every_schema_and_its_handlers() {
        let h = Handlers::get();
        assert!(h.len() > 1500, "{} types", h.len());
        assert!(h.source.starts_with("1 cfn-lint@"), "{}", h.source);
        // The example of the resource provider schema docs.
        let create = h
            .actions("AWS::Config::ConfigurationRecorder", Operation::Create)
            .unwrap_or_default();
        assert!(create
            .iter()
            .any(|a| a == "config:PutConfigurationRecorder"));
        assert!(h.actions("AWS::Nope::Nothing", Operation::Create).is_none());
    }
}
