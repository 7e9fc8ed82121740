//! S3 buckets.

pub mod s3_bucket_public_acl;
pub mod s3_bucket_without_public_access_block;
pub mod s3_bucket_without_versioning;

pub use s3_bucket_public_acl::S3BucketPublicAcl;
pub use s3_bucket_without_public_access_block::S3BucketWithoutPublicAccessBlock;
pub use s3_bucket_without_versioning::S3BucketWithoutVersioning;
