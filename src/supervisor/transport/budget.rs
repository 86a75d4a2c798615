//! The memory of the replies of one fan-out, held at once: a pool of bytes shared by
//! its targets. A reply reserves what it holds as it reads: twice its bytes (the bytes,
//! then what they decode to, alive together while it is decoded). Each reply is sure of its
//! share (the pool over the targets asked at once) and may borrow past it what no
//! other reply is sure of; a reply that can get no more is refused alone
//! ([`Error::TooLarge`](crate::supervisor::Error::TooLarge)) and the others go on.
//! What a reply holds goes back when it is decoded or dropped (an error, a timeout, a
//! cancelled call included): the reservation is a semaphore permit, released on drop.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What the pool counts in: KiB (a semaphore counts at most `u32` at a time).
const UNIT: usize = 1024;

/// The reply memory of one fan-out (see the module's doc). Sizes are in bytes.
#[derive(Debug)]
pub struct ReplyBudget {
    pool: Arc<Semaphore>,
    /// Units in the pool.
    total: u32,
    /// Units each reply is sure of.
    share: u32,
}

impl ReplyBudget {
    /// A pool of `total` bytes (at least 1 KiB, at most 4 TiB) for replies read by at
    /// most `slots` targets at once: each reply is sure of `total / slots`.
    pub fn new(total: usize, slots: usize) -> Arc<ReplyBudget> {
        let total = u32::try_from(total / UNIT).unwrap_or(u32::MAX).max(1);
        let slots = u32::try_from(slots).unwrap_or(u32::MAX).max(1);
        let share = (total / slots).max(1);
        Arc::new(ReplyBudget {
            pool: Arc::new(Semaphore::new(total as usize)),
            total,
            share,
        })
    }

    /// Bytes in the pool.
    pub fn total(&self) -> usize {
        self.total as usize * UNIT
    }

    /// Bytes each reply is sure of.
    pub fn share(&self) -> usize {
        self.share as usize * UNIT
    }

    /// Bytes no reply holds or is sure of now (all of [`ReplyBudget::total`] once
    /// every reply is done).
    pub fn free(&self) -> usize {
        self.pool.available_permits() * UNIT
    }

    /// Starts a reply: takes its share, waiting while replies that borrowed past
    /// theirs hold it (they never wait, so this wait ends when they do).
    pub async fn lease(self: &Arc<Self>) -> Lease {
        let permit = self.pool.clone().acquire_many_owned(self.share).await.ok();
        Lease {
            permit,
            budget: self.clone(),
        }
    }
}

/// What one reply holds of a [`ReplyBudget`]; given back on drop.
#[derive(Debug)]
pub struct Lease {
    /// `None` only if the pool were closed (it never is): then nothing is held.
    permit: Option<OwnedSemaphorePermit>,
    budget: Arc<ReplyBudget>,
}

impl Lease {
    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.permit.as_ref().map_or(0, OwnedSemaphorePermit::num_permits) * UNIT
    }

    /// Makes room for a reply of `bytes` in all (twice that is held: see the
    /// module's doc): within its share at once, past it borrowed from what is free,
    /// never waiting. Errors: none free (the reason, for
    /// [`Error::TooLarge`](crate::supervisor::Error::TooLarge)'s detail).
    pub fn hold(&mut self, bytes: usize) -> Result<(), String> {
        let held = self.held() / UNIT;
        let needed = bytes.saturating_mul(2).div_ceil(UNIT);
        if needed <= held {
            return Ok(());
        }
        let more = u32::try_from(needed - held).unwrap_or(u32::MAX);
        match self.budget.pool.clone().try_acquire_many_owned(more) {
            Ok(p) => {
                match &mut self.permit {
                    Some(mine) => mine.merge(p),
                    None => self.permit = Some(p),
                }
                Ok(())
            }
            Err(_) => Err(self.refusal()),
        }
    }

    fn refusal(&self) -> String {
        let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
        format!(
            "larger than {:.1} MiB: past this target's share of the {:.0} MiB a fleet call holds \
             of replies at once, and none free to borrow; raise --fleet-memory (or [defaults] \
             fleet_memory_mib), or ask fewer targets at once",
            mib(self.held() / 2),
            mib(self.budget.total())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MIB: usize = 1024 * 1024;

    #[tokio::test]
    async fn a_reply_is_sure_of_its_share_and_borrows_only_what_is_free() {
        let b = ReplyBudget::new(8 * MIB, 4);
        assert_eq!(b.share(), 2 * MIB);
        let mut big = b.lease().await;
        let mut small = b.lease().await;
        // A reply holds twice its bytes. Within the share: always. Past it: what the
        // two others are not sure of.
        assert_eq!(small.hold(MIB), Ok(()));
        assert_eq!(big.hold(3 * MIB), Ok(()));
        assert_eq!(big.held(), 6 * MIB);
        assert!(big.hold(3 * MIB + 1).is_err(), "borrowed past the pool");
        assert_eq!(b.free(), 0);
        // The first byte past the share refused is the reply's error, not a leak.
        let err = small.hold(MIB + 1).unwrap_err();
        assert!(err.contains("1.0 MiB") && err.contains("--fleet-memory"), "{err}");
        drop(big);
        assert_eq!(b.free(), 6 * MIB);
        assert_eq!(small.hold(3 * MIB / 2), Ok(()));
        drop(small);
        assert_eq!(b.free(), b.total());
    }

    #[tokio::test]
    async fn nothing_stays_reserved_after_errors_timeouts_or_cancelled_calls() {
        let b = ReplyBudget::new(4 * MIB, 2);
        // A reply that failed past its bound (dropped with its error).
        let mut l = b.lease().await;
        assert_eq!(l.hold(2 * MIB), Ok(()));
        assert!(l.hold(2 * MIB + 1).is_err());
        drop(l);
        assert_eq!(b.free(), b.total());
        // A call cut by its deadline while it read.
        let reading = {
            let b = b.clone();
            tokio::spawn(async move {
                let mut l = b.lease().await;
                let _ = l.hold(MIB / 4);
                std::future::pending::<()>().await;
            })
        };
        while b.free() == b.total() {
            tokio::task::yield_now().await;
        }
        reading.abort();
        let _ = reading.await;
        assert_eq!(b.free(), b.total());
        // A call cancelled while it waited for its share (a borrower held part of it).
        let mut borrower = b.lease().await;
        assert_eq!(borrower.hold(3 * MIB / 2), Ok(()));
        let waiting = tokio::time::timeout(Duration::from_millis(50), b.lease()).await;
        assert!(waiting.is_err(), "got a share the borrower held");
        drop(borrower);
        assert_eq!(b.free(), b.total());
    }

    #[tokio::test]
    async fn a_late_reply_waits_for_its_share_and_gets_it_when_the_borrower_ends() {
        let b = ReplyBudget::new(4 * MIB, 2);
        let mut borrower = b.lease().await;
        assert_eq!(borrower.hold(2 * MIB), Ok(()));
        let late = tokio::spawn({
            let b = b.clone();
            async move {
                let mut l = b.lease().await;
                l.hold(MIB)
            }
        });
        tokio::task::yield_now().await;
        assert!(!late.is_finished());
        drop(borrower);
        assert_eq!(late.await.ok(), Some(Ok(())));
        assert_eq!(b.free(), b.total());
    }
}
