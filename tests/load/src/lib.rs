//! Plaza under load and faults, against the stack `make run` starts (Envoy on :8080, the four
//! services on their fixed ports, Postgres and NATS of the machine):
//!
//! - [`access`] holds who the tools call as: an admin, by a token minted with the stack's
//!   signing key, for the set-up; each customer, by their own session's token, for their
//!   payments and orders;
//! - [`shop`] opens a bench store with products, registers customers and authorizes one
//!   payment per order to come (a payment pays for one order);
//! - [`drive`] places orders at a fixed arrival rate or as fast as the stack answers, over
//!   gRPC straight to ordering or over REST through Envoy;
//! - [`outcomes`] hears every order's ACCEPTED or REJECTED on NATS, so the latency from the
//!   request to acceptance is measured without asking ordering again;
//! - [`stack`] knows where the parts listen and what each process costs (CPU, peak RSS);
//! - [`stats`] and [`report`] turn the timings into percentiles, a Markdown report and an SVG
//!   plot;
//! - [`faults`] kills, stops and restarts the services, NATS and Postgres, watches gRPC health
//!   and process exits, and runs second instances (replicas) of the services;
//! - [`invariants`] checks, from the services' tables and JetStream, that a run lost and
//!   doubled nothing: stock, captures, event histories, settled orders, dead letters.
//!
//! The binaries are `plaza-bench` (`make bench`) and `plaza-chaos` (`make chaos`).

pub mod access;
pub mod drive;
pub mod faults;
pub mod invariants;
pub mod outcomes;
pub mod report;
pub mod shop;
pub mod stack;
pub mod stats;
