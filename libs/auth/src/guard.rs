//! A service's gRPC API behind its access table: the token is verified and the role checked
//! before any handler runs, whether the call came through Envoy or straight to the port.
//! What the role alone cannot decide (is this the caller's own order?) the handler checks
//! with the [`Caller`] this puts in the request.

use std::{
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
};

use futures::future::{Either, Ready, ready};
use tonic::{Status, body::Body, server::NamedService};

use crate::{Caller, Verifier, keys::Rejection};

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (the catalog, registration, sign-in).
    Public,
    /// Any valid token; the handler decides whose data the caller may touch.
    SignedIn,
    /// Admins only.
    Admin,
    /// Plaza's own services (and admins).
    Service,
}

/// The access table of a service: the access of each method, by its name
/// (`"GetCustomer"`).
pub type AccessTable = fn(&str) -> Access;

/// `S` behind its access table. Health and reflection are served beside it, unguarded.
#[derive(Debug, Clone)]
pub struct Guarded<S> {
    inner: S,
    verifier: Arc<Verifier>,
    access: AccessTable,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, verifier: Arc<Verifier>, access: AccessTable) -> Self {
        Self {
            inner,
            verifier,
            access,
        }
    }

    /// The caller of a request to `path`, or why it is refused. `None`: a public method.
    fn admit(&self, path: &str, headers: &http::HeaderMap) -> Result<Option<Caller>, Status> {
        let method = path.rsplit('/').next().unwrap_or_default();
        let access = (self.access)(method);
        if access == Access::Public {
            return Ok(None);
        }
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                Status::unauthenticated("a token is required: send `authorization: Bearer <token>`")
            })?;
        let caller = self
            .verifier
            .verify(token.trim())
            .map_err(|rejection: Rejection| Status::unauthenticated(rejection.to_string()))?;
        match access {
            Access::Admin => caller.require_admin()?,
            Access::Service => caller.require_service()?,
            Access::SignedIn | Access::Public => {}
        }
        Ok(Some(caller))
    }
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for Guarded<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Either<Ready<Result<Self::Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        match self.admit(request.uri().path(), request.headers()) {
            Ok(caller) => {
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                Either::Right(self.inner.call(request))
            }
            Err(status) => {
                tracing::info!(
                    method = request.uri().path(),
                    code = ?status.code(),
                    reason = status.message(),
                    "call refused"
                );
                Either::Left(ready(Ok(status.into_http())))
            }
        }
    }
}
