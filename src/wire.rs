//! Names on the wire that the client side (`auth`, `run`) and the emulator
//! (`mock`) must agree on. Both import this leaf; neither imports the other, so a
//! name is spelled once and `auth: crowd_sso` logs in to a real Crowd as readily
//! as to the emulator's.

/// Crowd's REST session resource, below the SSO server's base URL (F-CROWD-1).
pub const CROWD_SESSION_PATH: &str = "/crowd/rest/usermanagement/1/session";

/// The cookie Confluence reads a Crowd SSO token from (F-CROWD-1).
pub const CROWD_SSO_COOKIE: &str = "crowd.token_key";

/// The validation factor a Crowd session is bound to: the client's address
/// (F-CROWD-2).
pub const CROWD_REMOTE_ADDRESS: &str = "remote_address";

/// The validation factor Crowd adds when the request came through a proxy.
pub const CROWD_X_FORWARDED_FOR: &str = "X-Forwarded-For";

/// The application `auth: crowd_sso` authenticates to Crowd as, unless a scenario
/// names its own: the one the embedded emulator's Crowd knows.
pub const DEFAULT_CROWD_APPLICATION: &str = "confluence";

/// That application's password in the embedded emulator. Not a secret of any real
/// server: a scenario against a real Crowd names its own (from the environment).
pub const DEFAULT_CROWD_APPLICATION_PASSWORD: &str = "confluence-secret";

/// Embedded mock only: the address the mock takes for the TCP peer, since a test
/// on loopback cannot change its real one (a step's `client_ip:`).
pub const CLIENT_IP_HEADER: &str = "x-tollgate-client-ip";

/// Mock-only control endpoints, below the mock's context path.
pub mod control {
    /// `GET` the mock's clock, `POST ?advance=1500ms` to move it.
    pub const CLOCK: &str = "/__tollgate/clock";
    /// `POST`: forget every session, token, bucket and failed login.
    pub const RESET: &str = "/__tollgate/reset";
    /// `GET`: the emulated REST-auth plugin's audit log.
    pub const AUDIT: &str = "/__tollgate/audit";
    /// IdP: `GET`, answers while the IdP is up.
    pub const HEALTH: &str = "/__tollgate/health";
    /// IdP: `POST`, the IdP stops answering (a fail-closed check).
    pub const DOWN: &str = "/__tollgate/down";
    /// IdP: `POST`, a new signing key under a new `kid`; `/jwks` then shows it alone.
    pub const ROTATE: &str = "/__tollgate/rotate";
    /// IdP: `GET ?since=N`, what the IdP was asked after mark `N`, as JSON.
    pub const CALLS: &str = "/__tollgate/calls";
    /// Every control path starts with this; rate limits never count them.
    pub const PREFIX: &str = "/__tollgate/";
}

/// What tollgate's IdP and Crowd service were asked: the evidence `expect.idp`
/// judges. The emulator records it, `run` reads it after each step; neither side
/// needs the other's types. Tokens appear only as SHA-256 digests, which identify
/// a token without revealing it.
pub mod observed {
    /// How a client authenticated at the introspection endpoint (RFC 6749 §2.3.1).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ClientAuth {
        /// `client_secret_basic`: HTTP Basic.
        Basic,
        /// `client_secret_post`: `client_id` and `client_secret` in the form.
        Post,
        /// No client credentials at all.
        None,
    }

    impl ClientAuth {
        /// The spelling a scenario and a report use.
        pub fn name(self) -> &'static str {
            match self {
                ClientAuth::Basic => "basic",
                ClientAuth::Post => "post",
                ClientAuth::None => "none",
            }
        }
    }

    /// A token as the evidence names it: its SHA-256 in lowercase hex, which
    /// tells tokens apart without revealing one.
    pub fn token_digest(token: &str) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    }

    /// One request the IdP or its Crowd service answered.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum IdpCall {
        /// `POST /introspect` (RFC 7662): `client` is the id it authenticated as
        /// (or claimed, when authentication failed); `active` what it answered
        /// (`None` when it answered an error).
        Introspection {
            client_auth: ClientAuth,
            client: Option<String>,
            token_sha256: Option<String>,
            active: Option<bool>,
        },
        /// `GET`/`POST /userinfo` with a bearer token; `status` of the answer.
        Userinfo {
            token_sha256: Option<String>,
            status: u16,
        },
        /// `GET /jwks`.
        Jwks,
        /// `POST …/session/{token}` (Crowd): a session validated with these
        /// factors (name, value) in the order sent; `valid` what Crowd answered.
        CrowdValidation {
            application: Option<String>,
            token_sha256: String,
            factors: Vec<(String, String)>,
            valid: bool,
        },
        /// `POST …/session` (Crowd): an SSO session asked for, with its factors.
        CrowdSession {
            application: Option<String>,
            user: Option<String>,
            factors: Vec<(String, String)>,
            created: bool,
        },
    }

    impl IdpCall {
        /// The kind as a scenario's `expect.idp` names it.
        pub fn kind(&self) -> &'static str {
            match self {
                IdpCall::Introspection { .. } => "introspections",
                IdpCall::Userinfo { .. } => "userinfo",
                IdpCall::Jwks => "jwks",
                IdpCall::CrowdValidation { .. } => "crowd_validations",
                IdpCall::CrowdSession { .. } => "crowd_sessions",
            }
        }
    }
}
