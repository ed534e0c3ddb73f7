//! The Crowd SSO session service on the IdP (emulator.md, "Identity provider";
//! F-CROWD-1..4), in Crowd's own REST shape so a scenario can drive it directly:
//!
//! | request | answer |
//! |---|---|
//! | `POST /crowd/rest/usermanagement/1/session` `{"username","password","validation-factors":{"validationFactors":[{"name","value"}…]}}` | `201` `{"token","user":{"name"},…}` + `Location`; wrong user or password `400` `INVALID_USER_AUTHENTICATION` |
//! | `POST …/session?validate-password=false` `{"username","validation-factors":…}` | the same without a password check: the application vouches for the user (Confluence after its own login form), who must exist |
//! | `GET …/session/{token}` | `200` the session (no factor check); unknown or expired `404` `INVALID_SSO_TOKEN` |
//! | `POST …/session/{token}` `{"validationFactors":[…]}` | `200` and the session's idle time restarts; unknown or expired `404`, other factors `400`, both `INVALID_SSO_TOKEN` (F-CROWD-2) |
//! | `DELETE …/session/{token}` | `204`, known or not |
//!
//! Errors are Crowd's `{"reason":…,"message":…}`; a body that is not the JSON
//! asked for is `400` `ILLEGAL_ARGUMENT`, never a panic.
//!
//! The caller authenticates as a Crowd *application* with HTTP Basic, as a real
//! Crowd client does: the built-in `wire::DEFAULT_CROWD_APPLICATION` and its
//! password (what the runner's `auth: crowd_sso` uses by default), or any
//! `idp.clients` id and secret (so a scenario can configure its own). Otherwise `401`
//! `APPLICATION_ACCESS_DENIED` with `WWW-Authenticate: Basic realm="Crowd REST Service"`.
//! Users are the IdP's `idp.users`.
//!
//! The sessions live in the IdP's [`CrowdSessions`](super::sessions::CrowdSessions);
//! the mock Confluence's Crowd client calls this service over HTTP like any
//! Crowd client. "Require consistent client IP address" (F-CROWD-2) is a Crowd
//! server setting; the mock takes it from `confluence.crowd.require_consistent_ip`
//! at start.
//!
//! Every session request and validation is written to the IdP's log
//! (`IdpCall::CrowdSession`, `IdpCall::CrowdValidation`: the application named,
//! the user, the token's digest, the factors in the order sent, the outcome), the
//! evidence `expect.idp` judges.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::sessions::{Factor, SessionInfo, Validation};
use crate::mock::idp::client_auth::basic_credentials;
use crate::mock::idp::error::json as idp_json;
use crate::mock::idp::log::token_digest;
use crate::mock::idp::state::IdpState;
use crate::wire::observed::IdpCall;
use crate::wire::{
    CROWD_SESSION_PATH, DEFAULT_CROWD_APPLICATION, DEFAULT_CROWD_APPLICATION_PASSWORD,
};

/// Most validation factors one request may carry.
pub const MAX_FACTORS: usize = 16;
/// Longest factor name or value, in bytes.
pub const MAX_FACTOR_LEN: usize = 1024;

/// The service's routes, merged into the IdP router.
pub fn routes() -> Router<IdpState> {
    Router::new().route(CROWD_SESSION_PATH, post(create)).route(
        &format!("{CROWD_SESSION_PATH}/{{token}}"),
        post(validate).get(show).delete(end),
    )
}

/// A Crowd REST error: `{"reason":…,"message":…}` with its status (and the Basic
/// challenge on 401).
#[derive(Debug)]
struct CrowdError {
    status: StatusCode,
    reason: &'static str,
    message: String,
}

impl IntoResponse for CrowdError {
    fn into_response(self) -> Response {
        let body = json!({ "reason": self.reason, "message": self.message });
        let mut response = idp_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Crowd REST Service\""),
            );
        }
        response
    }
}

fn error(status: StatusCode, reason: &'static str, message: impl Into<String>) -> CrowdError {
    CrowdError {
        status,
        reason,
        message: message.into(),
    }
}

fn invalid_token(status: StatusCode) -> Response {
    let message = if status == StatusCode::NOT_FOUND {
        "Token does not exist or has expired"
    } else {
        "Token is not valid for the given validation factors"
    };
    error(status, "INVALID_SSO_TOKEN", message).into_response()
}

