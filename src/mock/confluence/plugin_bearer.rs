//! A REST-auth plugin's bearer-token check (seeds 002/003): who an
//! `Authorization: Bearer …` request is, by asking the IdP's RFC 7662 introspection
//! endpoint (F-OAUTH-3/4) or userinfo endpoint, or by verifying the token as a
//! JWT with configured public keys (F-PLUG-7). Self-contained (it reads no
//! `State`): the instance's verifiers hold one [`PluginBearerVerifier`], and
//! Seraph's token chain calls [`PluginBearerVerifier::verify`].
//!
//! Every call to the IdP goes over HTTP to [`IdpEndpoint::url`] (the embedded
//! IdP's by default, any IdP when `plugin.bearer.idp_url` says so), as a real
//! plugin's does: `POST {url}/introspect` authenticated as the configured
//! client (`client_secret_basic` or `client_secret_post`), `GET {url}/userinfo`
//! with the token, `GET {url}/jwks` for the key named `idp` ([`RemoteJwks`]).
//!
//! Failing closed: when the IdP cannot be reached or answers nonsense, the token is
//! refused with [`FAIL_CLOSED_STATUS`] (503), not the plugin's `reject_status`, so a
//! scenario can tell "IdP down" from "token bad" — and either way nobody gets in.
//!
//! Faults, each breaking one check (emulator.md, "Faults"):
//! - `introspection_inactive_accepted` (F-OAUTH-4): an `active:false` answer lets the
//!   token in as the user it *claims* — see [`claimed_user`].
//! - `introspection_fail_open` (F-OAUTH-3): IdP unreachable or erroring → let in as
//!   the [`claimed_user`] instead of failing closed.
//! - `revoked_token_cached` (F-OAUTH-4): successful introspections are cached until
//!   the token's `exp`, so a token revoked later keeps working (without the fault
//!   nothing is cached: every request asks the IdP).
//! - `jwt_audience_ignored` (F-PLUG-7, F-JWT-5): `aud` is not compared.
//! - `jwt_expiry_ignored` (F-JWT-5 here, F-JWT-2 in Connect's check): `exp` and
//!   `nbf` are not checked, so an expired JWT is accepted.

use std::sync::Mutex;

use base64::Engine;
use jsonwebtoken::{Algorithm, decode_header};
use regex::Regex;
use serde_json::Value;

use sha2::{Digest, Sha256};

use super::jwt_key::VerifyingKey;
use super::outbound::{self, AnswerError};
use super::plugin_jwks::{JwksError, RemoteJwks};
use crate::auth::keys::{SigningKey, algorithm};
use crate::mock::bearer;
use crate::mock::clock::Clock;
use crate::mock::faults::FaultSet;
use crate::mock::store::{BoundedStore, Eviction};
use crate::mock::sync::lock;
use crate::scenario::mock_config::{Fault, PluginClientAuth, PluginConfig, PluginJwt};

/// Status of a refusal because the IdP could not be asked (fail closed): 503, the
/// dependency is unavailable; the request is refused like any bad token.
pub const FAIL_CLOSED_STATUS: u16 = 503;

/// Who a faulty plugin lets in when the token names nobody it can read (an opaque
/// token under `introspection_inactive_accepted` / `introspection_fail_open`): the
/// one user of `mock: {}`, so the breach is visible as a 200.
pub const FAULT_FALLBACK_USER: &str = "alice";

/// The key name in `bearer.jwt.keys` that stands for the IdP's published keys.
pub const IDP_KEYS: &str = "idp";

/// Entries of the `revoked_token_cached` cache (the emulator's state is capped).
const CACHE_MAX: usize = 1_000;

