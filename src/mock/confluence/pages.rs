//! Browser paths: the login form and its POST, logout, and the two page views
//! (`/pages/viewpage.action`, `/display/KEY/Title`). Pages anonymous may not see
//! redirect to the login page (F-ANON-1), or answer JSON when asked (F-ANON-2).

use std::net::IpAddr;

use axum::Router;
use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Form};
use serde::Deserialize;

use super::caller::{AuthMethod, Caller};
use super::client_addr::Peer;
use super::content::Page;
use super::request::{self, form_encode, wants_json};
use super::respond::{escape, html, rest_error};
use super::seraph::cookies::{
    remember_me_clear_header, remember_me_cookie_header, session_cookie_header,
};
use super::seraph::names::{
    REMEMBER_ME_COOKIE, SESSION_COOKIE, X_AUSERNAME, X_SERAPH_LOGIN_REASON,
};
use super::seraph::stamp::username_header;
use super::state::State;
use super::users::LoginOutcome;
use super::xsrf::stage::meta_tag;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(root))
        .route("/login.action", get(login_form))
        .route("/dologin.action", get(login_form).post(dologin))
        .route("/logout.action", get(logout).post(logout))
        .route("/index.action", get(dashboard))
        .route("/pages/viewpage.action", get(viewpage))
        .route("/display/{space}/{title}", get(display))
}

/// F-ANON-1: 302 to `<ctx>/login.action?os_destination=<path+query>&permissionViolation=true`,
/// the destination relative to the context path and form-encoded as Java's
/// `URLEncoder` does. 302 is inferred.
pub fn login_redirect(state: &State, original: &Uri) -> Response {
    let mut destination = state.relative(original.path()).to_owned();
    if let Some(query) = original.query() {
        destination.push('?');
        destination.push_str(query);
    }
    let location = format!(
        "{}?os_destination={}&permissionViolation=true",
        state.path("/login.action"),
        form_encode(&destination)
    );
    redirect(&location)
}

fn redirect(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::FOUND, [(header::LOCATION, value)]).into_response()
}

/// Who may see pages: users with content permission, anonymous only with
/// anonymous access (or the `anonymous_read` fault). `Some` is the refusal.
fn page_gate(state: &State, caller: &Caller, headers: &HeaderMap, uri: &Uri) -> Option<Response> {
    let json = wants_json(headers);
    let allowed = match caller {
        Caller::Anonymous => {
            state.config.anonymous_access || state.faults.has(Fault::AnonymousRead)
        }
        Caller::User(name) => state
            .directory
            .get(name)
            .is_some_and(|u| u.can_view_content()),
    };
    if allowed {
        return None;
    }
    Some(match (caller, json) {
        // F-ANON-2: JSON clients get 401 (anonymous) or 403 (a user without permission).
        (Caller::Anonymous, true) => {
            rest_error(StatusCode::UNAUTHORIZED, "Not permitted: please log in")
        }
        (Caller::User(_), true) => rest_error(
            StatusCode::FORBIDDEN,
            "You are not permitted to view this page",
        ),
        // F-ANON-1: browsers go to the login page.
        (Caller::Anonymous, false) => login_redirect(state, uri),
        (Caller::User(_), false) => html(
            StatusCode::FORBIDDEN,
            "Not Permitted",
            "<p>You are not permitted to perform this operation.</p>",
        ),
    })
}

