//! One scenario's session: opened from a compiled scenario and a target
//! resolved once, it owns what every stage that drives a scenario needs — the
//! key ring, the redactor that knows the scenario's secrets, the running
//! embedded mock (stopped when the session is dropped), the endpoints, the
//! initial scope and the clients. `run` and `load` open a session and drive it.

pub mod idp_loop;
pub mod version;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::auth::keys::{KeyError, KeyRing, read_pem_file};
use crate::client::{ClientError, Clients, Endpoints, Env, TlsTrust};
use crate::mock::idp::IdpState;
use crate::mock::{self, RunningMock};
use crate::report::redact::Redactor;
use crate::scenario::Scenario;
use crate::scenario::mock_config::Fault;
use crate::scenario::model::Setup;
use crate::scenario::template::{Scope, UnknownVar};
use crate::scenario::vars::{BASE_URL, IDP_URL};
use crate::scenario::version::ConfluenceVersion;
use idp_loop::{IdpLoop, IdpLoopPlan, IdpTurn};
use version::KnownVersion;

/// Where scenarios are sent, as the user chose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// A fresh emulator per scenario, on 127.0.0.1:0.
    #[default]
    Embedded,
    /// A real server's base URL.
    Remote(String),
}

/// The command line's say over where and how scenarios are sent.
#[derive(Clone, Debug, Default)]
pub struct TargetOptions {
    pub target: Target,
    /// `--var K=V` and `--secret K=V`: win over a scenario's own vars.
    pub vars: Vec<(String, String)>,
    /// The values of `--secret K=V`: never shown in any report.
    pub secrets: Vec<String>,
    /// `--idp URL`: the identity provider of a real target.
    pub idp: Option<String>,
    /// `--ca-cert FILE`: a CA to trust besides the system's.
    pub ca_cert: Option<PathBuf>,
    /// `--insecure`: accept any certificate.
    pub insecure: bool,
    /// `--allow-defaults`: a real target may receive credentials that are the
    /// defaults of unset `${env:NAME:-default}` references.
    pub allow_defaults: bool,
    /// `--confluence-version`: the target's version, instead of reading it (a
    /// real target) or the emulator's default (the embedded mock).
    pub confluence_version: Option<ConfluenceVersion>,
    /// `--setup` and the profile's `setup:`: what a real target is set up for.
    pub setups: Vec<Setup>,
    /// `--idp-listen`: tollgate's IdP served for the run beside a real target.
    pub idp_loop: Option<IdpLoopPlan>,
}

/// Why a target or a session could not be set up; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("--target '{0}' is not an http(s) URL such as https://confluence.example.com")]
    TargetUrl(String),
    #[error(
        "{flag} '{shown}' carries credentials (user:password@): they would go to every step as Basic, anonymous ones too; \
         pass them in the scenario (`password: ${{env:CONF_PASSWORD}}`), with --var NAME=VALUE, or with --secret NAME=VALUE, \
         and give {flag} without them; nothing was sent"
    )]
    Userinfo { flag: &'static str, shown: String },
    #[error("cannot read --ca-cert {path}: {reason}")]
    CaCert { path: String, reason: String },
    #[error("cannot make the embedded mock's CA: {0}")]
    MockCa(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// A key file that could not be made a key, at the `private_key` that names it.
    #[error("{at}: {error}")]
    KeyFile { at: String, error: KeyError },
    #[error("cannot start the embedded mock: {0}")]
    Mock(std::io::Error),
    #[error("var '{name}': {error}")]
    Var { name: String, error: UnknownVar },
    #[error("--idp-listen serves tollgate's IdP beside a real target: give --target URL too")]
    IdpLoopWithoutTarget,
    #[error("cannot serve tollgate's IdP on {addr}: {error}")]
    IdpLoop { addr: String, error: std::io::Error },
    #[error("tollgate's IdP cannot take this scenario's mock.idp: {0}")]
    IdpTurn(std::io::Error),
}

/// A target resolved once for a whole run: its URL parsed, its CA read, its
/// identity provider and its label known, and the clients built (building one
/// loads the system's root certificates: too slow to do per scenario).
#[derive(Clone, Debug)]
pub struct ResolvedTarget {
    remote: Option<Remote>,
    idp: Option<String>,
    vars: Vec<(String, String)>,
    secrets: Vec<String>,
    clients: Clients,
    label: String,
    given_version: Option<ConfluenceVersion>,
    /// A real target's version, once [`ResolvedTarget::read_version`] ran.
    version: KnownVersion,
    setups: Vec<Setup>,
    idp_loop: Option<Arc<IdpLoop>>,
    /// Held by a real target's rate-limit scenario while it runs: they share the
    /// target's buckets (one user's, one token's), so they must not overlap.
    rate_lease: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Debug)]
