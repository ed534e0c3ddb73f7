//! HTTPS for the mock (`mock.tls`, `tollgate mock --tls`): one CA per process,
//! made by rcgen, signs a certificate for `127.0.0.1` and `localhost` (and, for
//! the IdP in the loop, the names a real Confluence reaches it by) for each
//! instance, so a run trusts every mock by trusting one CA, and `Secure` cookies
//! are real. A user's own certificate and key serve too ([`server_config_from_pem`]).

use std::sync::{Arc, OnceLock};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The process's mock CA: its certificate (PEM, for clients to trust) and the
/// issuer that signs each instance's certificate.
pub struct MockCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for MockCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockCa").finish_non_exhaustive()
    }
}

/// Why the mock's TLS could not be set up. Messages come from rcgen and rustls
/// and name no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make the mock CA: {0}")]
    Ca(String),
    #[error("cannot make the mock's certificate: {0}")]
    Certificate(String),
    #[error("cannot use the mock's certificate: {0}")]
    ServerConfig(String),
}

/// For callers that report errors as text (`?` in a function returning
/// `Result<_, String>`).
impl From<TlsError> for String {
    fn from(error: TlsError) -> Self {
        error.to_string()
    }
}

static CA: OnceLock<Result<MockCa, TlsError>> = OnceLock::new();

/// The process's CA, made on first use.
pub fn ca() -> Result<&'static MockCa, TlsError> {
    CA.get_or_init(make_ca).as_ref().map_err(Clone::clone)
}

impl MockCa {
    /// The CA certificate a client must trust to talk to a TLS mock.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server configuration with a fresh certificate for loopback names,
    /// offering HTTP/1.1 in ALPN.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        self.server_config_for(false)
    }

    /// [`server_config`](Self::server_config), offering `h2` first when `http2`
    /// (`mock.server.http2`).
    pub fn server_config_for(&self, http2: bool) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        self.server_config_for_names(&[], http2)
    }

    /// A fresh certificate for the loopback names and `names` (host names or IP
    /// addresses: where a real Confluence reaches the IdP in the loop), signed by
    /// this CA.
    pub fn server_config_for_names(
        &self,
        names: &[String],
        http2: bool,
    ) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let fail = |e: rcgen::Error| TlsError::Certificate(e.to_string());
        let key = KeyPair::generate().map_err(fail)?;
        let mut all = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        for name in names {
            if !all.contains(name) {
                all.push(name.clone());
            }
        }
        let mut params = CertificateParams::new(all).map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "tollgate mock");
        let cert = params.signed_by(&key, &self.issuer).map_err(fail)?;
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        server_config(chain, private, http2)
    }
}

/// A server configuration from a certificate chain and its private key in PEM
/// (the user's own, for the IdP in the loop).
pub fn server_config_from_pem(
    cert_pem: &str,
    key_pem: &str,
    http2: bool,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::ServerConfig(format!("the certificate file: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError::ServerConfig(
            "the certificate file holds no CERTIFICATE block".into(),
        ));
    }
    // The error names the PEM problem only, never the key's bytes.
    let private = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError::ServerConfig(format!("the key file: {e}")))?;
    server_config(chain, private, http2)
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    private: PrivateKeyDer<'static>,
    http2: bool,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsError::ServerConfig(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .map_err(|e| TlsError::ServerConfig(e.to_string()))?;
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

fn make_ca() -> Result<MockCa, TlsError> {
    let fail = |e: rcgen::Error| TlsError::Ca(e.to_string());
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
        .distinguished_name
        .push(DnType::CommonName, "tollgate mock CA");
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok(MockCa {
        cert_pem: cert.pem(),
        issuer: Issuer::new(params, key),
    })
}
