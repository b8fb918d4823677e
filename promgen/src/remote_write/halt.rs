//! The stop signal as a write's tasks see it: whether stopping was asked for, and the end
//! of the grace period that bounds whatever is still sent after that.

use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Pulled once, by [`RemoteWriter::run`](super::RemoteWriter::run) when its stop future
/// completes.
pub(super) struct Switch(watch::Sender<Option<Instant>>);

/// What each task of a write watches. Cheap to clone.
#[derive(Clone)]
pub(super) struct Halt {
    asked: watch::Receiver<Option<Instant>>,
    grace: Duration,
}

/// A switch and what it switches; after a pull, `grace` is how long sending may go on.
pub(super) fn halt(grace: Duration) -> (Switch, Halt) {
    let (tx, rx) = watch::channel(None);
    (Switch(tx), Halt { asked: rx, grace })
}

impl Switch {
    /// Asks every task to stop, from now.
    pub(super) fn pull(&self) {
        self.0.send_if_modified(|at| {
            let first = at.is_none();
            if first {
                *at = Some(Instant::now());
            }
            first
        });
    }
}

impl Halt {
    /// Whether stopping was asked for.
    pub(super) fn asked(&self) -> bool {
        self.asked.borrow().is_some()
    }

    /// Completes once stopping is asked for (never, if the switch is gone unpulled).
    pub(super) async fn on_ask(&self) {
        let mut asked = self.asked.clone();
        if asked.wait_for(Option::is_some).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Completes when the grace period after the ask has run out: nothing is waited for
    /// after that.
    pub(super) async fn on_expiry(&self) {
        self.on_ask().await;
        let asked_at = *self.asked.borrow();
        if let Some(at) = asked_at {
            tokio::time::sleep_until((at + self.grace).into()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expiry_comes_the_grace_period_after_the_ask() {
        let grace = Duration::from_millis(200);
        let (switch, halt) = halt(grace);
        assert!(!halt.asked());
        let waiting = tokio::spawn({
            let halt = halt.clone();
            async move {
                halt.on_expiry().await;
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "no expiry before an ask");
        let asked = Instant::now();
        switch.pull();
        switch.pull();
        assert!(halt.asked());
        halt.on_ask().await;
        let took = waiting.await.unwrap() - asked;
        assert!(took >= grace && took < grace * 3, "{took:?}");
    }
}
