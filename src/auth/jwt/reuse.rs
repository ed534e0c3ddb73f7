//! A load user's JWTs, kept as clients keep them: minted once per spec and sent
//! again until the token nears its `exp` (issue 14, item 1). Without this a load
//! of an RS256 flow measures the client's signing (about 1 ms a token) instead of
//! the server's verify (about 30 µs).
//!
//! Only specs that may be reused reach the cache: no `qsh`, no `jti`, no attack,
//! not `mint: per_request` ([`crate::scenario::plan::JwtAuth::mints_per_request`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::json;

use super::{JwtError, Signed};
use crate::scenario::model::JwtAuth;

/// A token is minted again when less than this is left before its `exp` …
const RENEW_BEFORE_SECS: u64 = 30;
/// … or less than this share of its lifetime, if that is shorter (a token that
/// lives 60 s is renewed 6 s before it expires, not after half its life).
const RENEW_BEFORE_SHARE: u64 = 10;
/// Bounds the cache: a scenario's steps name a handful of specs at most.
const MAX_CACHED: usize = 64;

/// One user's tokens, by the spec (resolved: variables filled in) they were
/// minted from.
#[derive(Default)]
pub struct JwtCache {
    entries: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    token: String,
    minted_at: u64,
    exp: Option<u64>,
}

impl Cached {
    fn usable_at(&self, now: u64) -> bool {
        let Some(exp) = self.exp else {
            // No expiry: the server accepts it for the whole run.
            return true;
        };
        let lifetime = exp.saturating_sub(self.minted_at);
        let margin = RENEW_BEFORE_SECS.min(lifetime / RENEW_BEFORE_SHARE);
        now.saturating_add(margin) < exp
    }
}

/// Never shows a token.
impl std::fmt::Debug for JwtCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtCache")
            .field("specs", &self.lock().len())
            .finish()
    }
}

