//! `burst:` steps: one request sent `count` times, `concurrency` at once, judged
//! as a set (`statuses` counts, `each` per status) and each response against the
//! step's ordinary expectations.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;

use crate::client::{describe_error, read_response};
use crate::expect::{self, Response};
use crate::report::model::{BurstSummary, Check, CheckResult, Failure, Level, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::model::Burst;
use crate::scenario::plan::Expect;
use crate::scenario::template::Scope;

/// Everything the set of answers showed: the tally, and the first answer of each
/// status for the transcript.
pub struct BurstResult {
    pub summary: BurstSummary,
    pub first: Option<Response>,
    /// Every check, held or missed: musts, then the step's `should`.
    pub checks: Vec<CheckResult>,
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

/// Judges a burst's answers: `expect` gives musts, its `should` shoulds.
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
    let answers = Answers {
        tally: &tally,
        shown_tally: describe_tally(&tally, errors.len()),
        responses: &responses,
        file,
        scope,
        redactor,
    };
    let mut checks = Vec::new();
    if let Some(first) = errors.first() {
        checks.push(CheckResult::missed(Failure {
            check: Check::BurstAnswers,
            expected: format!("an answer to each of {} requests", burst.count),
            actual: redactor.text(&format!("{} got none; the first: {first}", errors.len())),
            source: answers.at(expect
                .statuses
                .first()
                .map_or(Default::default(), |(_, s)| s.pos)),
        }));
    }
    checks.extend(answers.checks(expect));
    if let Some(should) = &expect.should {
        let shoulds = answers.checks(should);
        checks.extend(shoulds.into_iter().map(|c| c.at(Level::Should)));
    }
    BurstResult {
        summary: BurstSummary {
            count: burst.count,
            concurrency: burst.concurrency,
            statuses: tally,
            errors: u32::try_from(errors.len()).unwrap_or(u32::MAX),
        },
        first: responses.into_iter().next(),
        checks,
    }
}

/// The answers a burst got, as one level of expectations judges them.
struct Answers<'a> {
    tally: &'a BTreeMap<u16, u32>,
    shown_tally: String,
    responses: &'a [Response],
    file: &'a str,
    scope: &'a Scope,
    redactor: &'a Redactor,
}

impl Answers<'_> {
    fn at(&self, pos: crate::scenario::yaml::Pos) -> SourceLoc {
        SourceLoc {
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
        }
    }

    /// Every check of `expect` (its `statuses`, its per-answer checks and its
    /// `each`), not of its `should`, held or missed.
    fn checks(&self, expect: &Expect) -> Vec<CheckResult> {
        let mut checks = Vec::new();
        for (status, count) in &expect.statuses {
            let got = self.tally.get(status).copied().unwrap_or(0);
            checks.push(CheckResult {
                check: Check::BurstStatus(*status),
                level: Level::Must,
                passed: count.matches(got),
                expected: format!("{} × {status}", count.inner),
                actual: format!("{got} × {status} ({})", self.shown_tally),
                source: self.at(count.pos),
            });
        }
        // The step's own expectations hold for every answer; `each` for those of
        // its status. A check is reported once, with how many answers missed it.
        let (file, scope, redactor) = (self.file, self.scope, self.redactor);
        // Each check: the first miss (else the first pass), how many missed, of how many.
        let mut judged: Vec<(CheckResult, u32, u32)> = Vec::new();
        for response in self.responses {
            let mut found = expect::judge_every(expect, response, file, scope, redactor);
            let each = expect
                .each
                .iter()
                .find(|(status, _)| *status == response.status);
            if let Some((_, each)) = each {
                found.extend(expect::judge_every(each, response, file, scope, redactor));
            }
            for check in found {
                let same = |c: &CheckResult| c.check == check.check && c.source == check.source;
                match judged.iter_mut().find(|(c, _, _)| same(c)) {
                    Some((kept, missed, of)) => {
                        *of += 1;
                        if !check.passed {
                            if *missed == 0 {
                                *kept = check;
                            }
                            *missed += 1;
                        }
                    }
                    None => {
                        let missed = u32::from(!check.passed);
                        judged.push((check, missed, 1));
                    }
                }
            }
        }
        let total = self.responses.len();
        for (mut check, missed, of) in judged {
            // A miss counts against every answer, as it always has; a pass says
            // how many answers it was judged on (`each` judges one status's).
            check.actual = if missed > 0 {
                format!("{} (in {missed} of {total} answers)", check.actual)
            } else {
                format!("{} (in each of {of} answers)", check.actual)
            };
            checks.push(check);
        }
        checks
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
