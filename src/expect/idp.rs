//! Judging `expect.idp`: what the target asked tollgate's IdP and Crowd service
//! while a step ran. The calls come from the IdP's log (tokens as digests only),
//! so the evidence a report shows names which token, never the token.

use crate::report::model::{Check, CheckResult, Failure, Level, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::de::Spanned;
use crate::scenario::model::CountExpect;
use crate::scenario::plan::{CrowdCalls, Expect, IdpExpect, OauthCalls};
use crate::scenario::template::{Scope, Template};
use crate::scenario::yaml::Pos;
use crate::wire::observed::{IdpCall, token_digest};

use super::matcher::{Subject, check};

/// How many hex digits of a token's digest a report shows: enough to tell two
/// tokens of a step apart.
const DIGEST_SHOWN: usize = 12;

/// Everything `calls` miss of `expect.idp` (not of its `should`). `calls` is
/// `None` when tollgate's IdP is not in the loop: every `expect.idp` then fails,
/// saying so, rather than passing on no evidence.
pub fn judge_idp(
    expect: &Expect,
    calls: Option<&[IdpCall]>,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<Failure> {
    idp_checks(expect, calls, file, scope, redactor)
        .iter()
        .filter_map(CheckResult::miss)
        .collect()
}

/// Every check of `expect.idp`, then of `expect.should.idp`, held or missed:
/// the evidence of what the target asked. Its misses are what [`judge_idp`]
/// and [`judge_idp_should`] return.
pub fn judge_idp_checks(
    expect: &Expect,
    calls: Option<&[IdpCall]>,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    let mut checks = idp_checks(expect, calls, file, scope, redactor);
    if let Some(should) = &expect.should {
        let shoulds = idp_checks(should, calls, file, scope, redactor);
        checks.extend(shoulds.into_iter().map(|c| c.at(Level::Should)));
    }
    checks
}

fn idp_checks(
    expect: &Expect,
    calls: Option<&[IdpCall]>,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    let Some(idp) = &expect.idp else {
        return Vec::new();
    };
    let mut judge = IdpJudge {
        file,
        scope,
        redactor,
        checks: Vec::new(),
    };
    match calls {
        Some(calls) => judge.all(idp, calls),
        None => judge.fail(
            "",
            "calls to tollgate's IdP".into(),
            "tollgate's IdP is not in the loop (run with --idp-listen, or against the embedded mock)"
                .into(),
            idp.pos,
        ),
    }
    judge.checks
}

/// Everything `calls` miss of `expect.should.idp`: warnings.
pub fn judge_idp_should(
    expect: &Expect,
    calls: Option<&[IdpCall]>,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<Failure> {
    expect
        .should
        .as_ref()
        .map(|should| judge_idp(should, calls, file, scope, redactor))
        .unwrap_or_default()
}

/// One line per call, for a step's transcript: the evidence beside the answer.
pub fn describe_calls(calls: &[IdpCall]) -> Vec<String> {
    calls.iter().map(describe).collect()
}

struct IdpJudge<'a> {
    file: &'a str,
    scope: &'a Scope,
    redactor: &'a Redactor,
    checks: Vec<CheckResult>,
}

impl IdpJudge<'_> {
    fn fail(&mut self, what: &str, expected: String, actual: String, pos: Pos) {
        self.record(false, what, expected, actual, pos);
    }

    fn record(&mut self, held: bool, what: &str, expected: String, actual: String, pos: Pos) {
        let name = if what.is_empty() {
            "idp".to_string()
        } else {
            format!("idp {what}")
        };
        self.checks.push(CheckResult {
            check: Check::Idp(name),
            level: Level::Must,
            passed: held,
            expected: self.redactor.text(&expected),
            actual: self.redactor.text(&actual),
            source: SourceLoc {
                file: self.file.to_string(),
                line: pos.line,
                col: pos.col,
            },
        });
    }

    fn all(&mut self, idp: &IdpExpect, calls: &[IdpCall]) {
        if let Some(expect) = &idp.introspections {
            self.oauth("introspections", expect, calls);
        }
        if let Some(expect) = &idp.userinfo {
            self.oauth("userinfo", expect, calls);
        }
        if let Some(count) = &idp.jwks {
            let fetched = of_kind(calls, "jwks");
            self.count("jwks", Some(count.inner), &fetched, count.pos);
        }
        if let Some(expect) = &idp.crowd_validations {
            self.crowd("crowd_validations", expect, calls);
        }
        if let Some(expect) = &idp.crowd_sessions {
            self.crowd("crowd_sessions", expect, calls);
        }
    }

    /// `count`, or at least one call when nothing else is said.
    fn count(&mut self, kind: &str, count: Option<CountExpect>, calls: &[&IdpCall], pos: Pos) {
        let count = count.unwrap_or(CountExpect::AtLeast(1));
        let made = u32::try_from(calls.len()).unwrap_or(u32::MAX);
        self.record(
            count.matches(made),
            &format!("{kind} count"),
            format!("{count} {kind}"),
            made_calls(kind, calls),
            pos,
        );
    }

    fn render(&mut self, template: &Template, kind: &str, pos: Pos) -> Option<String> {
        match template.render(self.scope) {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(kind, "a value".into(), e.to_string(), pos);
                None
            }
        }
    }

    fn oauth(&mut self, kind: &str, expect: &Spanned<OauthCalls>, calls: &[IdpCall]) {
        let made = of_kind(calls, kind);
        self.count(kind, expect.count, &made, expect.pos);
        let client = match &expect.client {
            Some(t) => self.render(t, kind, expect.pos),
            None => None,
        };
        let token = match &expect.token {
            Some(t) => self
                .render(t, kind, expect.pos)
                .map(|token| token_digest(&token)),
            None => None,
        };
        for (index, call) in made.iter().enumerate() {
            let (auth, called_client, digest) = match call {
                IdpCall::Introspection {
                    client_auth,
                    client,
                    token_sha256,
                    ..
                } => (
                    Some(*client_auth),
                    client.as_deref(),
                    token_sha256.as_deref(),
                ),
                IdpCall::Userinfo { token_sha256, .. } => (None, None, token_sha256.as_deref()),
                _ => continue,
            };
            // (what was checked, whether it held, what it should be) for each check.
            let mut judged: Vec<(&str, bool, String)> = Vec::new();
            let auth_allowed =
                |auth| expect.client_auth.is_empty() || expect.client_auth.contains(&auth);
            if let Some(auth) = auth.filter(|_| !expect.client_auth.is_empty()) {
                let allowed: Vec<&str> = expect.client_auth.iter().map(|a| a.name()).collect();
                judged.push((
                    "client_auth",
                    auth_allowed(auth),
                    format!("client authentication {}", allowed.join(" or ")),
                ));
            }
            if let Some(client) = &client {
                let held = called_client == Some(client.as_str());
                judged.push(("client", held, format!("client {client}")));
            }
            if let Some(token) = &token {
                let held = digest == Some(token.as_str());
                judged.push(("token", held, format!("token {}", short(token))));
            }
            let which = format!("call {} of {}: {}", index + 1, made.len(), describe(call));
            for (what, held, expected) in judged {
                let what = format!("{kind} {what}");
                self.record(held, &what, expected, which.clone(), expect.pos);
            }
        }
    }

    fn crowd(&mut self, kind: &str, expect: &Spanned<CrowdCalls>, calls: &[IdpCall]) {
        let made = of_kind(calls, kind);
        self.count(kind, expect.count, &made, expect.pos);
        let application = match &expect.application {
            Some(t) => self.render(t, kind, expect.pos),
            None => None,
        };
        for (index, call) in made.iter().enumerate() {
            let (called_app, factors) = match call {
                IdpCall::CrowdValidation {
                    application,
                    factors,
                    ..
                }
                | IdpCall::CrowdSession {
                    application,
                    factors,
                    ..
                } => (application.as_deref(), factors),
                _ => continue,
            };
            let which = format!("call {} of {}: {}", index + 1, made.len(), describe(call));
            if let Some(application) = &application {
                let held = called_app == Some(application.as_str());
                let expected = format!("application {application}");
                let what = format!("{kind} application");
                self.record(held, &what, expected, which.clone(), expect.pos);
            }
            for (name, matcher) in &expect.factors {
                let values: Vec<&str> = factors
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                let judged = check(&matcher.inner, Subject::Texts(&values), self.scope);
                let held = judged.is_ok();
                let expected = judged.unwrap_or_else(|miss| miss);
                let what = format!("{kind} factor {name}");
                self.record(held, &what, expected, which.clone(), matcher.pos);
            }
        }
    }
}

