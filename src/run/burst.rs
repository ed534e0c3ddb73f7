//! `burst:` steps: one request sent `count` times, `concurrency` at once, judged
//! as a set (`statuses` counts, `each` per status) and each response against the
//! step's ordinary expectations.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;

use crate::client::{describe_error, read_response};
use crate::expect::{self, Response};
use crate::report::model::{BurstSummary, Check, Failure, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::model::Burst;
use crate::scenario::plan::Expect;
use crate::scenario::template::Scope;

/// Everything the set of answers showed: the tally, and the first answer of each
/// status for the transcript.
pub struct BurstResult {
    pub summary: BurstSummary,
    pub first: Option<Response>,
    pub failures: Vec<Failure>,
}

/// Sends `request` `burst.count` times with at most `burst.concurrency` in flight.
pub async fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
    burst: Burst,
) -> Result<Vec<Result<Response, String>>, String> {
    let mut copies = Vec::with_capacity(burst.count as usize);
    for _ in 0..burst.count {
        copies.push(
            request
                .try_clone()
                .ok_or("a burst needs a body it can send again (not a stream)")?,
        );
    }
    let answers = futures::stream::iter(copies)
        .map(|copy| async move {
            let sent = Instant::now();
            match client.execute(copy).await {
                Ok(response) => read_response(response, sent).await,
                Err(e) => Err(describe_error(&e)),
            }
        })
        .buffer_unordered(burst.concurrency.max(1) as usize)
        .collect()
        .await;
    Ok(answers)
}

/// Judges a burst's answers.
pub fn judge(
    expect: &Expect,
    answers: Vec<Result<Response, String>>,
    burst: Burst,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> BurstResult {
    let mut tally: BTreeMap<u16, u32> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut responses = Vec::new();
    for answer in answers {
        match answer {
            Ok(response) => {
                *tally.entry(response.status).or_default() += 1;
                responses.push(response);
            }
            Err(e) => errors.push(e),
        }
    }
    let shown_tally = describe_tally(&tally, errors.len());
    let mut failures = Vec::new();
    let at = |pos: crate::scenario::yaml::Pos| SourceLoc {
        file: file.to_string(),
        line: pos.line,
        col: pos.col,
    };
    if let Some(first) = errors.first() {
        failures.push(Failure {
            check: Check::BurstAnswers,
            expected: format!("an answer to each of {} requests", burst.count),
            actual: redactor.text(&format!("{} got none; the first: {first}", errors.len())),
            source: at(expect
                .statuses
                .first()
                .map_or(Default::default(), |(_, s)| s.pos)),
        });
    }
    for (status, count) in &expect.statuses {
        let got = tally.get(status).copied().unwrap_or(0);
        if !count.matches(got) {
            failures.push(Failure {
                check: Check::BurstStatus(*status),
                expected: format!("{} × {status}", count.inner),
                actual: format!("{got} × {status} ({shown_tally})"),
                source: at(count.pos),
            });
        }
    }
    // The step's own expectations hold for every answer; `each` for those of its
    // status. A miss is reported once, with how many answers missed it.
    let mut misses: Vec<(Failure, u32)> = Vec::new();
    for response in &responses {
        let mut found = expect::judge(expect, response, file, scope, redactor);
        let each = expect
            .each
            .iter()
            .find(|(status, _)| *status == response.status);
        if let Some((_, each)) = each {
            found.extend(expect::judge(each, response, file, scope, redactor));
        }
        for failure in found {
            match misses
                .iter_mut()
                .find(|(f, _)| f.check == failure.check && f.source == failure.source)
            {
                Some((_, n)) => *n += 1,
                None => misses.push((failure, 1)),
            }
        }
    }
    for (mut failure, n) in misses {
        failure.actual = format!("{} (in {n} of {} answers)", failure.actual, responses.len());
        failures.push(failure);
    }
    BurstResult {
        summary: BurstSummary {
            count: burst.count,
            concurrency: burst.concurrency,
            statuses: tally,
            errors: u32::try_from(errors.len()).unwrap_or(u32::MAX),
        },
        first: responses.into_iter().next(),
        failures,
    }
}

fn describe_tally(tally: &BTreeMap<u16, u32>, errors: usize) -> String {
    let mut parts: Vec<String> = tally
        .iter()
        .map(|(status, n)| format!("{n} × {status}"))
        .collect();
    if errors > 0 {
        parts.push(format!("{errors} without an answer"));
    }
    if parts.is_empty() {
        "no answers".into()
    } else {
        parts.join(", ")
    }
}