struct Remote {
    /// No trailing slash.
    base_url: String,
    context_path: String,
}

/// The TLS trust `--ca-cert` and `--insecure` ask for, the system's roots
/// included.
pub fn given_trust(ca_cert: Option<&Path>, insecure: bool) -> Result<TlsTrust, SessionError> {
    let mut trust = TlsTrust {
        extra_roots_pem: Vec::new(),
        insecure,
    };
    if let Some(path) = ca_cert {
        // Bounded and regular files only, as key files are: `/dev/zero` must
        // not be read until memory runs out.
        let pem = read_pem_file(path).map_err(|reason| SessionError::CaCert {
            path: path.display().to_string(),
            reason,
        })?;
        trust.extra_roots_pem.push(pem);
    }
    Ok(trust)
}

impl ResolvedTarget {
    /// `options` resolved for `scenarios` (an embedded run trusts the mock's CA
    /// when one of them asks for an HTTPS mock).
    pub fn resolve(options: &TargetOptions, scenarios: &[Scenario]) -> Result<Self, SessionError> {
        let remote = match &options.target {
            Target::Embedded => None,
            Target::Remote(text) => Some(remote(text)?),
        };
        if let Some(idp) = &options.idp {
            refuse_userinfo("--idp", idp)?;
        }
        let mut trust = given_trust(options.ca_cert.as_deref(), options.insecure)?;
        let idp_loop = match (&options.idp_loop, &remote) {
            (None, _) => None,
            (Some(_), None) => return Err(SessionError::IdpLoopWithoutTarget),
            (Some(plan), Some(_)) => {
                let idp =
                    IdpLoop::start(plan, scenarios).map_err(|error| SessionError::IdpLoop {
                        addr: plan.listen.to_string(),
                        error,
                    })?;
                // Scenarios revoke, expire and take down the IdP over HTTPS too.
                if let Some(ca) = idp.ca_pem() {
                    trust.extra_roots_pem.push(ca.to_string());
                }
                Some(Arc::new(idp))
            }
        };
        if remote.is_none() && scenarios.iter().any(|s| s.mock.tls) {
            let ca = mock::tls::ca().map_err(|e| SessionError::MockCa(e.to_string()))?;
            trust.extra_roots_pem.push(ca.cert_pem().to_string());
        }
        let label = match &options.target {
            Target::Embedded => "embedded mock".to_string(),
            // Holds no credentials (refused above); redacted all the same, as
            // everything a report shows.
            Target::Remote(url) => match &idp_loop {
                None => Redactor::new().url(url),
                Some(idp) => format!(
                    "{} (tollgate's IdP in the loop at {})",
                    Redactor::new().url(url),
                    idp.url()
                ),
            },
        };
        let idp = match &idp_loop {
            Some(running) => Some(running.url().to_string()),
            None => options
                .idp
                .as_deref()
                .map(|idp| idp.trim_end_matches('/').to_string()),
        };
        Ok(ResolvedTarget {
            remote,
            idp,
            idp_loop,
            vars: options.vars.clone(),
            secrets: options.secrets.clone(),
            clients: Clients::shared(&trust)?,
            label,
            given_version: options.confluence_version.clone(),
            version: KnownVersion::NotNeeded,
            setups: options.setups.clone(),
            rate_lease: Arc::default(),
        })
    }

