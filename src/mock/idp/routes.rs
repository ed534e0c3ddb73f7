//! The IdP's OAuth 2.0 / OIDC endpoints. Every failure is a JSON error with the
//! RFC's status: 401 `invalid_client` (client authentication), 400
//! `invalid_request` / `unsupported_grant_type` / `unauthorized_client` /
//! `invalid_grant` (RFC 6749 §5.2), 401 + `WWW-Authenticate: Bearer` at userinfo
//! (RFC 6750 §3, F-OAUTH-5). Bad input is a 400, never a panic.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::client_auth::{authenticate, presented};
use super::error::{OAuthError, REALM, json};
use super::form;
use super::issue::{Issued, issue};
use super::log::token_digest;
use super::state::IdpState;
use super::tokens::Grant as Issuance;
use crate::auth::keys::jwks as jwk_set;
use crate::mock::bearer;
use crate::mock::sync::lock;
use crate::scenario::mock_config::{Grant, IdpClient, IdpUser};
use crate::wire::observed::IdpCall;

/// The scope of a token requested without `scope`.
pub const DEFAULT_SCOPE: &str = "openid";

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
pub async fn discovery(State(state): State<IdpState>) -> Response {
    let issuer = &state.issuer;
    let mut grants: Vec<&str> = Vec::new();
    for client in &state.config.clients {
        for grant in &client.grants {
            let name = grant_name(*grant);
            if !grants.contains(&name) {
                grants.push(name);
            }
        }
    }
    let alg = state.signing_alg().to_string();
    let methods = ["client_secret_basic", "client_secret_post"];
    json(
        StatusCode::OK,
        &json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/token"),
            "introspection_endpoint": format!("{issuer}/introspect"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "revocation_endpoint": format!("{issuer}/revoke"),
            "jwks_uri": format!("{issuer}/jwks"),
            "grant_types_supported": grants,
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "scopes_supported": [DEFAULT_SCOPE],
            "id_token_signing_alg_values_supported": [alg],
            "token_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
        }),
    )
}

/// `GET /jwks`: the public half of the current signing key, `kid` = its name
/// (after `/__tollgate/rotate`, only the new key).
pub async fn jwks(State(state): State<IdpState>) -> Response {
    state.log.record(IdpCall::Jwks);
    match state.published_keys() {
        Ok(keys) => match serde_json::to_value(jwk_set(&keys)) {
            Ok(set) => json(StatusCode::OK, &set),
            Err(e) => OAuthError::server_error(e.to_string()).into_response(),
        },
        Err(e) => OAuthError::server_error(e.to_string()).into_response(),
    }
}

/// `POST /token` (RFC 6749 §4.3, §4.4, §6).
pub async fn token(State(state): State<IdpState>, headers: HeaderMap, body: Bytes) -> Response {
    match token_inner(&state, &headers, &body) {
        Ok(issued) => json(StatusCode::OK, &issued.to_json()),
        Err(error) => error.into_response(),
    }
}

fn token_inner(state: &IdpState, headers: &HeaderMap, body: &[u8]) -> Result<Issued, OAuthError> {
    let params = form::parse(headers, body)?;
    let client = authenticate(&state.config.clients, headers, &params)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let grant = match grant_type {
        "client_credentials" => Grant::ClientCredentials,
        "password" => Grant::Password,
        "refresh_token" => Grant::RefreshToken,
        other => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type '{other}' is not supported"),
            ));
        }
    };
    if !client.grants.contains(&grant) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("client '{}' may not use {grant_type}", client.id),
        ));
    }
    let scope = params.get("scope").unwrap_or(DEFAULT_SCOPE);
    // A refresh token only for clients that may use it, and never for
    // client_credentials (RFC 6749 §4.4.3).
    let refreshable = client.grants.contains(&Grant::RefreshToken);
    let issued = match grant {
        Grant::ClientCredentials => issue(state, client, None, scope, None, false),
        Grant::Password => {
            let user = password_user(state, &params)?;
            issue(state, client, Some(user), scope, None, refreshable)
        }
        Grant::RefreshToken => {
            let (user, old) = refresh_user(state, client, &params)?;
            // `old.scope`: a refresh may narrow the scope, never widen it; this mock
            // keeps it as granted (RFC 6749 §6 allows omitting `scope`).
            issue(
                state,
                client,
                Some(user),
                &old.scope,
                Some(old.grant_id),
                true,
            )
        }
    };
    issued.map_err(|e| OAuthError::server_error(e.to_string()))
}

/// The resource owner of a password grant; 400 `invalid_grant` if the
/// credentials are wrong (RFC 6749 §5.2).
fn password_user<'a>(
    state: &'a IdpState,
    params: &form::Params,
) -> Result<&'a IdpUser, OAuthError> {
    let (Some(name), Some(password)) = (params.get("username"), params.get("password")) else {
        return Err(OAuthError::invalid_request(
            "username and password are required",
        ));
    };
    state
        .config
        .users
        .iter()
        .find(|u| u.name == name && u.password == password)
        .ok_or_else(|| OAuthError::invalid_grant("wrong username or password"))
}

