//! The provider's endpoints (F-OAUTH-1): `GET /rest/oauth2/latest/authorize`
//! and `POST /rest/oauth2/latest/token`; see the module docs of `native_oauth`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json as j;
use sha2::{Digest, Sha256};

use std::time::Instant;

use super::store::{CODE_TTL, Code, Grant, OauthStore, REFRESH_TOKEN_TTL, new_secret};
use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::pages::login_redirect;
use crate::mock::confluence::respond::{escape, json, rest_error};
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;
use crate::scenario::mock_config::{NativeOauthClient, NativeOauthConfig};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/rest/oauth2/latest/authorize", get(authorize))
        .route("/rest/oauth2/latest/token", post(token))
}

fn client<'a>(config: &'a NativeOauthConfig, id: &str) -> Option<&'a NativeOauthClient> {
    config.clients.iter().find(|c| c.id == id)
}

fn disabled() -> Response {
    rest_error(StatusCode::NOT_FOUND, "The OAuth 2.0 provider is disabled")
}

/// An RFC 6749 §5.2 error.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = json(
        status,
        &j!({"error": error, "error_description": description}),
    );
    no_store(response.headers_mut());
    response
}

/// RFC 6749 §5.1: token answers are never cached.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `redirect_uri` plus `params`, appended to any query it already has.
fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", query.finish());
    // A short HTML body names the target too, as servlet redirects often do; a
    // scenario can capture `code` from it (captures read bodies, not header parts).
    let body = format!(
        "<html><body>Redirecting to <a href=\"{0}\">{0}</a></body></html>",
        escape(&location)
    );
    match HeaderValue::from_str(&location) {
        Ok(value) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, value),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html;charset=UTF-8"),
                ),
            ],
            body,
        )
            .into_response(),
        Err(_) => rest_error(StatusCode::BAD_REQUEST, "Invalid redirect_uri"),
    }
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        // The first of a repeated parameter wins.
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

/// `GET /rest/oauth2/latest/authorize` (F-OAUTH-1).
async fn authorize(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let config = &state.config.native_oauth;
    if !config.enabled {
        return disabled();
    }
    let q = query_map(&uri);
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    // Checked before anything is sent to the redirect URI (RFC 6749 §4.1.2.1).
    let Some(client) = client(config, param("client_id")) else {
        return rest_error(StatusCode::BAD_REQUEST, "Unknown client_id");
    };
    let redirect_uri = match q.get("redirect_uri") {
        None => client.redirect_uri.clone(),
        Some(given) if *given == client.redirect_uri => given.clone(),
        Some(_) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                "redirect_uri does not match the registered one",
            );
        }
    };
    let Caller::User(user) = caller else {
        // The user logs in first, then comes back here (F-ANON-1).
        return login_redirect(&state, &uri);
    };
    let mut out: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = q.get("state") {
        out.push(("state", s));
    }
    let fail = |error: &'static str, out: &mut Vec<(&str, &str)>| {
        out.insert(0, ("error", error));
        redirect_to(&redirect_uri, out)
    };
    if param("response_type") != "code" {
        return fail("unsupported_response_type", &mut out);
    }
    let challenge = q.get("code_challenge").cloned();
    match (
        challenge.as_deref(),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        (None, None) => {}
        // RFC 7636 §4.2: 43..128 characters of base64url; S256 only here.
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
        _ => return fail("invalid_request", &mut out),
    }
    let code = new_secret();
    let now = state.clock.now();
    lock(&state.oauth).codes.insert(
        &code,
        Code {
            grant: Grant {
                user,
                client_id: client.id.clone(),
                scope: q.get("scope").cloned(),
            },
            redirect_uri: redirect_uri.clone(),
            challenge,
        },
        CODE_TTL,
        now,
    );
    out.insert(0, ("code", &code));
    redirect_to(&redirect_uri, &out)
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(code_verifier)) == code_challenge`.
fn pkce_ok(challenge: &str, verifier: Option<&str>) -> bool {
    verifier.is_some_and(|v| {
        (43..=128).contains(&v.len())
            && URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == challenge
    })
}

/// `POST /rest/oauth2/latest/token` (F-OAUTH-1).
async fn token(AxumState(state): AxumState<State>, body: Bytes) -> Response {
    let config = &state.config.native_oauth;
    if !config.enabled {
        return disabled();
    }
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let field = |name: &str| form.get(name).map(String::as_str);
    let client = match client(config, field("client_id").unwrap_or("")) {
        Some(c) if field("client_secret") == Some(c.secret.as_str()) => c,
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            );
        }
    };
    let now = state.clock.now();
    let mut store = lock(&state.oauth);
    let grant = match redeem(&mut store, client, &field, now) {
        Ok(grant) => grant,
        Err(Refusal(error, description)) => {
            return oauth_error(StatusCode::BAD_REQUEST, error, description);
        }
    };
    let ttl = config.access_token_ttl.get();
    let (access, refresh) = (new_secret(), new_secret());
    let mut answer = j!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl.as_secs(),
        "refresh_token": refresh,
    });
    if let Some(scope) = &grant.scope {
        answer["scope"] = j!(scope);
    }
    store.access.insert(&access, grant.clone(), ttl, now);
    store
        .refresh
        .insert(&refresh, grant, REFRESH_TOKEN_TTL, now);
    drop(store);
    let mut response = json(StatusCode::OK, &answer);
    no_store(response.headers_mut());
    response
}

/// A refused token request: the RFC 6749 §5.2 `error` and its description (a 400).
#[derive(Debug)]
struct Refusal(&'static str, &'static str);

/// The grant a token request redeems: a single-use code (same client and
/// `redirect_uri`, PKCE checked) or a refresh token (rotated: it dies here).
fn redeem<'a>(
    store: &mut OauthStore,
    client: &NativeOauthClient,
    field: &impl Fn(&str) -> Option<&'a str>,
    now: Instant,
) -> Result<Grant, Refusal> {
    let invalid_grant = |description: &'static str| Refusal("invalid_grant", description);
    match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code")
                .and_then(|c| store.codes.take(c, now))
                .ok_or_else(|| invalid_grant("Unknown, used or expired authorization code"))?;
            if code.grant.client_id != client.id
                || field("redirect_uri").is_some_and(|r| r != code.redirect_uri)
            {
                return Err(invalid_grant(
                    "The code was issued to another client or redirect_uri",
                ));
            }
            if let Some(challenge) = &code.challenge {
                if !pkce_ok(challenge, field("code_verifier")) {
                    return Err(invalid_grant("PKCE verification failed"));
                }
            }
            Ok(code.grant)
        }
        Some("refresh_token") => {
            let grant = field("refresh_token")
                .and_then(|t| store.refresh.take(t, now))
                .ok_or_else(|| invalid_grant("Unknown or expired refresh token"))?;
            if grant.client_id != client.id {
                return Err(invalid_grant(
                    "The refresh token was issued to another client",
                ));
            }
            Ok(grant)
        }
        Some(_) => Err(Refusal(
            "unsupported_grant_type",
            "Supported: authorization_code, refresh_token",
        )),
        None => Err(Refusal("invalid_request", "grant_type is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(challenge, Some(verifier)));
        assert!(!pkce_ok(challenge, Some("x".repeat(43).as_str())));
        assert!(!pkce_ok(challenge, None));
    }
}
