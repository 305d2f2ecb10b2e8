//! Relink keeps the social accounts of a social-media dashboard connected: it tracks the health
//! of every login, tells the right people, and runs the reconnect flow (the rules, R1–R20 and B1–B9: `docs/rules.md`).

pub mod access;
pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod automations;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod events;
pub mod graphql;
pub mod http;
pub mod incidents;
pub mod keeper;
pub mod mail;
pub mod metrics;
pub mod networks;
pub mod notices;
pub mod people;
pub mod posts;
pub mod ratelimit;
pub mod reconnect;
pub mod server;
pub mod telemetry;
pub mod worker;
