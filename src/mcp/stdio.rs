//! MCP over stdio: rmcp's transport on stdin/stdout that says when stdin closes.
//!
//! rmcp, once stdin closes, waits up to 5 s for the answers of requests still in
//! flight, and a `subscriptions/listen` or a long `wait` never answers by itself:
//! so closing stdin stops the server (its token), which ends those at once. The
//! client is gone by then, or about to be: an answer that cannot be written then is
//! no error (rmcp would log each as one), only a debug line.

use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio_util::sync::CancellationToken;

/// A transport that cancels `stop` when its input ends.
pub(crate) struct Stdio<T> {
    inner: T,
    stop: CancellationToken,
}

/// The process's stdin and stdout, cancelling `stop` when stdin closes.
pub(crate) fn stdio(
    stop: CancellationToken,
) -> Stdio<AsyncRwTransport<RoleServer, tokio::io::Stdin, tokio::io::Stdout>> {
    let (stdin, stdout) = rmcp::transport::stdio();
    Stdio {
        inner: AsyncRwTransport::new_server(stdin, stdout),
        stop,
    }
}

/// `r`, a write's result, with its failure after stdin closed counted as done.
fn after_eof<E: std::fmt::Display>(r: Result<(), E>, stop: &CancellationToken) -> Result<(), E> {
    match r {
        Err(e) if stop.is_cancelled() => {
            tracing::debug!(error = %e, "the client is gone: not written");
            Ok(())
        }
        r => r,
    }
}

impl<T: Transport<RoleServer>> Transport<RoleServer> for Stdio<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let send = self.inner.send(item);
        let stop = self.stop.clone();
        async move { after_eof(send.await, &stop) }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        let m = self.inner.receive().await;
        if m.is_none() {
            self.stop.cancel();
        }
        m
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        let r = self.inner.close().await;
        after_eof(r, &self.stop)
    }
}
