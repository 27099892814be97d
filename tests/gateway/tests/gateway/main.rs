//! Plaza through Envoy: REST/JSON and gRPC on one port.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod access;
mod bad_input;
mod configs;
mod grpc;
mod harness;
mod schemathesis;
mod walkthrough;
