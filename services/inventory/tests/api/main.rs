//! Black-box tests of the inventory service: a real server on port 0, the real Postgres (a
//! fresh database per test) and the real JetStream (a fresh namespace per test).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod catalog;
mod events;
mod helpers;
mod products;
mod roles;
mod saga;
mod stores;
