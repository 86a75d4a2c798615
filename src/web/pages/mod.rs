//! The dashboard's pages, rendered on the server with maud (every value from a
//! daemon, a token's name or a URL is escaped by the template), complete without
//! JavaScript; `app.js` (a separate file: the page's Content-Security-Policy allows
//! no inline script) adds live updates and in-place actions.

pub mod overview;
pub mod process;

use super::login::Viewer;
use crate::server::auth::Scope;
use crate::supervisor::ProcessState;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// What every page answers with beside its body: a strict CSP, no framing, no
/// sniffing, no caching, the referrer kept to this origin.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
];

/// `body` as a whole page titled `title`, with the viewer's name and logout.
pub fn page(title: &str, v: Option<&Viewer>, status: StatusCode, body: Markup) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(csrf) = v.and_then(|v| v.csrf.as_deref()) {
                    meta name="csrf-token" content=(csrf);
                }
                title { (title) " · supervisord-mcp" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header {
                    a.brand href="/" { "supervisord-mcp" }
                    @if let Some(v) = v {
                        span.who {
                            (v.id.name) " · " (scope_word(v.id.scope))
                        }
                        @if let Some(csrf) = v.csrf.as_deref() {
                            form.logout method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    with_headers(status, doc.into_string(), "text/html; charset=utf-8")
}

fn with_headers(status: StatusCode, body: String, kind: &'static str) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    for (k, v) in SECURITY_HEADERS {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    r
}

pub fn scope_word(s: Scope) -> &'static str {
    match s {
        Scope::Read => "read",
        Scope::Operate => "operate",
    }
}

/// The login page: a token field, and why the last try failed.
pub fn login(next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        section.login {
            h1 { "Log in" }
            p { "Paste a token of this server (its stderr says where the generated one is kept, or ask for a named one)." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="off" required autofocus;
                button type="submit" { "Log in" }
            }
        }
    };
    page("Log in", None, status, body)
}

/// A state as a badge (its class gives the colour).
pub fn state_badge(s: ProcessState) -> Markup {
    html! { span class={ "st st-" (s) } { (s) } }
}

/// `3d 4h`, `5m 2s`: a duration for people.
pub fn ago(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// `/assets/app.js` and `/assets/style.css`, embedded in the binary.
pub async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.js" => (include_str!("../assets/app.js"), "text/javascript; charset=utf-8"),
        "style.css" => (include_str!("../assets/style.css"), "text/css; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    };
    let mut r = with_headers(StatusCode::OK, body.to_owned(), kind);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    r
}

/// An error page (a target that cannot be asked, a name it does not know).
pub fn error(v: &Viewer, status: StatusCode, title: &str, message: &str) -> Response {
    page(
        title,
        Some(v),
        status,
        html! { h1 { (title) } p.error role="alert" { (message) } p { a href="/" { "Back to the overview" } } },
    )
}
