//! What a step sends to authenticate: the credential of an `auth:` form, minted
//! or fetched at send time.
//!
//! Returns the header (or URL) to send and the values that must never be shown,
//! so the runner can hand them to the redactor before anything is recorded.

pub mod crowd;
pub mod error;
pub mod jwt;
pub mod keys;
pub mod oauth;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::scenario::model;
use crate::scenario::plan::{Auth, JwtAuth, OauthAuth};
use crate::scenario::template::{Scope, Template, UnknownVar};
pub use error::AuthError;
use jwt::reuse::JwtCache;
use keys::KeyRing;
use oauth::{TokenCache, TokenRequest};

/// A credential ready to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credential {
    /// The `Authorization` header value, if the form sends one.
    pub authorization: Option<String>,
    /// The URL to send to instead, when the credential rides in it (`?jwt=`).
    pub url: Option<url::Url>,
    /// A cookie to send, when the credential is one (`crowd.token_key`).
    pub cookie: Option<(String, String)>,
    /// Every secret this credential carries (passwords, tokens, the header itself).
    pub secrets: Vec<String>,
}

/// What minting or fetching a credential may need to know.
pub struct AuthContext<'a> {
    /// What `${name}` in the auth's fields stands for.
    pub scope: &'a Scope,
    pub method: &'a str,
    pub url: &'a url::Url,
    /// The target's context path (`/confluence`), for the Connect qsh.
    pub context_path: &'a str,
    pub keys: &'a KeyRing,
    pub idp_url: &'a str,
    pub http: &'a reqwest::Client,
    pub tokens: &'a TokenCache,
    /// Where a load user keeps its JWTs for reuse; `None` mints one for every
    /// step, as `tollgate run` does (each step's `now` is its own).
    pub jwts: Option<&'a JwtCache>,
    /// Seconds since the Unix epoch, for `now` claims.
    pub now: u64,
    /// The step's `client_ip:`, resolved: the address an SSO session is bound to.
    pub client_ip: Option<&'a str>,
}

/// The credential `auth` stands for.
pub async fn credential(auth: &Auth, ctx: &AuthContext<'_>) -> Result<Credential, AuthError> {
    let vars = |template: &Template| template.render(ctx.scope);
    match auth {
        Auth::None => Ok(Credential::default()),
        Auth::Basic {
            user,
            password,
            scheme,
        } => {
            let (user, password) = (vars(user)?, vars(password)?);
            // F-BASIC-2: sent preemptively; Confluence never asks for it.
            let token = STANDARD.encode(format!("{user}:{password}"));
            Ok(Credential {
                authorization: Some(format!("{scheme} {token}")),
                url: None,
                cookie: None,
                secrets: vec![password, token],
            })
        }
        Auth::Bearer(token) => {
            let token = vars(token)?;
            Ok(Credential {
                authorization: Some(format!("Bearer {token}")),
                url: None,
                cookie: None,
                secrets: vec![token],
            })
        }
        Auth::Oauth(spec) => {
            let request = token_request(spec, ctx.scope)?;
            let token = ctx
                .tokens
                .access_token(ctx.http, ctx.idp_url, &request)
                .await?;
            let mut secrets = vec![token.clone(), request.secret];
            secrets.extend(request.password);
            Ok(Credential {
                authorization: Some(format!("Bearer {token}")),
                url: None,
                cookie: None,
                secrets,
            })
        }
        Auth::Jwt(planned) => {
            let spec = resolve_jwt(planned, ctx.scope)?;
            let key = ctx
                .keys
                .get(&spec.key)
                .ok_or_else(|| AuthError::UnknownKey(spec.key.clone()))?;
            let request = jwt::MintRequest {
                method: ctx.method,
                url: ctx.url,
                context_path: ctx.context_path,
            };
            let minted = match ctx.jwts.filter(|_| !planned.mints_per_request()) {
                Some(cache) => {
                    let token =
                        cache.token(&spec, ctx.now, || jwt::sign(&spec, key, &request, ctx.now))?;
                    jwt::place(&spec, token, None, ctx.url)
                }
                None => jwt::mint(&spec, key, &request, ctx.now)?,
            };
            // The header and claims are evidence; only the signature is a secret.
            let signature = minted
                .token
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string();
            Ok(Credential {
                authorization: minted.authorization,
                url: (minted.url != *ctx.url).then_some(minted.url),
                cookie: None,
                secrets: vec![signature],
            })
        }
        Auth::CrowdSso(spec) => {
            let (user, password) = (vars(&spec.user)?, vars(&spec.password)?);
            let application = vars(&spec.application)?;
            let application_password = vars(&spec.application_password)?;
            let login = crowd::Login {
                application: &application,
                application_password: &application_password,
                user: &user,
                password: &password,
                remote_address: ctx.client_ip,
            };
            let token = crowd::login(ctx.http, ctx.idp_url, &login).await?;
            Ok(Credential {
                authorization: None,
                url: None,
                cookie: Some((crate::wire::CROWD_SSO_COOKIE.to_string(), token.clone())),
                secrets: vec![token, password, application_password],
            })
        }
    }
}

/// `spec` with `${name}` resolved in every string it holds, as minting takes it.
pub fn resolve_jwt(spec: &JwtAuth, scope: &Scope) -> Result<model::JwtAuth, UnknownVar> {
    let render = |template: &Template| template.render(scope);
    let resolve_map = |fields: &[(String, crate::scenario::template::JsonTemplate)]| {
        fields
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.render(scope)?)))
            .collect::<Result<indexmap::IndexMap<_, _>, UnknownVar>>()
    };
    Ok(model::JwtAuth {
        key: render(&spec.key)?,
        claims: resolve_map(&spec.claims)?,
        header: resolve_map(&spec.header)?,
        qsh: spec.qsh,
        placement: spec.placement,
        scheme: spec.scheme.as_ref().map(render).transpose()?,
        attack: spec.attack,
        mint: spec.mint,
    })
}

fn token_request(spec: &OauthAuth, scope: &Scope) -> Result<TokenRequest, UnknownVar> {
    let render = |template: &Template| template.render(scope);
    let optional = |value: &Option<Template>| value.as_ref().map(render).transpose();
    Ok(TokenRequest {
        client: render(&spec.client)?,
        secret: render(&spec.secret)?,
        grant: optional(&spec.grant)?.unwrap_or_else(|| "client_credentials".to_string()),
        user: optional(&spec.user)?,
        password: optional(&spec.password)?,
        scope: optional(&spec.scope)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn basic_is_base64_of_user_colon_password() {
        let scope = Scope::new();
        let url = url::Url::parse("http://127.0.0.1:1/").unwrap();
        let ctx = AuthContext {
            scope: &scope,
            method: "GET",
            url: &url,
            context_path: "",
            keys: &KeyRing::default(),
            idp_url: "http://127.0.0.1:1",
            http: &reqwest::Client::new(),
            tokens: &TokenCache::default(),
            jwts: None,
            now: 0,
            client_ip: None,
        };
        let auth = Auth::Basic {
            user: Template::literal("alice"),
            password: Template::literal("alice-pw"),
            scheme: "Basic".into(),
        };
        let credential = credential(&auth, &ctx).await.unwrap();
        assert_eq!(
            credential.authorization.as_deref(),
            Some("Basic YWxpY2U6YWxpY2UtcHc=")
        );
        assert!(credential.secrets.contains(&"alice-pw".to_string()));
    }
}
