//! The PAT step of Seraph's token authenticators (F-PAT-1/2).

use std::time::Instant;

use axum::http::HeaderMap;

use super::store::parse_raw;
use crate::mock::bearer;
use crate::mock::confluence::caller::AuthMethod;
use crate::mock::confluence::state::State;
use crate::mock::confluence::verdict::TokenVerdict;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;

/// The PAT step of the token authenticators (F-PAT-1/2). Only a PAT-shaped value
/// is this authenticator's; every other value passes to the next one.
pub fn authenticate(state: &State, headers: &HeaderMap, now: Instant) -> TokenVerdict {
    if !state.config.pats.enabled {
        return TokenVerdict::Pass;
    }
    let Some(parts) = bearer::strict(headers).and_then(parse_raw) else {
        return TokenVerdict::Pass;
    };
    let user = lock(&state.pats)
        .verify(
            &parts,
            now,
            state.faults.has(Fault::ExpiredPatAccepted),
            state.faults.has(Fault::RevokedPatAccepted),
        )
        .map(str::to_owned);
    match user {
        // The directory spells the name; a user who may not log in is anonymous.
        Some(user) if state.directory.can_login(&user) => match state.directory.get(&user) {
            Some(u) => TokenVerdict::User(u.name.clone(), AuthMethod::Pat),
            None => TokenVerdict::Anonymous,
        },
        // F-PAT-2: not rejected, just not authenticated.
        _ => TokenVerdict::Anonymous,
    }
}