fn illegal_argument(message: impl Into<String>) -> CrowdError {
    error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", message)
}

/// The application's HTTP Basic credentials must name the built-in application or an
/// `idp.clients` entry. The name it claims (for the log) and `Err`, the 401 to
/// answer.
fn authenticate_application(
    state: &IdpState,
    headers: &HeaderMap,
) -> (Option<String>, Result<(), CrowdError>) {
    let denied = || {
        error(
            StatusCode::UNAUTHORIZED,
            "APPLICATION_ACCESS_DENIED",
            "Application failed to authenticate",
        )
    };
    let Some((name, password)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| basic_credentials(v.as_bytes()))
    else {
        return (None, Err(denied()));
    };
    let builtin =
        name == DEFAULT_CROWD_APPLICATION && password == DEFAULT_CROWD_APPLICATION_PASSWORD;
    let configured = state
        .config
        .clients
        .iter()
        .any(|c| c.id == name && c.secret == password);
    let outcome = if builtin || configured {
        Ok(())
    } else {
        Err(denied())
    };
    (Some(name), outcome)
}

/// `?validate-password=false` (Crowd reads the boolean in any case; anything
/// else, or none, keeps the password check).
fn skips_password_check(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .any(|(k, v)| k == "validate-password" && v.eq_ignore_ascii_case("false"))
    })
}

fn pairs(factors: &[Factor]) -> Vec<(String, String)> {
    factors
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

#[derive(Deserialize)]
struct CreateBody {
    username: String,
    /// Required unless `validate-password=false`.
    #[serde(default)]
    password: Option<String>,
    #[serde(rename = "validation-factors", default)]
    validation_factors: FactorList,
}

#[derive(Default, Deserialize)]
struct FactorList {
    #[serde(rename = "validationFactors", default)]
    validation_factors: Vec<Factor>,
}

fn checked(factors: Vec<Factor>) -> Result<Vec<Factor>, CrowdError> {
    if factors.len() > MAX_FACTORS {
        return Err(illegal_argument(format!(
            "at most {MAX_FACTORS} validation factors"
        )));
    }
    if factors
        .iter()
        .any(|f| f.name.len() > MAX_FACTOR_LEN || f.value.len() > MAX_FACTOR_LEN)
    {
        return Err(illegal_argument(format!(
            "a validation factor is longer than {MAX_FACTOR_LEN} bytes"
        )));
    }
    Ok(factors)
}

fn session_json(state: &IdpState, info: &SessionInfo) -> serde_json::Value {
    let base = format!("{}{CROWD_SESSION_PATH}", state.issuer);
    json!({
        "expand": "user",
        "token": info.token,
        "user": { "name": info.user },
        "link": { "href": format!("{base}/{}", info.token), "rel": "self" },
        "created-date": info.created_ms,
        "expiry-date": info.expiry_ms,
    })
}

/// The token of the path; one that does not decode (`%ff`) is no token (unknown).
fn token_of(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(token)| token).unwrap_or_default()
}

/// `POST …/session`: authenticate a user and open an SSO session bound to the
/// given factors (F-CROWD-2). With `validate-password=false` the application
/// vouches for the user, who must still exist.
async fn create(
    State(state): State<IdpState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (application, authenticated) = authenticate_application(&state, &headers);
    let record = |user: Option<&str>, factors: &[Factor], created: bool| {
        state.log.record(IdpCall::CrowdSession {
            application: application.clone(),
            user: user.map(str::to_owned),
            factors: pairs(factors),
            created,
        });
    };
    if let Err(denied) = authenticated {
        record(None, &[], false);
        return denied.into_response();
    }
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            record(None, &[], false);
            return illegal_argument(format!("the body is not a session request: {e}"))
                .into_response();
        }
    };
    let skip_password = skips_password_check(query.as_deref());
    let factors = match checked(body.validation_factors.validation_factors) {
        Ok(factors) if skip_password || body.password.is_some() => factors,
        Ok(_) => {
            record(Some(&body.username), &[], false);
            return illegal_argument("the body has no password").into_response();
        }
        Err(e) => {
            record(Some(&body.username), &[], false);
            return e.into_response();
        }
    };
    let known = state.config.users.iter().find(|u| {
        u.name == body.username
            && (skip_password || body.password.as_deref() == Some(u.password.as_str()))
    });
    let Some(user) = known else {
        record(Some(&body.username), &factors, false);
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_USER_AUTHENTICATION",
            "Failed to authenticate principal, password was invalid",
        )
        .into_response();
    };
    record(Some(&user.name), &factors, true);
    let info = state.crowd.create(&user.name, factors);
    let mut response = idp_json(StatusCode::CREATED, &session_json(&state, &info));
    let location = format!("{}{CROWD_SESSION_PATH}/{}", state.issuer, info.token);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `POST …/session/{token}`: validate against the body's factors (F-CROWD-2),
