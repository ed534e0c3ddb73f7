//! A compiled step's request, built for sending: templates filled in from the
//! scope, the credential minted or fetched, and the secrets it carries named.

use reqwest::header::{HeaderName, HeaderValue};

use super::clients::Clients;
use super::env::Env;
use super::response::describe_error;
use crate::auth::{self, AuthContext};
use crate::scenario::plan::{Address, Auth, Body, Request};
use crate::scenario::template::{Scope, UnknownVar};
use crate::wire::CLIENT_IP_HEADER;

/// Why a request could not be built; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    UnknownVar(#[from] UnknownVar),
    #[error("invalid URL '{url}': {reason}")]
    Url { url: String, reason: String },
    #[error(transparent)]
    Credential(#[from] crate::auth::AuthError),
    #[error(
        "client_ip stands for the peer address on the embedded mock only; a real target sees the real one (mark the scenario `only: mock`)"
    )]
    ClientIpOnRemote,
    #[error("'{0}' is not a header name")]
    HeaderName(String),
    #[error("a header value holds a character HTTP does not allow")]
    HeaderValue,
    #[error("cannot build the request: {0}")]
    Build(String),
    #[error(
        "a request URL must not carry user:password@ (it would be sent as Basic beside the step's own auth); use `auth: {{ basic: … }}`"
    )]
    Userinfo,
}

/// A request ready to send, with the client to send it and its secrets.
pub struct Prepared<'c> {
    pub client: &'c reqwest::Client,
    pub request: reqwest::Request,
    /// Credentials this request carries beyond the scenario's known ones.
    pub secrets: Vec<String>,
}

pub async fn prepare<'c>(
    request: &Request,
    env: &Env,
    scope: &Scope,
    clients: &'c Clients,
) -> Result<Prepared<'c>, PrepareError> {
    let mut url = url(request, env, scope)?;
    let mut secrets = Vec::new();
    let mut authorization = None;
    let mut auth_cookie = None;
    let client_ip = request
        .client_ip
        .as_ref()
        .map(|ip| ip.render(scope))
        .transpose()?;
    if let Some(auth) = &request.auth {
        let ctx = AuthContext {
            scope,
            method: request.method.as_str(),
            url: &url,
            context_path: &env.endpoints.context_path,
            keys: &env.keys,
            idp_url: &env.endpoints.idp_url,
            http: &clients.direct,
            tokens: &env.tokens,
            jwts: env.jwts(),
            now: env.now(),
            client_ip: client_ip.as_deref(),
        };
        let credential = auth::credential(auth, &ctx).await?;
        secrets.extend(credential.secrets);
        secrets.extend(basic_pair(&auth.inner, scope)?);
        authorization = credential.authorization;
        auth_cookie = credential.cookie;
        if let Some(with_credential) = credential.url {
            url = with_credential;
        }
    }
    let client = if request.follow_redirects {
        &clients.following
    } else {
        &clients.direct
    };
    let mut builder = client
        .request(request.method.clone(), url)
        .timeout(request.timeout);
    if let Some(value) = authorization {
        builder = builder.header(reqwest::header::AUTHORIZATION, header_value(&value)?);
    }
    for (name, value) in &request.headers {
        let name = name.render(scope)?;
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| PrepareError::HeaderName(name.clone()))?;
        builder = builder.header(name, header_value(&value.render(scope)?)?);
    }
    if let Some(ip) = &client_ip {
        if !env.endpoints.embedded {
            return Err(PrepareError::ClientIpOnRemote);
        }
        builder = builder.header(CLIENT_IP_HEADER, header_value(ip)?);
    }
    if !request.cookies.is_empty() || auth_cookie.is_some() {
        let mut pairs: Vec<String> = auth_cookie
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        for (name, value) in &request.cookies {
            let value = value.render(scope)?;
            // A cookie sent is a credential, whatever its name.
            secrets.push(value.clone());
            pairs.push(format!("{}={value}", name.render(scope)?));
        }
        builder = builder.header(reqwest::header::COOKIE, header_value(&pairs.join("; "))?);
    }
    builder = match &request.body {
        Body::None => builder,
        Body::Raw(body) => builder.body(body.render(scope)?),
        Body::Json(json) => builder.json(&json.render(scope)?),
        Body::Form(form) => {
            let mut pairs = Vec::with_capacity(form.len());
            for (name, value) in form {
                pairs.push((name.render(scope)?, value.render(scope)?));
            }
            builder.form(&pairs)
        }
    };
    let request = builder
        .build()
        .map_err(|e| PrepareError::Build(describe_error(&e)))?;
    Ok(Prepared {
        client,
        request,
        secrets,
    })
}

/// The step's URL with its `query:` appended.
fn url(request: &Request, env: &Env, scope: &Scope) -> Result<url::Url, PrepareError> {
    let text = match &request.address {
        Address::Url(url) => url.render(scope)?,
        Address::Path(path) => {
            let path = path.render(scope)?;
            let slash = if path.starts_with('/') { "" } else { "/" };
            format!(
                "{}{slash}{path}",
                env.endpoints.base_url.trim_end_matches('/')
            )
        }
    };
    let mut url = url::Url::parse(&text).map_err(|e| PrepareError::Url {
        reason: e.to_string(),
        url: text,
    })?;
    // reqwest turns a URL's userinfo into an `Authorization: Basic` of its own.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(PrepareError::Userinfo);
    }
    if !request.query.is_empty() {
        let mut rendered = Vec::with_capacity(request.query.len());
        for (name, value) in &request.query {
            rendered.push((name.render(scope)?, value.render(scope)?));
        }
        url.query_pairs_mut().extend_pairs(rendered);
    }
    Ok(url)
}

