//! Data stores and keys: encryption, exposure, recoverability.

pub mod kms_key_rotation_disabled;
pub mod msk_without_customer_key;
pub mod rds_publicly_accessible;
pub mod rds_without_backups;
pub mod rds_without_deletion_protection;
pub mod unencrypted_elasticache_at_rest;
pub mod unencrypted_elasticache_in_transit;
pub mod unencrypted_msk_in_transit;
pub mod unencrypted_rds_storage;

pub use kms_key_rotation_disabled::KmsKeyRotationDisabled;
pub use msk_without_customer_key::MskWithoutCustomerKey;
pub use rds_publicly_accessible::RdsPubliclyAccessible;
pub use rds_without_backups::RdsWithoutBackups;
pub use rds_without_deletion_protection::RdsWithoutDeletionProtection;
pub use unencrypted_elasticache_at_rest::UnencryptedElasticacheAtRest;
pub use unencrypted_elasticache_in_transit::UnencryptedElasticacheInTransit;
pub use unencrypted_msk_in_transit::UnencryptedMskInTransit;
pub use unencrypted_rds_storage::UnencryptedRdsStorage;
