//! Minting: access tokens as RS256/ES256 JWTs (`format: jwt`, verifiable with the
//! published JWKS, F-PLUG-7) or random opaque strings (`format: opaque`, only
//! introspection can validate them, F-OAUTH-3/4), plus opaque refresh tokens.
//! Everything issued goes into the capped stores, so introspection, userinfo and
//! revocation see it.

use base64::Engine;
use jsonwebtoken::{Header, encode};
use serde_json::{Map, Value, json};

use super::state::IdpState;
use super::tokens::Grant;
use crate::auth::keys::{KeyError, algorithm};
use crate::mock::sync::lock;
use crate::scenario::mock_config::{IdpClient, IdpUser, TokenFormat};

/// Why a token could not be minted (a 500 `server_error`). Messages name the
/// failing step, never a key or a claim value.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("no signing key: {0}")]
    Key(#[from] KeyError),
    #[error("cannot sign the access token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// What `POST /token` answers (RFC 6749 §5.1).
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

impl Issued {
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        });
        if let (Some(refresh), Some(map)) = (&self.refresh_token, body.as_object_mut()) {
            map.insert("refresh_token".into(), Value::String(refresh.clone()));
        }
        body
    }
}

/// Issues an access token (and a refresh token when `with_refresh`) to `client`,
/// for `user` or, without one, for the client itself (client_credentials).
/// `grant_id` continues an existing grant (a refresh); `None` starts one.
pub fn issue(
    state: &IdpState,
    client: &IdpClient,
    user: Option<&IdpUser>,
    scope: &str,
    grant_id: Option<u64>,
    with_refresh: bool,
) -> Result<Issued, IssueError> {
    let now = state.now_unix();
    let ttl = state.config.access_token_ttl.get().as_secs().max(1);
    let grant = Grant {
        grant_id: grant_id.unwrap_or_else(|| state.new_grant_id()),
        client_id: client.id.clone(),
        username: user.map(|u| u.name.clone()),
        scope: scope.to_owned(),
        sub: user.map_or_else(|| client.id.clone(), |u| u.name.clone()),
        jti: hex::encode(rand::random::<[u8; 16]>()),
        iat: now,
        exp: now.saturating_add(ttl),
    };
    let access_token = match state.config.format {
        TokenFormat::Jwt => mint_jwt(state, &grant, user)?,
        TokenFormat::Opaque => random_token(),
    };
    lock(&state.access).insert(&access_token, grant.clone(), now);
    let refresh_token = with_refresh.then(|| {
        let token = random_token();
        let refresh_ttl = state.config.refresh_token_ttl.get().as_secs().max(1);
        let refresh = Grant {
            jti: hex::encode(rand::random::<[u8; 16]>()),
            exp: now.saturating_add(refresh_ttl),
            ..grant.clone()
        };
        lock(&state.refresh).insert(&token, refresh, now);
        token
    });
    Ok(Issued {
        access_token,
        refresh_token,
        expires_in: ttl,
        scope: grant.scope,
    })
}

/// The claims of a JWT access token: the user's extra claims first, so they can
/// never override the registered ones.
pub fn claims(state: &IdpState, grant: &Grant, user: Option<&IdpUser>) -> Map<String, Value> {
    let mut claims = user.map(|u| u.claims.clone()).unwrap_or_default();
    let registered = json!({
        "iss": state.issuer,
        "sub": grant.sub,
        "aud": state.config.audience,
        "exp": grant.exp,
        "iat": grant.iat,
        "jti": grant.jti,
        "client_id": grant.client_id,
        "scope": grant.scope,
    });
    if let Value::Object(map) = registered {
        claims.extend(map);
    }
    if let Some(name) = &grant.username {
        claims.insert("username".into(), Value::String(name.clone()));
    }
    claims
}

fn mint_jwt(state: &IdpState, grant: &Grant, user: Option<&IdpUser>) -> Result<String, IssueError> {
    let key = state.signing_key()?;
    let mut header = Header::new(algorithm(key.alg()));
    header.kid = Some(key.name().to_owned());
    Ok(encode(
        &header,
        &claims(state, grant, user),
        key.encoding_key(),
    )?)
}

/// 256 random bits, base64url without padding (43 characters).
fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}
