//! IAM identities and policies.

pub mod iam_access_key;
pub mod iam_login_profile;
pub mod iam_policy_allows_full_admin;
pub mod iam_user;

pub use iam_access_key::IamAccessKey;
pub use iam_login_profile::IamLoginProfile;
pub use iam_policy_allows_full_admin::IamPolicyAllowsFullAdmin;
pub use iam_user::IamUser;