/// What is wrong with `plugin.bearer` (key names and settings, never a secret).
#[derive(Debug, thiserror::Error)]
pub enum PluginBearerError {
    #[error("plugin.bearer: choose one of `introspection: true`, `userinfo: true` or `jwt:`")]
    BothModes,
    #[error("plugin: cannot build the client for the IdP: {0}")]
    Client(#[source] reqwest::Error),
    #[error("plugin.bearer.idp_url: '{0}' is not an http or https URL")]
    BadIdpUrl(String),
    #[error("plugin.bearer.jwt.keys: no key named '{0}'")]
    UnknownKey(String),
    #[error("plugin.bearer.jwt.keys: name at least one key")]
    NoKeys,
    #[error("plugin.bearer.jwt.keys: key '{0}' cannot verify JWTs")]
    UnusableKey(String),
    #[error("plugin.bearer.jwt.username_regex: {0}")]
    Regex(#[from] regex::Error),
}

/// Why the IdP could not be asked (the plugin then fails closed). Messages name
/// the failing step and status, never the token.
#[derive(Debug, thiserror::Error)]
enum IntrospectionError {
    #[error("introspection request failed: {0}")]
    Request(#[source] reqwest::Error),
    #[error("introspection answered {0}")]
    Status(reqwest::StatusCode),
    #[error("introspection {0}")]
    Answer(#[from] AnswerError),
    #[error("introspection answer is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("introspection answer has no boolean `active`")]
    NoActive,
}

/// What the plugin makes of a request's `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BearerOutcome {
    /// No bearer token (or the plugin validates none): other authenticators decide.
    NotBearer,
    /// The token is good and acts as this Confluence user.
    User { name: String },
    /// Refuse the request with this status (F-OAUTH-3: a missing or invalid token
    /// gets `reject_status`; [`FAIL_CLOSED_STATUS`] when the IdP is unavailable).
    Reject { status: u16, reason: String },
}

/// The plugin's bearer check for one mock instance.
#[derive(Debug)]
pub struct PluginBearerVerifier {
    mode: Mode,
    reject_status: u16,
    faults: FaultSet,
    clock: Clock,
}

#[derive(Debug)]
enum Mode {
    /// The plugin validates no bearer tokens.
    Off,
    Introspection(Introspection),
    Jwt(JwtCheck),
}

/// Which IdP endpoint judges a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    /// RFC 7662: POST the token with client authentication; `active` decides.
    Introspect,
    /// OIDC userinfo: GET with the token as Bearer; the status decides.
    Userinfo,
}

/// Where the plugin's IdP is and who the plugin is to it.
pub struct IdpEndpoint {
    /// The base URL: `/introspect`, `/userinfo` and `/jwks` are below it.
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_auth: PluginClientAuth,
}

struct Introspection {
    endpoint: Endpoint,
    url: String,
    client_id: String,
    client_secret: String,
    client_auth: PluginClientAuth,
    http: reqwest::Client,
    username_attribute: String,
    /// Used only under `revoked_token_cached`: token digest → user, until the
    /// token's `exp` (Unix seconds on the mock's clock).
    cache: Mutex<BoundedStore<[u8; 32], String, u64>>,
}

/// Where it asks, never the client secret.
impl std::fmt::Debug for Introspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspection")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct JwtCheck {
    /// The scenario's keys named in `bearer.jwt.keys`, parsed once.
    keys: Vec<TrustedKey>,
    /// The IdP's published keys, when `bearer.jwt.keys` names [`IDP_KEYS`].
    idp: Option<RemoteJwks>,
    username_claim: String,
    username_regex: Option<Regex>,
    audience: Option<String>,
    issuer: Option<String>,
}

impl PluginBearerVerifier {
    /// `idp` says where the IdP is and which client the plugin is to it; `keys`
    /// are the scenario's keys (`bearer.jwt.keys` names them, or [`IDP_KEYS`]
    /// for the IdP's JWKS). Errors name what is misconfigured. The HTTP client
    /// is built here, once.
    pub fn new(
        config: &PluginConfig,
        idp: IdpEndpoint,
        keys: &[SigningKey],
        faults: FaultSet,
        clock: Clock,
    ) -> Result<Self, PluginBearerError> {
        let bearer = &config.bearer;
        let endpoint = match (bearer.introspection, bearer.userinfo) {
            (true, true) => return Err(PluginBearerError::BothModes),
            (true, false) => Some(Endpoint::Introspect),
            (false, true) => Some(Endpoint::Userinfo),
            (false, false) => None,
        };
        let base = idp.url.trim().trim_end_matches('/').to_owned();
        let client_for_idp = || {
            if !outbound::is_callable(&base) {
                return Err(PluginBearerError::BadIdpUrl(idp.url.clone()));
            }
            outbound::client(&base).map_err(PluginBearerError::Client)
        };
        let mode = match (endpoint, &bearer.jwt) {
            (Some(_), Some(_)) => return Err(PluginBearerError::BothModes),
            (None, None) => Mode::Off,
            (Some(endpoint), None) => {
                let http = client_for_idp()?;
                let attribute = config.username_attribute.trim();
                let path = match endpoint {
                    Endpoint::Introspect => "introspect",
                    Endpoint::Userinfo => "userinfo",
                };
                Mode::Introspection(Introspection {
                    endpoint,
                    url: format!("{base}/{path}"),
                    client_id: idp.client_id,
                    client_secret: idp.client_secret,
                    client_auth: idp.client_auth,
                    http,
                    username_attribute: if attribute.is_empty() {
                        "username".to_owned()
                    } else {
                        attribute.to_owned()
                    },
                    cache: Mutex::new(BoundedStore::new(CACHE_MAX, Eviction::Oldest)),
                })
            }
            (None, Some(jwt)) => {
                let remote = if jwt.keys.iter().any(|k| k == IDP_KEYS) {
                    let http = client_for_idp()?;
                    let refetch = !faults.has(Fault::JwksNeverRefetched);
                    Some(RemoteJwks::new(
                        format!("{base}/jwks"),
                        http,
                        clock.clone(),
                        refetch,
                    ))
                } else {
                    None
                };
                Mode::Jwt(JwtCheck::new(jwt, keys, remote)?)
            }
        };
        Ok(Self {
            mode,
            reject_status: config.reject_status,
            faults,
            clock,
        })
    }

