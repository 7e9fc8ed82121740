//! Container image repositories.

pub mod ecr_mutable_tags;
pub mod ecr_scan_on_push_disabled;

pub use ecr_mutable_tags::EcrMutableTags;
pub use ecr_scan_on_push_disabled::EcrScanOnPushDisabled;
