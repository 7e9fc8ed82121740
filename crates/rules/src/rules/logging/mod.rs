//! Audit services: CloudTrail, Config, GuardDuty, flow logs.

pub mod cloudtrail_log_validation_disabled;
pub mod cloudtrail_logging_disabled;
pub mod cloudtrail_not_multi_region;
pub mod cloudtrail_without_kms;
pub mod config_recording_disabled;
pub mod guardduty_disabled;
pub mod vpc_without_flow_logs;

pub use cloudtrail_log_validation_disabled::CloudtrailLogValidationDisabled;
pub use cloudtrail_logging_disabled::CloudtrailLoggingDisabled;
pub use cloudtrail_not_multi_region::CloudtrailNotMultiRegion;
pub use cloudtrail_without_kms::CloudtrailWithoutKms;
pub use config_recording_disabled::ConfigRecordingDisabled;
pub use guardduty_disabled::GuarddutyDisabled;
pub use vpc_without_flow_logs::VpcWithoutFlowLogs;
