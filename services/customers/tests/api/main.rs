//! Black-box tests of the customers service: a real server on port 0, the real Postgres (a
//! fresh database per test) and the real JetStream (a fresh namespace per test).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod customers;
mod helpers;
mod outbox;
mod process;
mod reflection;
