//! Signing keys of one test, and tokens made with them.

use std::{path::PathBuf, time::Duration};

use plaza_auth::{Bearer, Caller, Issuer};
use tonic::{service::interceptor::InterceptedService, transport::Channel};
use uuid::Uuid;

/// A channel whose calls carry a token.
pub type Authorized = InterceptedService<Channel, Bearer>;

const LIFETIME: Duration = Duration::from_secs(3600);

/// A fresh Ed25519 key per test environment, written where the services read it: the
/// private key for customers, the JWKS for every service.
#[derive(Debug)]
pub struct TestKeys {
    pub issuer: Issuer,
    pub signing_key_file: PathBuf,
    pub jwks_file: PathBuf,
    /// Ordering's token for its calls to the other services.
    service_token: String,
    _directory: tempfile::TempDir,
}

impl TestKeys {
    pub fn create() -> anyhow::Result<Self> {
        let directory = tempfile::tempdir()?;
        let key = Issuer::generate_key()?;
        let issuer = Issuer::from_pem(&key)?;
        let signing_key_file = directory.path().join("signing-key.pem");
        let jwks_file = directory.path().join("jwks.json");
        std::fs::write(&signing_key_file, key)?;
        std::fs::write(&jwks_file, issuer.jwks().to_string())?;
        let service_token = issuer
            .issue(&Caller::Service("ordering".to_owned()), LIFETIME)?
            .text;
        Ok(Self {
            issuer,
            signing_key_file,
            jwks_file,
            service_token,
            _directory: directory,
        })
    }

    /// The settings every service of the test gets over its defaults (each reads those it
    /// knows).
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("auth.jwks_file", self.jwks_file.display().to_string()),
            (
                "auth.signing_key_file",
                self.signing_key_file.display().to_string(),
            ),
            ("auth.service_token", self.service_token.clone()),
        ]
    }

    /// The same settings as environment variables of `service`'s binary.
    pub fn env(&self, service: &str) -> Vec<(String, String)> {
        self.settings()
            .into_iter()
            .map(|(key, value)| {
                let key = key.to_uppercase().replace('.', "__");
                (format!("PLAZA_{}__{key}", service.to_uppercase()), value)
            })
            .collect()
    }

    /// A valid token for `caller`.
    pub fn token(&self, caller: &Caller) -> String {
        self.issuer
            .issue(caller, LIFETIME)
            .expect("a token is signed")
            .text
    }

    pub fn admin_token(&self) -> String {
        self.token(&Caller::Admin("test-admin".to_owned()))
    }

    pub fn customer_token(&self, customer: Uuid) -> String {
        self.token(&Caller::Customer(customer))
    }

    /// `channel` with `token` on every call.
    pub fn authorized(channel: Channel, token: &str) -> Authorized {
        InterceptedService::new(channel, Bearer::new(token).expect("a token is ASCII"))
    }
}
