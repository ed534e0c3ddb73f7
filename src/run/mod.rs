//! Running scenarios: each against its own fresh embedded mock (or a real
//! target), in parallel, step by step, into a [`RunReport`].

pub mod burst;
pub mod plan;
pub mod step;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::auth::keys::KeyRing;
use crate::auth::oauth::TokenCache;
use crate::mock;
use crate::report::model::{
    Certification, Counts, Outcome, RunReport, ScenarioFile, ScenarioReport, SourceLoc, StepReport,
    StepResult, Verdict,
};
use crate::report::redact::Redactor;
use crate::scenario::model::{Auth, Only, Scenario};
use crate::scenario::vars;
use step::{ScenarioEnv, Scope, StepContext, millis, run_step};

/// Where scenarios are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A fresh emulator per scenario, on 127.0.0.1:0.
    Embedded,
    /// A real server's base URL.
    Remote(String),
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub target: Target,
    /// Scenarios run at once.
    pub jobs: usize,
    /// Start no scenario after one fails or errors.
    pub fail_fast: bool,
    /// `--var K=V`: wins over a scenario's own vars.
    pub vars: Vec<(String, String)>,
    /// `--idp URL`: the identity provider of a real target.
    pub idp: Option<String>,
    /// `--ca-cert FILE`: a CA to trust besides the system's.
    pub ca_cert: Option<std::path::PathBuf>,
    /// `--insecure`: accept any certificate.
    pub insecure: bool,
    /// `--profile NAME`: the certification profile this run is for.
    pub profile: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            target: Target::Embedded,
            jobs: num_cpus::get().max(1),
            fail_fast: false,
            vars: Vec::new(),
            idp: None,
            ca_cert: None,
            insecure: false,
            profile: None,
        }
    }
}

/// The HTTP clients every step uses. No cookie store: a scenario's cookies come
/// only from `cookies:` and captures.
#[derive(Clone, Debug)]
pub struct Clients {
    pub direct: reqwest::Client,
    pub following: reqwest::Client,
}

/// How long a connection may take before the target counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which servers' certificates the clients accept besides the system's roots.
#[derive(Clone, Debug, Default)]
pub struct TlsTrust {
    /// Extra CA certificates in PEM (`--ca-cert`, the embedded mock's CA).
    pub extra_roots_pem: Vec<String>,
    /// `--insecure`: accept any certificate (a staging server's self-signed one).
    pub insecure: bool,
}

impl Clients {
    pub fn new(trust: &TlsTrust) -> Result<Self, String> {
        let mut roots = Vec::new();
        for pem in &trust.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| format!("not a PEM certificate: {e}"))?;
            roots.extend(certs);
        }
        let build = |policy| {
            let mut builder = reqwest::Client::builder()
                .redirect(policy)
                .connect_timeout(CONNECT_TIMEOUT)
                // Loopback targets must never go through a proxy from the environment.
                .no_proxy()
                // goose turns on reqwest's gzip feature; a step sends no
                // Accept-Encoding it does not ask for.
                .no_gzip()
                .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")));
            if !roots.is_empty() {
                builder = builder.tls_certs_merge(roots.iter().cloned());
            }
            if trust.insecure {
                builder = builder.tls_danger_accept_invalid_certs(true);
            }
            builder
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {e}"))
        };
        Ok(Clients {
            direct: build(reqwest::redirect::Policy::none())?,
            following: build(reqwest::redirect::Policy::limited(10))?,
        })
    }
}