async fn root(AxumState(state): AxumState<State>) -> Response {
    redirect(&state.path("/index.action"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    os_username: String,
    os_password: String,
    os_destination: Option<String>,
    os_cookie: Option<String>,
}

async fn login_form(AxumState(state): AxumState<State>, OriginalUri(uri): OriginalUri) -> Response {
    let destination = request::query_param(&uri, "os_destination");
    login_page(&state, destination.as_deref(), None, StatusCode::OK)
}

fn login_page(
    state: &State,
    destination: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let error = error
        .map(|e| {
            format!(
                "<div id=\"action-messages\" class=\"aui-message error\">{}</div>\n",
                escape(e)
            )
        })
        .unwrap_or_default();
    let destination = destination
        .map(|d| {
            format!(
                "<input type=\"hidden\" name=\"os_destination\" value=\"{}\">\n",
                escape(d)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Log in</h1>\n{error}<form id=\"loginform\" method=\"POST\" action=\"{}\">\n\
         <input type=\"text\" name=\"os_username\" id=\"os_username\">\n\
         <input type=\"password\" name=\"os_password\" id=\"os_password\">\n\
         <input type=\"checkbox\" name=\"os_cookie\" value=\"true\"> Remember me\n\
         {destination}<input type=\"submit\" id=\"loginButton\" value=\"Log in\">\n</form>",
        escape(&state.path("/dologin.action"))
    );
    html(status, "Log In", &body)
}

/// A destination inside this instance, or none: only paths starting with one `/`
/// (no `//host`, no backslash), so the login form is not an open redirect.
fn safe_destination(destination: Option<&str>) -> Option<&str> {
    destination.filter(|d| d.starts_with('/') && !d.starts_with("//") && !d.contains('\\'))
}

/// `POST /dologin.action`: the form login. Success opens a fresh session (and a
/// remember-me token with `os_cookie=true`, F-SESS-2) and redirects; failure counts
/// like a failed Basic login (F-BASIC-5/6) and shows the form again.
async fn dologin(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let outcome = state.directory.login(&form.os_username, &form.os_password);
    let name = match &outcome {
        LoginOutcome::Ok(name) => name.clone(),
        failed => {
            let message = match failed {
                LoginOutcome::Denied => {
                    "Your login attempt was blocked: too many failed logins. Please complete the CAPTCHA."
                }
                LoginOutcome::NotPermitted => "You do not have permission to log in.",
                _ => "Sorry, your username and password are incorrect - please try again.",
            };
            let mut page = login_page(
                &state,
                form.os_destination.as_deref(),
                Some(message),
                StatusCode::OK,
            );
            page.headers_mut().insert(
                X_SERAPH_LOGIN_REASON,
                HeaderValue::from_static(failed.reason()),
            );
            return page;
        }
    };
    let now = state.clock.now();
    let session = {
        let mut sessions = lock(&state.sessions);
        // A login replaces the session the browser had, so a planted id is useless.
        if let Some(old) = request::cookie(&headers, SESSION_COOKIE) {
            sessions.remove(&old);
        }
        sessions.create(&name, now)
    };
    let destination = safe_destination(form.os_destination.as_deref()).unwrap_or("/index.action");
    let mut response = redirect(&state.path(destination));
    let out = response.headers_mut();
    out.insert(X_SERAPH_LOGIN_REASON, HeaderValue::from_static("OK"));
    if let Some(value) = username_header(&name) {
        out.insert(X_AUSERNAME, value);
    }
    out.append(header::SET_COOKIE, session_cookie_header(&state, &session));
    if matches!(form.os_cookie.as_deref(), Some("true" | "on")) {
        let token = lock(&state.remember_me).create(&name, now);
        out.append(
            header::SET_COOKIE,
            remember_me_cookie_header(&state, &token),
        );
    }
    // With Crowd on, the login is an SSO login too (F-CROWD-1).
    if let Some(crowd) = &state.verifiers.crowd_sso {
        if let Some(cookie) = crowd.login_cookie(peer(&extensions), &headers, &name).await {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Ends the session and the remember-me token, then back to the login page.
async fn logout(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    if let Some(id) = request::cookie(&headers, SESSION_COOKIE) {
        lock(&state.sessions).remove(&id);
    }
    if let Some(token) = request::cookie(&headers, REMEMBER_ME_COOKIE) {
        lock(&state.remember_me).remove(&token);
    }
    let mut response = redirect(&format!("{}?logout=true", state.path("/login.action")));
    let out = response.headers_mut();
    out.insert(X_SERAPH_LOGIN_REASON, HeaderValue::from_static("OUT"));
    out.append(header::SET_COOKIE, remember_me_clear_header(&state));
    if let Some(crowd) = &state.verifiers.crowd_sso {
        let cookie = crowd.logout_cookie(&headers).await;
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The TCP peer the first stage noted (loopback for a router served without one).
fn peer(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<Peer>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |p| p.0)
}

/// How the caller authenticated (F-XSRF-4: only a session has an `atl_token`).
type Method = Option<Extension<AuthMethod>>;

async fn dashboard(
    AxumState(state): AxumState<State>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if let Some(denied) = page_gate(&state, &caller, &headers, &uri) {
        return denied;
    }
    let meta = meta_tag(&state, &headers, method.map(|m| m.0));
    html(
        StatusCode::OK,
        "Dashboard",
        &format!("{meta}<h1>Dashboard</h1>"),
    )
}

async fn viewpage(
    AxumState(state): AxumState<State>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if let Some(denied) = page_gate(&state, &caller, &headers, &uri) {
        return denied;
    }
    let id = request::query_param(&uri, "pageId").and_then(|id| id.parse::<u64>().ok());
    let meta = meta_tag(&state, &headers, method.map(|m| m.0));
    let content = lock(&state.content);
    show(id.and_then(|id| content.page(id)), &headers, &meta)
}

async fn display(
    AxumState(state): AxumState<State>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path((space, title)): Path<(String, String)>,
) -> Response {
    if let Some(denied) = page_gate(&state, &caller, &headers, &uri) {
        return denied;
    }
    // Titles in /display/ URLs write spaces as `+`.
    let title = title.replace('+', " ");
    let meta = meta_tag(&state, &headers, method.map(|m| m.0));
    let content = lock(&state.content);
    show(content.page_by_title(&space, &title), &headers, &meta)
}

/// A page; `meta` is the session's `ajs-atl-token` tag (F-XSRF-4), or empty.
fn show(page: Option<&Page>, headers: &HeaderMap, meta: &str) -> Response {
    match page {
        None if wants_json(headers) => rest_error(StatusCode::NOT_FOUND, "Page not found"),
        None => html(
            StatusCode::NOT_FOUND,
            "Page Not Found",
            "<p>The page you asked for does not exist.</p>",
        ),
        Some(page) => {
            let attachments: String = page
                .attachments
                .iter()
                .map(|a| {
                    format!(
                        "<li data-attachment-id=\"{}\">{}</li>",
                        a.id,
                        escape(&a.title)
                    )
                })
                .collect();
            let body = format!(
                "{meta}<h1 id=\"title-text\">{}</h1>\n<div class=\"wiki-content\">{}</div>\n<ul class=\"attachments\">{attachments}</ul>",
                escape(&page.title),
                page.body
            );
            html(StatusCode::OK, &page.title, &body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_stay_inside() {
        assert_eq!(
            safe_destination(Some("/pages/viewpage.action?pageId=1")),
            Some("/pages/viewpage.action?pageId=1")
        );
        assert_eq!(safe_destination(Some("//evil.example")), None);
        assert_eq!(safe_destination(Some("https://evil.example")), None);
        assert_eq!(safe_destination(Some("/\\evil")), None);
        assert_eq!(safe_destination(None), None);
    }
}
