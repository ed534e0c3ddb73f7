//! From the serde surface ([`super::model`]) to the executable [`super::plan`],
//! once per scenario when it is loaded.
//!
//! What cannot compile (a regular expression, a JSONPath, a method, a request
//! that is both a path and a URL) is a problem at its position, reported with
//! the loader's other diagnostics; a scenario with a problem never runs.

use regex::Regex;
use serde_json_path::JsonPath;

use super::de::Spanned;
use super::model;
use super::model::CaptureFrom;
use super::plan::{
    Address, Auth, Body, Capture, CaptureSource, CookieExpect, CrowdCalls, CrowdSsoAuth, Expect,
    IdpExpect, JwtAuth, Load, Matcher, MatcherSpec, OauthAuth, OauthCalls, Pattern, Query, Request,
    Scenario, Step, credential_literals, credential_references,
};
use super::template::{JsonTemplate, Template};
use super::threshold::Threshold;
use super::validate::Problem;
use super::version::VersionRange;
use super::yaml::Pos;
use crate::wire::observed::ClientAuth;

/// How long a step's exchange may take when it does not say.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `scenario`, compiled, or every problem found on the way.
pub fn compile(scenario: model::Scenario) -> Result<Scenario, Vec<Problem>> {
    let mut compiler = Compiler::default();
    let mut steps: Vec<Step> = scenario
        .steps
        .iter()
        .map(|step| compiler.step(step))
        .collect();
    let vars = scenario
        .vars
        .iter()
        .map(|(name, var)| (name.clone(), template(&var.value)))
        .collect();
    // A value sent where a credential goes is secret whatever it is called.
    let credentials = credential_references(&steps);
    for capture in steps.iter_mut().flat_map(|step| &mut step.capture) {
        capture.secret |= credentials.contains(&capture.name);
    }
    let secret_vars = scenario
        .vars
        .iter()
        .filter(|(name, var)| var.secret || credentials.contains(*name))
        .map(|(name, _)| name.clone())
        .collect();
    let load = scenario
        .load
        .as_ref()
        .map(|load| Spanned::new(compiler.load(load), load.pos));
    let requires_confluence = scenario.requires.as_ref().and_then(|requires| {
        let range = requires.confluence.as_ref()?;
        range
            .parse::<VersionRange>()
            .map_err(|e| compiler.report(range.pos, e))
            .ok()
    });
    if !compiler.problems.is_empty() {
        return Err(compiler.problems);
    }
    let env_secrets = env_secrets(&scenario.env_values, &steps, &scenario.keys);
    Ok(Scenario {
        id: scenario.id,
        title: scenario.title,
        tags: scenario.tags,
        refs: scenario.refs,
        only: scenario.only,
        requires_confluence,
        requires_setup: scenario.requires.as_ref().and_then(|r| r.setup),
        keys: scenario.keys,
        vars,
        mock: scenario.mock,
        steps,
        load,
        file: scenario.file,
        source_sha256: scenario.source_sha256,
        env_secrets,
        env_defaults: scenario.env_defaults,
        secret_vars,
    })
}

/// The values from `${env:…}` that are secret: the variable is named like a
/// secret, or the value is sent where a credential goes (a cookie, a password,
/// `Authorization: Bearer …`) or is a key's shared secret. A user name, an
/// issuer or a page id from the environment stays visible as evidence.
fn env_secrets(
    values: &[super::vars::EnvValue],
    steps: &[Step],
    keys: &indexmap::IndexMap<String, Spanned<model::KeySpec>>,
) -> Vec<String> {
    let mut credentials = credential_literals(steps);
    credentials.extend(keys.values().filter_map(|key| key.secret.clone()));
    values
        .iter()
        .filter(|v| super::vars::names_a_secret(&v.name) || credentials.contains(&v.value))
        .map(|v| v.value.clone())
        .collect()
}

/// An `auth:` form compiled on its own (for callers that build one in code).
pub fn auth(auth: &model::Auth) -> Auth {
    match auth {
        model::Auth::None => Auth::None,
        model::Auth::Basic {
            user,
            password,
            scheme,
        } => Auth::Basic {
            user: template(user),
            password: template(password),
            scheme: scheme.clone().unwrap_or_else(|| "Basic".into()),
        },
        model::Auth::Bearer(token) => Auth::Bearer(template(token)),
        model::Auth::Jwt(jwt) => Auth::Jwt(JwtAuth {
            key: template(&jwt.key),
            claims: json_fields(&jwt.claims),
            header: json_fields(&jwt.header),
            qsh: jwt.qsh,
            placement: jwt.placement,
            scheme: jwt.scheme.as_deref().map(template),
            attack: jwt.attack,
            mint: jwt.mint,
        }),
        model::Auth::Oauth(oauth) => Auth::Oauth(OauthAuth {
            client: template(&oauth.client),
            secret: template(&oauth.secret),
            grant: oauth.grant.as_deref().map(template),
            user: oauth.user.as_deref().map(template),
            password: oauth.password.as_deref().map(template),
            scope: oauth.scope.as_deref().map(template),
        }),
        model::Auth::CrowdSso(sso) => Auth::CrowdSso(CrowdSsoAuth {
            user: template(&sso.user),
            password: template(&sso.password),
            application: template(&sso.application),
            application_password: template(&sso.application_password),
        }),
    }
}

