//! Who the load tools call as. The shop's set-up (stores, products, participation) is an
//! admin's: the tools mint an admin token with the stack's signing key, as `make run`'s
//! `admin_token` does. Payments and orders are each customer's own: every call carries the
//! token the customer's registration returned, so a run also pays for verifying them, as
//! real traffic does.

use std::{path::Path, time::Duration};

use anyhow::Context;
use plaza_auth::{Bearer, Caller, Issuer};
use reqwest::header::HeaderValue;

/// Longer than any run.
const ADMIN_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// `authorization: Bearer <token>`, made once in the forms the gRPC and the REST clients send,
/// so that a request only clones it.
#[derive(Clone)]
pub struct Credential {
    grpc: Bearer,
    rest: HeaderValue,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(..)")
    }
}

impl Credential {
    pub fn new(token: &str) -> anyhow::Result<Self> {
        let grpc = Bearer::new(token).context("a token that cannot be sent as a header")?;
        let mut rest = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .context("a token that cannot be sent as a header")?;
        rest.set_sensitive(true);
        Ok(Self { grpc, rest })
    }

    /// `message` as a gRPC request that carries the credential.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        self.grpc.attach(&mut request);
        request
    }

    /// The `authorization` header of a REST request.
    pub fn header(&self) -> HeaderValue {
        self.rest.clone()
    }
}

/// An admin's credential, named `name` (the token's subject, in the services' logs), signed
/// with the key at `signing_key`.
pub fn admin(signing_key: &Path, name: &str) -> anyhow::Result<Credential> {
    let issuer = Issuer::load(signing_key).context(
        "the run's admin token is signed with the stack's key: start the stack (make run), \
         or set PLAZA_SIGNING_KEY_FILE",
    )?;
    let token = issuer.issue(&Caller::Admin(name.to_owned()), ADMIN_TOKEN_LIFETIME)?;
    Credential::new(&token.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_sends_its_token_as_a_bearer_over_grpc_and_rest() {
        let credential = Credential::new(" header.claims.signature\n").unwrap();
        let request = credential.request(());
        assert_eq!(
            request.metadata().get("authorization").unwrap(),
            "Bearer header.claims.signature"
        );
        assert_eq!(credential.header(), "Bearer header.claims.signature");
        assert!(credential.header().is_sensitive());
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused() {
        assert!(Credential::new("line\nbreak").is_err());
    }
}