    /// Judges one request's `Authorization` header.
    pub async fn verify(&self, authorization: Option<&str>) -> BearerOutcome {
        let Some(token) = authorization.and_then(bearer::lenient) else {
            return BearerOutcome::NotBearer;
        };
        match &self.mode {
            Mode::Off => BearerOutcome::NotBearer,
            _ if !is_b64token(token) => self.reject("malformed bearer token"),
            Mode::Introspection(check) => self.introspect(check, token).await,
            Mode::Jwt(check) => self.verify_jwt(check, token).await,
        }
    }

    fn reject(&self, reason: &str) -> BearerOutcome {
        BearerOutcome::Reject {
            status: self.reject_status,
            reason: reason.to_owned(),
        }
    }

    /// F-OAUTH-3/4: the IdP decides; `active: true` names the user.
    async fn introspect(&self, check: &Introspection, token: &str) -> BearerOutcome {
        let now = self.clock.unix_seconds();
        let caching = self.faults.has(Fault::RevokedTokenCached);
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if caching {
            if let Some(name) = lock(&check.cache).peek(&key, now) {
                return BearerOutcome::User { name: name.clone() };
            }
        }
        let answer = match check.ask(token).await {
            Ok(answer) => answer,
            Err(_) if self.faults.has(Fault::IntrospectionFailOpen) => {
                return BearerOutcome::User {
                    name: claimed_user(token, &check.username_attribute),
                };
            }
            Err(reason) => {
                return BearerOutcome::Reject {
                    status: FAIL_CLOSED_STATUS,
                    reason: format!("identity provider unavailable: {reason}"),
                };
            }
        };
        if answer.get("active") != Some(&Value::Bool(true)) {
            if self.faults.has(Fault::IntrospectionInactiveAccepted) {
                return BearerOutcome::User {
                    name: claimed_user(token, &check.username_attribute),
                };
            }
            return self.reject("inactive token");
        }
        let Some(name) = string_claim(&answer, &check.username_attribute)
            .or_else(|| string_claim(&answer, "sub"))
        else {
            return self.reject("the introspection answer names no user");
        };
        if caching {
            // Kept until the token's own `exp` (an hour if the IdP gave none).
            let exp = answer
                .get("exp")
                .and_then(Value::as_u64)
                .unwrap_or(now.saturating_add(3600));
            lock(&check.cache).insert(key, name.clone(), Some(exp), now);
        }
        BearerOutcome::User { name }
    }