/// `user:password` of a Basic form: what Basic encodes, so its base64 forms
/// (padded or not, glued to other text) are known secrets too.
fn basic_pair(auth: &Auth, scope: &Scope) -> Result<Option<String>, PrepareError> {
    Ok(match auth {
        Auth::Basic { user, password, .. } => Some(format!(
            "{}:{}",
            user.render(scope)?,
            password.render(scope)?
        )),
        _ => None,
    })
}

fn header_value(value: &str) -> Result<HeaderValue, PrepareError> {
    HeaderValue::from_str(value).map_err(|_| PrepareError::HeaderValue)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::auth::keys::KeyRing;
    use crate::client::clients::TlsTrust;
    use crate::client::env::Endpoints;

    fn env() -> Env {
        let endpoints = Endpoints {
            base_url: "http://127.0.0.1:9".into(),
            idp_url: "http://127.0.0.1:9".into(),
            context_path: String::new(),
            embedded: false,
        };
        Env::new(Arc::new(endpoints), Arc::new(KeyRing::default()))
    }

    fn request(step: &str) -> Request {
        let yaml = format!(
            "id: T\ntitle: t\nvars: {{ pw: Var-Pw-123 }}\nsteps:\n  - name: s\n    request: {step}\n"
        );
        let scenario = crate::scenario::load_str(&yaml, Path::new("inline.yaml"), &|_| None)
            .unwrap_or_else(|d| {
                panic!("{}", d.iter().map(ToString::to_string).collect::<String>())
            });
        scenario.steps[0].request.clone()
    }

    #[tokio::test]
    async fn a_url_with_userinfo_is_never_built() {
        // Issue 12, item 1: reqwest sends a URL's userinfo as Basic, on top of
        // the step's own Authorization.
        let clients = Clients::new(&TlsTrust::default()).unwrap();
        let scope = Scope::from([("pw".to_string(), "Var-Pw-123".to_string())]);
        let refused =
            request("{ url: \"http://admin:${pw}@127.0.0.1:9/x\", auth: { bearer: t0ken-value } }");
        let error = prepare(&refused, &env(), &scope, &clients)
            .await
            .err()
            .unwrap();
        assert!(matches!(error, PrepareError::Userinfo), "{error}");
        assert!(!error.to_string().contains("Var-Pw"), "{error}");

        let fine = request("{ path: /x, auth: { bearer: t0ken-value } }");
        let prepared = prepare(&fine, &env(), &scope, &clients).await.unwrap();
        let authorizations = prepared
            .request
            .headers()
            .get_all("authorization")
            .iter()
            .count();
        assert_eq!(authorizations, 1);
        assert_eq!(prepared.request.url().as_str(), "http://127.0.0.1:9/x");
    }

    #[tokio::test]
    async fn basic_names_user_colon_password_as_a_secret() {
        let clients = Clients::new(&TlsTrust::default()).unwrap();
        let scope = Scope::from([("pw".to_string(), "Var-Pw-123".to_string())]);
        let basic = request("{ path: /x, auth: { basic: { user: alice, password: \"${pw}\" } } }");
        let prepared = prepare(&basic, &env(), &scope, &clients).await.unwrap();
        assert!(prepared.secrets.contains(&"alice:Var-Pw-123".to_string()));
    }

    /// The `Authorization` a load user (JWTs reused) sends for `step` twice.
    /// ES256 signatures are randomised: two mints never give the same token,
    /// even in the same second.
    async fn two_sends(step: &str) -> (String, String) {
        let yaml = format!(
            "id: T\ntitle: t\nkeys: {{ app: {{ alg: ES256, generate: true }} }}\nsteps:\n  - name: s\n    request: {step}\n"
        );
        let scenario = crate::scenario::load_str(&yaml, Path::new("inline.yaml"), &|_| None)
            .unwrap_or_else(|d| {
                panic!("{}", d.iter().map(ToString::to_string).collect::<String>())
            });
        let keys = KeyRing::from_specs(scenario.keys.iter().map(|(n, k)| (n, &k.inner))).unwrap();
        let mut env = env();
        env.keys = Arc::new(keys);
        let env = env.reusing_jwts();
        let clients = Clients::new(&TlsTrust::default()).unwrap();
        let mut sent = Vec::new();
        for _ in 0..2 {
            let prepared = prepare(&scenario.steps[0].request, &env, &Scope::new(), &clients)
                .await
                .unwrap();
            let header = prepared.request.headers()["authorization"]
                .to_str()
                .unwrap();
            sent.push(header.to_string());
        }
        (sent[0].clone(), sent[1].clone())
    }

    #[tokio::test]
    async fn a_load_user_reuses_its_jwt_unless_the_spec_needs_a_fresh_one() {
        let claims = "claims: { iss: app, iat: now, exp: now+5m }";
        let (first, second) = two_sends(&format!(
            "{{ path: /x, auth: {{ jwt: {{ key: app, {claims} }} }} }}"
        ))
        .await;
        assert_eq!(first, second, "reused");
        for fresh in [
            "mint: per_request",
            "qsh: true",
            "claims: { iss: app, iat: now, exp: now+5m, jti: j-1 }",
        ] {
            let spec = if fresh.starts_with("claims") {
                format!("key: app, {fresh}")
            } else {
                format!("key: app, {fresh}, {claims}")
            };
            let (first, second) =
                two_sends(&format!("{{ path: /x, auth: {{ jwt: {{ {spec} }} }} }}")).await;
            assert_ne!(first, second, "{fresh}: minted per request");
        }
    }
}
