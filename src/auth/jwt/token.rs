//! A compact JWS as tollgate assembles it: the request it is for, the unsigned
//! header and payload, signing, and reading segments back. A leaf: minting and
//! the attacks both build on it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value};

use super::qsh;

/// jsonwebtoken refused to sign (a key that does not fit the algorithm).
#[derive(Debug, thiserror::Error)]
#[error("cannot sign a {alg:?} token: {reason}")]
pub struct SignError {
    pub alg: Algorithm,
    pub reason: jsonwebtoken::errors::Error,
}

/// A token segment that is not a base64url JSON object.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("not base64url: {0}")]
    NotBase64(base64::DecodeError),
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("not a JSON object")]
    NotAnObject,
}

/// The request a token is minted for (its `qsh` covers method, path and query).
#[derive(Clone, Copy, Debug)]
pub struct MintRequest<'a> {
    pub method: &'a str,
    pub url: &'a url::Url,
    /// The target's context path (`/wiki`, or empty), which F-JWT-3 strips.
    pub context_path: &'a str,
}

/// A token before signing: its header and payload as JSON objects.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsigned {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
}

impl Unsigned {
    /// `base64url(header) "." base64url(payload)`, the JWS signing input.
    pub fn signing_input(&self) -> String {
        format!(
            "{}.{}",
            encode_segment(&self.header),
            encode_segment(&self.payload)
        )
    }

    /// The compact token signed with `key` under `alg` (whatever the header says).
    pub fn sign(&self, key: &EncodingKey, alg: Algorithm) -> Result<String, SignError> {
        let input = self.signing_input();
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg)
            .map_err(|reason| SignError { alg, reason })?;
        Ok(format!("{input}.{signature}"))
    }

    /// The compact token with a given (already base64url) signature segment.
    pub fn with_signature(&self, signature: &str) -> String {
        format!("{}.{signature}", self.signing_input())
    }
}

/// base64url without padding (RFC 7515 §2).
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn encode_segment(object: &Map<String, Value>) -> String {
    // `Value`'s Display is its compact JSON and cannot fail (no non-string keys).
    b64(Value::Object(object.clone()).to_string())
}

/// The three segments of a compact JWS, if there are exactly three.
pub fn split(token: &str) -> Option<(&str, &str, &str)> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    parts
        .next()
        .is_none()
        .then_some((header, payload, signature))
}

/// A header or payload segment read back as a JSON object.
pub fn decode_segment(segment: &str) -> Result<Map<String, Value>, SegmentError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(SegmentError::NotBase64)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SegmentError::NotAnObject),
        Err(e) => Err(SegmentError::NotJson(e)),
    }
}

/// The qsh of `request` (F-JWT-3); the `jwt` parameter, if any, is left out.
pub fn request_qsh(request: &MintRequest<'_>) -> String {
    qsh::qsh(
        request.method,
        request.url.path(),
        request.url.query().unwrap_or(""),
        request.context_path,
    )
}
