//! A scenario's steps as goose transactions. Each one builds its request with the
//! runner's own `prepare` (so a load sends exactly what `tollgate run` sends:
//! fresh JWTs with `now` claims, OAuth tokens from a per-user cache), hands it to
//! goose to send and time, and judges the answer with the runner's `expect`: a
//! miss is a failure in goose's metrics. The time goose measured goes into
//! tollgate's own histograms too (`recorder.rs`), with the checks a failure missed.

use std::sync::Arc;
use std::time::Instant;

use goose::goose::{GooseRequest, GooseUser, Transaction, TransactionError, TransactionResult};

use super::arrival::{self, Arrivals, Turn};
use super::recorder::Recorder;
use super::summary::Phase;
use crate::auth::keys::KeyRing;
use crate::client::{self, Clients, Endpoints, Env};
use crate::expect;
use crate::report::model::{Check, Failure};
use crate::report::redact::Redactor;
use crate::scenario::Scenario;
use crate::scenario::model::{StatusExpect, StatusPattern};
use crate::scenario::template::Scope;

/// What goose's error table keeps of a step that could not be built, in bytes:
/// redacted first, then cut.
const ERROR_TAG: usize = 2048;

/// What every user of one load run shares.
pub struct Shared {
    pub scenario: Scenario,
    pub file: String,
    pub endpoints: Arc<Endpoints>,
    pub keys: Arc<KeyRing>,
    /// One set of clients for all users: building a client loads the system's
    /// root certificates, too slow to do per user. The pool still gives each
    /// concurrent request its own connection, and no client keeps cookies.
    pub clients: Clients,
    /// The scope every user starts from: vars, `--var`, built-ins.
    pub scope: Scope,
    /// The scenario's known secrets; a request's own are added when it fails.
    pub redactor: Redactor,
    /// goose's name for each step's request (the step name, unique per scenario).
    pub request_names: Vec<String>,
    /// Steps whose request is the same every iteration (see [`cacheable`]).
    pub cacheable: Vec<bool>,
    pub recorder: Arc<Recorder>,
    /// The open model's schedule (`--rate`), and the first and last iteration
    /// steps: the first waits for its turn, the last ends the iteration.
    pub arrivals: Option<Arc<Arrivals>>,
    pub iteration_steps: Option<(usize, usize)>,
}

/// The check a request that got no answer missed.
const NO_ANSWER: &str = "no answer";

/// Which steps build the same request every time a user sends them: iteration
/// steps without a credential minted or fetched at send time (a JWT carries `now`,
/// an OAuth token may be refreshed), in a scenario whose iterations capture
/// nothing (captures of steps run once per user are fixed by then). Those are
/// built once per user and copied, which is what keeps a load's client cost near
/// goose's own; what is sent is the same.
pub fn cacheable(scenario: &Scenario, phases: &[Phase]) -> Vec<bool> {
    let iterations_capture = scenario
        .steps
        .iter()
        .zip(phases)
        .any(|(step, phase)| *phase == Phase::Iteration && !step.capture.is_empty());
    scenario
        .steps
        .iter()
        .zip(phases)
        .map(|(step, phase)| {
            let fixed_credential = step.request.auth.as_ref().is_none_or(|a| a.is_fixed());
            *phase == Phase::Iteration && !iterations_capture && fixed_credential
        })
        .collect()
}

/// A user's built requests, by step, with the secrets each carries.
#[derive(Default)]
struct RequestCache(Vec<Option<(reqwest::Request, Vec<String>)>>);

/// goose clones user data only to hand a copy around; a request whose body
/// cannot be copied is simply built again.
impl Clone for RequestCache {
    fn clone(&self) -> Self {
        RequestCache(
            self.0
                .iter()
                .map(|entry| {
                    entry.as_ref().and_then(|(request, secrets)| {
                        request.try_clone().map(|copy| (copy, secrets.clone()))
                    })
                })
                .collect(),
        )
    }
}

/// One user's own state: its clients (connections), token cache and captures.
#[derive(Clone)]
struct UserState {
    env: Arc<Env>,
    clients: Clients,
    scope: Scope,
    built: RequestCache,
    /// Under `--rate`, when the latency of the iteration this user is running
    /// counts from (see `arrival.rs`); `None` between iterations (its other
    /// steps are then skipped).
    counted_from: Option<Instant>,
}