    /// F-PLUG-7: signature by a configured key, then `exp`/`nbf`, `iss`, `aud`,
    /// then the username claim through the regex. Any failure refuses the token;
    /// an IdP whose keys are needed and cannot be fetched fails closed.
    async fn verify_jwt(&self, check: &JwtCheck, token: &str) -> BearerOutcome {
        let Ok(header) = decode_header(token) else {
            return self.reject("malformed JWT");
        };
        let remote = match &check.idp {
            None => None,
            Some(jwks) => match jwks.keys(header.kid.as_deref()).await {
                Ok(keys) => Some(keys),
                Err(reason) => return self.idp_unavailable(&reason),
            },
        };
        // Every key the plugin trusts, as (name or kid, algorithm, key).
        let mut trusted: Vec<(Option<&str>, Algorithm, &VerifyingKey)> = check
            .keys
            .iter()
            .map(|k| (Some(k.name.as_str()), k.alg, &k.key))
            .collect();
        if let Some(remote) = &remote {
            trusted.extend(remote.iter().map(|k| (k.kid.as_deref(), k.alg, &k.key)));
        }
        // A `kid` naming a trusted key selects it; otherwise every key is tried.
        // Each key verifies only its own algorithm (no HS/RS confusion, F-JWT-1).
        let named = trusted
            .iter()
            .any(|(name, _, _)| header.kid.is_some() && *name == header.kid.as_deref());
        let claims = trusted
            .into_iter()
            .filter(|(name, _, _)| !named || *name == header.kid.as_deref())
            .filter(|(_, alg, _)| *alg == header.alg)
            // Time and audience are checked below, on the mock's clock and under
            // the faults' control.
            .find_map(|(_, alg, key)| key.claims(token, alg));
        let Some(claims) = claims else {
            return self.reject("the JWT signature does not verify with any configured key");
        };
        self.judge_claims(check, &claims)
    }

    /// The claims of a token whose signature verified: time, issuer, audience,
    /// then the user.
    fn judge_claims(&self, check: &JwtCheck, claims: &Value) -> BearerOutcome {
        // The fault skips both (F-JWT-5: an expired JWT must be refused).
        if !self.faults.has(Fault::JwtExpiryIgnored) {
            let now = self.clock.unix_seconds();
            match numeric(claims, "exp") {
                None => return self.reject("the JWT has no exp"),
                Some(exp) if now >= exp => return self.reject("the JWT has expired"),
                Some(_) => {}
            }
            if numeric(claims, "nbf").is_some_and(|nbf| now < nbf) {
                return self.reject("the JWT is not valid yet (nbf)");
            }
        }
        if let Some(issuer) = &check.issuer {
            if string_claim(claims, "iss").as_deref() != Some(issuer.as_str()) {
                return self.reject("the JWT comes from another issuer");
            }
        }
        if let Some(audience) = &check.audience {
            if !self.faults.has(Fault::JwtAudienceIgnored) && !has_audience(claims, audience) {
                return self.reject("the JWT is meant for another audience");
            }
        }
        let Some(value) = string_claim(claims, &check.username_claim) else {
            return self.reject("the JWT has no username claim");
        };
        match &check.username_regex {
            None => BearerOutcome::User { name: value },
            Some(regex) => match regex.captures(&value) {
                Some(caps) => {
                    let name = caps
                        .get(1)
                        .or_else(|| caps.get(0))
                        .map_or("", |m| m.as_str());
                    if name.is_empty() {
                        self.reject("username_regex maps the claim to an empty name")
                    } else {
                        BearerOutcome::User {
                            name: name.to_owned(),
                        }
                    }
                }
                None => self.reject("the username claim does not match username_regex"),
            },
        }
    }

    /// The IdP's keys were needed and could not be had: fail closed (503).
    fn idp_unavailable(&self, reason: &JwksError) -> BearerOutcome {
        BearerOutcome::Reject {
            status: FAIL_CLOSED_STATUS,
            reason: format!("identity provider unavailable: {reason}"),
        }
    }
}

/// A key of the scenario's the plugin trusts.
#[derive(Debug)]
struct TrustedKey {
    name: String,
    alg: Algorithm,
    key: VerifyingKey,
}

impl JwtCheck {
    fn new(
        config: &PluginJwt,
        keys: &[SigningKey],
        idp: Option<RemoteJwks>,
    ) -> Result<Self, PluginBearerError> {
        let mut resolved = Vec::new();
        for name in config.keys.iter().filter(|name| *name != IDP_KEYS) {
            let key = keys
                .iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| PluginBearerError::UnknownKey(name.clone()))?;
            let alg = algorithm(key.alg());
            resolved.push(TrustedKey {
                name: name.clone(),
                alg,
                key: VerifyingKey::new(alg, key.decoding_key())
                    .ok_or_else(|| PluginBearerError::UnusableKey(name.clone()))?,
            });
        }
        if resolved.is_empty() && idp.is_none() {
            return Err(PluginBearerError::NoKeys);
        }
        let username_regex = match &config.username_regex {
            None => None,
            Some(pattern) => Some(Regex::new(pattern)?),
        };
        let claim = config.username_claim.trim();
        Ok(Self {
            keys: resolved,
            idp,
            username_claim: if claim.is_empty() { "sub" } else { claim }.to_owned(),
            username_regex,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
        })
    }
}