/// unless "Require consistent client IP address" is off.
async fn validate(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = token_of(token);
    let (application, authenticated) = authenticate_application(&state, &headers);
    let record = |factors: Vec<(String, String)>, valid: bool| {
        state.log.record(IdpCall::CrowdValidation {
            application: application.clone(),
            token_sha256: token_digest(&token),
            factors,
            valid,
        });
    };
    if let Err(denied) = authenticated {
        record(Vec::new(), false);
        return denied.into_response();
    }
    let factors = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        match serde_json::from_slice::<FactorList>(&body) {
            Ok(list) => match checked(list.validation_factors) {
                Ok(factors) => factors,
                Err(e) => {
                    record(Vec::new(), false);
                    return e.into_response();
                }
            },
            Err(e) => {
                record(Vec::new(), false);
                return illegal_argument(format!("the body is not validation factors: {e}"))
                    .into_response();
            }
        }
    };
    let compare = state.crowd.require_consistent_ip();
    let validation = state
        .crowd
        .validate(&token, compare.then_some(&factors[..]));
    record(pairs(&factors), matches!(validation, Validation::Valid(_)));
    match validation {
        Validation::Valid(info) => idp_json(StatusCode::OK, &session_json(&state, &info)),
        Validation::Unknown => invalid_token(StatusCode::NOT_FOUND),
        Validation::FactorsDiffer => invalid_token(StatusCode::BAD_REQUEST),
    }
}

/// `GET …/session/{token}`: the live session, without a factor check.
async fn show(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    if let (_, Err(denied)) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    match state.crowd.get(&token_of(token)) {
        Some(info) => idp_json(StatusCode::OK, &session_json(&state, &info)),
        None => invalid_token(StatusCode::NOT_FOUND),
    }
}

/// `DELETE …/session/{token}`: ends it; `204` whether it existed or not.
async fn end(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    if let (_, Err(denied)) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    state.crowd.remove(&token_of(token));
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_parse_safely() {
        assert_eq!(
            basic_credentials(b"Basic Y29uZmx1ZW5jZTpjb25mbHVlbmNlLXNlY3JldA=="),
            Some((
                DEFAULT_CROWD_APPLICATION.into(),
                DEFAULT_CROWD_APPLICATION_PASSWORD.into()
            ))
        );
        for bad in [
            &b"Basic"[..],
            b"Basic !!",
            b"Bearer x",
            b"Basic Zm9v",
            b"\xff\xfe",
        ] {
            assert_eq!(basic_credentials(bad), None);
        }
    }

    #[test]
    fn only_validate_password_false_skips_the_password_check() {
        for (query, skips) in [
            (None, false),
            (Some(""), false),
            (Some("validate-password=true"), false),
            (Some("validate-password=no"), false),
            (Some("validate-password=false"), true),
            (Some("duration=5&validate-password=FALSE"), true),
            (Some("validate%2Dpassword=false"), true),
        ] {
            assert_eq!(skips_password_check(query), skips, "{query:?}");
        }
    }

    #[test]
    fn factor_lists_are_bounded() {
        let many = vec![Factor::new("a", "b"); MAX_FACTORS + 1];
        assert!(checked(many).is_err());
        let long = vec![Factor::new("a", "x".repeat(MAX_FACTOR_LEN + 1))];
        assert!(checked(long).is_err());
        assert!(checked(vec![Factor::new("a", "b")]).is_ok());
    }
}
