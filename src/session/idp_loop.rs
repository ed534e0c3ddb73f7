//! tollgate's IdP in the loop of a run against a real target (`--idp-listen`):
//! started once a run, lent to one scenario at a time. A scenario that asks the
//! IdP holds the lease from its session's opening to its end, so the IdP's state
//! (its users, revocations, clock, down or up) and its log of calls are that
//! scenario's alone while it runs; scenarios that do not ask it run in parallel.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::auth::keys::SigningKey;
use crate::auth::keys::{Alg, KeyRing};
use crate::mock::idp::IdpState;
use crate::mock::{IdpInLoop, LoopOptions, LoopTls};
use crate::scenario::Scenario;
use crate::scenario::mock_config::MockConfig;

/// What `--idp-listen` and its companions asked for.
#[derive(Clone, Debug)]
pub struct IdpLoopPlan {
    pub listen: SocketAddr,
    /// `--idp-public-url`.
    pub public_url: Option<String>,
    /// `--idp-key`, read: the same JWKS across runs.
    pub signing_key: Option<SigningKey>,
    /// `--idp-tls-ca-out`, or `--idp-tls-cert` and `--idp-tls-key`.
    pub tls: LoopTls,
}

/// The running IdP and the lease a scenario holds while it uses it.
pub struct IdpLoop {
    idp: IdpInLoop,
    lease: Arc<Mutex<()>>,
}

/// Only the address: the IdP's state holds secrets.
impl std::fmt::Debug for IdpLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpLoop")
            .field("url", &self.idp.url())
            .finish_non_exhaustive()
    }
}

/// One scenario's turn with the IdP: dropping it lets the next scenario begin.
pub struct IdpTurn {
    pub state: IdpState,
    _lease: OwnedMutexGuard<()>,
}

impl IdpLoop {
    /// Binds and serves, publishing the signing keys of `scenarios` from the
    /// start; needs a tokio runtime.
    pub fn start(plan: &IdpLoopPlan, scenarios: &[Scenario]) -> std::io::Result<IdpLoop> {
        let options = LoopOptions {
            public_url: plan.public_url.clone(),
            signing_key: plan.signing_key.clone(),
            tls: plan.tls.clone(),
            also_publish: signing_keys(scenarios),
            ..LoopOptions::default()
        };
        Ok(IdpLoop {
            idp: IdpInLoop::start(plan.listen, options)?,
            lease: Arc::new(Mutex::new(())),
        })
    }

    /// What the IdP calls itself, and where scenarios send `${idp_url}`.
    pub fn url(&self) -> &str {
        self.idp.url()
    }

    /// The CA to trust when the IdP's certificate was generated.
    pub fn ca_pem(&self) -> Option<&str> {
        self.idp.ca_pem()
    }

    /// Waits for the IdP to be free, then gives it `config`'s users, clients and
    /// token lifetimes (and `keys`' signing key when `config` names one), a fresh
    /// clock and log, and up.
    pub async fn turn(&self, config: &MockConfig, keys: &[SigningKey]) -> std::io::Result<IdpTurn> {
        let lease = self.lease.clone().lock_owned().await;
        let state = self.idp.begin(config, keys)?;
        Ok(IdpTurn {
            state,
            _lease: lease,
        })
    }
}

/// The keys the IdP will sign with for `scenarios` (each one's `mock.idp.signing_key`
/// among its `keys:`), once each by name. A plugin that caches the JWKS and
/// refetches it only so often (at most once in 30 s is common) would otherwise
/// refuse the first token of every scenario that switches keys. A key that cannot
/// be made here is left out: its scenario reports why when it opens.
fn signing_keys(scenarios: &[Scenario]) -> Vec<SigningKey> {
    let mut keys: Vec<SigningKey> = Vec::new();
    for scenario in scenarios.iter().filter(|s| s.needs_idp()) {
        let Some(name) = scenario.mock.idp.signing_key.as_ref() else {
            continue;
        };
        let Some(spec) = scenario.keys.get(name) else {
            continue;
        };
        if spec.alg == Alg::HS256 || keys.iter().any(|k| k.name() == name) {
            continue;
        }
        if let Ok(ring) = KeyRing::from_specs([(name, &spec.inner)]) {
            keys.extend(ring.keys().iter().cloned());
        }
    }
    keys
}