/// One matcher compiled on its own (for callers that build one in code).
pub fn matcher(matcher: &model::Matcher) -> Result<Matcher, Vec<Problem>> {
    let mut compiler = Compiler::default();
    let compiled = compiler.matcher(matcher, Pos::default());
    if compiler.problems.is_empty() {
        Ok(compiled)
    } else {
        Err(compiler.problems)
    }
}

/// A text as a template. An unclosed `${` is reported with its position by
/// validation, and such a scenario never runs; here it is kept as plain text.
fn template(text: &str) -> Template {
    Template::parse(text).unwrap_or_else(|_| Template::literal(text))
}

fn json(value: &serde_json::Value) -> JsonTemplate {
    JsonTemplate::parse(value).unwrap_or_else(|_| JsonTemplate::Fixed(value.clone()))
}

fn json_fields(map: &indexmap::IndexMap<String, serde_json::Value>) -> Vec<(String, JsonTemplate)> {
    map.iter().map(|(k, v)| (k.clone(), json(v))).collect()
}

fn pairs(map: &indexmap::IndexMap<String, String>) -> Vec<(Template, Template)> {
    map.iter()
        .map(|(k, v)| (template(k), template(v)))
        .collect()
}

/// regex's messages draw their own caret over several lines; ours points at the
/// file, so keep only the last line, which names the problem.
fn regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    let reason = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text)
        .trim();
    format!(
        "invalid regular expression: {}",
        reason.trim_start_matches("error: ")
    )
}

#[derive(Default)]
struct Compiler {
    problems: Vec<Problem>,
}

impl Compiler {
    fn report(&mut self, pos: Pos, message: String) {
        self.problems.push((pos, message, None));
    }

    fn load(&mut self, load: &model::Load) -> Load {
        let mut thresholds = Vec::with_capacity(load.thresholds.len());
        for rule in &load.thresholds {
            match rule.parse::<Threshold>() {
                Ok(threshold) => thresholds.push(threshold),
                Err(e) => self.report(rule.pos, e.to_string()),
            }
        }
        Load {
            users: load.users,
            increase_rate: load.increase_rate,
            run_time: load.run_time.map(|t| t.get()),
            iterations: load.iterations,
            throttle: load.throttle,
            steps: load.steps.iter().map(|s| s.inner.clone()).collect(),
            thresholds,
        }
    }

    fn step(&mut self, step: &Spanned<model::Step>) -> Step {
        Step {
            name: step.name.clone(),
            pos: step.pos,
            wait: step.wait.map(|w| w.get()),
            request: self.request(&step.request, step.pos),
            burst: step.burst.clone(),
            expect: self.expect(&step.expect),
            capture: step
                .capture
                .iter()
                .map(|(name, capture)| self.capture(name, capture))
                .collect(),
        }
    }

    fn request(&mut self, request: &model::Request, pos: Pos) -> Request {
        let address = match (&request.path, &request.url) {
            (Some(_), Some(_)) => {
                self.report(pos, "a request has `path` or `url`, not both".into());
                Address::Path(Template::literal("/"))
            }
            (Some(path), None) => Address::Path(template(path)),
            (None, Some(url)) => Address::Url(template(url)),
            (None, None) => {
                self.report(
                    pos,
                    "a request needs `path` (joined to the target) or `url`".into(),
                );
                Address::Path(Template::literal("/"))
            }
        };
        let body = match (&request.body, &request.json, &request.form) {
            (None, None, None) => Body::None,
            (Some(raw), None, None) => Body::Raw(template(raw)),
            (None, Some(value), None) => Body::Json(json(value)),
            (None, None, Some(form)) => Body::Form(pairs(form)),
            _ => {
                self.report(
                    pos,
                    "a request has at most one of `body`, `json`, `form`".into(),
                );
                Body::None
            }
        };
        Request {
            method: self.method(&request.method, pos),
            address,
            query: pairs(&request.query),
            headers: pairs(&request.headers),
            cookies: pairs(&request.cookies),
            body,
            auth: request
                .auth
                .as_ref()
                .map(|a| Spanned::new(auth(&a.inner), a.pos)),
            follow_redirects: request.follow_redirects,
            timeout: request.timeout.map_or(DEFAULT_TIMEOUT, |t| t.get()),
            client_ip: request.client_ip.as_deref().map(template),
        }
    }

