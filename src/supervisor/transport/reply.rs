//! Reading a reply's body, bounded: [`MAX_REPLY_BYTES`] for any reply, and within a
//! fan-out what its [`ReplyBudget`](super::ReplyBudget) lets this reply hold.

use super::budget::Lease;
use super::{MAX_REPLY_BYTES, Transport};
use crate::supervisor::error::{Error, Result};
use std::time::Duration;

impl Transport {
    /// The body of `resp`, reserved in `lease` (when in a fan-out) as it comes. The
    /// pieces are kept as they came, then joined once: no buffer grows past the
    /// body's size.
    /// Errors: [`Error::TooLarge`] past either bound (the rest is never read); the
    /// connection failing or the call timing out, as [`Transport::classify`] sorts it.
    pub(super) async fn read_body(
        &self,
        resp: &mut reqwest::Response,
        method: &str,
        timeout: Duration,
        mut lease: Option<&mut Lease>,
    ) -> Result<Vec<u8>> {
        let mut chunks = Vec::new();
        let mut len = 0;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e, method, timeout))? {
            len += chunk.len();
            let refused = if len > MAX_REPLY_BYTES {
                Some(format!(
                    "larger than {} MiB, the most one reply may hold",
                    MAX_REPLY_BYTES >> 20
                ))
            } else {
                lease.as_deref_mut().and_then(|l| l.hold(len).err())
            };
            if let Some(detail) = refused {
                return Err(Error::TooLarge {
                    url: self.display.clone(),
                    method: method.to_owned(),
                    detail,
                });
            }
            chunks.push(chunk);
        }
        let mut body = Vec::with_capacity(len);
        for chunk in chunks {
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
