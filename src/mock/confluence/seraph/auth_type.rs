//! `os_authType` (F-BASIC-3): what the client says it authenticates with, and so
//! what an unauthenticated request is answered.

use axum::http::Uri;

use crate::mock::confluence::request;

/// `os_authType` (F-BASIC-3): what the client says it authenticates with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    Basic,
    Cookie,
    Any,
    None,
}

impl AuthType {
    /// From the query; absent means `any` under `/rest/` and `none` elsewhere, and
    /// an unknown value means `none`.
    pub fn of(uri: &Uri, is_rest: bool) -> Self {
        match request::query_param(uri, "os_authType").as_deref() {
            Some("basic") => AuthType::Basic,
            Some("cookie") => AuthType::Cookie,
            Some("any") => AuthType::Any,
            Some(_) => AuthType::None,
            None if is_rest => AuthType::Any,
            None => AuthType::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_type_defaults_to_any_under_rest() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(AuthType::of(&uri("/rest/api/space"), true), AuthType::Any);
        assert_eq!(AuthType::of(&uri("/login.action"), false), AuthType::None);
        assert_eq!(
            AuthType::of(&uri("/x?os_authType=basic"), false),
            AuthType::Basic
        );
        assert_eq!(
            AuthType::of(&uri("/rest/x?os_authType=weird"), true),
            AuthType::None
        );
        assert_eq!(
            AuthType::of(&uri("/x?os_authType=cookie"), false),
            AuthType::Cookie
        );
    }
}