/// Redeems a refresh token: it must be live and the client's own. It is rotated
/// (the old one dies here, a new one comes with the answer).
fn refresh_user<'a>(
    state: &'a IdpState,
    client: &IdpClient,
    params: &form::Params,
) -> Result<(&'a IdpUser, Issuance), OAuthError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = state.now_unix();
    let mut store = lock(&state.refresh);
    let old = store
        .lookup(token, now)
        .filter(|g| g.client_id == client.id)
        .ok_or_else(|| OAuthError::invalid_grant("unknown, expired or revoked refresh token"))?;
    store.remove(token);
    drop(store);
    let user = old
        .username
        .as_deref()
        .and_then(|name| state.config.users.iter().find(|u| u.name == name))
        .ok_or_else(|| OAuthError::invalid_grant("the token's user no longer exists"))?;
    Ok((user, old))
}

/// `POST /introspect` (RFC 7662, F-OAUTH-4). Any registered client may ask about
/// any access token (a resource server introspects tokens issued to others);
/// refresh tokens are never active here, so they cannot pass for access tokens.
/// Every call is logged, refusals included (`expect.idp`).
pub async fn introspect(
    State(state): State<IdpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form::parse(&headers, &body);
    let (client_auth, claimed) = presented(&headers, params.as_ref().ok());
    let token_sha256 = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("token"))
        .map(token_digest);
    let answer = params.and_then(|params| introspect_inner(&state, &headers, &params));
    let (client, active) = match &answer {
        Ok((client, body)) => (Some(client.clone()), body["active"].as_bool()),
        Err(_) => (claimed, None),
    };
    state.log.record(IdpCall::Introspection {
        client_auth,
        client,
        token_sha256,
        active,
    });
    match answer {
        Ok((_, body)) => json(StatusCode::OK, &body),
        Err(error) => error.into_response(),
    }
}

/// The authenticated client's id and the introspection answer.
fn introspect_inner(
    state: &IdpState,
    headers: &HeaderMap,
    params: &form::Params,
) -> Result<(String, Value), OAuthError> {
    let client = authenticate(&state.config.clients, headers, params)?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = state.now_unix();
    let found = lock(&state.access).lookup(token, now);
    let body = match found {
        // Inactive (unknown, expired, revoked): `active` alone, RFC 7662 §2.2.
        None => json!({ "active": false }),
        Some(grant) => {
            let mut body = json!({
                "active": true,
                "scope": grant.scope,
                "client_id": grant.client_id,
                "token_type": "Bearer",
                "exp": grant.exp,
                "iat": grant.iat,
                "sub": grant.sub,
                "aud": state.config.audience,
                "iss": state.issuer,
                "jti": grant.jti,
            });
            if let (Some(name), Some(map)) = (&grant.username, body.as_object_mut()) {
                map.insert("username".into(), Value::String(name.clone()));
            }
            body
        }
    };
    Ok((client.id.clone(), body))
}

/// `GET`/`POST /userinfo` with `Authorization: Bearer` (OIDC Core §5.3). No bearer
/// credentials → 401 with a challenge without `error`; a dead token → 401
/// `error="invalid_token"` (RFC 6750 §3, F-OAUTH-5).
pub async fn userinfo(State(state): State<IdpState>, headers: HeaderMap) -> Response {
    let token = bearer_token(&headers);
    let response = userinfo_answer(&state, token);
    state.log.record(IdpCall::Userinfo {
        token_sha256: token.map(token_digest),
        status: response.status().as_u16(),
    });
    response
}

fn userinfo_answer(state: &IdpState, token: Option<&str>) -> Response {
    let Some(token) = token else {
        return bearer_challenge(None);
    };
    let now = state.now_unix();
    let Some(grant) = lock(&state.access).lookup(token, now) else {
        return bearer_challenge(Some("the access token is unknown, expired or revoked"));
    };
    let body = match &grant.username {
        None => json!({ "sub": grant.sub, "client_id": grant.client_id }),
        Some(name) => {
            let mut body = state
                .config
                .users
                .iter()
                .find(|u| &u.name == name)
                .map(|u| u.claims.clone())
                .unwrap_or_default();
            body.insert("sub".into(), json!(grant.sub));
            body.insert("preferred_username".into(), json!(name));
            body.insert("username".into(), json!(name));
            Value::Object(body)
        }
    };
    json(StatusCode::OK, &body)
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive); an
/// empty one is none.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    bearer::lenient(value).filter(|token| !token.is_empty())
}

fn bearer_challenge(error: Option<&str>) -> Response {
    let (challenge, body) = match error {
        None => (format!("Bearer realm=\"{REALM}\""), json!({})),
        Some(description) => (
            format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""
            ),
            json!({ "error": "invalid_token", "error_description": description }),
        ),
    };
    let mut response = json(StatusCode::UNAUTHORIZED, &body);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `POST /revoke` (RFC 7009). 200 whether or not the token was known (§2.2), so
/// the answer tells nothing about tokens. Only the client's own tokens are
/// revoked; revoking a refresh token also kills the access tokens of its grant.
pub async fn revoke(
    State(state): State<IdpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, OAuthError> {
    let params = form::parse(&headers, &body)?;
    let client = authenticate(&state.config.clients, &headers, &params)?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = state.now_unix();
    let access = lock(&state.access).lookup(token, now);
    if access.is_some_and(|g| g.client_id == client.id) {
        lock(&state.access).remove(token);
    }
    let refresh = lock(&state.refresh).lookup(token, now);
    if let Some(grant) = refresh.filter(|g| g.client_id == client.id) {
        lock(&state.refresh).remove(token);
        lock(&state.access).remove_grant(grant.grant_id);
    }
    Ok(StatusCode::OK)
}

fn grant_name(grant: Grant) -> &'static str {
    match grant {
        Grant::ClientCredentials => "client_credentials",
        Grant::Password => "password",
        Grant::RefreshToken => "refresh_token",
    }
}