    /// A real target's version from `--confluence-version`, else (when one of
    /// `scenarios` requires a version) from its manifest: one request, no
    /// credentials. Nothing for the embedded mock, whose version is configured.
    pub async fn read_version(&mut self, scenarios: &[Scenario]) {
        if let Some(remote) = &self.remote {
            self.version = KnownVersion::of_remote(
                self.given_version.as_ref(),
                scenarios,
                &self.clients,
                &remote.base_url,
            )
            .await;
        }
    }

    /// Why `scenario` does not apply to this target's Confluence version, if it
    /// does not (its `requires.confluence`).
    pub fn excludes(&self, scenario: &Scenario) -> Option<String> {
        match self.remote {
            Some(_) => version::excluded(scenario, &self.version),
            None => version::excluded_embedded(scenario, self.given_version.as_ref()),
        }
    }

    /// Why `scenario` cannot run on this real target as it was set up, if it
    /// cannot: the setup it requires was not declared (`--setup`, `--profile`),
    /// or it needs tollgate's IdP and none is in the loop. The embedded mock is
    /// set up by each scenario's own `mock:`.
    pub fn not_set_up_for(&self, scenario: &Scenario) -> Option<String> {
        self.remote.as_ref()?;
        setup_gap(scenario, &self.setups, self.has_idp_in_loop())
    }

    /// Whether tollgate's IdP serves this run beside a real target (`--idp-listen`).
    pub fn has_idp_in_loop(&self) -> bool {
        self.idp_loop.is_some()
    }

    /// The Confluence version the run judged against, for reports.
    pub fn version_label(&self) -> Option<String> {
        match self.remote {
            Some(_) => self.version.describe(),
            None => {
                let version = self.given_version.clone().unwrap_or_default();
                let from = if self.given_version.is_some() {
                    "--confluence-version"
                } else {
                    "the emulator's default"
                };
                Some(format!("{version} (the embedded mock, {from})"))
            }
        }
    }

    /// How reports name the target: `embedded mock`, or its URL (which holds no
    /// credentials: [`refuse_userinfo`]).
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn is_embedded(&self) -> bool {
        self.remote.is_none()
    }
}

/// Why a real target set up for `setups`, with or without tollgate's IdP in the
/// loop, cannot run `scenario`, if it cannot. Also what `run --list` says
/// before anything is started.
pub fn setup_gap(scenario: &Scenario, setups: &[Setup], idp_in_loop: bool) -> Option<String> {
    if let Some(setup) = scenario.requires_setup.filter(|s| s.on_target()) {
        if !setups.contains(&setup) {
            let name = setup.name();
            return Some(format!(
                "needs a target set up for {name} (docs/profiles.md): run its profile, or declare it with --setup {name}"
            ));
        }
    }
    if scenario.needs_idp() && !idp_in_loop {
        return Some(
            "needs tollgate's IdP in the loop: --idp-listen ADDR where the target can reach it"
                .into(),
        );
    }
    None
}

/// `text` as a target's URL: http(s) with a host, or nothing.
pub fn http_url(text: &str) -> Option<url::Url> {
    url::Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// A target or IdP URL must carry no `user:password@`: reqwest would send it as
/// Basic on every request built from it, anonymous steps too, next to a step's
/// own `Authorization` (issue 12, item 1). Credentials belong in the scenario.
pub fn refuse_userinfo(flag: &'static str, text: &str) -> Result<(), SessionError> {
    match url::Url::parse(text) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            let mut shown = url;
            // Neither half is shown: a user name in a URL is often a token.
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            Err(SessionError::Userinfo {
                flag,
                shown: shown.to_string(),
            })
        }
        _ => Ok(()),
    }
}

