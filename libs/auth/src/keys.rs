//! Signing tokens with the shop's Ed25519 key, and verifying them against its public JWKS.

use std::{
    collections::HashMap,
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind, jwk::JwkSet,
};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{Caller, Role};

/// The `iss` and `aud` of every Plaza token.
const ISSUER: &str = "plaza";
const AUDIENCE: &str = "plaza";
/// Clock difference between the issuer and a verifier that a token's times tolerate.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    role: Role,
    iat: u64,
    exp: u64,
}

/// A signed token and when it stops being accepted.
#[derive(Debug, Clone)]
pub struct Token {
    pub text: String,
    pub expires_at: SystemTime,
}

/// Signs tokens. Only the customers service holds the key.
pub struct Issuer {
    key: EncodingKey,
    key_id: String,
    public_key: String,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// A new Ed25519 key as PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes).
    pub fn generate_key() -> anyhow::Result<String> {
        let document = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("could not generate an Ed25519 key"))?;
        Ok(pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            document.as_ref().to_vec(),
        )))
    }

    /// The issuer of a PKCS#8 PEM Ed25519 key.
    pub fn from_pem(text: &str) -> anyhow::Result<Self> {
        let pem = pem::parse(text).context("the signing key is not PEM")?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pem.contents())
            .map_err(|error| anyhow::anyhow!("the signing key is not an Ed25519 key: {error}"))?;
        let public_key = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        // RFC 7638: the SHA-256 of the required members, in lexical order, no whitespace.
        let thumbprint = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{public_key}"}}"#);
        let key_id = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            thumbprint.as_bytes(),
        ));
        Ok(Self {
            key: EncodingKey::from_ed_der(pem.contents()),
            key_id,
            public_key,
        })
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?;
        Self::from_pem(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The public half as a JWKS document, for Envoy and the services.
    pub fn jwks(&self) -> serde_json::Value {
        json!({ "keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.public_key,
            "kid": self.key_id,
            "alg": "EdDSA",
            "use": "sig",
        }]})
    }

    /// A token for `caller`, valid for `lifetime` from now.
    pub fn issue(&self, caller: &Caller, lifetime: Duration) -> anyhow::Result<Token> {
        self.issue_at(caller, SystemTime::now(), lifetime)
    }

    /// A token issued at `issued_at` (tests make expired ones with this).
    pub fn issue_at(
        &self,
        caller: &Caller,
        issued_at: SystemTime,
        lifetime: Duration,
    ) -> anyhow::Result<Token> {
        let expires_at = issued_at + lifetime;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: caller.subject(),
            role: caller.role(),
            iat: seconds(issued_at),
            exp: seconds(expires_at),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id.clone());
        Ok(Token {
            text: jsonwebtoken::encode(&header, &claims, &self.key)?,
            expires_at,
        })
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Why a token was refused. The message is safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error("the token has expired: sign in again")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

/// Checks tokens against the public keys of a JWKS.
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier of the Ed25519 keys (with a `kid`) in a JWKS document.
    pub fn from_jwks(document: &str) -> anyhow::Result<Self> {
        let set: JwkSet = serde_json::from_str(document).context("not a JWKS document")?;
        let mut keys = HashMap::new();
        for key in &set.keys {
            let id = key
                .common
                .key_id
                .clone()
                .context("a key of the JWKS has no `kid`")?;
            keys.insert(id, DecodingKey::from_jwk(key)?);
        }
        anyhow::ensure!(!keys.is_empty(), "the JWKS has no keys");
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Ok(Self { keys, validation })
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the JWKS {}", path.display()))?;
        Self::from_jwks(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The caller a token names, if one of our keys signed it and it has not expired.
    pub fn verify(&self, token: &str) -> Result<Caller, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Invalid)?;
        let key = header
            .kid
            .and_then(|id| self.keys.get(&id))
            .ok_or(Rejection::Invalid)?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => Rejection::Expired,
                _ => Rejection::Invalid,
            })?
            .claims;
        match claims.role {
            Role::Customer => Uuid::try_parse(&claims.sub)
                .map(Caller::Customer)
                .map_err(|_| Rejection::Invalid),
            Role::Admin => Ok(Caller::Admin(claims.sub)),
            Role::Service => Ok(Caller::Service(claims.sub)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Issuer {
        Issuer::from_pem(&Issuer::generate_key().unwrap()).unwrap()
    }

    fn verifier(issuer: &Issuer) -> Verifier {
        Verifier::from_jwks(&issuer.jwks().to_string()).unwrap()
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_token_names_its_caller() {
        let issuer = issuer();
        let customer = Caller::Customer(Uuid::now_v7());
        for caller in [
            customer,
            Caller::Admin("alice".to_owned()),
            Caller::Service("ordering".to_owned()),
        ] {
            let token = issuer.issue(&caller, HOUR).unwrap();
            assert_eq!(verifier(&issuer).verify(&token.text).unwrap(), caller);
        }
    }

    #[test]
    fn an_expired_token_is_refused_as_expired() {
        let issuer = issuer();
        let an_hour_ago = SystemTime::now() - HOUR;
        let token = issuer
            .issue_at(
                &Caller::Admin("alice".to_owned()),
                an_hour_ago,
                Duration::from_secs(60),
            )
            .unwrap();
        assert!(matches!(
            verifier(&issuer).verify(&token.text),
            Err(Rejection::Expired)
        ));
    }

    #[test]
    fn a_token_of_another_key_is_refused() {
        let (ours, theirs) = (issuer(), issuer());
        let token = theirs
            .issue(&Caller::Admin("mallory".to_owned()), HOUR)
            .unwrap();
        assert!(matches!(
            verifier(&ours).verify(&token.text),
            Err(Rejection::Invalid)
        ));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let issuer = issuer();
        let token = issuer
            .issue(&Caller::Customer(Uuid::now_v7()), HOUR)
            .unwrap()
            .text;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged = json!({
            "iss": "plaza", "aud": "plaza", "sub": "mallory", "role": "admin",
            "iat": 0, "exp": seconds(SystemTime::now() + HOUR),
        });
        parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
        assert!(matches!(
            verifier(&issuer).verify(&parts.join(".")),
            Err(Rejection::Invalid)
        ));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let issuer = issuer();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            json!({"iss": "plaza", "aud": "plaza", "sub": "x", "role": "admin", "iat": 0,
                   "exp": seconds(SystemTime::now() + HOUR)})
            .to_string(),
        );
        assert!(
            verifier(&issuer)
                .verify(&format!("{header}.{claims}."))
                .is_err()
        );
    }

    #[test]
    fn the_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 public key.
        let example = "-----BEGIN PRIVATE KEY-----\n\
            MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
            -----END PRIVATE KEY-----\n";
        let issuer = Issuer::from_pem(example).unwrap();
        assert_eq!(
            issuer.jwks()["keys"][0]["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(issuer.key_id, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
