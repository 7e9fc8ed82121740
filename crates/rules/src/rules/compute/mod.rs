//! EC2 and other compute capacity: instance types, access, metadata.

pub mod burst_cache_node_type;
pub mod burst_database_class;
pub mod burst_instance_type;
pub mod burst_kafka_broker_type;
pub mod imdsv1_allowed;
pub mod instance_without_ssm_profile;
pub mod ssh_key_pair;

pub use burst_cache_node_type::BurstCacheNodeType;
pub use burst_database_class::BurstDatabaseClass;
pub use burst_instance_type::BurstInstanceType;
pub use burst_kafka_broker_type::BurstKafkaBrokerType;
pub use imdsv1_allowed::Imdsv1Allowed;
pub use instance_without_ssm_profile::InstanceWithoutSsmProfile;
pub use ssh_key_pair::SshKeyPair;
