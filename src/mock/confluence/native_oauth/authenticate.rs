//! The native OAuth step of Seraph's token authenticators (F-OAUTH-2).

use std::time::Instant;

use axum::http::HeaderMap;

use crate::mock::bearer;
use crate::mock::confluence::caller::AuthMethod;
use crate::mock::confluence::state::State;
use crate::mock::confluence::verdict::TokenVerdict;
use crate::mock::sync::lock;

/// The native OAuth step of the token authenticators (F-OAUTH-2). It is asked
/// only for bearer values the PAT step passed on; a value it does not know means
/// "not authenticated": anonymous, no challenge.
pub fn authenticate(state: &State, headers: &HeaderMap, now: Instant) -> TokenVerdict {
    if !state.config.native_oauth.enabled {
        return TokenVerdict::Pass;
    }
    let Some(token) = bearer::strict(headers) else {
        return TokenVerdict::Pass;
    };
    let user = lock(&state.oauth).user_of(token, now);
    match user.and_then(|u| state.directory.get(&u).map(|u| u.name.clone())) {
        Some(name) if state.directory.can_login(&name) => {
            TokenVerdict::User(name, AuthMethod::NativeOauth)
        }
        _ => TokenVerdict::Anonymous,
    }
}
