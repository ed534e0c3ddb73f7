//! Data Center's Basic-auth block (F-BASIC-9/10) and the "Can use" permission
//! (F-BASIC-11) on the embedded mock, clean and with the faults that break them.

mod common;

use common::{basic, client, header, mock_with};
use serde_json::{Value, json};
use tollgate::mock::RunningMock;

fn users() -> Value {
    json!([
        { "name": "admin", "password": "admin-pw", "admin": true },
        { "name": "alice", "password": "alice-pw" },
        { "name": "guest", "password": "guest-pw", "can_use": false },
    ])
}

async fn blocking(extra: Value) -> RunningMock {
    let mut config = json!({
        "users": users(),
        "basic_auth_block": { "block_requests": true, "allowed_paths": ["/rest/api/space*"], "allowed_users": ["adm*"] },
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    mock_with(config).await
}

async fn get_as(
    mock: &RunningMock,
    path: &str,
    authorization: &str,
    accept: &str,
) -> reqwest::Response {
    client()
        .get(format!("{}{path}", mock.base_url()))
        .header("Authorization", authorization)
        .header("Accept", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn blocked_basic_is_403_in_the_format_asked_for_whatever_the_scheme_case() {
    let mock = blocking(json!({})).await;
    let creds = basic("alice", "alice-pw");
    for (accept, content_type) in [
        ("application/json", "application/json;charset=UTF-8"),
        ("application/xml", "application/xml;charset=UTF-8"),
        ("*/*", "text/plain;charset=UTF-8"),
    ] {
        let response = get_as(&mock, "/rest/api/user/current", &creds, accept).await;
        assert_eq!(response.status(), 403, "{accept}");
        assert_eq!(header(&response, "content-type"), Some(content_type));
        assert_eq!(header(&response, "x-ausername"), None);
    }
    let lower = creds.replacen("Basic", "basic", 1);
    let response = get_as(&mock, "/rest/api/user/current", &lower, "*/*").await;
    assert_eq!(response.status(), 403);
    // A wrong password is blocked before it is counted.
    let wrong = basic("alice", "wrong");
    assert_eq!(
        get_as(&mock, "/rest/api/user/current", &wrong, "*/*")
            .await
            .status(),
        403
    );
    assert_eq!(mock.state().directory.failed_count("alice"), 0);
}

#[tokio::test]
async fn allowed_paths_and_users_pass_but_keep_no_session() {
    let mock = blocking(json!({})).await;
    let response = get_as(&mock, "/rest/api/space", &basic("alice", "alice-pw"), "*/*").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ausername"), Some("alice"));
    assert_eq!(mock.state().sessions.lock().unwrap().len(), 0);
    let response = get_as(
        &mock,
        "/rest/api/user/current",
        &basic("ADMIN", "admin-pw"),
        "*/*",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(mock.state().sessions.lock().unwrap().len(), 0);

    let kept = blocking(json!({ "faults": ["basic_block_session_kept"] })).await;
    get_as(&kept, "/rest/api/space", &basic("alice", "alice-pw"), "*/*").await;
    assert_eq!(kept.state().sessions.lock().unwrap().len(), 1);
    let slips = blocking(json!({ "faults": ["basic_block_case_sensitive"] })).await;
    let lower = basic("alice", "alice-pw").replacen("Basic", "basic", 1);
    // Past the block, Seraph itself ignores the lower-case scheme (F-BASIC-4).
    assert_eq!(
        get_as(&slips, "/rest/api/user/current", &lower, "*/*")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_config_resource_is_for_system_administrators_and_changes_what_it_names() {
    let mock = mock_with(json!({ "users": users() })).await;
    let url = format!("{}/rest/basicauth/1.0/config", mock.base_url());
    assert_eq!(client().get(&url).send().await.unwrap().status(), 401);
    let alice = client()
        .get(&url)
        .header("Authorization", basic("alice", "alice-pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(alice.status(), 403);
    let admin = basic("admin", "admin-pw");
    let shown: Value = client()
        .get(&url)
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!({ "block-requests": false, "allowed-paths": [], "allowed-users": [] })
    );
    let changed = client()
        .put(&url)
        .header("Authorization", &admin)
        .json(&json!({ "block-requests": true, "allowed-users": ["admin"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        changed,
        json!({ "block-requests": true, "allowed-paths": [], "allowed-users": ["admin"] })
    );
    for garbage in [json!({ "block-requests": "yes" }), json!({ "nonsense": 1 })] {
        let response = client()
            .put(&url)
            .header("Authorization", &admin)
            .json(&garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{garbage}");
    }
    // Now alice's Basic is blocked; a reset restores the configured block.
    assert_eq!(
        get_as(&mock, "/rest/api/space", &basic("alice", "alice-pw"), "*/*")
            .await
            .status(),
        403
    );
    mock.state().reset();
    assert_eq!(
        get_as(&mock, "/rest/api/space", &basic("alice", "alice-pw"), "*/*")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_user_without_can_use_is_refused_by_the_rest_api() {
    let mock = mock_with(json!({ "users": users() })).await;
    let guest = basic("guest", "guest-pw");
    let current: Value = get_as(&mock, "/rest/api/user/current", &guest, "*/*")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["username"], "guest");
    for path in [
        "/rest/api/space",
        "/rest/api/content/65537",
        "/rest/api/content",
    ] {
        let response = get_as(&mock, path, &guest, "*/*").await;
        assert_eq!(response.status(), 403, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("Not permitted to use confluence : guest")
        );
    }
    let served = mock_with(json!({ "users": users(), "faults": ["unlicensed_user_served"] })).await;
    assert_eq!(
        get_as(&served, "/rest/api/space", &guest, "*/*")
            .await
            .status(),
        200
    );
}
