//! Who looks at the dashboard: a bearer token (scripts), or a browser's session
//! cookie got by exchanging a token at `/login`. The cookie is random (256 bits),
//! `HttpOnly`, `SameSite=Strict`, `Secure` when the dashboard is reached over https
//! (`--behind-https`, or `X-Forwarded-Proto: https` from a `--trusted-proxy`), and
//! expires (`--login-ttl`). Every state-changing request made with the cookie must
//! come from this server's own origin and carry the session's CSRF token (a form
//! field or the `X-CSRF-Token` header).

use super::Web;
use super::pages;
use crate::server::Peer;
use crate::server::auth::Identity;
use crate::server::client_of;
use crate::server::guard::forbidden;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "supervisord_mcp_session";
/// Most sessions kept (the oldest go first).
const MAX_SESSIONS: usize = 10_000;

/// A logged-in browser.
#[derive(Debug, Clone)]
struct Session {
    id: Identity,
    csrf: String,
    expires: Instant,
}

/// The sessions of logged-in browsers.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    ttl: Duration,
}

/// Who makes a request, as every dashboard handler sees it.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub id: Identity,
    /// The client's address (a trusted proxy's `X-Forwarded-For`).
    pub client: String,
    /// The dashboard is reached over https.
    pub https: bool,
    /// The session's CSRF token (`None`: a bearer token, which a browser never
    /// sends on its own).
    pub csrf: Option<String>,
}

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    if getrandom::fill(&mut raw).is_err() {
        // No randomness: an id nobody can guess is impossible; refuse by making an
        // id that is never stored.
        return String::new();
    }
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session for `id`: its cookie value. Expired sessions are dropped, and
    /// the oldest when there are too many.
    fn create(&self, id: Identity) -> Option<String> {
        let (sid, csrf) = (random_hex(), random_hex());
        if sid.is_empty() || csrf.is_empty() {
            return None;
        }
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            sid.clone(),
            Session {
                id,
                csrf,
                expires: now + self.ttl,
            },
        );
        Some(sid)
    }

    fn get(&self, sid: &str) -> Option<Session> {
        let mut map = self.lock();
        match map.get(sid) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(sid);
                None
            }
            None => None,
        }
    }

    fn remove(&self, sid: &str) {
        self.lock().remove(sid);
    }
}

/// The session id the request's cookie carries.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('=').map(str::to_owned))
}

/// The dashboard's middleware: `Host`/`Origin` (403), then who calls (a bearer
/// token, else the session cookie; a page without either is sent to `/login`, an
/// event stream or a change gets 401), then, for a change made with the cookie,
/// this server's own origin (403). The [`Viewer`] goes to the handler.
pub async fn viewer(State(w): State<Arc<Web>>, mut req: Request, next: Next) -> Response {
    if let Err(why) = w.origins.check(req.uri(), req.headers()) {
        return forbidden(why);
    }
    let (client, https) = client_of(
        req.headers(),
        req.extensions().get::<Peer>(),
        &w.trusted_proxies,
        w.behind_https,
    );
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let viewer = match (given, cookie(req.headers()).and_then(|sid| w.sessions.get(&sid))) {
        (Some(_), _) => w.tokens.bearer(given).map(|id| Viewer {
            id,
            client,
            https,
            csrf: None,
        }),
        (None, Some(s)) => Some(Viewer {
            id: s.id,
            client,
            https,
            csrf: Some(s.csrf),
        }),
        (None, None) if w.tokens.is_open() => w.tokens.bearer(None).map(|id| Viewer {
            id,
            client,
            https,
            csrf: None,
        }),
        (None, None) => None,
    };
    let Some(viewer) = viewer else {
        if req.method() == axum::http::Method::GET && !wants_stream(req.headers()) {
            let next_path = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let q: String = url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect();
            return Redirect::to(&format!("/login?next={q}")).into_response();
        }
        return (
            StatusCode::UNAUTHORIZED,
            "log in first (or send `Authorization: Bearer TOKEN`)\n",
        )
            .into_response();
    };
    // A change from a browser (a session, or no token needed at all) must come from
    // this server's own pages; a bearer token is never sent cross-site by a browser.
    if req.method() != axum::http::Method::GET
        && (viewer.csrf.is_some() || given.is_none())
        && let Err(why) = w.origins.same_origin(req.headers(), viewer.https)
    {
        // Refused before its form is read: the audit line names the path.
        w.audit.record(crate::server::audit::Entry {
            time: String::new(),
            token: viewer.id.name.clone(),
            client: viewer.client.clone(),
            via: "dashboard",
            op: format!("POST {}", req.uri().path()),
            targets: Vec::new(),
            names: Vec::new(),
            result: crate::server::audit::Outcome::Refused,
            failed: Vec::new(),
        });
        return forbidden(why);
    }
    req.extensions_mut().insert(viewer);
    next.run(req).await
}