impl Introspection {
    /// POSTs the token (RFC 7662 §2.1) and returns the JSON object answered; any
    /// transport error, non-200 status, oversized or non-JSON answer, or an answer
    /// without a boolean `active` is an error (the caller fails closed).
    ///
    /// The userinfo endpoint answers in its own terms, made RFC 7662's here: a 200
    /// is `active: true` with its claims, a 401 or 403 `active: false`.
    async fn ask(&self, token: &str) -> Result<Value, IntrospectionError> {
        let request = match (self.endpoint, self.client_auth) {
            (Endpoint::Introspect, PluginClientAuth::Basic) => self
                .http
                .post(&self.url)
                .basic_auth(&self.client_id, Some(&self.client_secret))
                .form(&[("token", token), ("token_type_hint", "access_token")]),
            (Endpoint::Introspect, PluginClientAuth::Post) => self.http.post(&self.url).form(&[
                ("token", token),
                ("token_type_hint", "access_token"),
                ("client_id", &self.client_id),
                ("client_secret", &self.client_secret),
            ]),
            (Endpoint::Userinfo, _) => self.http.get(&self.url).bearer_auth(token),
        };
        let response = request.send().await.map_err(IntrospectionError::Request)?;
        let refused = matches!(
            response.status(),
            reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN
        );
        if self.endpoint == Endpoint::Userinfo && refused {
            return Ok(serde_json::json!({ "active": false }));
        }
        if response.status() != reqwest::StatusCode::OK {
            return Err(IntrospectionError::Status(response.status()));
        }
        let body = outbound::body(response).await?;
        let mut answer: Value = serde_json::from_slice(&body)?;
        if self.endpoint == Endpoint::Userinfo {
            match answer.as_object_mut() {
                Some(claims) => {
                    claims.insert("active".into(), Value::Bool(true));
                }
                None => return Err(IntrospectionError::NoActive),
            }
        }
        match answer.get("active") {
            Some(Value::Bool(_)) => Ok(answer),
            _ => Err(IntrospectionError::NoActive),
        }
    }
}

/// Who a token *says* it is, without verifying anything: the payload of a JWT
/// (`attribute`, then `username`, then `sub`), or [`FAULT_FALLBACK_USER`] for a
/// token that is not a readable JWT. Only the faults use this.
pub fn claimed_user(token: &str, attribute: &str) -> String {
    let payload = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    payload
        .and_then(|claims| {
            string_claim(&claims, attribute)
                .or_else(|| string_claim(&claims, "username"))
                .or_else(|| string_claim(&claims, "sub"))
        })
        .unwrap_or_else(|| FAULT_FALLBACK_USER.to_owned())
}

/// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn string_claim(claims: &Value, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A NumericDate claim (RFC 7519 §2: may carry a fraction).
fn numeric(claims: &Value, name: &str) -> Option<u64> {
    let value = claims.get(name)?;
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
fn has_audience(claims: &Value, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_and_token_shapes() {
        assert_eq!(bearer::lenient("Bearer abc"), Some("abc"));
        assert_eq!(bearer::lenient("bearer abc "), Some("abc"));
        assert_eq!(bearer::lenient("Basic abc"), None);
        assert!(is_b64token("a.b-c_d~e+f/g=="));
        assert!(!is_b64token("a b") && !is_b64token("==") && !is_b64token("ä"));
    }

    #[test]
    fn claimed_users_come_from_unverified_payloads_or_the_fallback() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"s","username":"u","upn":"x"}"#);
        let token = format!("h.{payload}.sig");
        assert_eq!(claimed_user(&token, "upn"), "x");
        assert_eq!(claimed_user(&token, "missing"), "u");
        assert_eq!(claimed_user("opaque", "username"), FAULT_FALLBACK_USER);
    }

    #[test]
    fn audiences_are_strings_or_arrays() {
        let claims = serde_json::json!({"aud": ["a", "b"], "exp": 1.5});
        assert!(has_audience(&claims, "b") && !has_audience(&claims, "c"));
        assert_eq!(numeric(&claims, "exp"), Some(1));
    }
}