/// Gives a user its own clients and state before its first step.
pub fn start_user(shared: Arc<Shared>) -> Transaction {
    let function: goose::goose::TransactionFunction = Arc::new(move |user| {
        let shared = shared.clone();
        Box::pin(async move { set_up(&shared, user) })
    });
    Transaction::new(function)
        .set_name("start user")
        .set_on_start()
        // goose runs unsequenced transactions after sequenced ones: 1 is first.
        .set_sequence(1)
}

fn set_up(shared: &Shared, user: &mut GooseUser) -> TransactionResult {
    let clients = shared.clients.clone();
    // goose sends with the user's client: ours, so redirects, timeouts, TLS trust
    // and the absence of a cookie jar are those of `tollgate run`.
    user.client = clients.direct.clone();
    let env = Env::new(shared.endpoints.clone(), shared.keys.clone()).reusing_jwts();
    user.set_session_data(UserState {
        env: Arc::new(env),
        clients,
        scope: shared.scope.clone(),
        built: RequestCache(
            std::iter::repeat_with(|| None)
                .take(shared.scenario.steps.len())
                .collect(),
        ),
        counted_from: None,
    });
    Ok(())
}

/// Step `index` of the scenario as a transaction.
pub fn step(shared: Arc<Shared>, index: usize) -> Transaction {
    let name = shared.scenario.steps[index].name.clone();
    let function: goose::goose::TransactionFunction = Arc::new(move |user| {
        let shared = shared.clone();
        Box::pin(async move { send(&shared, index, user).await })
    });
    Transaction::new(function).set_name(&name)
}

/// Under `--rate`: whether this user runs step `index` now, and when its
/// iteration's latency counts from. The first iteration step waits for the
/// schedule's next turn; a user without one skips the rest of the iteration.
enum Pace {
    Closed,
    Go(Instant),
    Skip,
}

async fn pace(shared: &Shared, index: usize, user: &mut GooseUser) -> Pace {
    let (Some(arrivals), Some((first, last))) = (&shared.arrivals, shared.iteration_steps) else {
        return Pace::Closed;
    };
    // A user's once-only steps (a login, a logout) are not iterations.
    if !(first..=last).contains(&index) {
        return Pace::Closed;
    }
    let Some(state) = user.get_session_data_mut::<UserState>() else {
        return Pace::Closed;
    };
    if index != first {
        return state.counted_from.map_or(Pace::Skip, Pace::Go);
    }
    match arrivals.next_turn().await {
        Turn::Go(counted_from) => {
            state.counted_from = Some(counted_from);
            Pace::Go(counted_from)
        }
        Turn::Over => {
            state.counted_from = None;
            // goose asks again after its other steps (skipped at once): without
            // a pause the user would spin until goose ends the run.
            tokio::time::sleep(arrival::IDLE_POLL).await;
            Pace::Skip
        }
    }
}

async fn send(shared: &Shared, index: usize, user: &mut GooseUser) -> TransactionResult {
    let counted_from = match pace(shared, index, user).await {
        Pace::Skip => {
            tokio::task::yield_now().await;
            return Ok(());
        }
        Pace::Go(counted_from) => Some(counted_from),
        Pace::Closed => None,
    };
    let result = send_step(shared, index, user, counted_from).await;
    // Under `--rate`, the iteration's last step frees its user for the next turn.
    if let Some(arrivals) = &shared.arrivals {
        let last_step = shared
            .iteration_steps
            .is_some_and(|(_, last)| last == index);
        let ended = last_step
            && user
                .get_session_data_mut::<UserState>()
                .is_some_and(|state| state.counted_from.take().is_some());
        if ended {
            arrivals.ended();
        }
    }
    result
}

async fn send_step(
    shared: &Shared,
    index: usize,
    user: &mut GooseUser,
    counted_from: Option<Instant>,
) -> TransactionResult {
    let Some(state) = user.get_session_data_mut::<UserState>() else {
        // Its set-up failed (and said why); see `send_with` on why we yield.
        tokio::task::yield_now().await;
        return Err(custom("the user was not set up".into()));
    };
    // Taken out while goose holds the user mutably; put back before returning.
    let mut scope = std::mem::take(&mut state.scope);
    let mut built = state.built.0.get_mut(index).and_then(Option::take);
    let env = state.env.clone();
    let clients = state.clients.clone();
    let first_of_iteration = shared
        .iteration_steps
        .is_some_and(|(first, _)| first == index);
    let sending = Sending {
        index,
        counted_from: counted_from.filter(|_| first_of_iteration),
    };
    let result = send_with(
        shared, sending, user, &env, &clients, &mut scope, &mut built,
    )
    .await;
    if let Some(state) = user.get_session_data_mut::<UserState>() {
        state.scope = scope;
        if let Some(slot) = state.built.0.get_mut(index) {
            *slot = built;
        }
    }
    result
}

