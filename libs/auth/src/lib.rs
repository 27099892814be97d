//! Who may call what in Plaza.
//!
//! - [`Caller`]: who a verified token says is calling (a customer, an admin, a service), and
//!   the checks a handler makes with it ("this customer's own order, or an admin");
//! - [`Issuer`]: signs tokens with the shop's Ed25519 key (only the customers service holds
//!   it) and publishes the public half as a JWKS;
//! - [`Verifier`]: checks a token against the JWKS, as Envoy does at the front door;
//! - [`Guarded`] and [`Access`]: every service's API behind its table of who may call each
//!   method, so a call that bypasses Envoy is refused the same way;
//! - [`Bearer`]: the credential a gRPC client sends (ordering's service token).
//!
//! Tokens are JWTs signed with EdDSA: `{iss: "plaza", aud: "plaza", sub, role, iat, exp}`,
//! with the key's RFC 7638 thumbprint as `kid`, so keys can be rotated through the JWKS.

mod caller;
mod client;
mod guard;
mod keys;

pub use caller::{Caller, Role};
pub use client::Bearer;
pub use guard::{Access, AccessTable, Guarded};
pub use keys::{Issuer, Rejection, Token, Verifier};
