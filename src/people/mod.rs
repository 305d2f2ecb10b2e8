//! Users, organizations and their memberships.

pub mod permissions;
pub mod repo;