fn of_kind<'a>(calls: &'a [IdpCall], kind: &str) -> Vec<&'a IdpCall> {
    calls.iter().filter(|c| c.kind() == kind).collect()
}

fn made_calls(kind: &str, calls: &[&IdpCall]) -> String {
    if calls.is_empty() {
        return format!("no {kind} call");
    }
    let lines: Vec<String> = calls.iter().map(|c| describe(c)).collect();
    format!("{} {kind}: {}", calls.len(), lines.join("; "))
}

fn short(digest: &str) -> String {
    format!("sha256:{}…", &digest[..digest.len().min(DIGEST_SHOWN)])
}

fn factors_text(factors: &[(String, String)]) -> String {
    if factors.is_empty() {
        return "no validation factors".into();
    }
    let each: Vec<String> = factors.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!("factors {}", each.join(", "))
}

fn describe(call: &IdpCall) -> String {
    let token = |digest: &Option<String>| {
        digest
            .as_deref()
            .map_or_else(|| "no token".to_string(), |d| format!("token {}", short(d)))
    };
    match call {
        IdpCall::Introspection {
            client_auth,
            client,
            token_sha256,
            active,
        } => {
            let answer = match active {
                Some(true) => "active",
                Some(false) => "inactive",
                None => "refused",
            };
            let client = client.as_deref().unwrap_or("(no client)");
            format!(
                "introspection by {client} ({} client auth), {} → {answer}",
                client_auth.name(),
                token(token_sha256)
            )
        }
        IdpCall::Userinfo {
            token_sha256,
            status,
        } => format!("userinfo with {} → {status}", token(token_sha256)),
        IdpCall::Jwks => "JWKS fetched".into(),
        IdpCall::CrowdValidation {
            application,
            token_sha256,
            factors,
            valid,
        } => format!(
            "Crowd validation by {} of {} with {} → {}",
            application.as_deref().unwrap_or("(no application)"),
            short(token_sha256),
            factors_text(factors),
            if *valid { "valid" } else { "invalid" }
        ),
        IdpCall::CrowdSession {
            application,
            user,
            factors,
            created,
        } => format!(
            "Crowd session for {} by {} with {} → {}",
            user.as_deref().unwrap_or("(no user)"),
            application.as_deref().unwrap_or("(no application)"),
            factors_text(factors),
            if *created { "created" } else { "refused" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::wire::observed::ClientAuth;

    fn expect(idp: &str) -> Expect {
        let text = format!(
            "id: T\ntitle: t\nvars: {{ tok: x }}\nsteps:\n  - name: s\n    request: {{ path: /x }}\n    expect:\n      idp: {idp}\n"
        );
        let scenario = crate::scenario::load_str(&text, Path::new("t.yaml"), &|_| None)
            .unwrap_or_else(|d| {
                panic!("{}", d.iter().map(ToString::to_string).collect::<String>())
            });
        scenario.steps[0].expect.clone()
    }

    fn introspection(auth: ClientAuth, token: &str) -> IdpCall {
        IdpCall::Introspection {
            client_auth: auth,
            client: Some("tollgate".into()),
            token_sha256: Some(token_digest(token)),
            active: Some(true),
        }
    }

    fn judged(expect: &Expect, calls: Option<&[IdpCall]>, scope: &Scope) -> Vec<String> {
        judge_idp(expect, calls, "t.yaml", scope, &Redactor::new())
            .iter()
            .map(|f| format!("{}: expected {}, got {}", f.check, f.expected, f.actual))
            .collect()
    }

    #[test]
    fn a_cached_token_makes_no_call_and_fails_the_count() {
        let expect = expect("{ introspections: { count: 1, client_auth: basic } }");
        let scope = Scope::new();
        let missed = judged(&expect, Some(&[]), &scope);
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(missed[0].contains("idp introspections count"), "{missed:?}");
        assert!(missed[0].contains("no introspections call"), "{missed:?}");
        let calls = [introspection(ClientAuth::Basic, "t1")];
        assert!(judged(&expect, Some(&calls), &scope).is_empty());
    }

    #[test]
    fn client_auth_and_token_are_judged_per_call_by_digest() {
        let expect =
            expect("{ introspections: { client_auth: [basic, post], token: \"${tok}\" } }");
        let mut scope = Scope::new();
        scope.insert("tok".into(), "Token-Value-1".into());
        let calls = [
            introspection(ClientAuth::Post, "Token-Value-1"),
            introspection(ClientAuth::None, "Other-Token"),
        ];
        let missed = judged(&expect, Some(&calls), &scope);
        assert_eq!(missed.len(), 2, "{missed:?}");
        assert!(missed[0].contains("client_auth"), "{missed:?}");
        assert!(missed[1].contains("token sha256:"), "{missed:?}");
        assert!(!missed.join(" ").contains("Token-Value-1"), "{missed:?}");
    }

    #[test]
    fn crowd_factors_are_matched_and_absence_is_checkable() {
        let expect = expect(
            "{ crowd_validations: { factors: { remote_address: 10.0.0.5, X-Forwarded-For: { absent: true } } } }",
        );
        let scope = Scope::new();
        let good = [IdpCall::CrowdValidation {
            application: Some("confluence".into()),
            token_sha256: token_digest("sso"),
            factors: vec![("remote_address".into(), "10.0.0.5".into())],
            valid: true,
        }];
        assert!(judged(&expect, Some(&good), &scope).is_empty());
        let dropped = [IdpCall::CrowdValidation {
            application: Some("confluence".into()),
            token_sha256: token_digest("sso"),
            factors: Vec::new(),
            valid: true,
        }];
        let missed = judged(&expect, Some(&dropped), &scope);
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(missed[0].contains("no validation factors"), "{missed:?}");
    }

    #[test]
    fn without_the_idp_in_the_loop_expect_idp_fails_rather_than_passing_on_nothing() {
        let expect = expect("{ jwks: 0 }");
        let missed = judged(&expect, None, &Scope::new());
        assert_eq!(missed.len(), 1);
        assert!(missed[0].contains("--idp-listen"), "{missed:?}");
    }
}
