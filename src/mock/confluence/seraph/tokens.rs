//! The token authenticators Seraph asks, in order, once the session,
//! remember-me, Crowd SSO and Basic steps have named no one (emulator.md:
//! "session, remember-me, Crowd SSO, Basic, PAT, native OAuth, plugin bearer,
//! Connect JWT"): the first that claims the token decides. The verifiers that
//! need keys or the IdP (Connect JWT, the plugin's bearer check) are the ones
//! [`State`] was built with.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::mock::bearer;
use crate::mock::confluence::caller::AuthMethod;
use crate::mock::confluence::connect_jwt::verifier::{self as connect_jwt, JwtOutcome};
use crate::mock::confluence::native_oauth::authenticate as native_oauth;
use crate::mock::confluence::pats::authenticate as pats;
use crate::mock::confluence::plugin_bearer::BearerOutcome;
use crate::mock::confluence::respond::send_error;
use crate::mock::confluence::state::State;
use crate::mock::confluence::verdict::TokenVerdict;

/// The token authenticators, tried in [`TOKEN_AUTHENTICATORS`] order after the
/// session, remember-me and Basic have named no one (emulator.md: "session,
/// remember-me, Crowd SSO, Basic, PAT, native OAuth, plugin bearer, Connect JWT").
/// A new verifier is a variant here, an arm in [`TokenAuthenticator::verify`] and
/// a place in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAuthenticator {
    /// `?jwt=` or `Authorization: JWT …` (F-TOKAUTH-4); refuses bad tokens itself.
    ConnectJwt,
    /// Bearer values that decode to the 44-character PAT shape (F-PAT-1..3).
    Pat,
    /// Every other bearer value (F-OAUTH-2).
    NativeOauth,
    /// With a REST-auth plugin: PATs only if the plugin allows them (F-PLUG-3).
    PluginPatGate,
    /// With a REST-auth plugin: Confluence's own live OAuth tokens, if allowed;
    /// anything else goes on to the plugin instead of becoming anonymous.
    PluginNativeOauth,
    /// The plugin's own validation, which refuses what it cannot verify
    /// (F-OAUTH-3: a missing or invalid token gets 401).
    PluginBearer,
}

/// The order the token authenticators are asked in without a REST-auth plugin.
/// The PAT step claims only PAT-shaped values, so native OAuth sees every other
/// bearer value.
pub const TOKEN_AUTHENTICATORS: &[TokenAuthenticator] = &[
    TokenAuthenticator::ConnectJwt,
    TokenAuthenticator::Pat,
    TokenAuthenticator::NativeOauth,
];

/// The order with a REST-auth plugin in front of the REST API.
pub const PLUGIN_TOKEN_AUTHENTICATORS: &[TokenAuthenticator] = &[
    TokenAuthenticator::ConnectJwt,
    TokenAuthenticator::PluginPatGate,
    TokenAuthenticator::PluginNativeOauth,
    TokenAuthenticator::PluginBearer,
];

/// The request parts a token authenticator may read (Connect JWT also reads the
/// method and the `jwt` query parameter).
#[derive(Clone, Copy, Debug)]
pub struct TokenRequest<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
}

impl TokenRequest<'_> {
    fn authorization(&self) -> Option<&str> {
        self.headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
    }
}

impl TokenAuthenticator {
    /// The list for this instance: with a REST-auth plugin or without.
    pub fn chain(state: &State) -> &'static [TokenAuthenticator] {
        if state.config.plugin.is_some() {
            PLUGIN_TOKEN_AUTHENTICATORS
        } else {
            TOKEN_AUTHENTICATORS
        }
    }

    /// The token this authenticator read from the request, the way it read it:
    /// what a `User` verdict of it vouches for.
    pub fn credential(self, req: TokenRequest<'_>) -> Option<String> {
        match self {
            TokenAuthenticator::ConnectJwt => {
                connect_jwt::token_of(req.uri.query().unwrap_or_default(), req.authorization())
            }
            TokenAuthenticator::Pat
            | TokenAuthenticator::NativeOauth
            | TokenAuthenticator::PluginPatGate
            | TokenAuthenticator::PluginNativeOauth => {
                bearer::strict(req.headers).map(str::to_owned)
            }
            TokenAuthenticator::PluginBearer => req
                .authorization()
                .and_then(bearer::lenient)
                .map(str::to_owned),
        }
    }

    /// Async so verifiers that call out (introspection at an IdP) fit the same list.
    pub async fn verify(self, state: &State, req: TokenRequest<'_>, now: Instant) -> TokenVerdict {
        match self {
            TokenAuthenticator::Pat => pats::authenticate(state, req.headers, now),
            TokenAuthenticator::NativeOauth => native_oauth::authenticate(state, req.headers, now),
            TokenAuthenticator::ConnectJwt => connect_jwt(state, req),
            TokenAuthenticator::PluginPatGate => plugin_pat_gate(state, req, now),
            TokenAuthenticator::PluginNativeOauth => plugin_native_oauth(state, req, now),
            TokenAuthenticator::PluginBearer => plugin_bearer(state, req).await,
        }
    }
}

/// F-TOKAUTH-4: the Connect filter's verdict; a valid token must name a user
/// of this instance who may log in.
fn connect_jwt(state: &State, req: TokenRequest<'_>) -> TokenVerdict {
    let Some(verifier) = &state.verifiers.connect_jwt else {
        return TokenVerdict::Pass;
    };
    let query = req.uri.query().unwrap_or_default();
    let unix_now = state.clock.unix_seconds();
    match verifier.verify(
        req.method.as_str(),
        req.uri.path(),
        query,
        req.authorization(),
        unix_now,
    ) {
        JwtOutcome::NoToken => TokenVerdict::Pass,
        JwtOutcome::User { name } => match known_user(state, &name) {
            Some(user) => TokenVerdict::User(user, AuthMethod::ConnectJwt),
            None => TokenVerdict::Reject(jwt_error(401, "The JWT names no user of this instance.")),
        },
        JwtOutcome::Reject { status, message } => TokenVerdict::Reject(jwt_error(status, &message)),
    }
}

