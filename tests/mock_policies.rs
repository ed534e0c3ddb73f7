//! The mock's policy layers over real HTTP on 127.0.0.1:0: the REST XSRF check
//! (F-XSRF-1..4), a REST-auth plugin's access policies (F-PLUG-1..4) and its
//! audit log (F-PLUG-6). Each rule is shown holding on a clean mock and broken by
//! its fault; garbage input never takes the server down.

mod common;

use common::{basic, client, mock_with};

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tollgate::mock::RunningMock;
use tollgate::scenario::mock_config::Fault;
use tollgate::wire::CLIENT_IP_HEADER;

const XSRF_FAILED: &str = "XSRF check failed";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
const MULTIPART: &str = "multipart/form-data; boundary=b0undary";
const UPLOAD: &str = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b0undary--\r\n";

/// `confluence` with `faults: [fault]` added when `fault` is given.
async fn mock_faulty(mut confluence: Value, fault: Option<Fault>) -> RunningMock {
    if let Some(fault) = fault {
        confluence["faults"] = json!([fault.name()]);
    }
    mock_with(confluence).await
}

fn alice() -> String {
    basic("alice", "alice-pw")
}

/// One request: method, path, headers (name, raw bytes), body.
async fn send(
    mock: &RunningMock,
    method: Method,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &str,
) -> Response {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    client()
        .request(method, format!("{}{path}", mock.base_url()))
        .headers(map)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// `(status, body)` of a request.
async fn call(
    mock: &RunningMock,
    method: Method,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &str,
) -> (u16, String) {
    let response = send(mock, method, path, headers, body).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn status(mock: &RunningMock, method: Method, path: &str, headers: &[(&str, &[u8])]) -> u16 {
    call(mock, method, path, headers, "").await.0
}

/// A form POST to create content as alice, with extra headers.
async fn form_post(mock: &RunningMock, extra: &[(&str, &[u8])]) -> (u16, String) {
    let auth = alice();
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("authorization", auth.as_bytes()),
        ("content-type", b"application/x-www-form-urlencoded"),
    ];
    headers.extend_from_slice(extra);
    call(mock, Method::POST, "/rest/api/content", &headers, "title=x").await
}

// ---------------------------------------------------------------- XSRF

#[tokio::test]
async fn xsrf_checks_form_text_and_bodyless_posts_only() {
    // F-XSRF-1, F-XSRF-2
    let mock = mock_with(json!({})).await;
    assert_eq!(form_post(&mock, &[]).await, (403, XSRF_FAILED.to_owned()));
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    for ct in [
        &b"text/plain"[..],
        b"Text/Plain; charset=UTF-8",
        b"multipart/form-data; boundary=x",
    ] {
        let (code, body) = call(
            &mock,
            Method::POST,
            "/rest/api/content",
            &[a, ("content-type", ct)],
            "{}",
        )
        .await;
        assert_eq!((code, body.as_str()), (403, XSRF_FAILED), "{ct:?}");
    }
    let (code, _) = call(&mock, Method::POST, "/rest/api/content", &[a], "{}").await;
    assert_eq!(code, 403, "no Content-Type");
    // Passing: the header in its spellings, and JSON.
    for token in [&b"no-check"[..], b"No-Check", b"nocheck", b"NOCHECK"] {
        let (code, body) = form_post(&mock, &[("x-atlassian-token", token)]).await;
        assert_eq!(code, 400, "{token:?}: the resource answers");
        assert!(!body.contains(XSRF_FAILED));
    }
    assert_eq!(
        form_post(&mock, &[("x-atlassian-token", b"yes")]).await.0,
        403
    );
    let (code, _) = call(
        &mock,
        Method::POST,
        "/rest/api/content",
        &[a, ("content-type", b"application/json")],
        r#"{"type":"page","title":"J","space":{"key":"TST"}}"#,
    )
    .await;
    assert_eq!(code, 200, "JSON is not checked");
    // Out of scope: the login form and the OAuth 2 token endpoint.
    let (code, _) = call(
        &mock,
        Method::POST,
        "/dologin.action",
        &[("content-type", b"application/x-www-form-urlencoded")],
        "os_username=alice&os_password=alice-pw",
    )
    .await;
    assert_eq!(code, 302);
    let (code, body) = call(
        &mock,
        Method::POST,
        "/rest/oauth2/latest/token",
        &[("content-type", b"application/x-www-form-urlencoded")],
        "grant_type=client_credentials",
    )
    .await;
    assert_ne!(code, 403, "{body}");
}

#[tokio::test]
async fn xsrf_failures_of_put_and_delete_are_only_logged() {
    // F-XSRF-2
    let mock = mock_with(json!({})).await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let (code, body) = call(
        &mock,
        Method::PUT,
        "/rest/api/content/65537",
        &[a, ("content-type", b"text/plain")],
        r#"{"title":"Start","version":{"number":2}}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (page["title"].as_str(), page["version"]["number"].as_u64()),
        (Some("Start"), Some(2))
    );
    let (code, body) = call(
        &mock,
        Method::PUT,
        "/rest/api/content/65537",
        &[a, ("content-type", b"application/json")],
        r#"{"version":{"number":2}}"#,
    )
    .await;
    assert_eq!(code, 409, "{body}");
    assert_eq!(
        status(&mock, Method::DELETE, "/rest/api/content/65537", &[a]).await,
        204
    );
    assert_eq!(
        status(&mock, Method::DELETE, "/rest/api/content/65537", &[a]).await,
        404
    );
    assert_eq!(
        status(&mock, Method::PATCH, "/rest/api/content/1", &[a]).await,
        405,
        "no XSRF 403 for PATCH either"
    );
}

#[tokio::test]
async fn browsers_need_a_same_origin_origin_or_referer() {
    // F-XSRF-3
    let mock = mock_with(json!({})).await;
    let auth = alice();
    let base = mock.base_url().to_owned();
    let json_post = |extra: Vec<(&'static str, Vec<u8>)>| {
        let mock = &mock;
        let auth = auth.clone();
        async move {
            let mut headers: Vec<(&str, &[u8])> = vec![
                ("authorization", auth.as_bytes()),
                ("content-type", b"application/json"),
            ];
            headers.extend(extra.iter().map(|(n, v)| (*n, v.as_slice())));
            call(
                mock,
                Method::POST,
                "/rest/api/content",
                &headers,
                r#"{"type":"page"}"#,
            )
            .await
            .0
        }
    };
    let ua = || ("user-agent", BROWSER.as_bytes().to_vec());
    assert_eq!(json_post(vec![ua()]).await, 403);
    assert_eq!(
        json_post(vec![ua(), ("origin", base.clone().into_bytes())]).await,
        400
    );
    let referer = format!("{base}/pages/viewpage.action?pageId=65537");
    assert_eq!(
        json_post(vec![ua(), ("referer", referer.into_bytes())]).await,
        400
    );
    let other_port = base.replace("127.0.0.1:", "127.0.0.1:1");
    let other_scheme = base.replace("http://", "https://");
    for origin in [
        "https://evil.example".to_owned(),
        "null".to_owned(),
        other_port,
        other_scheme,
        "::garbage::".to_owned(),
    ] {
        assert_eq!(
            json_post(vec![ua(), ("origin", origin.clone().into_bytes())]).await,
            403,
            "{origin}"
        );
    }
    // Origin decides when present, even with a good Referer.
    assert_eq!(
        json_post(vec![
            ua(),
            ("origin", b"https://evil.example".to_vec()),
            ("referer", format!("{base}/").into_bytes()),
        ])
        .await,
        403
    );
    assert_eq!(
        json_post(vec![("user-agent", b"curl/8.5.0".to_vec())]).await,
        400
    );
    assert_eq!(json_post(vec![]).await, 400);
    // A browser's PUT is not held to it (F-XSRF-3 names POST).
    let (code, _) = call(
        &mock,
        Method::PUT,
        "/rest/api/content/65537",
        &[
            ("authorization", auth.as_bytes()),
            ("user-agent", BROWSER.as_bytes()),
        ],
        r#"{"version":{"number":2}}"#,
    )
    .await;
    assert_eq!(code, 200);
}

/// Logs alice in with the form; the JSESSIONID.
async fn login(mock: &RunningMock) -> String {
    let response = send(
        mock,
        Method::POST,
        "/dologin.action",
        &[("content-type", b"application/x-www-form-urlencoded")],
        "os_username=alice&os_password=alice-pw",
    )
    .await;
    assert_eq!(response.status(), 302);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("JSESSIONID="))
        .unwrap();
    cookie["JSESSIONID=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The `ajs-atl-token` of the page view with this cookie header.
async fn page_token(mock: &RunningMock, cookie: &str) -> Option<String> {
    let (code, body) = call(
        mock,
        Method::GET,
        "/pages/viewpage.action?pageId=65537",
        &[("cookie", cookie.as_bytes())],
        "",
    )
    .await;
    assert_eq!(code, 200);
    let start = body.find("name=\"ajs-atl-token\" content=\"")? + 30;
    Some(body[start..].split('"').next()?.to_owned())
}

#[tokio::test]
async fn the_atl_token_belongs_to_the_session() {
    // F-XSRF-4
    let mock = mock_with(json!({})).await;
    let session = login(&mock).await;
    let cookie = format!("JSESSIONID={session}");
    let token = page_token(&mock, &cookie)
        .await
        .expect("a session page has a token");
    assert_eq!(token.len(), 40);
    assert_eq!(
        page_token(&mock, &cookie).await.as_deref(),
        Some(token.as_str()),
        "stable"
    );
    let other = format!("JSESSIONID={}", login(&mock).await);
    let other_token = page_token(&mock, &other).await.unwrap();
    assert_ne!(token, other_token);
    // Basic callers have no session token to show.
    let (_, body) = call(
        &mock,
        Method::GET,
        "/pages/viewpage.action?pageId=65537",
        &[("authorization", alice().as_bytes())],
        "",
    )
    .await;
    assert!(!body.contains("ajs-atl-token"));

    let form = |cookie: String, body: String| {
        let mock = &mock;
        async move {
            call(
                mock,
                Method::POST,
                "/rest/api/content",
                &[
                    ("cookie", cookie.as_bytes()),
                    (
                        "content-type",
                        b"application/x-www-form-urlencoded; charset=UTF-8",
                    ),
                ],
                &body,
            )
            .await
            .0
        }
    };
    assert_eq!(
        form(cookie.clone(), format!("title=x&atl_token={token}")).await,
        400
    );
    assert_eq!(
        form(cookie.clone(), format!("atl_token={other_token}")).await,
        403
    );
    assert_eq!(form(cookie.clone(), "atl_token=".to_owned()).await, 403);
    assert_eq!(form(other.clone(), format!("atl_token={token}")).await, 403);
    // In the query, for any content type.
    let (code, _) = call(
        &mock,
        Method::POST,
        &format!("/rest/api/content?atl_token={token}"),
        &[
            ("cookie", cookie.as_bytes()),
            ("content-type", b"text/plain"),
        ],
        "{}",
    )
    .await;
    assert_eq!(code, 400);
    // A multipart body is not searched for it.
    let upload = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"atl_token\"\r\n\r\n{token}\r\n--b0undary--\r\n"
    );
    let (code, _) = call(
        &mock,
        Method::POST,
        "/rest/api/content/65537/child/attachment",
        &[
            ("cookie", cookie.as_bytes()),
            ("content-type", MULTIPART.as_bytes()),
        ],
        &upload,
    )
    .await;
    assert_eq!(code, 403);
}

#[tokio::test]
async fn xsrf_off_drops_the_token_check_only() {
    let clean = mock_faulty(json!({}), None).await;
    let faulty = mock_faulty(json!({}), Some(Fault::XsrfOff)).await;
    assert_eq!(form_post(&clean, &[]).await.0, 403);
    assert_eq!(form_post(&faulty, &[]).await.0, 400);
    // The browser check (F-XSRF-3) still holds.
    assert_eq!(
        form_post(&faulty, &[("user-agent", BROWSER.as_bytes())])
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn attachment_uploads_need_the_header_and_a_well_formed_body() {
    let mock = mock_with(json!({})).await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let nc: (&str, &[u8]) = ("x-atlassian-token", b"no-check");
    let ct: (&str, &[u8]) = ("content-type", MULTIPART.as_bytes());
    let path = "/rest/api/content/65537/child/attachment";
    assert_eq!(
        call(&mock, Method::POST, path, &[a, ct], UPLOAD).await.0,
        403
    );
    let (code, body) = call(&mock, Method::POST, path, &[a, ct, nc], UPLOAD).await;
    assert_eq!(code, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["results"][0]["title"], "a.txt");
    assert_eq!(body["results"][0]["extensions"]["fileSize"], 5);
    let (_, list) = call(&mock, Method::GET, path, &[a], "").await;
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["size"], 2);
    // Refusals: bad bodies, no file, other content types, unknown pages, anonymous.
    for bad in [
        "",
        "--b0undary",
        "garbage",
        "--b0undary\r\n\r\n\r\n--b0undary--",
    ] {
        assert_eq!(
            call(&mock, Method::POST, path, &[a, ct, nc], bad).await.0,
            400,
            "{bad:?}"
        );
    }
    let no_file = "--b0undary\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhi\r\n--b0undary--\r\n";
    assert_eq!(
        call(&mock, Method::POST, path, &[a, ct, nc], no_file)
            .await
            .0,
        400
    );
    let text: (&str, &[u8]) = ("content-type", b"text/plain");
    assert_eq!(
        call(&mock, Method::POST, path, &[a, text, nc], UPLOAD)
            .await
            .0,
        415
    );
    let missing = "/rest/api/content/424242/child/attachment";
    assert_eq!(
        call(&mock, Method::POST, missing, &[a, ct, nc], UPLOAD)
            .await
            .0,
        404
    );
    assert_eq!(
        call(&mock, Method::POST, path, &[ct, nc], UPLOAD).await.0,
        401
    );
}

// ---------------------------------------------------------------- plugin policies

async fn get_as(mock: &RunningMock, path: &str, headers: &[(&str, &[u8])]) -> u16 {
    status(mock, Method::GET, path, headers).await
}

#[tokio::test]
async fn allowed_groups_and_groups_ignored() {
    // F-PLUG-1
    let config = json!({
        "users": [
            { "name": "alice", "password": "alice-pw", "groups": ["confluence-users", "api-users"] },
            { "name": "bob", "password": "bob-pw", "groups": ["confluence-users"] },
        ],
        "plugin": { "api_groups": ["API-Users"] },
    });
    let clean = mock_faulty(config.clone(), None).await;
    let faulty = mock_faulty(config, Some(Fault::GroupsIgnored)).await;
    let bob = basic("bob", "bob-pw");
    let b: (&str, &[u8]) = ("authorization", bob.as_bytes());
    assert_eq!(
        get_as(
            &clean,
            "/rest/api/space",
            &[("authorization", alice().as_bytes())]
        )
        .await,
        200
    );
    assert_eq!(
        get_as(&clean, "/rest/api/space", &[b]).await,
        401,
        "reject_status"
    );
    assert_eq!(
        get_as(&clean, "/pages/viewpage.action?pageId=65537", &[b]).await,
        200,
        "REST only"
    );
    assert_eq!(
        get_as(&clean, "/rest/api/user/current", &[]).await,
        200,
        "anonymous not judged"
    );
    assert_eq!(get_as(&faulty, "/rest/api/space", &[b]).await, 200);
    // reject_status: 403 is honoured.
    let strict = mock_with(json!({
        "users": [{ "name": "bob", "password": "bob-pw" }],
        "plugin": { "api_groups": ["api-users"], "reject_status": 403 },
    }))
    .await;
    assert_eq!(get_as(&strict, "/rest/api/space", &[b]).await, 403);
}

#[tokio::test]
async fn read_only_groups_and_read_only_writes() {
    // F-PLUG-1
    let config = json!({
        "users": [
            { "name": "carol", "password": "carol-pw", "groups": ["confluence-users", "api-readers"] },
        ],
        "plugin": { "api_groups": ["api-users"], "read_only_groups": ["api-readers"] },
    });
    let clean = mock_faulty(config.clone(), None).await;
    let faulty = mock_faulty(config, Some(Fault::ReadOnlyWrites)).await;
    let carol = basic("carol", "carol-pw");
    let c: (&str, &[u8]) = ("authorization", carol.as_bytes());
    let json_ct: (&str, &[u8]) = ("content-type", b"application/json");
    let page = r#"{"type":"page","title":"C","space":{"key":"TST"}}"#;
    assert_eq!(
        get_as(&clean, "/rest/api/content/65537", &[c]).await,
        200,
        "read-only may read"
    );
    assert_eq!(
        status(&clean, Method::HEAD, "/rest/api/content/65537", &[c]).await,
        200
    );
    assert_eq!(
        call(
            &clean,
            Method::POST,
            "/rest/api/content",
            &[c, json_ct],
            page
        )
        .await
        .0,
        403
    );
    assert_eq!(
        status(&clean, Method::DELETE, "/rest/api/content/65537", &[c]).await,
        403
    );
    assert_eq!(
        call(
            &faulty,
            Method::POST,
            "/rest/api/content",
            &[c, json_ct],
            page
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn ip_allowlist_and_its_faults() {
    // F-PLUG-2
    let config = json!({ "plugin": {
        "ip_allow": ["10.0.0.0/8", "2001:db8::/32"],
        "trusted_proxies": ["192.0.2.10"],
    }});
    let clean = mock_faulty(config.clone(), None).await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let peer = |ip: &'static str| (CLIENT_IP_HEADER, ip.as_bytes());
    let xff = |v: &'static str| ("x-forwarded-for", v.as_bytes());
    let p = "/rest/api/space";
    assert_eq!(get_as(&clean, p, &[a, peer("10.1.2.3")]).await, 200);
    assert_eq!(get_as(&clean, p, &[a, peer("2001:db8::1")]).await, 200);
    assert_eq!(get_as(&clean, p, &[a, peer("203.0.113.9")]).await, 403);
    assert_eq!(
        get_as(&clean, p, &[a]).await,
        403,
        "loopback is outside too"
    );
    assert_eq!(
        get_as(&clean, "/login.action", &[peer("203.0.113.9")]).await,
        200
    );
    assert_eq!(
        get_as(&clean, p, &[a, peer("192.0.2.10"), xff("10.4.4.4")]).await,
        200
    );
    assert_eq!(
        get_as(
            &clean,
            p,
            &[a, peer("192.0.2.10"), xff("10.4.4.4, 203.0.113.9")]
        )
        .await,
        403
    );
    assert_eq!(
        get_as(&clean, p, &[a, peer("203.0.113.9"), xff("10.4.4.4")]).await,
        403
    );
    assert_eq!(
        get_as(&clean, p, &[a, peer("10.9.9.9"), xff("203.0.113.9")]).await,
        200
    );
    // A refused request never reached authentication: no failed login counted.
    for _ in 0..5 {
        let wrong = basic("alice", "wrong");
        get_as(
            &clean,
            p,
            &[("authorization", wrong.as_bytes()), peer("203.0.113.9")],
        )
        .await;
    }
    assert_eq!(
        get_as(&clean, p, &[a, peer("10.1.2.3")]).await,
        200,
        "no CAPTCHA lock"
    );

    let ignored = mock_faulty(config.clone(), Some(Fault::IpAllowIgnored)).await;
    assert_eq!(get_as(&ignored, p, &[a, peer("203.0.113.9")]).await, 200);
    let untrusted = mock_faulty(config, Some(Fault::IpHeaderUntrusted)).await;
    assert_eq!(
        get_as(&untrusted, p, &[a, peer("203.0.113.9"), xff("10.4.4.4")]).await,
        200
    );
    assert_eq!(get_as(&untrusted, p, &[a, peer("203.0.113.9")]).await, 403);
}

#[tokio::test]
async fn a_custom_client_ip_header() {
    // F-PLUG-2: "specify the header name to retrieve the client's real IP".
    let mock = mock_with(json!({ "plugin": {
        "ip_allow": ["10.0.0.0/8"],
        "client_ip_header": "X-Real-IP",
        "trusted_proxies": ["127.0.0.1"],
    }}))
    .await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    assert_eq!(
        get_as(&mock, "/rest/api/space", &[a, ("x-real-ip", b"10.0.0.1")]).await,
        200
    );
    assert_eq!(
        get_as(
            &mock,
            "/rest/api/space",
            &[a, ("x-forwarded-for", b"10.0.0.1")]
        )
        .await,
        403
    );
}

#[tokio::test]
async fn disable_basic_and_disable_basic_ignored() {
    // F-PLUG-3
    let config = json!({ "plugin": { "disable_basic": true, "reject_status": 403 } });
    let clean = mock_faulty(config.clone(), None).await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let response = send(&clean, Method::GET, "/rest/api/space", &[a], "").await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session for a refused Basic"
    );
    assert!(response.headers().get("x-ausername").is_none());
    let strict401 = mock_with(json!({ "plugin": { "disable_basic": true } })).await;
    let response = send(&strict401, Method::GET, "/rest/api/space", &[a], "").await;
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        challenge.starts_with("OAuth realm="),
        "F-BASIC-8: {challenge}"
    );
    let lower = format!("basic {}", STANDARD.encode("alice:alice-pw"));
    assert_eq!(
        get_as(
            &clean,
            "/rest/api/space",
            &[("authorization", lower.as_bytes())]
        )
        .await,
        403
    );
    // Wrong passwords are refused before Seraph counts them: no CAPTCHA lock.
    let wrong = basic("alice", "nope");
    for _ in 0..4 {
        let code = get_as(
            &clean,
            "/rest/api/space",
            &[("authorization", wrong.as_bytes())],
        )
        .await;
        assert_eq!(code, 403);
    }
    let cookie = format!("JSESSIONID={}", login(&clean).await);
    assert_eq!(
        get_as(&clean, "/rest/api/space", &[("cookie", cookie.as_bytes())]).await,
        200
    );
    assert_eq!(
        get_as(&clean, "/pages/viewpage.action?pageId=65537", &[a]).await,
        200,
        "REST only"
    );
    let faulty = mock_faulty(config, Some(Fault::DisableBasicIgnored)).await;
    assert_eq!(get_as(&faulty, "/rest/api/space", &[a]).await, 200);
}

#[tokio::test]
async fn restrict_public_bypass_and_restrict_public_ignored() {
    // F-PLUG-4
    let config = json!({
        "anonymous_access": true,
        "plugin": {
            "restrict_public": ["/rest/api/user/current", "/REST/api/space/*", "/rest/api/content*"],
            "bypass": ["/rest/api/content/65537"],
        },
    });
    let clean = mock_faulty(config.clone(), None).await;
    let (code, body) = call(&clean, Method::GET, "/rest/api/user/current", &[], "").await;
    assert_eq!(
        (code, body.contains("Client must be authenticated")),
        (401, true)
    );
    assert_eq!(
        get_as(&clean, "/rest/api/space/TST", &[]).await,
        401,
        "case-insensitive"
    );
    assert_eq!(
        get_as(&clean, "/rest/api/space", &[]).await,
        200,
        "unlisted"
    );
    assert_eq!(get_as(&clean, "/rest/api/content", &[]).await, 401);
    assert_eq!(
        get_as(&clean, "/rest/api/content/65537", &[]).await,
        200,
        "bypass wins"
    );
    let auth = alice();
    assert_eq!(
        get_as(
            &clean,
            "/rest/api/user/current",
            &[("authorization", auth.as_bytes())]
        )
        .await,
        200
    );
    let faulty = mock_faulty(config, Some(Fault::RestrictPublicIgnored)).await;
    assert_eq!(get_as(&faulty, "/rest/api/user/current", &[]).await, 200);
}

#[tokio::test]
async fn bypassed_paths_keep_confluence_s_own_auth() {
    // F-PLUG-4
    let mock = mock_with(json!({
        "users": [{ "name": "alice", "password": "alice-pw" }],
        "context_path": "/wiki",
        "plugin": { "api_groups": ["api-users"], "ip_allow": ["10.0.0.0/8"], "bypass": ["/rest/api/space*"] },
    }))
    .await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let outside: (&str, &[u8]) = (CLIENT_IP_HEADER, b"203.0.113.9");
    assert_eq!(get_as(&mock, "/rest/api/space", &[a, outside]).await, 200);
    // Confluence's own permission check still applies: the space read is
    // anonymous-allowed and hides what anonymous may not see (F-ANON-4).
    assert_eq!(get_as(&mock, "/rest/api/space/TST", &[outside]).await, 404);
    assert_eq!(get_as(&mock, "/rest/api/content", &[a, outside]).await, 403);
    assert_eq!(
        get_as(
            &mock,
            "/rest/api/content",
            &[a, (CLIENT_IP_HEADER, b"10.0.0.1")]
        )
        .await,
        401
    );
}

// ---------------------------------------------------------------- audit

async fn audit(mock: &RunningMock) -> Vec<Value> {
    let (code, body) = call(mock, Method::GET, "/__tollgate/audit", &[], "").await;
    assert_eq!(code, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    body["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_rest_call_is_audited_without_credentials() {
    // F-PLUG-6
    let mock = mock_with(json!({ "plugin": { "trusted_proxies": ["192.0.2.10"] } })).await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    get_as(&mock, "/rest/api/space?os_password=secret-in-query", &[a]).await;
    get_as(
        &mock,
        "/rest/api/user/current",
        &[
            (CLIENT_IP_HEADER, b"192.0.2.10"),
            ("x-forwarded-for", b"10.7.7.7"),
        ],
    )
    .await;
    get_as(
        &mock,
        "/rest/api/space",
        &[("authorization", basic("alice", "hunter2").as_bytes())],
    )
    .await;
    form_post(&mock, &[]).await;
    get_as(&mock, "/login.action", &[]).await;
    let cookie = format!("JSESSIONID={}", login(&mock).await);
    get_as(&mock, "/rest/api/space", &[("cookie", cookie.as_bytes())]).await;
    let entries = audit(&mock).await;
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [
        "alice-pw",
        "hunter2",
        "secret-in-query",
        "Basic",
        &cookie["JSESSIONID=".len()..],
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let brief: Vec<(String, String, u64, String, Value)> = entries
        .iter()
        .map(|e| {
            (
                e["user"].as_str().unwrap().to_owned(),
                format!(
                    "{} {}",
                    e["method"].as_str().unwrap(),
                    e["path"].as_str().unwrap()
                ),
                e["status"].as_u64().unwrap(),
                e["client_ip"].as_str().unwrap().to_owned(),
                e["auth_method"].clone(),
            )
        })
        .collect();
    let row = |u: &str, r: &str, s: u64, ip: &str, m: Value| {
        (u.to_owned(), r.to_owned(), s, ip.to_owned(), m)
    };
    assert_eq!(
        brief,
        [
            row(
                "alice",
                "GET /rest/api/space",
                200,
                "127.0.0.1",
                json!("basic")
            ),
            row(
                "anonymous",
                "GET /rest/api/user/current",
                200,
                "10.7.7.7",
                Value::Null
            ),
            row(
                "anonymous",
                "GET /rest/api/space",
                401,
                "127.0.0.1",
                Value::Null
            ),
            row(
                "alice",
                "POST /rest/api/content",
                403,
                "127.0.0.1",
                json!("basic")
            ),
            row(
                "alice",
                "GET /rest/api/space",
                200,
                "127.0.0.1",
                json!("session")
            ),
        ]
    );
    assert!(entries[0]["time"].as_u64().unwrap() > 1_600_000_000);
    // reset forgets the log.
    assert_eq!(
        status(&mock, Method::POST, "/__tollgate/reset", &[]).await,
        204
    );
    assert!(audit(&mock).await.is_empty());
}

#[tokio::test]
async fn the_audit_log_is_trimmed_by_count_and_by_age() {
    // F-PLUG-6
    let mock =
        mock_with(json!({ "plugin": { "audit": { "max_entries": 3, "max_age": "1d" } } })).await;
    for n in 0..5 {
        get_as(&mock, &format!("/rest/api/space/K{n}"), &[]).await;
    }
    let paths: Vec<String> = audit(&mock)
        .await
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/rest/api/space/K2",
            "/rest/api/space/K3",
            "/rest/api/space/K4"
        ]
    );
    mock.state().clock().advance(Duration::from_secs(12 * 3600));
    get_as(&mock, "/rest/api/space/NEW", &[]).await;
    mock.state()
        .clock()
        .advance(Duration::from_secs(12 * 3600 + 1));
    let left = audit(&mock).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["path"], "/rest/api/space/NEW");
    mock.state().clock().advance(Duration::from_secs(12 * 3600));
    assert!(audit(&mock).await.is_empty());
}

#[tokio::test]
async fn audit_missing_and_no_plugin_record_nothing() {
    let faulty = mock_faulty(json!({ "plugin": {} }), Some(Fault::AuditMissing)).await;
    let none = mock_with(json!({})).await;
    let clean = mock_with(json!({ "plugin": {} })).await;
    for mock in [&faulty, &none, &clean] {
        get_as(mock, "/rest/api/user/current", &[]).await;
    }
    assert!(audit(&faulty).await.is_empty());
    assert!(audit(&none).await.is_empty());
    assert_eq!(audit(&clean).await.len(), 1);
}

// ---------------------------------------------------------------- garbage

#[tokio::test]
async fn garbage_never_takes_the_policies_down() {
    let mock = mock_with(json!({ "plugin": {
        "ip_allow": ["10.0.0.0/8", "garbage", "::/0", "127.0.0.1/32"],
        "trusted_proxies": ["127.0.0.1", "not a proxy"],
        "restrict_public": ["", "*?*"],
        "bypass": ["[", "/rest/api/space"],
        "reject_status": 999,
    }}))
    .await;
    let auth = alice();
    let a: (&str, &[u8]) = ("authorization", auth.as_bytes());
    let long_xff = vec![b'1'; 64 * 1024];
    let many_hops = "10.0.0.1, ".repeat(2000);
    let odd_headers: Vec<Vec<(&str, &[u8])>> = vec![
        vec![("content-type", b"\xff\xfe")],
        vec![("content-type", b";;;")],
        vec![("content-type", b"multipart/form-data; boundary=\"")],
        vec![
            ("content-type", b"application/x-www-form-urlencoded"),
            ("x-atlassian-token", b"\x80"),
        ],
        vec![("x-forwarded-for", b"\xff, 10.0.0.1")],
        vec![("x-forwarded-for", &long_xff)],
        vec![("x-forwarded-for", many_hops.as_bytes())],
        vec![("x-forwarded-for", b"::ffff:10.0.0.1, [::1], 999.1.1.1")],
        vec![(CLIENT_IP_HEADER, b"not-an-ip")],
        vec![("user-agent", b"Mozilla/\xff"), ("origin", b"\xff://x")],
        vec![("user-agent", b"Mozilla/5.0"), ("referer", b"http://[::1")],
        vec![("authorization", b"Basic")],
        vec![("authorization", b"basic \xff\xff")],
    ];
    for extra in &odd_headers {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            let mut headers = vec![a];
            headers.extend_from_slice(extra);
            let (code, _) = call(
                &mock,
                method.clone(),
                "/rest/api/content",
                &headers,
                "%%%&&&=\x00",
            )
            .await;
            assert!((200..600).contains(&code), "{method} {extra:?}: {code}");
        }
    }
    // Multipart garbage at the upload resource.
    let nc: (&str, &[u8]) = ("x-atlassian-token", b"no-check");
    for body in [
        "--b0undary\r\n",
        "--b0undary\r\nContent-Disposition\r\n\r\nx\r\n--b0undary--",
        "--b0undary--",
        "--b0undary\r\nA: b\r\n\r\nx\r\n".repeat(200).as_str(),
        "\u{0}\u{1}\u{2}",
    ] {
        let (code, _) = call(
            &mock,
            Method::POST,
            "/rest/api/content/65537/child/attachment",
            &[
                a,
                nc,
                ("content-type", MULTIPART.as_bytes()),
                (CLIENT_IP_HEADER, b"10.0.0.1"),
            ],
            body,
        )
        .await;
        assert!(code == 400 || code == 200, "{body:?}: {code}");
    }
    // A form body over the limit is refused, not buffered without end.
    let session = login(&mock).await;
    let big = "a".repeat(2 * 1024 * 1024);
    let (code, _) = call(
        &mock,
        Method::POST,
        "/rest/api/content",
        &[
            ("cookie", format!("JSESSIONID={session}").as_bytes()),
            ("content-type", b"application/x-www-form-urlencoded"),
            (CLIENT_IP_HEADER, b"10.0.0.1"),
        ],
        &big,
    )
    .await;
    assert_eq!(code, 413);
    // `*?*` restricts every public path, so the last word goes to a user.
    assert_eq!(get_as(&mock, "/rest/api/user/current", &[]).await, 401);
    assert_eq!(get_as(&mock, "/rest/api/user/current", &[a]).await, 200);
    assert!(!audit(&mock).await.is_empty());
}
