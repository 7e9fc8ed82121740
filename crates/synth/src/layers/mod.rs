//! One module per layer; each turns part of the model into units.

pub mod baseline;
pub mod network;
pub mod organization;
pub mod security;
pub mod shared;
