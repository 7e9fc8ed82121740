//! The instance classes AWS offers per engine, as data
//! (`data/instance-classes.tsv`, with the AWS pages it comes from).
//!
//! A made-up class (`db.zz9.large`), a size a family does not have
//! (`db.r7g.large2`), a retired family (`db.m1.small`) or a family the
//! engine does not run on (a Graviton class for SQL Server) passes every
//! offline tool and fails at deploy time, mid-wave. The table turns each into
//! a located error with the nearest real class.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use landfall_diagnostics::did_you_mean;

const TABLE: &str = include_str!("../data/instance-classes.tsv");

/// One family: its sizes and the engines that run on it.
#[derive(Debug)]
pub struct Family {
    pub name: &'static str,
    pub sizes: Vec<&'static str>,
    pub engines: Vec<&'static str>,
}

/// Every family of the table, by name.
pub fn families() -> &'static BTreeMap<&'static str, Family> {
    static FAMILIES: OnceLock<BTreeMap<&'static str, Family>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        TABLE
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let mut columns = line.split('\t');
                let name = columns.next()?;
                let sizes = columns.next()?.split_whitespace().collect();
                let engines = columns.next()?.split_whitespace().collect();
                Some((
                    name,
                    Family {
                        name,
                        sizes,
                        engines,
                    },
                ))
            })
            .collect()
    })
}

/// Why a class cannot be used for an engine: the message and the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassProblem {
    pub message: String,
    pub label: String,
    pub help: String,
}

/// Checks `class` (`db.r7g.large`) for `engine` (the AWS engine name, for
/// example `aurora-postgresql`, `sqlserver-se`, `valkey`, `kafka`).
pub fn check(engine: &str, class: &str) -> Result<(), ClassProblem> {
    let family_name = crate::aws::instance_family(class);
    let size = class
        .get(family_name.len() + 1..)
        .filter(|_| class.len() > family_name.len())
        .unwrap_or("");
    let for_engine: Vec<&Family> = families()
        .values()
        .filter(|f| f.engines.contains(&engine))
        .collect();
    let Some(family) = families().get(family_name) else {
        let names = for_engine.iter().map(|f| f.name);
        return Err(ClassProblem {
            message: format!("`{class}` is not an instance class AWS offers"),
            label: format!("no family `{family_name}`"),
            help: suggestion(family_name, names, "families"),
        });
    };
    if !family.sizes.contains(&size) {
        return Err(ClassProblem {
            message: format!("`{class}`: family `{family_name}` has no size `{size}`"),
            label: format!("no size `{size}`"),
            help: suggestion(size, family.sizes.iter().copied(), "sizes"),
        });
    }
    if !family.engines.contains(&engine) {
        let names: Vec<&str> = for_engine.iter().map(|f| f.name).collect();
        return Err(ClassProblem {
            message: format!("`{class}` is not offered for `{engine}`"),
            label: format!("`{family_name}` does not run `{engine}`"),
            help: format!("`{engine}` runs on {}", names.join(", ")),
        });
    }
    Ok(())
}

fn suggestion<'a>(wrong: &str, known: impl Iterator<Item = &'a str> + Clone, what: &str) -> String {
    let guess = did_you_mean(wrong, known.clone());
    if guess.starts_with("did you mean") {
        guess
    } else {
        format!("{what}: {}", known.collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn real_classes_pass() {
        assert_eq!(check("aurora-postgresql", "db.r7g.large"), Ok(()));
        assert_eq!(check("sqlserver-se", "db.r6i.xlarge"), Ok(()));
        assert_eq!(check("valkey", "cache.r7g.2xlarge"), Ok(()));
        assert_eq!(check("kafka", "kafka.m7g.large"), Ok(()));
    }

    #[test]
    fn made_up_retired_and_misspelled_classes_are_refused_with_the_nearest_real_one() {
        let unknown = check("aurora-mysql", "db.zz9.large").unwrap_err();
        assert!(
            unknown.message.contains("not an instance class"),
            "{unknown:?}"
        );
        let size = check("aurora-mysql", "db.r7g.large2").unwrap_err();
        assert!(size.help.contains("`large`"), "{size:?}");
        let retired = check("mysql", "db.m1.small").unwrap_err();
        assert!(retired.help.contains("db.m5"), "{retired:?}");
    }

    #[test]
    fn sql_server_has_no_graviton_classes() {
        // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/SQLServer.Concepts.General.InstanceClasses.html
        let problem = check("sqlserver-ee", "db.r7g.large").unwrap_err();
        assert!(problem.message.contains("not offered for `sqlserver-ee`"));
        assert!(!problem.help.contains("db.r7g"), "{problem:?}");
    }

    #[test]
    fn every_row_is_well_formed() {
        for family in families().values() {
            assert!(family.name.matches('.').count() >= 1, "{}", family.name);
            assert!(
                !family.sizes.is_empty() && !family.engines.is_empty(),
                "{}",
                family.name
            );
            for engine in &family.engines {
                assert!(
                    crate::engines::engine(engine).is_some(),
                    "{}: unknown engine {engine}",
                    family.name
                );
            }
        }
    }
}
