//! Public entry points: CloudFront, WAF, load balancers.

pub mod cloudfront_without_waf;
pub mod public_load_balancer_without_waf;

pub use cloudfront_without_waf::CloudfrontWithoutWaf;
pub use public_load_balancer_without_waf::PublicLoadBalancerWithoutWaf;
