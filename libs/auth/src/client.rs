//! The credential a gRPC client sends with every call.

use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue, errors::InvalidMetadataValue},
    service::Interceptor,
};

/// `authorization: Bearer <token>`: sent with every call of the client it intercepts, or put
/// on one request with [`Bearer::attach`]. Marked sensitive, so it is never logged.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(..)")
    }
}

impl Bearer {
    pub fn new(token: &str) -> Result<Self, InvalidMetadataValue> {
        let mut value: MetadataValue<Ascii> = format!("Bearer {}", token.trim()).parse()?;
        value.set_sensitive(true);
        Ok(Self(value))
    }

    pub fn attach<T>(&self, request: &mut Request<T>) {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        self.attach(&mut request);
        Ok(request)
    }
}