fn wants_stream(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"))
}

/// Whether `given` is the viewer's CSRF token (always true for a bearer token).
pub fn csrf_ok(v: &Viewer, given: Option<&str>) -> bool {
    match &v.csrf {
        None => true,
        Some(want) => given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(want.as_bytes()))),
    }
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    #[serde(default)]
    next: String,
}

/// The `next` of a login form: a path of this server, else `/`.
fn local_path(next: &str) -> &str {
    // Browsers drop tabs and newlines from a URL: `/\t/evil.example` is `//evil.example`.
    let odd = |c: char| c == '\\' || c.is_control() || c.is_whitespace();
    if next.starts_with('/') && !next.starts_with("//") && !next.chars().any(odd) {
        next
    } else {
        "/"
    }
}

/// `GET /login`.
pub async fn login_page(axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>) -> Response {
    let next = q.get("next").map_or("/", |n| local_path(n));
    pages::login(next, None, StatusCode::OK)
}

/// `POST /login`: from this server's own origin only; a known token starts a
/// session (303 to `next`), any other answers the form again (401).
pub async fn login(State(w): State<Arc<Web>>, req: Request) -> Response {
    if let Err(why) = w.origins.check(req.uri(), req.headers()) {
        return forbidden(why);
    }
    let (_, https) = client_of(
        req.headers(),
        req.extensions().get::<Peer>(),
        &w.trusted_proxies,
        w.behind_https,
    );
    if let Err(why) = w.origins.same_origin(req.headers(), https) {
        return forbidden(why);
    }
    let Ok(Form(form)) = Form::<LoginForm>::from_request(req, &()).await else {
        return (StatusCode::BAD_REQUEST, "a login form: token and next\n").into_response();
    };
    let next = local_path(&form.next);
    let Some(id) = w.tokens.find(form.token.trim()) else {
        return pages::login(next, Some("That token is not accepted here."), StatusCode::UNAUTHORIZED);
    };
    let Some(sid) = w.sessions.create(id) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness for a session\n").into_response();
    };
    let secure = if https { "; Secure" } else { "" };
    let ttl = w.sessions.ttl.as_secs();
    let cookie = format!("{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age={ttl}{secure}");
    let mut r = Redirect::to(next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The logout form's field.
#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout` (behind [`viewer`]): ends the session (with its CSRF token).
pub async fn logout(
    State(w): State<Arc<Web>>,
    axum::Extension(v): axum::Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if !csrf_ok(&v, Some(&form.csrf)) {
        return forbidden("the form's CSRF token is missing or wrong: reload the page");
    }
    if let Some(sid) = cookie(&headers) {
        w.sessions.remove(&sid);
    }
    let mut r = Redirect::to("/login").into_response();
    let gone = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&gone) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

use axum::extract::FromRequest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_cookies_are_found() {
        let s = Sessions::new(Duration::from_millis(50));
        let id = Identity {
            name: "a".into(),
            scope: crate::server::auth::Scope::Read,
            allow: Vec::new(),
        };
        let sid = s.create(id).unwrap_or_default();
        assert_eq!(sid.len(), 64);
        assert!(s.get(&sid).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&sid).is_none(), "expired");
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; supervisord_mcp_session=abc; y=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("abc"));
    }

    #[test]
    fn only_a_trusted_proxy_says_who_the_client_is_and_whether_it_is_https() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("10.9.9.9, 203.0.113.7"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let proxy = Peer("127.0.0.1:5000".parse().unwrap_or_else(|_| unreachable!()));
        let trusted = ["127.0.0.1".parse().unwrap_or_else(|_| unreachable!())];
        assert_eq!(
            client_of(&h, Some(&proxy), &trusted, false),
            ("203.0.113.7".into(), true)
        );
        assert_eq!(client_of(&h, Some(&proxy), &[], false), ("127.0.0.1".into(), false));
        assert_eq!(local_path("//evil.example/x"), "/");
        // Browsers drop tabs and newlines: these are `//evil.example/`.
        for odd in [
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example/",
            "/ /evil.example/",
        ] {
            assert_eq!(local_path(odd), "/", "{odd:?}");
        }
        assert_eq!(local_path("/process?t=a"), "/process?t=a");
    }
}