fn remote(text: &str) -> Result<Remote, SessionError> {
    let url = http_url(text)
        // `https://admin:pw@…` must not put `pw` in a message.
        .ok_or_else(|| SessionError::TargetUrl(Redactor::new().url(text)))?;
    refuse_userinfo("--target", text)?;
    Ok(Remote {
        base_url: text.trim_end_matches('/').to_string(),
        context_path: url.path().trim_end_matches('/').to_string(),
    })
}

/// One scenario, ready to be driven.
pub struct Session {
    pub endpoints: Arc<Endpoints>,
    pub keys: Arc<KeyRing>,
    /// Knows every secret of the scenario known before sending.
    pub redactor: Redactor,
    /// Vars, `--var` and built-ins: where every run of the steps starts.
    pub scope: Scope,
    pub clients: Clients,
    /// Tollgate's IdP this scenario's target asks (the embedded mock's, or the
    /// run's with `--idp-listen`): its log is `expect.idp`'s evidence.
    pub idp: Option<IdpState>,
    /// This scenario's turn with the IdP in the loop: dropping it lets the next
    /// scenario that needs the IdP begin.
    idp_turn: Option<IdpTurn>,
    /// Dropping it stops the emulator.
    mock: Option<RunningMock>,
    /// A real target's rate buckets, this scenario's alone until it is dropped.
    _rate_turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Session {
    /// Sets `scenario` up against `target`: on the embedded target, a fresh mock
    /// with `faults` switched on besides the scenario's own.
    pub async fn open(
        scenario: &Scenario,
        target: &ResolvedTarget,
        faults: &[Fault],
    ) -> Result<Session, SessionError> {
        let mut redactor = secrets_of(scenario);
        for secret in &target.secrets {
            redactor.add_secret(secret.clone());
        }
        let keys =
            KeyRing::from_specs(scenario.keys.iter().map(|(name, spec)| (name, &spec.inner)))
                .map_err(|error| key_error_at(scenario, error))?;
        for secret in keys.secrets() {
            redactor.add_secret(secret);
        }
        let mut idp_turn = None;
        let mut rate_turn = None;
        let (endpoints, mock, idp) = match &target.remote {
            Some(remote) => {
                if matches!(
                    scenario.requires_setup,
                    Some(Setup::RateLimit | Setup::PluginRateLimit)
                ) {
                    rate_turn = Some(target.rate_lease.clone().lock_owned().await);
                }
                if let Some(idp_loop) = target.idp_loop.as_ref().filter(|_| scenario.needs_idp()) {
                    let turn = idp_loop
                        .turn(&scenario.mock, keys.keys())
                        .await
                        .map_err(SessionError::IdpTurn)?;
                    idp_turn = Some(turn);
                }
                let endpoints = Endpoints {
                    base_url: remote.base_url.clone(),
                    idp_url: target
                        .idp
                        .clone()
                        .unwrap_or_else(|| remote.base_url.clone()),
                    context_path: remote.context_path.clone(),
                    embedded: false,
                };
                let idp = idp_turn.as_ref().map(|turn| turn.state.clone());
                (endpoints, None, idp)
            }
            None => {
                let mut config = scenario.mock.clone();
                config.confluence.faults.extend(faults.iter().copied());
                config.confluence.version =
                    Some(version::embedded(scenario, target.given_version.as_ref()));
                let running = mock::start_with_keys(&config, keys.keys())
                    .await
                    .map_err(SessionError::Mock)?;
                let endpoints = Endpoints {
                    base_url: running.base_url().to_string(),
                    idp_url: target
                        .idp
                        .clone()
                        .unwrap_or_else(|| running.idp_url().to_string()),
                    context_path: context_path(running.base_url()),
                    embedded: true,
                };
                let idp = running.idp().clone();
                (endpoints, Some(running), Some(idp))
            }
        };
        let scope = initial_scope(scenario, &target.vars, &endpoints)?;
        // Known only now: a secret var's value may come from `--var` or use others.
        for name in &scenario.secret_vars {
            if let Some(value) = scope.get(name) {
                redactor.add_secret(value.clone());
            }
        }
        Ok(Session {
            endpoints: Arc::new(endpoints),
            keys: Arc::new(keys),
            redactor,
            scope,
            clients: target.clients.clone(),
            idp,
            idp_turn,
            mock,
            _rate_turn: rate_turn,
        })
    }

    /// A fresh per-user state: its own OAuth token cache and clock offset.
    pub fn env(&self) -> Env {
        Env::new(self.endpoints.clone(), self.keys.clone())
    }

    /// Stops the embedded mock, letting requests in flight finish.
    pub async fn close(mut self) {
        if let Some(mock) = self.mock.take() {
            mock.shutdown().await;
        }
        // The next scenario may have the IdP in the loop now.
        drop(self.idp_turn.take());
    }
}

/// `error` pointing at the `file:line:col` of the `private_key` it is about,
/// when it is about a key read from a file.
fn key_error_at(scenario: &Scenario, error: KeyError) -> SessionError {
    let path = error
        .key_name()
        .and_then(|name| scenario.keys.get(name))
        .and_then(|key| key.private_key.as_ref());
    match path {
        Some(path) => SessionError::KeyFile {
            at: format!(
                "{}:{}:{}",
                scenario.file.display(),
                path.pos.line,
                path.pos.col
            ),
            error,
        },
        None => SessionError::Keys(error),
    }
}

fn context_path(base_url: &str) -> String {
    url::Url::parse(base_url)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// The scenario's vars (each may use earlier ones), `--var` overrides, built-ins.
fn initial_scope(
    scenario: &Scenario,
    forced: &[(String, String)],
    endpoints: &Endpoints,
) -> Result<Scope, SessionError> {
    let mut scope = Scope::new();
    scope.insert(BASE_URL.into(), endpoints.base_url.clone());
    scope.insert(IDP_URL.into(), endpoints.idp_url.clone());
    for (name, value) in &scenario.vars {
        if let Some((_, forced)) = forced.iter().find(|(k, _)| k == name) {
            scope.insert(name.clone(), forced.clone());
            continue;
        }
        let value = value.render(&scope).map_err(|error| SessionError::Var {
            name: name.clone(),
            error,
        })?;
        scope.insert(name.clone(), value);
    }
    for (name, value) in forced {
        scope.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Ok(scope)
}

/// What a scenario declares secret before anything is sent: values from the
/// environment named like secrets or sent as credentials, the passwords of the
/// emulator's users, and literal credentials written in steps.
fn secrets_of(scenario: &Scenario) -> Redactor {
    let mut redactor = Redactor::new();
    let secrets = scenario
        .env_secrets
        .iter()
        .cloned()
        .chain(scenario.mock.secrets())
        .chain(scenario.literal_secrets());
    for secret in secrets {
        redactor.add_secret(secret);
    }
    redactor
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn scenario(yaml: &str) -> Scenario {
        crate::scenario::load_str(yaml, Path::new("inline.yaml"), &|_| None)
            .unwrap_or_else(|d| panic!("{}", d.iter().map(ToString::to_string).collect::<String>()))
    }

    #[test]
    fn a_target_or_idp_with_userinfo_is_refused_without_showing_it() {
        // Issue 12, item 1: it used to be sent as Basic on every step.
        for (target, idp) in [
            ("http://admin:Url-Pw-1@127.0.0.1:9", None),
            ("http://Token-As-User-1@127.0.0.1:9", None),
            (
                "http://127.0.0.1:9",
                Some("http://client:Url-Pw-1@127.0.0.1:10"),
            ),
        ] {
            let options = TargetOptions {
                target: Target::Remote(target.into()),
                idp: idp.map(str::to_string),
                ..TargetOptions::default()
            };
            let error = ResolvedTarget::resolve(&options, &[]).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, SessionError::Userinfo { .. }), "{message}");
            assert!(message.contains("--secret NAME=VALUE"), "{message}");
            assert!(!message.contains("Url-Pw"), "{message}");
            assert!(!message.contains("Token-As-User"), "{message}");
            assert!(!message.contains("admin"), "{message}");
        }
        let fine = TargetOptions {
            target: Target::Remote("http://127.0.0.1:9/confluence".into()),
            ..TargetOptions::default()
        };
        assert!(ResolvedTarget::resolve(&fine, &[]).is_ok());
    }

    #[test]
    fn env_values_are_secret_by_their_variable_s_name_or_where_they_are_sent() {
        // Issue 15: a user name, an issuer or a page id from the environment is
        // evidence; a password, token or key, or a value sent as a credential,
        // is not.
        let env = |name: &str| {
            let value = match name {
                "CONF_USER" => "Env-User-1",
                "CONNECT_ISSUER" => "Env-Issuer-1",
                "CONF_PASSWORD" => "Env-Password-1",
                "APP_SECRET" => "Env-App-Secret-1",
                "CONF_PLUGIN_TOKEN" => "Env-Token-1",
                "TG_SESSION_ID" => "Env-Cookie-1",
                "TG_BEARER" => "Env-Bearer-1",
                _ => return None,
            };
            Some(value.to_string())
        };
        let text = "id: T\ntitle: t\nkeys: { app: { alg: HS256, secret: \"${env:APP_SECRET}\" } }\nsteps:\n  - name: s\n    request:\n      path: /x\n      auth: { basic: { user: \"${env:CONF_USER}\", password: \"${env:CONF_PASSWORD}\" } }\n      headers: { X-Issuer: \"${env:CONNECT_ISSUER}\", X-Plugin: \"${env:CONF_PLUGIN_TOKEN}\" }\n      cookies: { JSESSIONID: \"${env:TG_SESSION_ID}\" }\n  - name: t\n    request: { path: /y, headers: { Authorization: \"Bearer ${env:TG_BEARER}\" } }\n";
        let scenario = crate::scenario::load_str(text, Path::new("inline.yaml"), &env)
            .unwrap_or_else(|d| panic!("{d:?}"));
        let shown = secrets_of(&scenario).text(
            "Env-User-1 Env-Issuer-1 Env-Password-1 Env-App-Secret-1 Env-Token-1 Env-Cookie-1 Env-Bearer-1",
        );
        assert_eq!(
            shown,
            "Env-User-1 Env-Issuer-1 [redacted] [redacted] [redacted] [redacted] [redacted]"
        );
    }

    #[tokio::test]
    async fn secret_vars_and_given_secrets_reach_the_redactor() {
        let scenario = scenario(
            "id: T\ntitle: t\nvars:\n  declared: { value: Declared-Value-1, secret: true }\n  plain: Plain-Value-1\n  sent: Sent-As-Cookie-1\n  cli: placeholder\n  shown: Shown-Value-1\nsteps:\n  - name: s\n    request: { path: /x, cookies: { c: \"${sent}\" }, headers: { X-Plain: \"${plain}\" } }\n",
        );
        let options = TargetOptions {
            vars: vec![
                ("cli".into(), "Cli-Secret-1".into()),
                ("shown".into(), "Var-Shown-1".into()),
            ],
            secrets: vec!["Cli-Secret-1".into()],
            ..TargetOptions::default()
        };
        let target = ResolvedTarget::resolve(&options, std::slice::from_ref(&scenario)).unwrap();
        let session = Session::open(&scenario, &target, &[]).await.unwrap();
        let shown = session
            .redactor
            .text("Declared-Value-1 Plain-Value-1 Sent-As-Cookie-1 Cli-Secret-1 Var-Shown-1");
        session.close().await;
        assert_eq!(
            shown,
            "[redacted] Plain-Value-1 [redacted] [redacted] Var-Shown-1"
        );
    }
}