/// Runs `scenarios`, calling `on_finished` as each one ends (in completion order);
/// the report lists them in the order given.
pub async fn run_suite(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    mut on_finished: impl FnMut(&ScenarioReport),
) -> Result<RunReport, String> {
    let started_at = now_rfc3339();
    let started = Instant::now();
    let scenario_files = scenario_files(&scenarios);
    let clients = Clients::new(&tls_trust(&scenarios, options)?)?;
    let stop = Arc::new(AtomicBool::new(false));
    let options_shared = Arc::new(options.clone());

    let tasks = scenarios.into_iter().enumerate().map(|(index, scenario)| {
        let clients = clients.clone();
        let stop = stop.clone();
        let options = options_shared.clone();
        async move {
            let handle = tokio::spawn(async move {
                if stop.load(Ordering::Relaxed) {
                    return skipped(
                        &scenario,
                        "not run: an earlier scenario failed (--fail-fast)".into(),
                    );
                }
                let report = run_scenario(&scenario, &options, &clients).await;
                if options.fail_fast && matches!(report.outcome, Outcome::Fail | Outcome::Error) {
                    stop.store(true, Ordering::Relaxed);
                }
                report
            });
            (index, handle.await)
        }
    });
    let mut results = Vec::new();
    let mut stream = futures::stream::iter(tasks).buffer_unordered(options.jobs.max(1));
    while let Some((index, joined)) = stream.next().await {
        let report = joined.map_err(|e| format!("a scenario task ended abnormally: {e}"))?;
        on_finished(&report);
        results.push((index, report));
    }
    results.sort_by_key(|(index, _)| *index);
    let scenarios: Vec<ScenarioReport> = results.into_iter().map(|(_, r)| r).collect();
    let finished_at = now_rfc3339();
    let target = match &options.target {
        Target::Embedded => "embedded mock".to_string(),
        // `https://admin:pw@host` must not put `pw` in a report.
        Target::Remote(url) => Redactor::new().url(url),
    };
    let counts = Counts::tally(scenarios.iter().map(|s| &s.outcome));
    let certification = Certification {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        profile: options.profile.clone(),
        scenario_files,
        target: target.clone(),
        started_at: started_at.clone(),
        finished_at: finished_at.clone(),
        verdict: Verdict::of(&counts),
    };
    Ok(RunReport {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at,
        duration_ms: millis(started.elapsed()),
        target,
        counts,
        certification,
        scenarios,
    })
}

/// The SHA-256 of every file the selected scenarios came from, sorted by path.
///
/// The hash is taken by the loader from the text it parsed (not re-read here), so
/// it names the bytes that judged the target even if the file changes meanwhile.
fn scenario_files(scenarios: &[Scenario]) -> Vec<ScenarioFile> {
    let by_path: std::collections::BTreeMap<String, &str> = scenarios
        .iter()
        .map(|s| (s.file.display().to_string(), s.source_sha256.as_str()))
        .collect();
    by_path
        .into_iter()
        .map(|(path, sha256)| ScenarioFile {
            path,
            sha256: sha256.to_owned(),
        })
        .collect()
}

