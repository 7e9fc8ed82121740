//! Data store engines as data: the version each engine is pinned to, beside
//! the parameter-group family that version belongs to, and what the engine
//! supports (IAM database authentication, log exports).
//!
//! A store created without `EngineVersion` gets the region's default version
//! of the day, which need not belong to the family of its parameter group
//! (creation then fails, or a later default moves a new cell to another
//! major version than the first). Pinning both from one row keeps them
//! together; upgrades are a change of this table.

use serde::Serialize;

/// One engine: its pinned version and what it supports.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EngineInfo {
    /// The engine name AWS uses (`Engine` of RDS, ElastiCache; `kafka` for MSK).
    pub engine: &'static str,
    /// The pinned `EngineVersion` (`KafkaVersion` for MSK).
    pub version: &'static str,
    /// The parameter-group family of that version (empty when the platform
    /// sets no parameter group).
    pub family: &'static str,
    /// Whether IAM database authentication exists for the engine.
    pub iam_auth: bool,
    /// The log types the engine can export to CloudWatch Logs.
    pub log_exports: &'static [&'static str],
    /// Where AWS lists the versions.
    pub source: &'static str,
}

const AURORA_MYSQL: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraMySQLReleaseNotes/AuroraMySQL.Updates.30Updates.html";
const AURORA_POSTGRESQL: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/AuroraPostgreSQL.Updates.html";
const SQL_SERVER: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_SQLServer.html#SQLServer.Concepts.General.VersionSupport";

/// Every engine the platform creates, by engine name.
pub const ENGINES: &[EngineInfo] = &[
    EngineInfo {
        engine: "aurora-mysql",
        version: "8.0.mysql_aurora.3.08.2",
        family: "aurora-mysql8.0",
        iam_auth: true,
        log_exports: &["audit", "error", "general", "slowquery"],
        source: AURORA_MYSQL,
    },
    EngineInfo {
        engine: "aurora-postgresql",
        version: "16.9",
        family: "aurora-postgresql16",
        iam_auth: true,
        log_exports: &["postgresql"],
        source: AURORA_POSTGRESQL,
    },
    EngineInfo {
        engine: "mysql",
        version: "8.0.42",
        family: "mysql8.0",
        iam_auth: true,
        log_exports: &["audit", "error", "general", "slowquery"],
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html",
    },
    EngineInfo {
        engine: "mariadb",
        version: "10.11.10",
        family: "mariadb10.11",
        iam_auth: true,
        log_exports: &["audit", "error", "general", "slowquery"],
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MariaDB.Concepts.VersionMgmt.html",
    },
    EngineInfo {
        engine: "postgres",
        version: "16.9",
        family: "postgres16",
        iam_auth: true,
        log_exports: &["postgresql", "upgrade"],
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html",
    },
    // SQL Server: no IAM database authentication (Supported Regions and DB
    // engines for IAM database authentication), and its log exports are
    // `agent` and `error` (Publishing SQL Server logs to CloudWatch Logs).
    EngineInfo {
        engine: "sqlserver-ee",
        version: "16.00.4185.3.v1",
        family: "sqlserver-ee-16.0",
        iam_auth: false,
        log_exports: &["agent", "error"],
        source: SQL_SERVER,
    },
    EngineInfo {
        engine: "sqlserver-se",
        version: "16.00.4185.3.v1",
        family: "sqlserver-se-16.0",
        iam_auth: false,
        log_exports: &["agent", "error"],
        source: SQL_SERVER,
    },
    EngineInfo {
        engine: "sqlserver-web",
        version: "16.00.4185.3.v1",
        family: "sqlserver-web-16.0",
        iam_auth: false,
        log_exports: &["agent", "error"],
        source: SQL_SERVER,
    },
    EngineInfo {
        engine: "sqlserver-ex",
        version: "16.00.4185.3.v1",
        family: "sqlserver-ex-16.0",
        iam_auth: false,
        log_exports: &["error"],
        source: SQL_SERVER,
    },
    EngineInfo {
        engine: "valkey",
        version: "8.0",
        family: "valkey8",
        iam_auth: true,
        log_exports: &[],
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html",
    },
    EngineInfo {
        engine: "memcached",
        version: "1.6.22",
        family: "memcached1.6",
        iam_auth: false,
        log_exports: &[],
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html",
    },
    EngineInfo {
        engine: "kafka",
        version: "3.8.x",
        family: "",
        iam_auth: true,
        log_exports: &[],
        source: "https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html",
    },
];

/// The row of an engine, by the name AWS uses.
pub fn engine(name: &str) -> Option<&'static EngineInfo> {
    ENGINES.iter().find(|e| e.engine == name)
}

/// The engines a plain RDS store may name, for suggestions.
pub fn rds_engines() -> impl Iterator<Item = &'static str> {
    ENGINES
        .iter()
        .map(|e| e.engine)
        .filter(|e| !e.starts_with("aurora") && !matches!(*e, "valkey" | "memcached" | "kafka"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_version_belongs_to_its_family() {
        for e in ENGINES {
            let major = e.version.split('.').next().unwrap_or("");
            if e.family.is_empty() {
                continue;
            }
            // Families name the major version: `aurora-postgresql16`,
            // `sqlserver-se-16.0`, `aurora-mysql8.0` (Aurora MySQL 3 is MySQL 8.0).
            assert!(
                e.family.contains(major),
                "{}: version {} is not of family {}",
                e.engine,
                e.version,
                e.family
            );
        }
    }

    #[test]
    fn sql_server_has_no_iam_authentication_nor_slow_query_log() {
        // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.RDS_Fea_Regions_DB-eng.Feature.IamDatabaseAuthentication.html
        // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.SQLServer.html
        for e in ENGINES.iter().filter(|e| e.engine.starts_with("sqlserver")) {
            assert!(!e.iam_auth, "{}", e.engine);
            assert!(!e.log_exports.contains(&"slowquery"), "{}", e.engine);
        }
    }
}
