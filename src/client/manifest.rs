//! Reading a real target's Confluence version from its applinks manifest
//! (`GET /rest/applinks/1.0/manifest`), which answers without credentials: the
//! version `requires: { confluence: … }` is judged against when the user did not
//! give `--confluence-version`; and what it says of itself (name, version,
//! build number) for the evidence bundle. Its fields are the applinks plugin's
//! `ManifestEntity` (id, name, typeId, version, buildNumber, applinksVersion,
//! inbound/outboundAuthenticationTypes, publicSignup, url; public plugin source,
//! `com.atlassian.applinks.core.rest.model.ManifestEntity`).

use std::time::{Duration, Instant};

use crate::scenario::version::ConfluenceVersion;

use super::{Clients, describe_error, read_response};

pub const MANIFEST_PATH: &str = "/rest/applinks/1.0/manifest";

/// One request, so a slow target delays the run by this much at most.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The version `base_url`'s manifest names, or why it could not be read (in
/// words for a skip reason; no credentials were sent, so none can leak).
pub async fn read_version(clients: &Clients, base_url: &str) -> Result<ConfluenceVersion, String> {
    let body = fetch(clients, base_url).await?;
    let text = version_text(&body).ok_or_else(|| format!("{MANIFEST_PATH} names no version"))?;
    text.parse()
        .map_err(|e: String| format!("{MANIFEST_PATH}: {e}"))
}

/// What a target's manifest says about itself, for the evidence bundle: each
/// field of the applinks plugin's `ManifestEntity` a reader wants, when present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManifestFacts {
    pub name: Option<String>,
    pub type_id: Option<String>,
    pub version: Option<String>,
    pub build_number: Option<String>,
    pub applinks_version: Option<String>,
}

/// `base_url`'s manifest, field by field, or why it could not be read.
pub async fn read_manifest(clients: &Clients, base_url: &str) -> Result<ManifestFacts, String> {
    let body = fetch(clients, base_url).await?;
    let facts = ManifestFacts {
        name: field(&body, "name"),
        type_id: field(&body, "typeId"),
        version: field(&body, "version"),
        build_number: field(&body, "buildNumber"),
        applinks_version: field(&body, "applinksVersion"),
    };
    if facts == ManifestFacts::default() {
        return Err(format!("{MANIFEST_PATH} is not a manifest"));
    }
    Ok(facts)
}

/// The manifest's body, JSON asked for; one request, no credentials.
async fn fetch(clients: &Clients, base_url: &str) -> Result<String, String> {
    let url = format!("{base_url}{MANIFEST_PATH}");
    let sent = Instant::now();
    let response = clients
        .direct
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("{MANIFEST_PATH}: {}", describe_error(&e)))?;
    let response = read_response(response, sent).await?;
    if response.status != 200 {
        return Err(format!("{MANIFEST_PATH} answered {}", response.status));
    }
    Ok(response.body_text())
}

/// The longest field value kept: a manifest is a target's word about itself, and
/// a hostile one must not fill the evidence.
const MAX_FIELD_CHARS: usize = 200;

/// Field `name` of the manifest as JSON (a string or a number), or of its XML
/// form; control characters dropped, cut at [`MAX_FIELD_CHARS`].
fn field(body: &str, name: &str) -> Option<String> {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => match json.get(name)? {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => return None,
        },
        Err(_) => {
            let open = format!("<{name}>");
            let start = body.find(&open)? + open.len();
            let end = start + body[start..].find(&format!("</{name}>"))?;
            body[start..end].trim().to_owned()
        }
    };
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

/// `version` of the manifest as JSON, or of its XML form (some proxies drop the
/// `Accept` header, and the resource then answers XML).
fn version_text(body: &str) -> Option<String> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        return json.get("version")?.as_str().map(str::to_owned);
    }
    let start = body.find("<version>")? + "<version>".len();
    let end = start + body[start..].find("</version>")?;
    Some(body[start..end].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_from_json_or_xml() {
        assert_eq!(
            version_text(r#"{"name":"Confluence","version":"8.5.4","buildNumber":9012}"#),
            Some("8.5.4".into())
        );
        assert_eq!(
            version_text("<manifest><name>Confluence</name><version> 7.19.6 </version></manifest>"),
            Some("7.19.6".into())
        );
        assert_eq!(version_text(r#"{"name":"Confluence"}"#), None);
        assert_eq!(version_text("<html>login</html>"), None);
    }

    #[test]
    fn manifest_fields_are_read_from_json_or_xml_and_kept_short() {
        let json = r#"{"name":"Confluence","typeId":"confluence","version":"8.5.4","buildNumber":9012,"applinksVersion":"9.1.2"}"#;
        assert_eq!(field(json, "buildNumber"), Some("9012".into()));
        assert_eq!(field(json, "applinksVersion"), Some("9.1.2".into()));
        assert_eq!(field(json, "url"), None);
        let xml = "<manifest><typeId>confluence</typeId><buildNumber>0</buildNumber></manifest>";
        assert_eq!(field(xml, "typeId"), Some("confluence".into()));
        assert_eq!(field(xml, "buildNumber"), Some("0".into()));
        let long = format!(r#"{{"name":"{}\u0007"}}"#, "x".repeat(500));
        assert_eq!(field(&long, "name").map(|n| n.len()), Some(MAX_FIELD_CHARS));
    }
}
