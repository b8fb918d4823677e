//! Samples generated but not yet handed to a shard: per shard in the order they came, cut
//! into batches of at most `max` samples, oldest first, and queued to the shard.

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

/// Samples generated but not yet batched: per shard, in the order they came, with the
/// series of each. What is kept per series is its shard alone (4 bytes); a load of a million
/// series kept a vector of pending samples for each (about 100 bytes).
pub(super) struct Staging {
    shard_of: Vec<u32>,
    /// Per shard: the series and the sample of each pending sample, oldest first.
    logs: Vec<Log>,
    /// Scratch for a batch's samples while they are put in series order.
    taken: Vec<(u32, Sample)>,
    /// The first tick since everything was last sent.
    oldest: Option<i64>,
}

impl Staging {
    /// For series in `shards` shards, series `i` in shard `shard_of[i]`.
    pub(super) fn new(shard_of: &[usize], shards: usize) -> Self {
        Self {
            shard_of: shard_of
                .iter()
                .map(|&s| u32::try_from(s).unwrap_or(u32::MAX))
                .collect(),
            logs: (0..shards).map(|_| Log::default()).collect(),
            taken: Vec::new(),
            oldest: None,
        }
    }

    pub(super) fn push(&mut self, series: usize, sample: Sample) {
        let log = &mut self.logs[self.shard_of[series] as usize];
        log.entries
            .push((u32::try_from(series).unwrap_or(u32::MAX), sample));
    }

    /// How much sample time is pending: from the first tick since everything was last sent
    /// to `ts`.
    pub(super) fn span_to(&mut self, ts: i64) -> i64 {
        ts - *self.oldest.get_or_insert(ts)
    }

    /// Samples not yet queued.
    pub(super) fn pending(&self) -> usize {
        self.logs.iter().map(Log::len).sum()
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
            while self.logs[shard].len() >= least {
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

    /// One batch of the `max` oldest samples of `shard`, each series' samples together and
    /// in time order (the order they came in: a stable sort by series keeps it), the series
    /// in id order.
    fn take(&mut self, shard: usize, max: usize) -> Batch {
        let log = &mut self.logs[shard];
        let n = log.len().min(max);
        let oldest = log.oldest(n);
        let mut batch = Batch::with_capacity(n);
        // A live tick's samples come in series order already; history's are tick after tick.
        if oldest.is_sorted_by_key(|&(id, _)| id) {
            batch.push_sorted(oldest);
        } else {
            self.taken.clear();
            self.taken.extend_from_slice(oldest);
            self.taken.sort_by_key(|&(id, _)| id);
            batch.push_sorted(&self.taken);
        }
        log.drop_oldest(n);
        batch
    }
}

/// One shard's pending samples, oldest first: a vector read from `start` on, a queue whose
/// taken part is dropped once it is half of it (so each sample moves at most once more), and
/// whose oldest samples are one slice, copied into a batch whole.
#[derive(Default)]
struct Log {
    entries: Vec<(u32, Sample)>,
    start: usize,
}

impl Log {
    fn len(&self) -> usize {
        self.entries.len() - self.start
    }

    /// The `n` oldest (`n` at most [`Log::len`]).
    fn oldest(&self, n: usize) -> &[(u32, Sample)] {
        &self.entries[self.start..self.start + n]
    }

    fn drop_oldest(&mut self, n: usize) {
        self.start += n;
        if self.start == self.entries.len() {
            self.entries.clear();
            self.start = 0;
        } else if self.start >= self.entries.len() / 2 {
            self.entries.drain(..self.start);
            self.start = 0;
        }
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
    async fn batches_take_the_oldest_samples_first_each_series_together_and_in_time_order() {
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
        // Series 0, already taken, gets two more samples: series 4's older one goes first,
        // beside series 0's next; then series 0's last.
        staging.push(0, Sample::new(1, 0.0));
        staging.push(0, Sample::new(2, 0.0));
        let sent = staging
            .send(&queues, &table, 2, Which::All, pending())
            .await;
        assert_eq!(sent, Sent::Done);
        let batch = rx.recv().await.unwrap().1;
        assert_eq!(ids(&batch), [(0, 1), (4, 1)]);
        assert_eq!(batch.iter().next().unwrap().1[0].timestamp_ms, 1);
        assert_eq!(ids(&rx.recv().await.unwrap().1), [(0, 1)]);
        assert_eq!(staging.pending(), 0);
        // History: ticks of three series, cut across ticks; each batch groups a series'
        // samples in time order, and no sample is taken twice or left.
        for t in 0..5 {
            for series in [0, 2, 4] {
                staging.push(series, Sample::new(t, series as f64));
            }
        }
        let sent = staging
            .send(&queues, &table, 4, Which::All, pending())
            .await;
        assert_eq!(sent, Sent::Done);
        let mut seen: Vec<(u32, i64)> = Vec::new();
        for want in [
            [(0, 2), (2, 1), (4, 1)],
            [(0, 1), (2, 2), (4, 1)],
            [(0, 1), (2, 1), (4, 2)],
        ] {
            let batch = rx.recv().await.unwrap().1;
            assert_eq!(ids(&batch), want);
            for (id, samples) in batch.iter() {
                assert!(
                    samples
                        .windows(2)
                        .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
                );
                seen.extend(samples.iter().map(|s| (id, s.timestamp_ms)));
            }
        }
        assert_eq!(ids(&rx.recv().await.unwrap().1), [(0, 1), (2, 1), (4, 1)]);
        seen.sort_unstable();
        assert_eq!(seen.len(), 12);
        seen.dedup();
        assert_eq!(seen.len(), 12, "no sample twice");
        assert_eq!(staging.pending(), 0);
    }
}
