//! `tollgate run --idp-listen …`: the command line's IdP-in-the-loop flags made
//! into a plan the session starts from, every file read and URL checked first.

use crate::auth::keys::{Alg, SigningKey, read_pem_file};
use crate::cli::{IdpLoopArgs, KeyAlg};
use crate::mock::LoopTls;
use crate::session::idp_loop::IdpLoopPlan;

use super::outcome::CommandError;

/// The `kid` the IdP publishes `--idp-key` under.
pub const IDP_KEY_NAME: &str = "tollgate-idp";

/// `None` without `--idp-listen`.
pub fn plan(args: &IdpLoopArgs) -> Result<Option<IdpLoopPlan>, CommandError> {
    let Some(listen) = args.idp_listen else {
        return Ok(None);
    };
    if let Some(public) = &args.idp_public_url {
        if crate::session::http_url(public).is_none() {
            return Err(CommandError::Usage(format!(
                "--idp-public-url '{public}' is not an http(s) URL such as https://ci-runner.example.com:8091"
            )));
        }
        crate::session::refuse_userinfo("--idp-public-url", public)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
    }
    if listen.ip().is_unspecified() && args.idp_public_url.is_none() {
        return Err(CommandError::Usage(format!(
            "--idp-listen {listen} listens on every interface, so the IdP cannot name an address the target reaches it by: \
             add --idp-public-url http://HOST:{} (HOST as the target sees this machine)",
            listen.port()
        )));
    }
    let signing_key = match &args.idp_key {
        None => None,
        Some(path) => Some(signing_key(path, args.idp_alg, "--idp-key")?),
    };
    let tls = match (&args.idp_tls_ca_out, &args.idp_tls_cert, &args.idp_tls_key) {
        (Some(ca_out), _, _) => LoopTls::Generated {
            ca_out: ca_out.clone(),
        },
        (None, Some(cert), Some(key)) => LoopTls::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ => LoopTls::Off,
    };
    Ok(Some(IdpLoopPlan {
        listen,
        public_url: args.idp_public_url.clone(),
        signing_key,
        tls,
    }))
}

/// The key file `flag` names (`tollgate idp --key`, `run --idp-key`) as the IdP's
/// signing key, named [`IDP_KEY_NAME`].
pub fn signing_key(
    path: &std::path::Path,
    alg: KeyAlg,
    flag: &str,
) -> Result<SigningKey, CommandError> {
    let alg = match alg {
        KeyAlg::Rs256 => Alg::RS256,
        KeyAlg::Es256 => Alg::ES256,
    };
    let shown = path.display();
    let pem = read_pem_file(path)
        .map_err(|reason| CommandError::Usage(format!("cannot read {flag} {shown}: {reason}")))?;
    SigningKey::from_private_pem(IDP_KEY_NAME, alg, &pem)
        .map_err(|e| CommandError::Usage(format!("{flag} {shown}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: &str, public: Option<&str>) -> IdpLoopArgs {
        IdpLoopArgs {
            idp_listen: Some(listen.parse().unwrap()),
            idp_public_url: public.map(str::to_string),
            idp_key: None,
            idp_alg: KeyAlg::Rs256,
            idp_tls_ca_out: None,
            idp_tls_cert: None,
            idp_tls_key: None,
        }
    }

    #[test]
    fn listening_everywhere_needs_the_address_the_target_uses() {
        let Err(CommandError::Usage(message)) = plan(&args("0.0.0.0:8091", None)) else {
            panic!("0.0.0.0 without a public URL was accepted");
        };
        assert!(
            message.contains("--idp-public-url http://HOST:8091"),
            "{message}"
        );
        let everywhere = plan(&args("0.0.0.0:8091", Some("http://runner:8091")))
            .unwrap()
            .unwrap();
        assert_eq!(everywhere.public_url.as_deref(), Some("http://runner:8091"));
        assert!(plan(&args("127.0.0.1:0", None)).unwrap().is_some());
    }

    #[test]
    fn a_public_url_must_be_http_without_credentials() {
        for bad in ["ftp://runner:8091", "http://user:Secret-1@runner:8091"] {
            let Err(CommandError::Usage(message)) = plan(&args("127.0.0.1:0", Some(bad))) else {
                panic!("{bad} was accepted");
            };
            assert!(!message.contains("Secret-1"), "{message}");
        }
    }
}