/// F-PLUG-3: with a plugin, a PAT counts only if the plugin allows PATs.
fn plugin_pat_gate(state: &State, req: TokenRequest<'_>, now: Instant) -> TokenVerdict {
    let plugin_allows = state.config.plugin.as_ref().is_none_or(|p| p.allow_pat);
    match pats::authenticate(state, req.headers, now) {
        TokenVerdict::Pass => TokenVerdict::Pass,
        _ if !plugin_allows => plugin_reject(state, "personal access tokens are disabled"),
        verdict => verdict,
    }
}

/// With a plugin: Confluence's own live OAuth tokens, if allowed; anything else
/// goes on to the plugin instead of becoming anonymous.
fn plugin_native_oauth(state: &State, req: TokenRequest<'_>, now: Instant) -> TokenVerdict {
    let plugin_allows = state
        .config
        .plugin
        .as_ref()
        .is_none_or(|p| p.allow_native_oauth);
    match native_oauth::authenticate(state, req.headers, now) {
        verdict @ TokenVerdict::User(..) if plugin_allows => verdict,
        _ => TokenVerdict::Pass,
    }
}

/// The plugin's own validation (F-OAUTH-3, F-PLUG-7), which refuses what it
/// cannot verify.
async fn plugin_bearer(state: &State, req: TokenRequest<'_>) -> TokenVerdict {
    let Some(verifier) = &state.verifiers.plugin_bearer else {
        return TokenVerdict::Pass;
    };
    // Boxed: the introspection call's future is large, and only plugin bearer
    // requests make it.
    match Box::pin(verifier.verify(req.authorization())).await {
        BearerOutcome::NotBearer => TokenVerdict::Pass,
        // The plugin maps to a Confluence user; one Confluence does not know (or
        // who may not log in) is refused like a bad token.
        BearerOutcome::User { name } => match known_user(state, &name) {
            Some(user) => TokenVerdict::User(user, AuthMethod::PluginBearer),
            None => plugin_reject(state, "the token names no Confluence user"),
        },
        BearerOutcome::Reject { status, reason } => {
            TokenVerdict::Reject(bearer_error(status, &reason))
        }
    }
}

/// The stored spelling of `name`, if this instance knows the user and they may
/// log in.
fn known_user(state: &State, name: &str) -> Option<String> {
    state
        .directory
        .get(name)
        .filter(|user| state.directory.can_login(&user.name))
        .map(|user| user.name.clone())
}

/// The JWT filter's refusal (F-TOKAUTH-4): the status it chose and its message,
/// through `HttpServletResponse.sendError` as the JWT plugin's
/// `DefaultAuthenticationResultHandler` sends it.
fn jwt_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    send_error(status, message)
}

/// The plugin's refusal of a token it will not take (F-PLUG-3's `reject_status`).
fn plugin_reject(state: &State, reason: &str) -> TokenVerdict {
    let status = state
        .config
        .plugin
        .as_ref()
        .map_or(401, |p| p.reject_status);
    TokenVerdict::Reject(bearer_error(status, reason))
}

/// An RFC 6750 error answer (F-OAUTH-5): `invalid_token` on 401, with a JSON body
/// in the `/rest/api` error shape.
fn bearer_error(status: u16, reason: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    let body = serde_json::json!({
        "statusCode": status.as_u16(),
        "message": reason,
        "reason": status.canonical_reason().unwrap_or_default(),
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let escaped = reason.replace('"', "'");
        if let Ok(value) = HeaderValue::from_str(&format!(
            "Bearer realm=\"Confluence\", error=\"invalid_token\", error_description=\"{escaped}\""
        )) {
            response
                .headers_mut()
                .append(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_parts(uri: &str, authorization: Option<&'static str>) -> (Method, Uri, HeaderMap) {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        }
        (Method::GET, uri.parse().unwrap(), headers)
    }

    fn credential(
        authenticator: TokenAuthenticator,
        uri: &str,
        authorization: Option<&'static str>,
    ) -> Option<String> {
        let (method, uri, headers) = request_parts(uri, authorization);
        authenticator.credential(TokenRequest {
            method: &method,
            uri: &uri,
            headers: &headers,
        })
    }

    /// What the plugin's rate limit keys on (issue 12): the token, however the
    /// request spelled the header that carried it.
    #[test]
    fn the_credential_is_the_token_as_its_authenticator_read_it() {
        use TokenAuthenticator::*;
        for authorization in ["Bearer abc", "Bearer  abc", " Bearer abc"] {
            assert_eq!(
                credential(Pat, "/", Some(authorization)).as_deref(),
                Some("abc")
            );
        }
        for authorization in ["Bearer abc", "bEaReR abc", "BEARER  abc "] {
            assert_eq!(
                credential(PluginBearer, "/", Some(authorization)).as_deref(),
                Some("abc")
            );
        }
        // A junk `Authorization` beside `?jwt=` is not the token.
        for authorization in [None, Some("junk"), Some("JWT other")] {
            assert_eq!(
                credential(ConnectJwt, "/rest/api/space?jwt=abc", authorization).as_deref(),
                Some("abc")
            );
        }
    }
}