/// The request of step `index` and its secrets: a copy of the one built before
/// when the step is cacheable, else built now.
async fn request_of(
    shared: &Shared,
    index: usize,
    env: &Env,
    clients: &Clients,
    scope: &Scope,
    built: &mut Option<(reqwest::Request, Vec<String>)>,
) -> Result<(reqwest::Request, Vec<String>), client::PrepareError> {
    if let Some((request, secrets)) = built.as_ref() {
        if let Some(copy) = request.try_clone() {
            return Ok((copy, secrets.clone()));
        }
    }
    let step = &shared.scenario.steps[index];
    let prepared = client::prepare(&step.request, env, scope, clients).await?;
    if shared.cacheable[index] {
        if let Some(copy) = prepared.request.try_clone() {
            *built = Some((copy, prepared.secrets.clone()));
        }
    }
    Ok((prepared.request, prepared.secrets))
}

/// Which step a user sends, and, for an iteration's first step under
/// `--rate`, when its latency counts from.
#[derive(Clone, Copy)]
struct Sending {
    index: usize,
    counted_from: Option<Instant>,
}

async fn send_with(
    shared: &Shared,
    sending: Sending,
    user: &mut GooseUser,
    env: &Env,
    clients: &Clients,
    scope: &mut Scope,
    built: &mut Option<(reqwest::Request, Vec<String>)>,
) -> TransactionResult {
    let index = sending.index;
    let step = &shared.scenario.steps[index];
    let prepared = request_of(shared, index, env, clients, scope, built).await;
    let (request, secrets) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            // Nothing was awaited: without a yield, a step that cannot be built
            // (a capture an earlier step did not make) would spin its worker
            // thread and starve goose's own tasks, which end the run.
            tokio::task::yield_now().await;
            let mut redactor = shared.redactor.clone();
            for secret in expect::capture::secret_values(&shared.scenario.steps, scope) {
                redactor.add_secret(secret);
            }
            return Err(custom(redactor.text_cut(&e.to_string(), ERROR_TAG).0));
        }
    };
    let builder = reqwest::RequestBuilder::from_parts(clients.direct.clone(), request);
    let mut request = GooseRequest::builder()
        .name(shared.request_names[index].as_str())
        .set_request_builder(builder);
    if let Some(code) = single_status(step.expect.status.as_ref().map(|s| &s.inner)) {
        // goose then counts the expected status as a success itself, and no
        // correction has to be sent for every request of a flow that expects a 401.
        request = request.expect_status_code(code);
    }
    let sent = Instant::now();
    let goose = user.request(request.build()).await?;
    let mut metric = goose.request;
    let micros = latency(&metric, sending, sent);
    let response = match goose.response {
        // goose has counted it as a failure already. The error's text names the
        // URL, which may hold `?jwt=`: only its kind is kept.
        Err(e) => {
            let reason = format!("{}: no answer ({})", step.name, transport_failure(&e));
            shared
                .recorder
                .failed(index, micros, &[NO_ANSWER.to_string()], &reason);
            return Ok(());
        }
        Ok(response) => client::read_response(response, sent).await,
    };
    let Ok(response) = response else {
        let tag = format!("{}: the answer's body could not be read", step.name);
        let checks = ["body".to_string()];
        shared.recorder.failed(index, micros, &checks, &tag);
        return user.set_failure(&tag, &mut metric, None, None);
    };

    let mut failures = Vec::new();
    match expect::capture::capture(&step.capture, &response, &shared.file, scope) {
        Ok(values) => {
            for captured in values {
                scope.insert(captured.name, captured.value);
            }
        }
        Err(missed) => failures.extend(missed),
    }
    failures.extend(expect::judge(
        &step.expect,
        &response,
        &shared.file,
        scope,
        &shared.redactor,
    ));
    if let Some(first) = failures.first() {
        // The user's captures (this step's and earlier ones') are secrets the
        // shared redactor cannot know.
        let mut redactor = shared.redactor.clone();
        let captured = expect::capture::secret_values(&shared.scenario.steps, scope);
        for secret in secrets.into_iter().chain(captured) {
            redactor.add_secret(secret);
        }
        let tag = redactor.text(&failure_tag(&step.name, first));
        let mut checks: Vec<String> = Vec::with_capacity(failures.len());
        for failure in &failures {
            let check = failure.check.to_string();
            if !checks.contains(&check) {
                checks.push(check);
            }
        }
        shared.recorder.failed(index, micros, &checks, &tag);
        return user.set_failure(&tag, &mut metric, None, None);
    }
    shared.recorder.passed(index, micros);
    if !metric.success {
        // goose judged by 2xx; the step's `expect` is the judge here.
        user.set_success(&mut metric)?;
    }
    Ok(())
}

