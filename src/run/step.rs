//! One step: build the request, send it, judge the answer, take captures, and
//! record a redacted transcript.

use std::time::{Duration, Instant};

use super::burst;
use crate::client::{self, Clients, Env, describe_error, read_response};
use crate::expect::idp::{describe_calls, judge_idp_checks};
use crate::expect::{self, Response};
use crate::mock::idp::log::IdpLog;
use crate::report::model::{
    CheckResult, Failure, Level, RequestRecord, ResponseRecord, SourceLoc, StepReport, StepResult,
    Transcript,
};
use crate::report::redact::Redactor;
use crate::scenario::plan::Step;
use crate::scenario::template::Scope;
use crate::wire::observed::IdpCall;

/// What a transcript keeps of a body, in bytes.
const TRANSCRIPT_BODY: usize = 4096;
/// What a report keeps of a step's error message, in bytes (an identity
/// provider's refusal quotes its answer's body).
const ERROR_MESSAGE: usize = 2048;

/// Everything a step needs besides itself.
pub struct StepContext<'a> {
    pub clients: &'a Clients,
    pub env: &'a Env,
    pub file: &'a str,
    pub scope: &'a mut Scope,
    pub redactor: &'a mut Redactor,
    /// What tollgate's IdP is asked, when it is in the loop (`expect.idp`).
    pub idp: Option<&'a IdpLog>,
}

pub async fn run_step(step: &Step, ctx: StepContext<'_>) -> StepReport {
    let started = Instant::now();
    let source = SourceLoc {
        file: ctx.file.to_string(),
        line: step.pos.line,
        col: step.pos.col,
    };
    let mut report = StepReport {
        warnings: Vec::new(),
        checks: Vec::new(),
        burst: None,
        name: step.name.clone(),
        source,
        result: StepResult::Passed,
        duration_ms: 0,
        transcript: None,
    };
    if let Some(wait) = step.wait {
        if let Err(e) = ctx.env.wait(ctx.clients, wait).await {
            return finish_error(report, shown_error(&e.to_string(), ctx.redactor), started);
        }
    }

    let prepared = match client::prepare(&step.request, ctx.env, ctx.scope, ctx.clients).await {
        Ok(prepared) => prepared,
        Err(e) => return finish_error(report, shown_error(&e.to_string(), ctx.redactor), started),
    };
    for secret in &prepared.secrets {
        ctx.redactor.add_secret(secret.clone());
    }
    let request_record = record_request(&prepared.request, ctx.redactor);

    // Only what the IdP is asked from here on is this step's evidence (an OAuth
    // token fetched while preparing is not).
    let mark = ctx.idp.map(IdpLog::mark);
    if let Some(burst) = &step.burst {
        let judged = match burst::send(prepared.client, prepared.request, burst.inner).await {
            Ok(answers) => burst::judge(
                &step.expect,
                answers,
                burst.inner,
                ctx.file,
                ctx.scope,
                ctx.redactor,
            ),
            Err(e) => return finish_error(report, shown_error(&e, ctx.redactor), started),
        };
        let idp = IdpJudged::of(step, ctx.idp.zip(mark), ctx.file, ctx.scope, ctx.redactor);
        return finish_burst(report, judged, idp, request_record, ctx.redactor, started);
    }

    let sent = Instant::now();
    let outcome = prepared.client.execute(prepared.request).await;
    let response = match outcome {
        Ok(response) => read_response(response, sent).await,
        Err(e) => Err(describe_error(&e)),
    };
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            report.transcript = Some(Transcript {
                request: request_record,
                response: None,
                idp_calls: Vec::new(),
            });
            return finish_error(report, shown_error(&e, ctx.redactor), started);
        }
    };

    // Captures first: a credential captured here (a session id, a code) must be
    // redacted from this very step's evidence too.
    let captured = expect::capture::capture(&step.capture, &response, ctx.file, ctx.scope);
    if let Ok(values) = &captured {
        for captured in values {
            if captured.secret {
                ctx.redactor.add_secret(captured.value.clone());
            }
            ctx.scope
                .insert(captured.name.clone(), captured.value.clone());
        }
    }
    let mut checks =
        expect::judge_checks(&step.expect, &response, ctx.file, ctx.scope, ctx.redactor);
    checks.extend(expect::capture::capture_checks(
        &step.capture,
        &captured,
        ctx.file,
        ctx.redactor,
    ));
    let idp = IdpJudged::of(step, ctx.idp.zip(mark), ctx.file, ctx.scope, ctx.redactor);
    checks.extend(idp.checks);
    report.transcript = Some(Transcript {
        request: request_record,
        response: Some(record_response(&response, ctx.redactor)),
        idp_calls: idp.shown,
    });
    settle(&mut report, checks);
    report.duration_ms = millis(started.elapsed());
    report
}

