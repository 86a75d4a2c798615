//! The body of a streaming GET (`/mainlogtail`, `/logtail/...`), read with a bound on
//! each wait, so that a silent stream is noticed and its caller can check the peer.

use super::Transport;
use crate::supervisor::error::Result;
use std::time::Duration;

/// The body of a streaming GET, read as it comes (see [`Transport::get_stream`]).
#[derive(Debug)]
pub struct Stream {
    pub(super) resp: reqwest::Response,
    /// What was asked (`GET /mainlogtail`), for errors.
    pub(super) what: String,
    pub(super) transport: Transport,
}

/// What one bounded wait on a [`Stream`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRead {
    /// The next bytes, as the server sent them (any size; not split at lines).
    Bytes(Vec<u8>),
    /// Nothing arrived within the wait: a quiet stream or a dead peer, which only
    /// another request can tell apart.
    Silent,
    /// The server closed the stream.
    End,
}

impl Stream {
    /// Waits at most `wait` for the next bytes. Errors: the connection failed
    /// mid-stream ([`Error::Transport`](crate::supervisor::Error::Transport), credentials redacted).
    pub async fn next(&mut self, wait: Duration) -> Result<StreamRead> {
        // Dropping `chunk()` on timeout loses nothing: bytes are taken only when ready.
        match tokio::time::timeout(wait, self.resp.chunk()).await {
            Err(_) => Ok(StreamRead::Silent),
            Ok(Ok(Some(bytes))) => Ok(StreamRead::Bytes(bytes.to_vec())),
            Ok(Ok(None)) => Ok(StreamRead::End),
            Ok(Err(e)) => {
                let err = self.transport.classify(e, &self.what, wait);
                Err(self.transport.through_tunnel(err).await)
            }
        }
    }
}