    fn method(&mut self, method: &str, pos: Pos) -> http::Method {
        let parsed = (!method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok())
            .flatten();
        parsed.unwrap_or_else(|| {
            self.report(pos, format!("'{method}' is not an HTTP method"));
            http::Method::GET
        })
    }

    fn expect(&mut self, expect: &model::Expect) -> Expect {
        Expect {
            status: expect.status.clone(),
            headers: expect
                .headers
                .iter()
                .map(|(name, m)| (name.clone(), self.spanned_matcher(m)))
                .collect(),
            cookies: expect
                .cookies
                .iter()
                .map(|(name, c)| (name.clone(), self.cookie(c)))
                .collect(),
            json: expect
                .json
                .iter()
                .map(|(path, m)| (self.query(path, m.pos), self.spanned_matcher(m)))
                .collect(),
            body: expect.body.as_ref().map(|m| self.spanned_matcher(m)),
            duration: expect.duration.clone(),
            statuses: expect
                .statuses
                .iter()
                .map(|(status, count)| (*status, count.clone()))
                .collect(),
            each: expect
                .each
                .iter()
                .map(|(status, each)| (*status, Spanned::new(self.expect(each), each.pos)))
                .collect(),
            idp: expect
                .idp
                .as_ref()
                .map(|idp| Spanned::new(self.idp(idp), idp.pos)),
            should: expect
                .should
                .as_ref()
                .map(|should| Box::new(self.expect(should))),
        }
    }

    fn idp(&mut self, idp: &model::IdpExpect) -> IdpExpect {
        let oauth = |calls: &Spanned<model::OauthCalls>| {
            let client_auth = calls.client_auth.as_ref().map(|auths| {
                auths
                    .0
                    .iter()
                    .map(|auth| match auth {
                        model::ClientAuthName::Basic => ClientAuth::Basic,
                        model::ClientAuthName::Post => ClientAuth::Post,
                        model::ClientAuthName::None => ClientAuth::None,
                    })
                    .collect()
            });
            Spanned::new(
                OauthCalls {
                    count: calls.count,
                    client_auth: client_auth.unwrap_or_default(),
                    client: calls.client.as_deref().map(template),
                    token: calls.token.as_deref().map(template),
                },
                calls.pos,
            )
        };
        let mut crowd = |calls: &Spanned<model::CrowdCalls>| {
            Spanned::new(
                CrowdCalls {
                    count: calls.count,
                    application: calls.application.as_deref().map(template),
                    factors: calls
                        .factors
                        .iter()
                        .map(|(name, m)| (name.clone(), self.spanned_matcher(m)))
                        .collect(),
                },
                calls.pos,
            )
        };
        let crowd_validations = idp.crowd_validations.as_ref().map(&mut crowd);
        let crowd_sessions = idp.crowd_sessions.as_ref().map(&mut crowd);
        IdpExpect {
            introspections: idp.introspections.as_ref().map(oauth),
            userinfo: idp.userinfo.as_ref().map(oauth),
            jwks: idp.jwks.clone(),
            crowd_validations,
            crowd_sessions,
        }
    }

    fn cookie(&mut self, cookie: &Spanned<model::CookieExpect>) -> Spanned<CookieExpect> {
        let value = cookie.value.as_ref().map(|m| self.matcher(m, cookie.pos));
        Spanned::new(
            CookieExpect {
                present: cookie.present,
                absent: cookie.absent,
                value,
                secure: cookie.secure,
                http_only: cookie.http_only,
                same_site: cookie.same_site.clone(),
                path: cookie.path.clone(),
            },
            cookie.pos,
        )
    }

    fn spanned_matcher(&mut self, matcher: &Spanned<model::Matcher>) -> Spanned<Matcher> {
        Spanned::new(self.matcher(&matcher.inner, matcher.pos), matcher.pos)
    }