/// The step's result from every check it made: its missed musts are its
/// failures, its missed shoulds its warnings, and all of them its evidence.
fn settle(report: &mut StepReport, checks: Vec<CheckResult>) {
    let misses = |level: Level| -> Vec<Failure> {
        checks
            .iter()
            .filter(|c| c.level == level)
            .filter_map(CheckResult::miss)
            .collect()
    };
    report.result = StepResult::judged(misses(Level::Must));
    report.warnings = misses(Level::Should);
    report.checks = checks;
}

/// A step's `expect.idp` judged on what the IdP was asked since the step sent.
struct IdpJudged {
    /// Musts, then shoulds.
    checks: Vec<CheckResult>,
    /// The calls, one line each, for the transcript.
    shown: Vec<String>,
}

impl IdpJudged {
    fn of(
        step: &Step,
        idp: Option<(&IdpLog, u64)>,
        file: &str,
        scope: &Scope,
        redactor: &Redactor,
    ) -> Self {
        let calls: Option<Vec<IdpCall>> = idp.map(|(log, mark)| log.since(mark));
        let calls = calls.as_deref();
        IdpJudged {
            checks: judge_idp_checks(&step.expect, calls, file, scope, redactor),
            // Names and addresses, tokens only as digests; redacted all the same,
            // as everything a report shows.
            shown: calls
                .map(describe_calls)
                .unwrap_or_default()
                .iter()
                .map(|line| redactor.text(line))
                .collect(),
        }
    }
}

fn finish_burst(
    mut report: StepReport,
    judged: burst::BurstResult,
    idp: IdpJudged,
    request: RequestRecord,
    redactor: &Redactor,
    started: Instant,
) -> StepReport {
    report.transcript = Some(Transcript {
        request,
        response: judged.first.as_ref().map(|r| record_response(r, redactor)),
        idp_calls: idp.shown,
    });
    report.burst = Some(judged.summary);
    let mut checks = judged.checks;
    checks.extend(idp.checks);
    settle(&mut report, checks);
    report.duration_ms = millis(started.elapsed());
    report
}

fn finish_error(mut report: StepReport, message: String, started: Instant) -> StepReport {
    report.result = StepResult::Errored(message);
    report.duration_ms = millis(started.elapsed());
    report
}

pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn record_request(request: &reqwest::Request, redactor: &Redactor) -> RequestRecord {
    // Every part is redacted before the record (and its curl line) is made.
    RequestRecord::new(
        request.method().to_string(),
        redactor.url(request.url().as_str()),
        request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    redactor.header(n.as_str(), &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect(),
        request
            .body()
            .and_then(|b| b.as_bytes())
            .map(|bytes| shown_body(bytes, redactor).0),
    )
}

fn record_response(response: &Response, redactor: &Redactor) -> ResponseRecord {
    let (body, body_truncated) = shown_body(&response.body, redactor);
    ResponseRecord {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.header(n, v)))
            .collect(),
        body,
        body_truncated,
        duration_ms: millis(response.elapsed),
    }
}

/// A body as a transcript keeps it: redacted whole, then cut, so a secret
/// straddling the cut leaves nothing of itself behind.
fn shown_body(bytes: &[u8], redactor: &Redactor) -> (String, bool) {
    redactor.text_cut(&String::from_utf8_lossy(bytes), TRANSCRIPT_BODY)
}

/// An error message as a report shows it: redacted, then bounded.
fn shown_error(message: &str, redactor: &Redactor) -> String {
    let (mut shown, cut) = redactor.text_cut(message, ERROR_MESSAGE);
    if cut {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Straddling-Secret-0123456789";

    fn redactor() -> Redactor {
        let mut redactor = Redactor::new();
        redactor.add_secret(SECRET);
        redactor
    }

    #[test]
    fn a_secret_straddling_the_body_cut_leaves_nothing_behind() {
        // Issue 12, item 3: the cut used to come first, so the redactor saw only
        // `Straddling` and let it through.
        for before_cut in [1, 10, SECRET.len() - 1] {
            let body = format!(
                "{}{SECRET}{}",
                "x".repeat(TRANSCRIPT_BODY - before_cut),
                " tail".repeat(20)
            );
            let (shown, cut) = shown_body(body.as_bytes(), &redactor());
            assert!(cut);
            assert!(shown.len() <= TRANSCRIPT_BODY);
            assert!(!shown.contains('S'), "{}", &shown[shown.len() - 20..]);
        }
    }

    #[test]
    fn an_error_message_is_redacted_before_it_is_bounded() {
        let message = format!("{}{SECRET}", "e".repeat(ERROR_MESSAGE - 5));
        let shown = shown_error(&message, &redactor());
        assert!(!shown.contains("Strad"), "{shown}");
        assert!(shown.ends_with('…'));
        assert_eq!(shown_error("short", &redactor()), "short");
    }
}
