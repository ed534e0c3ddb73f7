//! What a step sends to authenticate: the credential of an `auth:` form, minted
//! or fetched at send time.
//!
//! Returns the header to send and the values that must never be shown, so the
//! runner can hand them to the redactor before anything is recorded.

pub mod jwt;
pub mod keys;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::scenario::model::Auth;

/// A credential ready to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credential {
    /// The `Authorization` header value, if the form sends one.
    pub authorization: Option<String>,
    /// Every secret this credential carries (passwords, tokens, the header itself).
    pub secrets: Vec<String>,
}

/// Resolves `${name}` in auth fields.
pub type Vars<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// The credential `auth` stands for.
pub fn credential(auth: &Auth, vars: Vars<'_>) -> Result<Credential, String> {
    match auth {
        Auth::None => Ok(Credential::default()),
        Auth::Basic { user, password } => {
            let (user, password) = (vars(user)?, vars(password)?);
            // F-BASIC-2: sent preemptively; Confluence never asks for it.
            let token = STANDARD.encode(format!("{user}:{password}"));
            Ok(Credential {
                authorization: Some(format!("Basic {token}")),
                secrets: vec![password, token],
            })
        }
        Auth::Bearer(token) => {
            let token = vars(token)?;
            Ok(Credential {
                authorization: Some(format!("Bearer {token}")),
                secrets: vec![token],
            })
        }
        Auth::Jwt(_) | Auth::Oauth(_) | Auth::CrowdSso(_) => Err(format!(
            "auth: {} is not yet supported by this version of tollgate",
            auth.form_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_is_base64_of_user_colon_password() {
        let vars = |s: &str| Ok(s.to_string());
        let auth = Auth::Basic {
            user: "alice".into(),
            password: "alice-pw".into(),
        };
        let credential = credential(&auth, &vars).unwrap();
        assert_eq!(
            credential.authorization.as_deref(),
            Some("Basic YWxpY2U6YWxpY2UtcHc=")
        );
        assert!(credential.secrets.contains(&"alice-pw".to_string()));
    }
}
