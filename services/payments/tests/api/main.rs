//! Black-box tests of the payments service: a real server on port 0, the real Postgres (a
//! fresh database per test) and the real JetStream (a fresh namespace per test).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod authorize;
mod capture;
mod helpers;
mod saga;
