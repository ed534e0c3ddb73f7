//! Reading a real target's Confluence version from its applinks manifest
//! (`GET /rest/applinks/1.0/manifest`), which answers without credentials: the
//! version `requires: { confluence: … }` is judged against when the user did not
//! give `--confluence-version`.

use std::time::{Duration, Instant};

use crate::scenario::version::ConfluenceVersion;

use super::{Clients, describe_error, read_response};

pub const MANIFEST_PATH: &str = "/rest/applinks/1.0/manifest";

/// One request, so a slow target delays the run by this much at most.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The version `base_url`'s manifest names, or why it could not be read (in
/// words for a skip reason; no credentials were sent, so none can leak).
pub async fn read_version(clients: &Clients, base_url: &str) -> Result<ConfluenceVersion, String> {
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
    let text = version_text(&response.body_text())
        .ok_or_else(|| format!("{MANIFEST_PATH} names no version"))?;
    text.parse()
        .map_err(|e: String| format!("{MANIFEST_PATH}: {e}"))
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
}
