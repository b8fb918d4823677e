//! Samples generated but not yet handed to a shard: per series, cut into batches of at most
//! `max` samples and queued to the series' shard, oldest first.

use super::{Batch, SeriesTable};
use crate::Sample;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A batch, with the table its series ids are read from: a churning load's labels change
/// between batches ([`crate::churn`]).
pub(super) type Queued = (Arc<SeriesTable>, Batch);

/// Which pending samples to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// Only full batches; the rest waits for more.
    Full,
    /// Everything.
    All,
}

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    /// Everything asked for is queued.
    Done,
    /// The cut-off came first; what was not queued is still pending.
    Cut,
    /// A queue closed: its worker has stopped.
    Closed,
}

/// Samples generated but not yet batched, per series, and which shard each series is in.
pub(super) struct Staging {
    pending: Vec<Vec<Sample>>,
    shard_of: Vec<usize>,
    /// Each series' position in its shard's `members`.
    position: Vec<u32>,
    /// Each shard's series, in series order.
    members: Vec<Vec<u32>>,
    /// Per shard: no series before this position in `members` has a sample pending, so a
    /// batch starts looking there. Without it, each of a tick's batches would walk past the
    /// series the batches before it emptied: quadratic in the series of a shard (a million
    /// series in four shards took 125 batches a tick, and as many passes over the emptied).
    first: Vec<usize>,
    /// Samples pending per shard.
    counts: Vec<usize>,
    /// The first tick since everything was last sent.
    oldest: Option<i64>,
}

impl Staging {
    /// For series in `shards` shards, series `i` in shard `shard_of[i]`.
    pub(super) fn new(shard_of: &[usize], shards: usize) -> Self {
        let mut members = vec![Vec::new(); shards];
        let mut position = Vec::with_capacity(shard_of.len());
        for (i, &s) in shard_of.iter().enumerate() {
            position.push(u32::try_from(members[s].len()).unwrap_or(u32::MAX));
            members[s].push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Self {
            pending: vec![Vec::new(); shard_of.len()],
            shard_of: shard_of.to_vec(),
            position,
            members,
            first: vec![0; shards],
            counts: vec![0; shards],
            oldest: None,
        }
    }

    pub(super) fn push(&mut self, series: usize, sample: Sample) {
        self.pending[series].push(sample);
        let shard = self.shard_of[series];
        self.counts[shard] += 1;
        let first = &mut self.first[shard];
        *first = (*first).min(self.position[series] as usize);
    }

    /// How much sample time is pending: from the first tick since everything was last sent
    /// to `ts`.
    pub(super) fn span_to(&mut self, ts: i64) -> i64 {
        ts - *self.oldest.get_or_insert(ts)
    }

    /// Samples not yet queued.
    pub(super) fn pending(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Queues `which` pending samples, in batches of at most `max` read with `table`,
    /// waiting for room in the queues until `cut` completes. Nothing is taken from the
    /// pending samples before its queue has room, so a cut loses nothing.
    pub(super) async fn send(
        &mut self,
        queues: &[mpsc::Sender<Queued>],
        table: &Arc<SeriesTable>,
        max: usize,
        which: Which,
        cut: impl Future<Output = ()>,
    ) -> Sent {
        let least = match which {
            Which::Full => max,
            Which::All => 1,
        };
        tokio::pin!(cut);
        for (shard, queue) in queues.iter().enumerate() {
            while self.counts[shard] >= least {
                let room = tokio::select! {
                    biased;
                    () = &mut cut => return Sent::Cut,
                    room = queue.reserve() => room,
                };
                let Ok(room) = room else {
                    return Sent::Closed;
                };
                room.send((Arc::clone(table), self.take(shard, max)));
            }
        }
        if which == Which::All {
            self.oldest = None;
        }
        Sent::Done
    }

    /// One batch of up to `max` samples from `shard`, oldest first for each series.
    fn take(&mut self, shard: usize, max: usize) -> Batch {
        let mut batch = Batch::default();
        let mut room = max;
        let members = &self.members[shard];
        let mut at = self.first[shard];
        while room > 0 && at < members.len() {
            let id = members[at];
            let pending = &mut self.pending[id as usize];
            let take = pending.len().min(room);
            if take > 0 {
                batch.push(id, pending.drain(..take));
                room -= take;
            }
            if pending.is_empty() {
                at += 1;
            }
        }
        self.first[shard] = at;
        self.counts[shard] -= batch.sample_count();
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cut_while_a_queue_is_full_keeps_the_samples_pending() {
        let mut staging = Staging::new(&[0, 0], 1);
        for t in 0..6 {
            staging.push(0, Sample::new(t, 1.0));
            staging.push(1, Sample::new(t, 2.0));
        }
        let (tx, mut rx) = mpsc::channel(1);
        let queues = [tx];
        let table = Arc::new(SeriesTable::new(&[]));
        // Room for one batch of 5; the second waits for room that never comes.
        let sent = staging
            .send(
                &queues,
                &table,
                5,
                Which::All,
                tokio::time::sleep(std::time::Duration::from_millis(50)),
            )
            .await;
        assert_eq!(sent, Sent::Cut);
        assert_eq!(rx.recv().await.map(|(_, b)| b.sample_count()), Some(5));
        assert_eq!(staging.pending(), 7, "nothing lost in the cut");
        let sent = staging
            .send(&queues, &table, 5, Which::Full, std::future::pending())
            .await;
        assert_eq!(sent, Sent::Done, "a batch of 5, with 2 left for later");
        assert_eq!(staging.pending(), 2);
        drop(rx);
        let sent = staging
            .send(&queues, &table, 5, Which::All, std::future::pending())
            .await;
        assert_eq!(sent, Sent::Closed);
        assert_eq!(staging.pending(), 2);
    }

    #[tokio::test]
    async fn batches_take_the_oldest_samples_in_series_order_after_earlier_series_refill() {
        // Two shards; shard 0 holds series 0, 2 and 4.
        let mut staging = Staging::new(&[0, 1, 0, 1, 0], 2);
        for series in [0, 2, 4] {
            staging.push(series, Sample::new(0, series as f64));
        }
        let (tx, mut rx) = mpsc::channel(8);
        let (other, _rx) = mpsc::channel(8);
        let queues = [tx, other];
        let table = Arc::new(SeriesTable::new(&[]));
        let ids = |b: &Batch| b.iter().map(|(id, s)| (id, s.len())).collect::<Vec<_>>();
        let pending = std::future::pending;
        let sent = staging
            .send(&queues, &table, 2, Which::Full, pending())
            .await;
        assert_eq!(sent, Sent::Done);
        assert_eq!(ids(&rx.recv().await.unwrap().1), [(0, 1), (2, 1)]);
        // Series 0, already taken, gets two more samples: the next batches find them.
        staging.push(0, Sample::new(1, 0.0));
        staging.push(0, Sample::new(2, 0.0));
        let sent = staging
            .send(&queues, &table, 2, Which::All, pending())
            .await;
        assert_eq!(sent, Sent::Done);
        assert_eq!(ids(&rx.recv().await.unwrap().1), [(0, 2)]);
        assert_eq!(ids(&rx.recv().await.unwrap().1), [(4, 1)]);
        assert_eq!(staging.pending(), 0);
    }
}