/// `--ca-cert` and `--insecure`, and the embedded mock's CA when a scenario asks
/// for an HTTPS mock.
pub(crate) fn tls_trust(scenarios: &[Scenario], options: &RunOptions) -> Result<TlsTrust, String> {
    let mut trust = TlsTrust {
        extra_roots_pem: Vec::new(),
        insecure: options.insecure,
    };
    if let Some(path) = &options.ca_cert {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?;
        trust.extra_roots_pem.push(pem);
    }
    if options.target == Target::Embedded && scenarios.iter().any(|s| s.mock.tls) {
        trust
            .extra_roots_pem
            .push(mock::tls::ca()?.cert_pem().to_string());
    }
    Ok(trust)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn source_of(scenario: &Scenario) -> SourceLoc {
    SourceLoc {
        file: scenario.file.display().to_string(),
        line: scenario.id.pos.line,
        col: scenario.id.pos.col,
    }
}

fn skeleton(scenario: &Scenario, outcome: Outcome) -> ScenarioReport {
    ScenarioReport {
        id: scenario.id.inner.clone(),
        title: scenario.title.clone(),
        source: source_of(scenario),
        tags: scenario.tags.clone(),
        refs: scenario.refs.iter().map(|r| r.inner.clone()).collect(),
        outcome,
        skip_reason: None,
        duration_ms: 0,
        steps: Vec::new(),
    }
}

fn skipped(scenario: &Scenario, reason: String) -> ScenarioReport {
    ScenarioReport {
        skip_reason: Some(reason),
        ..skeleton(scenario, Outcome::Skip)
    }
}

/// Runs one scenario to its end, or to its first step that does not pass.
pub async fn run_scenario(
    scenario: &Scenario,
    options: &RunOptions,
    clients: &Clients,
) -> ScenarioReport {
    let started = Instant::now();
    let mut report = skeleton(scenario, Outcome::Pass);
    let mut redactor = secrets_of(scenario);

    let keys =
        match KeyRing::from_specs(scenario.keys.iter().map(|(name, spec)| (name, &spec.inner))) {
            Ok(keys) => keys,
            Err(e) => {
                report.outcome = Outcome::Error;
                report.steps.push(setup_error(scenario, e.to_string()));
                return report;
            }
        };
    for secret in keys.secrets() {
        redactor.add_secret(secret);
    }
    let (base_url, running) = match &options.target {
        Target::Remote(url) => {
            if scenario.only == Some(Only::Mock) {
                return skipped(scenario, "needs the embedded mock (only: mock)".into());
            }
            (url.trim_end_matches('/').to_string(), None)
        }
        Target::Embedded => match mock::start_with_keys(&scenario.mock, keys.keys()).await {
            Ok(running) => (running.base_url().to_string(), Some(running)),
            Err(e) => {
                report.outcome = Outcome::Error;
                report.steps.push(setup_error(
                    scenario,
                    format!("cannot start the embedded mock: {e}"),
                ));
                return report;
            }
        },
    };

    let (idp_url, context_path) = idp_and_context_path(&base_url, options, running.as_ref());
    let env = ScenarioEnv {
        base_url,
        idp_url,
        context_path,
        keys: Arc::new(keys),
        tokens: TokenCache::default(),
        embedded: running.is_some(),
        clock_offset: Default::default(),
    };
    match initial_scope(scenario, options, &env) {
        Ok(mut scope) => {
            let file = scenario.file.display().to_string();
            for (index, step) in scenario.steps.iter().enumerate() {
                let ctx = StepContext {
                    clients,
                    env: &env,
                    file: &file,
                    scope: &mut scope,
                    redactor: &mut redactor,
                };
                let result = run_step(step, ctx).await;
                let stop = result.outcome() != Outcome::Pass;
                report.steps.push(result);
                if stop {
                    // Later steps build on this one's captures and state.
                    for later in &scenario.steps[index + 1..] {
                        report.steps.push(StepReport {
                            burst: None,
                            name: later.name.clone(),
                            source: SourceLoc {
                                file: file.clone(),
                                line: later.pos.line,
                                col: later.pos.col,
                            },
                            result: StepResult::Skipped(format!(
                                "not run: step {} did not pass",
                                index + 1
                            )),
                            duration_ms: 0,
                            transcript: None,
                        });
                    }
                    break;
                }
            }
        }
        Err(e) => report.steps.push(setup_error(scenario, redactor.text(&e))),
    }
    if let Some(running) = running {
        running.shutdown().await;
    }
    report.outcome = report
        .steps
        .iter()
        .map(|s| s.outcome())
        .filter(|o| *o != Outcome::Skip)
        .max()
        .unwrap_or(Outcome::Pass);
    report.duration_ms = millis(started.elapsed());
    report
}

/// The identity provider's URL (`--idp`, else the embedded one, else the target,
/// so `${idp_url}` still resolves) and the target's context path (`/confluence`).
pub(crate) fn idp_and_context_path(
    base_url: &str,
    options: &RunOptions,
    running: Option<&mock::RunningMock>,
) -> (String, String) {
    let idp_url = match (&options.idp, running) {
        (Some(idp), _) => idp.trim_end_matches('/').to_string(),
        (None, Some(running)) => running.idp_url().to_string(),
        (None, None) => base_url.to_string(),
    };
    let context_path = url::Url::parse(base_url)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    (idp_url, context_path)
}

fn setup_error(scenario: &Scenario, message: String) -> StepReport {
    StepReport {
        burst: None,
        name: "set up".into(),
        source: source_of(scenario),
        result: StepResult::Errored(message),
        duration_ms: 0,
        transcript: None,
    }
}

/// The scenario's vars (each may use earlier ones), `--var` overrides, built-ins.
pub(crate) fn initial_scope(
    scenario: &Scenario,
    options: &RunOptions,
    env: &ScenarioEnv,
) -> Result<Scope, String> {
    let mut scope = Scope::new();
    scope.insert("base_url".into(), env.base_url.clone());
    scope.insert("idp_url".into(), env.idp_url.clone());
    for (name, value) in &scenario.vars {
        if let Some((_, forced)) = options.vars.iter().find(|(k, _)| k == name) {
            scope.insert(name.clone(), forced.clone());
            continue;
        }
        let value = vars::interpolate(value, |n| scope.get(n).cloned())
            .map_err(|e| format!("var '{name}': {e}"))?;
        scope.insert(name.clone(), value);
    }
    for (name, value) in &options.vars {
        scope.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Ok(scope)
}

/// What a scenario declares secret before anything is sent: values from the
/// environment, the passwords of the emulator's users, and literal credentials
/// written in steps.
pub(crate) fn secrets_of(scenario: &Scenario) -> Redactor {
    let mut redactor = Redactor::new();
    for value in &scenario.env_values {
        redactor.add_secret(value.clone());
    }
    for password in scenario.mock.secrets() {
        redactor.add_secret(password);
    }
    for step in &scenario.steps {
        match step.request.auth.as_ref().map(|a| &a.inner) {
            Some(Auth::Basic { password, .. }) if !password.contains("${") => {
                redactor.add_secret(password.clone())
            }
            Some(Auth::Bearer(token)) if !token.contains("${") => {
                redactor.add_secret(token.clone())
            }
            _ => {}
        }
    }
    redactor
}
