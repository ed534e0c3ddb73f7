//! PEM as RFC 7468 writes it, for the bundle's keys: PKCS#8 `PRIVATE KEY` and
//! SPKI `PUBLIC KEY`; and the fingerprint a bundle names a public key by.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `der` between `-----BEGIN {label}-----` lines, 64 characters a line.
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// The label and DER bytes of the first PEM block of `text`. The error says
/// what was wrong, never what the block held (it may be a private key).
pub fn decode(text: &str) -> Result<(String, Vec<u8>), String> {
    let start = text
        .find("-----BEGIN ")
        .ok_or("no PEM block (-----BEGIN …-----)")?;
    let after = &text[start + "-----BEGIN ".len()..];
    let label_end = after
        .find("-----")
        .ok_or("a PEM BEGIN line without its end")?;
    let label = after[..label_end].to_string();
    let body_start = label_end + "-----".len();
    let end_line = format!("-----END {label}-----");
    let body_end = after[body_start..]
        .find(&end_line)
        .ok_or_else(|| format!("no {end_line} line"))?;
    let body: String = after[body_start..body_start + body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|_| format!("the {label} block is not base64"))?;
    Ok((label, der))
}

/// How a bundle names a public key: `sha256:` and the lowercase hex SHA-256 of
/// its DER SubjectPublicKeyInfo (what `openssl pkey -pubin -outform DER | sha256sum` gives).
pub fn fingerprint(spki_der: &[u8]) -> String {
    format!("sha256:{}", super::sha256_hex(spki_der))
}

/// The fingerprint of a `PUBLIC KEY` PEM, or none if `pem` is not one.
pub fn fingerprint_of_public_pem(pem: &str) -> Option<String> {
    match decode(pem) {
        Ok((label, der)) if label == "PUBLIC KEY" => Some(fingerprint(&der)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_wraps_at_64() {
        let der: Vec<u8> = (0..=200).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(
            text.lines()
                .all(|l| l.len() <= 64 || l.starts_with("-----"))
        );
        assert_eq!(decode(&text).unwrap(), ("PUBLIC KEY".to_string(), der));
    }

    #[test]
    fn a_broken_block_is_refused_without_quoting_it() {
        let broken = "-----BEGIN PRIVATE KEY-----\nSecret-Bytes!!\n-----END PRIVATE KEY-----\n";
        let error = decode(broken).unwrap_err();
        assert!(!error.contains("Secret-Bytes"), "{error}");
        assert!(decode("hello").is_err());
        assert!(decode("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
    }
}
