//! The shop's signing key: its settings, and the binary's commands that need only the key
//! (no database, no NATS), so an operator can run them anywhere the key is:
//!
//! - `customers new-signing-key`: prints a new Ed25519 key (PKCS#8 PEM);
//! - `customers jwks`: prints the public JWKS of the configured key, for Envoy and the
//!   services;
//! - `customers issue-admin-token [NAME]`: prints an admin token;
//! - `customers issue-service-token SERVICE`: prints the token a service calls others with.

use std::{io::Write, path::PathBuf, time::Duration};

use plaza_auth::{Caller, Issuer};
use plaza_service::settings::seconds;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct SigningSettings {
    /// The Ed25519 private key (PKCS#8 PEM) that signs every Plaza token. A secret.
    pub signing_key_file: PathBuf,
    /// How long a customer's token is accepted after they register or sign in.
    #[serde(with = "seconds")]
    pub customer_token_ttl: Duration,
    #[serde(with = "seconds")]
    pub admin_token_ttl: Duration,
    #[serde(with = "seconds")]
    pub service_token_ttl: Duration,
}

impl SigningSettings {
    pub fn issuer(&self) -> anyhow::Result<Issuer> {
        Issuer::load(&self.signing_key_file)
    }
}

/// Runs command `name`, or `None` when it is not one of these.
pub fn command(
    name: &str,
    args: &[String],
    settings: impl FnOnce() -> anyhow::Result<SigningSettings>,
) -> Option<anyhow::Result<()>> {
    let output = match name {
        "new-signing-key" => Issuer::generate_key(),
        "jwks" => settings()
            .and_then(|settings| settings.issuer())
            .and_then(|issuer| Ok(serde_json::to_string_pretty(&issuer.jwks())? + "\n")),
        "issue-admin-token" => {
            let name = args.first().map_or("admin", String::as_str).to_owned();
            issue(settings, Caller::Admin(name), |s| s.admin_token_ttl)
        }
        "issue-service-token" => match args.first() {
            Some(service) => issue(settings, Caller::Service(service.clone()), |s| {
                s.service_token_ttl
            }),
            None => Err(anyhow::anyhow!("usage: issue-service-token SERVICE")),
        },
        _ => return None,
    };
    Some(output.and_then(|text| Ok(std::io::stdout().lock().write_all(text.as_bytes())?)))
}

fn issue(
    settings: impl FnOnce() -> anyhow::Result<SigningSettings>,
    caller: Caller,
    lifetime: impl FnOnce(&SigningSettings) -> Duration,
) -> anyhow::Result<String> {
    let settings = settings()?;
    let token = settings.issuer()?.issue(&caller, lifetime(&settings))?;
    Ok(token.text + "\n")
}
