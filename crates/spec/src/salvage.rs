//! What can be kept of a file that does not conform to the schema.
//!
//! One wrong value must not hide every other problem of the platform: the
//! values the schema rejected are set aside (the field holding them, or the
//! list item when the item itself cannot be read) and the rest of the file is
//! merged as usual, so references in it are still checked. What was set aside
//! is kept as text: a reference to a name that appears in it may be to
//! something declared there, and is held back rather than reported.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::types::SpecFile;

/// Top-level sections that are lists of items, each merged on its own.
const LIST_SECTIONS: &[&str] = &["accounts", "domains", "data_stores", "services"];

/// The readable part of a file that did not conform.
#[derive(Debug, Default)]
pub struct Salvaged {
    pub file: SpecFile,
    /// For each list section, the original index of every item kept (items
    /// set aside are skipped, so pointers keep naming the right item).
    pub kept: BTreeMap<String, Vec<usize>>,
    /// The JSON text of everything set aside.
    pub set_aside: Vec<String>,
}

impl Salvaged {
    /// The item's index in the file, for the `i`-th item kept of `section`.
    pub fn original_index(&self, section: &str, i: usize) -> usize {
        self.kept
            .get(section)
            .and_then(|kept| kept.get(i))
            .copied()
            .unwrap_or(i)
    }
}

/// Sets aside the values at `invalid` (JSON pointers from the schema check)
/// and whatever else cannot be read, and returns the rest.
pub fn salvage(mut json: Json, invalid: &[String]) -> Salvaged {
    let mut set_aside = Vec::new();
    // Items of list sections that must go entirely; removed last, so earlier
    // pointers stay valid while fields are removed.
    let mut dropped: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for pointer in invalid {
        let segments: Vec<&str> = pointer.split('/').skip(1).collect();
        match removal_target(&json, &segments) {
            Target::WholeFile => {
                set_aside.push(json.to_string());
                return Salvaged {
                    set_aside,
                    ..Salvaged::default()
                };
            }
            Target::Item(section, index) => {
                dropped.entry(section).or_default().push(index);
            }
            Target::Field(path) => {
                if let Some(value) = remove_field(&mut json, &path) {
                    set_aside.push(value.to_string());
                }
            }
        }
    }
    let Json::Object(mut sections) = json else {
        set_aside.push(json.to_string());
        return Salvaged {
            set_aside,
            ..Salvaged::default()
        };
    };
    // Sections whose items still do not read (a required field was the wrong
    // value) lose those items; other sections that do not read are dropped.
    let mut kept = BTreeMap::new();
    let names: Vec<String> = sections.keys().cloned().collect();
    for name in names {
        let Some(value) = sections.remove(&name) else {
            continue;
        };
        if LIST_SECTIONS.contains(&name.as_str()) {
            if let Json::Array(items) = value {
                let drop = dropped.get(&name);
                let mut keep_items = Vec::new();
                let mut keep_index = Vec::new();
                for (index, item) in items.into_iter().enumerate() {
                    let readable = drop.is_none_or(|d| !d.contains(&index))
                        && reads(&name, Json::Array(vec![item.clone()]));
                    if readable {
                        keep_items.push(item);
                        keep_index.push(index);
                    } else {
                        set_aside.push(item.to_string());
                    }
                }
                sections.insert(name.clone(), Json::Array(keep_items));
                kept.insert(name, keep_index);
                continue;
            }
        }
        if reads(&name, value.clone()) {
            sections.insert(name, value);
        } else {
            set_aside.push(value.to_string());
        }
    }
    let file = serde_json::from_value(Json::Object(sections)).unwrap_or_default();
    Salvaged {
        file,
        kept,
        set_aside,
    }
}

/// Whether one section reads as the spec's types.
fn reads(name: &str, value: Json) -> bool {
    let mut one = Map::new();
    one.insert(name.to_owned(), value);
    serde_json::from_value::<SpecFile>(Json::Object(one)).is_ok()
}

enum Target {
    WholeFile,
    /// An item of a top-level list section.
    Item(String, usize),
    /// A field of a mapping (segments down to the key).
    Field(Vec<String>),
}

/// What to remove for a value that does not conform: the nearest field that
/// holds it (a list inside a field goes with its field, so item pointers of
/// the list stay true), or the whole item of a top-level list.
fn removal_target(json: &Json, segments: &[&str]) -> Target {
    let mut end = segments.len();
    loop {
        if end == 0 {
            return Target::WholeFile;
        }
        if end == 2 && LIST_SECTIONS.contains(&segments[0]) {
            if let Ok(index) = segments[1].parse() {
                return Target::Item(segments[0].to_owned(), index);
            }
        }
        // The value at `segments[..end]` is a field when its parent is a mapping.
        let parent = lookup(json, &segments[..end - 1]);
        if matches!(parent, Some(Json::Object(_))) {
            return Target::Field(segments[..end].iter().map(|s| (*s).to_owned()).collect());
        }
        end -= 1;
    }
}

fn lookup<'a>(json: &'a Json, segments: &[&str]) -> Option<&'a Json> {
    segments.iter().try_fold(json, |node, segment| match node {
        Json::Object(map) => map.get(*segment),
        Json::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

fn remove_field(json: &mut Json, path: &[String]) -> Option<Json> {
    let (last, parents) = path.split_last()?;
    let mut node = json;
    for segment in parents {
        node = match node {
            Json::Object(map) => map.get_mut(segment)?,
            Json::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    node.as_object_mut()?.remove(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wrong_optional_field_is_set_aside_and_the_rest_is_kept() {
        let file = json!({"service": {"name": "a", "domain": "d", "latency": "fastt",
            "compute": {"cpu": 256, "memory": 512, "port": 8080}, "ingress": "internal"}});
        let salvaged = salvage(file, &["/service/latency".to_owned()]);
        assert_eq!(salvaged.file.service.unwrap().domain, "d");
        assert_eq!(salvaged.set_aside, vec!["\"fastt\"".to_owned()]);
    }

    #[test]
    fn an_unreadable_item_is_set_aside_and_later_items_keep_their_index() {
        let file = json!({"data_stores": [
            {"name": "a", "domain": "d", "engine": "postgres"},
            {"name": "b", "domain": "d", "engine": {"kind": "dynamodb", "partition_key": "id"}}
        ]});
        let salvaged = salvage(file, &["/data_stores/0/engine".to_owned()]);
        let stores = salvaged.file.data_stores.as_ref().unwrap();
        assert_eq!(stores.len(), 1);
        assert_eq!(stores[0].name, "b");
        assert_eq!(salvaged.original_index("data_stores", 0), 1);
        assert!(salvaged.set_aside.iter().any(|t| t.contains("\"a\"")));
    }

    #[test]
    fn a_file_of_the_wrong_shape_is_set_aside_whole() {
        let salvaged = salvage(json!(["x"]), &[String::new()]);
        assert!(salvaged.file.domains.is_none());
        assert_eq!(salvaged.set_aside, vec!["[\"x\"]".to_owned()]);
    }
}
