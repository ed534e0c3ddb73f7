//! Who a request is: the vocabulary every stage after authentication shares. A
//! leaf: Seraph's authenticate stage writes a [`Caller`] and an [`AuthMethod`]
//! into the request's extensions; resources, policies, limits and the audit log
//! read them.

/// Who a request is, as Seraph's authenticate stage decided (F-BASIC-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// The stored user name.
    User(String),
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    /// The caller the authenticate stage stored; anonymous if that stage did not run.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous))
    }
}

/// How the caller was authenticated; it sits in the request's extensions beside
/// the [`Caller`] (anonymous requests have none). Resources that care read it,
/// e.g. PAT management refuses PAT callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    RememberMe,
    /// A `crowd.token_key` the Crowd server validated (F-CROWD-2).
    CrowdSso,
    Basic,
    /// A personal access token (F-PAT-1).
    Pat,
    /// An access token of Confluence's own OAuth 2 provider (F-OAUTH-2).
    NativeOauth,
    /// A bearer token a REST-auth plugin validated (F-OAUTH-3, F-PLUG-7).
    PluginBearer,
    /// An Atlassian Connect JWT (F-JWT-*, F-TOKAUTH-4).
    ConnectJwt,
}

impl AuthMethod {
    /// The name the method has in the plugin's audit log (F-PLUG-6).
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Session => "session",
            AuthMethod::RememberMe => "remember_me",
            AuthMethod::Basic => "basic",
            AuthMethod::Pat => "pat",
            AuthMethod::NativeOauth => "native_oauth",
            AuthMethod::PluginBearer => "plugin_bearer",
            AuthMethod::ConnectJwt => "connect_jwt",
            AuthMethod::CrowdSso => "crowd_sso",
        }
    }

    /// Whether this is one of the tokens a REST-auth plugin rate-limits
    /// (F-PLUG-5): passwords and sessions are not the plugin's tokens.
    pub fn is_token(self) -> bool {
        matches!(
            self,
            AuthMethod::Pat
                | AuthMethod::NativeOauth
                | AuthMethod::PluginBearer
                | AuthMethod::ConnectJwt
        )
    }
}

/// The token that authenticated a request, as its authenticator read it (a
/// SHA-256, never the value), beside an [`AuthMethod`] that
/// [`is_token`](AuthMethod::is_token). The plugin's rate limit keys on it, so
/// the spelling of the header that carried the token (`bEaReR`, extra spaces,
/// a junk header beside `?jwt=`) does not make a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticatedToken(pub [u8; 32]);

impl AuthenticatedToken {
    /// Tagged with the method, so one string taken two ways is two tokens.
    pub fn of(method: AuthMethod, token: &str) -> Self {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(method.name().as_bytes());
        hash.update([0]);
        hash.update(token.as_bytes());
        Self(hash.finalize().into())
    }
}

/// Who a request turned out to be, as the plugin's authorize stage saw it; the
/// audit log records it (F-PLUG-6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    pub caller: Caller,
    pub method: Option<AuthMethod>,
}

impl Who {
    /// The caller and method in `extensions` (anonymous, no method, if none).
    pub fn of(extensions: &axum::http::Extensions) -> Self {
        Self {
            caller: extensions
                .get::<Caller>()
                .cloned()
                .unwrap_or(Caller::Anonymous),
            method: extensions.get::<AuthMethod>().copied(),
        }
    }
}
