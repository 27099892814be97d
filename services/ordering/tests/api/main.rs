//! Black-box tests of the ordering service and the whole saga: all four services run
//! in-process against the real Postgres (a fresh database per test) and the real JetStream (a
//! fresh namespace per test), and are called through tonic clients.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod create;
mod dead_letters;
mod duplicates;
mod event_store;
mod helpers;
mod lifecycle;
mod queries;
mod race;
mod tracing;
