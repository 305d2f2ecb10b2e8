//! Users, organizations and their memberships.

pub mod repo;
