//! Organization-wide guardrails: services, regions, membership.

pub mod disallowed_service;
pub mod organization_leave_allowed;
pub mod region_outside_allowlist;

pub use disallowed_service::DisallowedService;
pub use organization_leave_allowed::OrganizationLeaveAllowed;
pub use region_outside_allowlist::RegionOutsideAllowlist;
