//! The customers service: registers a customer (name, phone), looks one up, lists them, and
//! publishes `customers.customer.registered` through its outbox.
//!
//! - `domain`: what a valid customer is (pure);
//! - `application`: the use cases, each one transaction with its event;
//! - `adapters::grpc`: the `CustomersService` API; `adapters::postgres`: the `customers` table;
//! - `startup`: wiring, for `main` and for the tests.

mod adapters;
mod application;
pub mod domain;
mod startup;

pub use startup::{Application, Settings, main};

/// The service's name, in logs, traces and the environment prefix (`PLAZA_CUSTOMERS__...`).
pub const SERVICE: &str = "customers";
/// `config/default.toml`, embedded so the binary runs from anywhere.
pub const DEFAULT_SETTINGS: &str = include_str!("../config/default.toml");
