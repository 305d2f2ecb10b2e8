//! The integration suite: one binary, a real server on port 0 per test, a fresh database each.
//! Runs on SQLite by default and on PostgreSQL with `RELINK_TEST_PG_URL` (see `.ci/run`).

mod fakes;
mod helpers;

mod abuse;
mod access;
mod admin_view;
mod anonymous;
mod auth;
mod banner;
mod cascade_visibility;
mod cli;
mod complexity;
mod connect;
mod dashboard;
mod demo;
mod e2e;
mod email;
mod flow_binding;
mod guards;
mod hostile_time;
mod http;
mod keeper;
mod live;
mod live_facebook;
mod live_instagram;
mod live_x;
mod n_plus_one;
mod networks;
mod posts;
mod processes;
mod reconnect;
mod replay;
mod rules;
mod sandbox;
mod schema;
mod sockets;
mod streams;
mod subscriptions;
mod token_races;
mod webhooks;
