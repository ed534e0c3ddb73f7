//! What one IdP instance knows: its configuration, issuer URL, signing key,
//! token stores and Crowd sessions, and whether it is up.

use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tokio::sync::watch;

use super::crowd::sessions::CrowdSessions;
use super::log::IdpLog;
use super::tokens::TokenStore;
use crate::auth::keys::{Alg, KeyError, SigningKey};
use crate::mock::clock::Clock;
use crate::mock::sync::lock;
use crate::scenario::mock_config::IdpConfig;

/// Name (and JWKS `kid`) of the key made when `idp.signing_key` names no given key.
pub const GENERATED_KEY_NAME: &str = "idp-rs256";

/// The suffix of the next rotated key's name, counted across the process: a run
/// (one in-loop IdP, many scenarios) never publishes two keys under one `kid`.
static ROTATIONS: AtomicU64 = AtomicU64::new(2);

/// Why `idp.signing_key` cannot sign.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningKeyError {
    #[error(
        "idp.signing_key '{0}' is an HS256 secret; the IdP signs with RS256 or ES256 \
         so that /jwks can publish the public half"
    )]
    SharedSecret(String),
}

/// Everything one IdP instance knows. Cheap to clone (an `Arc`).
#[derive(Clone, Debug)]
pub struct IdpState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub config: IdpConfig,
    /// The IdP's base URL (`http://127.0.0.1:PORT`, no trailing slash): `iss` of
    /// its tokens and the prefix of every endpoint in discovery.
    pub issuer: String,
    pub clock: Clock,
    /// Made on first use: an RSA key costs tens of milliseconds, and most
    /// scenarios (one mock each) never ask the IdP for a token. Replaced by
    /// [`IdpState::rotate`].
    key: RwLock<Option<SigningKey>>,
    /// The name of the key before the first rotation: rotated keys are named
    /// after it, not after each other.
    first_kid: OnceLock<String>,
    pub access: Mutex<TokenStore>,
    pub refresh: Mutex<TokenStore>,
    /// Crowd SSO sessions (F-CROWD-*): Confluence's Crowd client reaches them
    /// over HTTP, through the Crowd session service.
    pub crowd: Arc<CrowdSessions>,
    next_grant: AtomicU64,
    /// What the IdP and its Crowd service were asked (`expect.idp`).
    pub log: IdpLog,
    /// Keys `/jwks` publishes beside the signing key (the IdP in the loop
    /// publishes every key its run signs with, so a verifier that caches the set
    /// is not sent back to it at every scenario); dropped by a rotation.
    also_published: RwLock<Vec<SigningKey>>,
    /// `true` once the IdP is told to stop (`/__tollgate/down` or shutdown).
    down: watch::Sender<bool>,
}

impl Deref for IdpState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl IdpState {
    /// `issuer` is the IdP's base URL; `key` its signing key (see
    /// [`select_signing_key`]), generated on first use when `None`.
    pub fn new(config: &IdpConfig, issuer: &str, key: Option<SigningKey>, clock: Clock) -> Self {
        let (down, _) = watch::channel(false);
        let crowd = Arc::new(CrowdSessions::new(clock.clone()));
        Self(Arc::new(Inner {
            config: config.clone(),
            issuer: issuer.trim_end_matches('/').to_owned(),
            clock,
            key: RwLock::new(key),
            first_kid: OnceLock::new(),
            access: Mutex::new(TokenStore::default()),
            refresh: Mutex::new(TokenStore::default()),
            crowd,
            next_grant: AtomicU64::new(1),
            log: IdpLog::default(),
            also_published: RwLock::new(Vec::new()),
            down,
        }))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The mock's clock (shared with the Confluence side when started together).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The key that signs JWT access tokens and is published at `/jwks`.
    pub fn signing_key(&self) -> Result<SigningKey, KeyError> {
        if let Some(key) = self
            .key
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(key.clone());
        }
        let generated = SigningKey::generate_shared(
            crate::auth::keys::KeyOwner::Mock,
            GENERATED_KEY_NAME,
            Alg::RS256,
        )?;
        // Two first requests may race; whichever key lands first is the key.
        let mut slot = self.key.write().unwrap_or_else(PoisonError::into_inner);
        Ok(slot.get_or_insert(generated).clone())
    }

