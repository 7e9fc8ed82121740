//! EBS encryption.

pub mod ebs_default_encryption_disabled;
pub mod unencrypted_ebs_volume;
pub mod unencrypted_instance_block_device;
pub mod unencrypted_launch_template_block_device;

pub use ebs_default_encryption_disabled::EbsDefaultEncryptionDisabled;
pub use unencrypted_ebs_volume::UnencryptedEbsVolume;
pub use unencrypted_instance_block_device::UnencryptedInstanceBlockDevice;
pub use unencrypted_launch_template_block_device::UnencryptedLaunchTemplateBlockDevice;