impl JwtCache {
    /// The token for `spec` at `now` (seconds since the epoch, as the target
    /// sees it): the cached one while it is usable, else one `mint` makes.
    pub fn token(
        &self,
        spec: &JwtAuth,
        now: u64,
        mint: impl FnOnce() -> Result<Signed, JwtError>,
    ) -> Result<String, JwtError> {
        let key = spec_key(spec);
        if let Some(cached) = self.lock().get(&key) {
            if cached.usable_at(now) {
                return Ok(cached.token.clone());
            }
        }
        let signed = mint()?;
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(
            key,
            Cached {
                token: signed.token.clone(),
                minted_at: now,
                exp: signed.exp,
            },
        );
        Ok(signed.token)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Cached>> {
        // A poisoned cache only loses tokens; minting again is correct.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Everything of `spec` a token depends on or is sent with, so two different
/// specs never share a token. Claims stay as written (`now+5m`, not a time): the
/// same spec minted later is still the same spec.
fn spec_key(spec: &JwtAuth) -> String {
    json!({
        "key": spec.key,
        "claims": spec.claims,
        "header": spec.header,
        "qsh": spec.qsh,
        "in": format!("{:?}", spec.placement),
        "scheme": spec.scheme,
        "attack": spec.attack.map(|a| format!("{a:?}")),
        "mint": format!("{:?}", spec.mint),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::{MintRequest, sign};
    use crate::auth::keys::SigningKey;
    use crate::scenario::model::{Alg, JwtMint, JwtPlacement};
    use indexmap::IndexMap;
    use serde_json::{Value, json};

    const NOW: u64 = 1_700_000_000;

    fn spec(exp: Option<&str>) -> JwtAuth {
        let mut claims = IndexMap::from([
            ("iss".to_string(), json!("app")),
            ("iat".to_string(), json!("now")),
        ]);
        if let Some(exp) = exp {
            claims.insert("exp".into(), json!(exp));
        }
        JwtAuth {
            key: "k".into(),
            claims,
            header: IndexMap::new(),
            qsh: false,
            placement: JwtPlacement::Header,
            scheme: None,
            attack: None,
            mint: JwtMint::Reuse,
        }
    }

    /// Mints through `cache` at `now`, counting how often it really signed.
    fn token_at(cache: &JwtCache, spec: &JwtAuth, now: u64, minted: &mut u32) -> String {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let url = url::Url::parse("http://127.0.0.1:1/rest/api/space").unwrap();
        let request = MintRequest {
            method: "GET",
            url: &url,
            context_path: "",
        };
        cache
            .token(spec, now, || {
                *minted += 1;
                sign(spec, &key, &request, now)
            })
            .unwrap()
    }

    fn iat(token: &str) -> Value {
        let (_, payload, _) = crate::auth::jwt::split(token).unwrap();
        crate::auth::jwt::decode_segment(payload).unwrap()["iat"].clone()
    }

    #[test]
    fn a_token_is_reused_until_thirty_seconds_before_its_exp() {
        let (cache, spec, mut minted) = (JwtCache::default(), spec(Some("now+5m")), 0);
        let first = token_at(&cache, &spec, NOW, &mut minted);
        assert_eq!(token_at(&cache, &spec, NOW + 1, &mut minted), first);
        assert_eq!(token_at(&cache, &spec, NOW + 269, &mut minted), first);
        assert_eq!(minted, 1);
        let renewed = token_at(&cache, &spec, NOW + 270, &mut minted);
        assert_eq!(minted, 2);
        assert_eq!(iat(&renewed), json!(NOW + 270));
        assert_eq!(token_at(&cache, &spec, NOW + 271, &mut minted), renewed);
    }

    #[test]
    fn a_short_lived_token_is_renewed_at_ten_percent_of_its_life() {
        let (cache, spec, mut minted) = (JwtCache::default(), spec(Some("now+60s")), 0);
        let first = token_at(&cache, &spec, NOW, &mut minted);
        assert_eq!(token_at(&cache, &spec, NOW + 53, &mut minted), first);
        assert_ne!(token_at(&cache, &spec, NOW + 54, &mut minted), first);
        assert_eq!(minted, 2);
    }

    #[test]
    fn without_exp_a_token_lasts_the_run_and_an_expired_one_is_never_reused() {
        let (cache, mut minted) = (JwtCache::default(), 0);
        let forever = spec(None);
        let first = token_at(&cache, &forever, NOW, &mut minted);
        assert_eq!(token_at(&cache, &forever, NOW + 86_400, &mut minted), first);
        let expired = spec(Some("now-1m"));
        token_at(&cache, &expired, NOW, &mut minted);
        token_at(&cache, &expired, NOW, &mut minted);
        assert_eq!(minted, 3);
    }

    #[test]
    fn each_spec_and_each_user_has_its_own_token() {
        let (alice, bob, mut minted) = (JwtCache::default(), JwtCache::default(), 0);
        let spec_a = spec(Some("now+5m"));
        let mut spec_b = spec_a.clone();
        spec_b.claims.insert("sub".into(), json!("bob"));
        let a = token_at(&alice, &spec_a, NOW, &mut minted);
        let b = token_at(&alice, &spec_b, NOW, &mut minted);
        assert_ne!(a, b);
        assert_eq!(minted, 2);
        // Another user (another cache) mints its own, even for the same spec.
        token_at(&bob, &spec_a, NOW, &mut minted);
        assert_eq!(minted, 3);
        assert_eq!(token_at(&alice, &spec_a, NOW + 5, &mut minted), a);
        assert_eq!(token_at(&alice, &spec_b, NOW + 5, &mut minted), b);
        assert_eq!(minted, 3);
    }

    #[test]
    fn debug_shows_no_token() {
        let (cache, spec, mut minted) = (JwtCache::default(), spec(None), 0);
        let token = token_at(&cache, &spec, NOW, &mut minted);
        let signature = token.rsplit('.').next().unwrap();
        assert!(!format!("{cache:?}").contains(signature));
    }
}
