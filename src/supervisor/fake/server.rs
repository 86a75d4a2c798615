//! The fake daemon's XML-RPC server: an axum app on loopback answering `/RPC2` from
//! the model, faults and internal errors as supervisord sends them.

use super::{Model, ModelError, code_number};
use crate::supervisor::Client;
use crate::supervisor::transport::{Endpoint, ServerSettings};
use crate::xmlrpc::{decode_call, encode_fault, encode_response};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A running fake daemon on loopback; stopped when dropped.
pub struct FakeDaemon {
    pub model: Arc<Mutex<Model>>,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeDaemon {
    /// Serves `model` on 127.0.0.1 (an ephemeral port).
    pub async fn start(model: Model) -> FakeDaemon {
        let model = Arc::new(Mutex::new(model));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
        let m = model.clone();
        let app = axum::Router::new().route(
            "/RPC2",
            axum::routing::post(move |body: axum::body::Bytes| {
                let m = m.clone();
                async move {
                    let stalled = decode_call(&body)
                        .is_ok_and(|(method, _)| m.lock().unwrap_or_else(|e| e.into_inner()).stalled.contains(&method));
                    if stalled {
                        std::future::pending::<()>().await;
                    }
                    answer(&m, &body)
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDaemon { model, url, task }
    }

    /// A client of this daemon, with a short reply timeout (5 s).
    pub fn client(&self) -> Client {
        self.client_with_timeout(Duration::from_secs(5))
    }

    /// A client of this daemon whose replies are bounded by `timeout`.
    pub fn client_with_timeout(&self, timeout: Duration) -> Client {
        let parsed = Endpoint::parse(&self.url).unwrap_or_else(|e| panic!("{e}"));
        Client::new(&ServerSettings {
            endpoint: parsed.endpoint,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(2),
            timeout,
            tls: Default::default(),
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The model, locked.
    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A client of a daemon that is not there: every call fails at once (no such socket).
pub fn nowhere() -> Client {
    let parsed = Endpoint::parse("unix:///nonexistent/supervisor.sock").unwrap_or_else(|e| panic!("{e}"));
    Client::new(&ServerSettings {
        endpoint: parsed.endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        tls: Default::default(),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(model: &Mutex<Model>, body: &[u8]) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok((method, params)) = decode_call(body) else {
        return (axum::http::StatusCode::BAD_REQUEST, "bad request").into_response();
    };
    let reply = model.lock().unwrap_or_else(|e| e.into_inner()).call(&method, &params);
    let xml = match reply {
        Ok(v) => encode_response(&v),
        Err(ModelError::Fault(code, text)) => encode_fault(code_number(code), &text),
        Err(ModelError::Internal) => {
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "<html>500</html>").into_response();
        }
    };
    ([(axum::http::header::CONTENT_TYPE, "text/xml")], xml).into_response()
}
