//! Network reachability: security groups, gateways, routes.

mod admin_port;
pub mod all_traffic_open_to_internet;
pub mod default_security_group_allows_traffic;
pub mod internet_gateway_in_blocked_environment;
pub mod open_egress_in_blocked_environment;
pub mod rdp_open_to_internet;
pub mod ssh_open_to_internet;

pub use all_traffic_open_to_internet::AllTrafficOpenToInternet;
pub use default_security_group_allows_traffic::DefaultSecurityGroupAllowsTraffic;
pub use internet_gateway_in_blocked_environment::InternetGatewayInBlockedEnvironment;
pub use open_egress_in_blocked_environment::OpenEgressInBlockedEnvironment;
pub use rdp_open_to_internet::RdpOpenToInternet;
pub use ssh_open_to_internet::SshOpenToInternet;
