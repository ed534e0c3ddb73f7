//! A scenario's steps as goose transactions. Each one builds its request with the
//! runner's own `prepare` (so a load sends exactly what `tollgate run` sends:
//! fresh JWTs with `now` claims, OAuth tokens from a per-user cache), hands it to
//! goose to send and time, and judges the answer with the runner's `expect`: a
//! miss is a failure in goose's metrics.

use std::sync::Arc;
use std::time::Instant;

use goose::goose::{GooseRequest, GooseUser, Transaction, TransactionError, TransactionResult};

use crate::auth::keys::KeyRing;
use crate::auth::oauth::TokenCache;
use crate::expect;
use crate::report::model::Failure;
use crate::report::redact::Redactor;
use crate::run::step::{self, ScenarioEnv, Scope};
use crate::run::{Clients, TlsTrust};
use crate::scenario::model::{Scenario, StatusExpect, StatusPattern};
use crate::scenario::vars;

/// What every user of one load run shares.
pub struct Shared {
    pub scenario: Scenario,
    pub file: String,
    pub base_url: String,
    pub idp_url: String,
    pub context_path: String,
    pub keys: Arc<KeyRing>,
    pub embedded: bool,
    pub trust: TlsTrust,
    /// The scope every user starts from: vars, `--var`, built-ins.
    pub scope: Scope,
    /// The scenario's known secrets; a request's own are added when it fails.
    pub redactor: Redactor,
    /// goose's name for each step's request (the step name, unique per scenario).
    pub request_names: Vec<String>,
}

/// One user's own state: its clients (connections), token cache and captures.
#[derive(Clone)]
struct UserState {
    env: Arc<ScenarioEnv>,
    clients: Clients,
    scope: Scope,
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
    let clients = Clients::new(&shared.trust).map_err(custom)?;
    // goose sends with the user's client: ours, so redirects, timeouts, TLS trust
    // and the absence of a cookie jar are those of `tollgate run`.
    user.client = clients.direct.clone();
    let env = ScenarioEnv {
        base_url: shared.base_url.clone(),
        idp_url: shared.idp_url.clone(),
        context_path: shared.context_path.clone(),
        keys: shared.keys.clone(),
        tokens: TokenCache::default(),
        embedded: shared.embedded,
        clock_offset: Default::default(),
    };
    user.set_session_data(UserState {
        env: Arc::new(env),
        clients,
        scope: shared.scope.clone(),
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

async fn send(shared: &Shared, index: usize, user: &mut GooseUser) -> TransactionResult {
    let Some(state) = user.get_session_data_mut::<UserState>() else {
        // Its set-up failed (and said why); see `send_with` on why we yield.
        tokio::task::yield_now().await;
        return Err(custom("the user was not set up".into()));
    };
    // Taken out while goose holds the user mutably; put back before returning.
    let mut scope = std::mem::take(&mut state.scope);
    let env = state.env.clone();
    let clients = state.clients.clone();
    let result = send_with(shared, index, user, &env, &clients, &mut scope).await;
    if let Some(state) = user.get_session_data_mut::<UserState>() {
        state.scope = scope;
    }
    result
}

async fn send_with(
    shared: &Shared,
    index: usize,
    user: &mut GooseUser,
    env: &ScenarioEnv,
    clients: &Clients,
    scope: &mut Scope,
) -> TransactionResult {
    let step = &shared.scenario.steps[index];
    let prepared = {
        let lookup = |text: &str| vars::interpolate(text, |name| scope.get(name).cloned());
        step::prepare(&step.request, env, &lookup, clients).await
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            // Nothing was awaited: without a yield, a step that cannot be built
            // (a capture an earlier step did not make) would spin its worker
            // thread and starve goose's own tasks, which end the run.
            tokio::task::yield_now().await;
            return Err(custom(shared.redactor.text(&e)));
        }
    };
    let secrets = prepared.secrets;
    let builder = reqwest::RequestBuilder::from_parts(prepared.client.clone(), prepared.request);
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
    let response = match goose.response {
        // goose has counted it as a failure already (no answer).
        Err(_) => return Ok(()),
        Ok(response) => step::read_response(response, sent).await,
    };
    let Ok(response) = response else {
        // The transport error's text names the URL, which may hold `?jwt=`.
        let tag = format!("{}: the answer's body could not be read", step.name);
        return user.set_failure(&tag, &mut metric, None, None);
    };

    let mut failures = Vec::new();
    match step::capture(step, &response, &shared.file) {
        Ok(values) => {
            for (name, value, _) in values {
                scope.insert(name, value);
            }
        }
        Err(missed) => failures.extend(missed),
    }
    {
        let lookup = |text: &str| vars::interpolate(text, |name| scope.get(name).cloned());
        failures.extend(expect::judge(
            &step.expect,
            &response,
            &shared.file,
            &lookup,
            &shared.redactor,
        ));
    }
    if let Some(first) = failures.first() {
        let mut redactor = shared.redactor.clone();
        for secret in secrets {
            redactor.add_secret(secret);
        }
        let tag = redactor.text(&failure_tag(&step.name, first));
        return user.set_failure(&tag, &mut metric, None, None);
    }
    if !metric.success {
        // goose judged by 2xx; the step's `expect` is the judge here.
        user.set_success(&mut metric)?;
    }
    Ok(())
}

/// goose groups failures by this text, so it must not vary per request: the
/// check and what was expected, plus the status that came (few distinct values).
fn failure_tag(step: &str, failure: &Failure) -> String {
    let line = failure.source.line;
    if failure.check == "status" {
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
        let failure = |check: &str, actual: &str| Failure {
            check: check.into(),
            expected: "present".into(),
            actual: actual.into(),
            source: SourceLoc {
                file: "f.yaml".into(),
                line: 12,
                col: 5,
            },
        };
        let a = failure_tag("read", &failure("header x-request-id", "abc-1"));
        let b = failure_tag("read", &failure("header x-request-id", "abc-2"));
        assert_eq!(a, b);
        assert_eq!(a, "read: header x-request-id expected present (line 12)");
        let status = failure_tag("read", &failure("status", "401"));
        assert!(status.contains("got 401"), "{status}");
    }
}
