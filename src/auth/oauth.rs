//! `auth: oauth`: an access token fetched from the identity provider's token
//! endpoint, once per scenario and credentials, and reused until shortly before
//! it expires.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::error::{AuthError, shown};

/// A token is fetched again when less than this is left of its life.
const REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// Bounds the cache: a scenario uses a handful of credentials at most.
const MAX_CACHED: usize = 64;
/// How long the token request may take: a target that never answers is an
/// error, not a hang.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The resolved `auth: oauth` of a step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    pub client: String,
    pub secret: String,
    pub grant: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<TokenRequest, (String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenCache {
    /// An access token for `request`, from the cache or from `{idp_url}/token`.
    pub async fn access_token(
        &self,
        http: &reqwest::Client,
        idp_url: &str,
        request: &TokenRequest,
    ) -> Result<String, AuthError> {
        if let Some((token, expires)) = self.lock().get(request) {
            if expires.saturating_duration_since(Instant::now()) > REFRESH_MARGIN {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = fetch(http, idp_url, request).await?;
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        // `expires_in` is the IdP's number: a huge one must not overflow `Instant`
        // (the token is then simply not reused).
        let expires = Instant::now()
            .checked_add(lifetime)
            .unwrap_or_else(Instant::now);
        entries.insert(request.clone(), (token.clone(), expires));
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenRequest, (String, Instant)>> {
        // A poisoned cache only loses cached tokens; fetching again is correct.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn fetch(
    http: &reqwest::Client,
    idp_url: &str,
    request: &TokenRequest,
) -> Result<(String, Duration), AuthError> {
    let url = format!("{}/token", idp_url.trim_end_matches('/'));
    let mut form = vec![("grant_type", request.grant.clone())];
    if let Some(user) = &request.user {
        form.push(("username", user.clone()));
    }
    if let Some(password) = &request.password {
        form.push(("password", password.clone()));
    }
    if let Some(scope) = &request.scope {
        form.push(("scope", scope.clone()));
    }
    let response = http
        .post(&url)
        .basic_auth(&request.client, Some(&request.secret))
        .form(&form)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| AuthError::IdpUnreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(AuthError::IdpRefused {
            grant: request.grant.clone(),
            status,
            body: shown(&body),
        });
    }
    let token: TokenResponse = response
        .json()
        .await
        .map_err(|e| AuthError::IdpAnswer(e.to_string()))?;
    let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300));
    Ok((token.access_token, lifetime))
}