    /// The algorithm of the signing key, without making one (discovery is cheap).
    pub fn signing_alg(&self) -> Alg {
        self.key
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(Alg::RS256, SigningKey::alg)
    }

    /// Replaces the signing key with a fresh one of the same algorithm under a new
    /// `kid` (`idp-rs256-2`, …; never one used before in this process, so a
    /// verifier's cache cannot already hold it). Tokens are signed with it from now
    /// on and `/jwks` publishes it alone. Returns the new key's name. Blocking: an
    /// RSA key takes tens of milliseconds.
    pub fn rotate(&self) -> Result<String, KeyError> {
        let current = self.signing_key()?;
        let first = self.first_kid.get_or_init(|| current.name().to_owned());
        let name = format!("{first}-{}", ROTATIONS.fetch_add(1, Ordering::Relaxed));
        let fresh = SigningKey::generate(&name, current.alg())?;
        *self.key.write().unwrap_or_else(PoisonError::into_inner) = Some(fresh);
        // An abrupt rotation: the new key is the only one published.
        self.also_published
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(name)
    }

    /// Publishes `keys` at `/jwks` too (public halves; their `kid` their names),
    /// besides the signing key.
    pub fn also_publish(&self, keys: Vec<SigningKey>) {
        *self
            .also_published
            .write()
            .unwrap_or_else(PoisonError::into_inner) = keys;
    }

    /// What `/jwks` publishes: the signing key first, then the others by `kid`,
    /// none twice.
    pub fn published_keys(&self) -> Result<Vec<SigningKey>, KeyError> {
        let mut keys = vec![self.signing_key()?];
        let others = self
            .also_published
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for key in others.iter() {
            if !keys.iter().any(|k| k.name() == key.name()) {
                keys.push(key.clone());
            }
        }
        Ok(keys)
    }

    /// Seconds since the Unix epoch on the mock's clock: real time plus however
    /// far the clock was advanced, so `exp` can be reached without sleeping.
    pub fn now_unix(&self) -> u64 {
        self.clock.unix_seconds()
    }

    pub(crate) fn new_grant_id(&self) -> u64 {
        self.next_grant.fetch_add(1, Ordering::Relaxed)
    }

    /// Tells the server to stop accepting connections (requests in flight finish).
    pub fn stop(&self) {
        self.down.send_replace(true);
    }

    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Resolves once [`stop`](Self::stop) was called: the shutdown signal to hand
    /// to the server.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.down.subscribe();
        async move {
            let _ = rx.wait_for(|down| *down).await;
        }
    }

    /// Forgets every token issued so far.
    pub fn reset(&self) {
        lock(&self.access).clear();
        lock(&self.refresh).clear();
        self.crowd.clear();
    }

    /// The Crowd SSO session store (F-CROWD-*), behind the Crowd session service.
    pub fn crowd(&self) -> &Arc<CrowdSessions> {
        &self.crowd
    }
}

/// The key `idp.signing_key` names among `keys` (the scenario's `keys:`), or `None`
/// when it names none or a missing one (the IdP then makes [`GENERATED_KEY_NAME`]).
/// An HS256 key is refused: its secret could not be published at `/jwks`.
pub fn select_signing_key(
    config: &IdpConfig,
    keys: &[SigningKey],
) -> Result<Option<SigningKey>, SigningKeyError> {
    let Some(name) = config.signing_key.as_deref() else {
        return Ok(None);
    };
    match keys.iter().find(|k| k.name() == name) {
        Some(key) if key.alg() == Alg::HS256 => Err(SigningKeyError::SharedSecret(name.to_owned())),
        Some(key) => Ok(Some(key.clone())),
        None => Ok(None),
    }
}