/// The request's latency in µs as goose timed it; for an iteration's first step
/// under `--rate`, from its turn's instant (coordinated omission corrected:
/// the wait for a free user, when there was one, and the request's building count).
fn latency(metric: &goose::metrics::GooseRequestMetric, sending: Sending, sent: Instant) -> u64 {
    let waited = sending
        .counted_from
        .map_or(0, |from| sent.saturating_duration_since(from).as_micros());
    metric
        .response_time_micros()
        .saturating_add(u64::try_from(waited).unwrap_or(u64::MAX))
}

/// goose groups failures by this text, so it must not vary per request: the
/// check and what was expected, plus the status that came (few distinct values).
fn failure_tag(step: &str, failure: &Failure) -> String {
    let line = failure.source.line;
    if failure.check == Check::Status {
        format!(
            "{step}: status expected {}, got {} (line {line})",
            failure.expected, failure.actual
        )
    } else {
        format!(
            "{step}: {} expected {} (line {line})",
            failure.check, failure.expected
        )
    }
}

/// What kind of transport failure `error` is, without its text (which names the URL).
fn transport_failure(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_request() || error.is_body() {
        "the request could not be sent"
    } else {
        "transport error"
    }
}

/// The one status a step expects, when it names exactly one.
fn single_status(status: Option<&StatusExpect>) -> Option<u16> {
    match status? {
        StatusExpect::AnyOf(patterns) => match patterns.as_slice() {
            [StatusPattern::Exact(code)] => Some(*code),
            _ => None,
        },
        StatusExpect::Not(_) => None,
    }
}

fn custom(message: String) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SourceLoc;

    fn scenario(steps: &str) -> Scenario {
        let text =
            format!("id: L-1\ntitle: t\nkeys:\n  k: {{ alg: HS256, secret: s }}\nsteps:\n{steps}");
        crate::scenario::load_str(&text, std::path::Path::new("l.yaml"), &|_| None).unwrap()
    }

    #[test]
    fn only_requests_fixed_for_the_whole_run_are_built_once() {
        let s = scenario(concat!(
            "  - { name: login, request: { path: /l }, capture: { c: { header: x } } }\n",
            "  - { name: basic, request: { path: /a, auth: { basic: { user: u, password: p } } } }\n",
            "  - { name: jwt, request: { path: /b, auth: { jwt: { key: k, claims: { iat: now } } } } }\n",
        ));
        let phases = [Phase::Start, Phase::Iteration, Phase::Iteration];
        assert_eq!(cacheable(&s, &phases), [false, true, false]);
        // A capture inside the iteration may change what later steps send.
        let all = [Phase::Iteration; 3];
        assert_eq!(cacheable(&s, &all), [false, false, false]);
    }

    #[test]
    fn only_a_single_exact_status_is_handed_to_goose() {
        let one = StatusExpect::AnyOf(vec![StatusPattern::Exact(401)]);
        let two = StatusExpect::AnyOf(vec![StatusPattern::Exact(401), StatusPattern::Exact(403)]);
        let class = StatusExpect::AnyOf(vec![StatusPattern::Class(4)]);
        assert_eq!(single_status(Some(&one)), Some(401));
        assert_eq!(single_status(Some(&two)), None);
        assert_eq!(single_status(Some(&class)), None);
        assert_eq!(single_status(None), None);
    }

    #[test]
    fn failure_tags_do_not_carry_what_varies_per_request() {
        let failure = |check: Check, actual: &str| Failure {
            check,
            expected: "present".into(),
            actual: actual.into(),
            source: SourceLoc {
                file: "f.yaml".into(),
                line: 12,
                col: 5,
            },
        };
        let a = failure_tag(
            "read",
            &failure(Check::Header("x-request-id".into()), "abc-1"),
        );
        let b = failure_tag(
            "read",
            &failure(Check::Header("x-request-id".into()), "abc-2"),
        );
        assert_eq!(a, b);
        assert_eq!(a, "read: header x-request-id expected present (line 12)");
        let status = failure_tag("read", &failure(Check::Status, "401"));
        assert!(status.contains("got 401"), "{status}");
    }
}