    fn matcher(&mut self, matcher: &model::Matcher, pos: Pos) -> Matcher {
        let spec = match matcher {
            model::Matcher::Equals(value) => return Matcher::Equals(json(value)),
            model::Matcher::Spec(spec) => spec,
        };
        if spec.present.is_some() && spec.absent.is_some() {
            self.report(pos, "use `present` or `absent`, not both".into());
        }
        Matcher::Spec(Box::new(MatcherSpec {
            equals: spec.equals.as_ref().map(json),
            matches: spec.matches.as_deref().map(|p| {
                self.pattern(p, pos)
                    .unwrap_or(Pattern::Templated(template(p)))
            }),
            contains: spec.contains.as_ref().map(json),
            present: spec.present,
            absent: spec.absent,
            exists: spec.exists,
            json_type: spec.json_type,
            length: spec.length,
            empty: spec.empty,
            not: spec
                .not
                .as_ref()
                .map(|inner| Box::new(self.matcher(inner, pos))),
            any_of: spec.any_of.as_ref().map(|options| {
                if options.is_empty() {
                    self.report(
                        pos,
                        "`any_of: []` lists no answer, so nothing passes".into(),
                    );
                }
                options.iter().map(|m| self.matcher(m, pos)).collect()
            }),
        }))
    }

    /// A pattern; `None` (reported) when it does not compile.
    fn pattern(&mut self, text: &str, pos: Pos) -> Option<Pattern> {
        let parsed = template(text);
        if parsed.as_literal().is_none() {
            return Some(Pattern::Templated(parsed));
        }
        match Regex::new(text) {
            Ok(regex) => Some(Pattern::Fixed(regex)),
            Err(e) => {
                self.report(pos, regex_error(&e));
                None
            }
        }
    }

    fn query(&mut self, text: &str, pos: Pos) -> Query {
        let parsed = template(text);
        if parsed.as_literal().is_none() {
            return Query::Templated(parsed);
        }
        match JsonPath::parse(text) {
            Ok(path) => Query::Fixed {
                text: text.to_string(),
                path,
            },
            Err(e) => {
                self.report(pos, format!("'{text}' is not a JSONPath: {e}"));
                Query::Templated(parsed)
            }
        }
    }

    fn capture(&mut self, name: &str, capture: &Spanned<model::Capture>) -> Capture {
        let pos = capture.pos;
        let source = match &capture.inner.from {
            CaptureFrom::Header(header) => CaptureSource::Header(header.clone()),
            CaptureFrom::Cookie(cookie) => CaptureSource::Cookie(cookie.clone()),
            CaptureFrom::Json(path) => CaptureSource::Json(self.query(path, pos)),
            CaptureFrom::Body(pattern) => {
                let compiled = self.pattern(pattern, pos);
                if let Some(Pattern::Fixed(regex)) = &compiled {
                    if regex.captures_len() != 2 {
                        self.report(pos, "a body capture needs exactly one group: (…)".into());
                    }
                }
                CaptureSource::Body(compiled.unwrap_or(Pattern::Templated(template(pattern))))
            }
        };
        Capture {
            name: name.to_string(),
            pos,
            source,
            secret: capture.inner.secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(steps: &str) -> Result<Scenario, Vec<Problem>> {
        let text = format!("id: C-1\ntitle: t\nsteps:\n{steps}");
        let node = super::super::yaml::parse(&text).unwrap();
        let soft = std::cell::RefCell::new(Vec::new());
        let scenario: model::Scenario = super::super::de::from_node(&node, &soft).unwrap();
        compile(scenario)
    }

    #[test]
    fn fixed_patterns_and_paths_compile_once_and_templated_ones_wait() {
        let scenario = compiled(concat!(
            "  - name: s\n    request: { method: post, path: /x }\n",
            "    expect:\n      body: { matches: 'a+' }\n      json: { '$.a': 1, '$.${v}': 2 }\n",
        ))
        .unwrap();
        let step = &scenario.steps[0];
        assert_eq!(step.request.method, http::Method::POST);
        assert!(matches!(step.request.address, Address::Path(_)));
        assert!(matches!(
            step.expect.body.as_deref(),
            Some(Matcher::Spec(spec)) if matches!(spec.matches, Some(Pattern::Fixed(_)))
        ));
        assert!(matches!(step.expect.json[0].0, Query::Fixed { .. }));
        assert!(matches!(step.expect.json[1].0, Query::Templated(_)));
        assert_eq!(step.expect.json[1].0.to_string(), "$.${v}");
    }

    #[test]
    fn what_cannot_compile_is_a_problem_at_its_position() {
        let problems = compiled(concat!(
            "  - name: s\n    request: { method: 'GE T', path: /x, url: http://h/ }\n",
            "    expect:\n      body: { matches: '(' }\n",
        ))
        .unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|(_, m, _)| m.as_str()).collect();
        assert!(
            messages.contains(&"a request has `path` or `url`, not both"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"'GE T' is not an HTTP method"),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("invalid regular expression")),
            "{messages:?}"
        );
    }
}
