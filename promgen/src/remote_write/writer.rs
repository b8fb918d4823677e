//! Driving a registry through time into a receiver: time-major batches, shards that keep
//! each series in order, the wall clock for ticks that have not happened yet, and a stop
//! that every wait obeys.

use super::{
    Client, Encoder, FallbackReason, Protocol, SeriesTable, WriteError, WriteOptions,
    halt::{Halt, halt},
    staging::{Queued, Sent, Staging, Which},
    stats::WriteStats,
};
use crate::{Sample, Scraper, registry::Registry, sample::stale_nan, time::now_ms};
use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{sync::mpsc, task::JoinSet};

/// Batches waiting per shard: enough to keep a request in flight while the next is built.
const QUEUE_PER_SHARD: usize = 2;

/// What a finished write did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteSummary {
    /// Series written (a histogram's buckets, sum and count count separately).
    pub series: usize,
    /// Ticks generated.
    pub ticks: u64,
    /// Samples accepted, stale markers included.
    pub samples: u64,
    /// Requests that got through.
    pub requests: u64,
    /// Requests sent again after a failure.
    pub retries: u64,
    /// Compressed bytes accepted.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The protocol the receiver took (1.0 after a fallback from 2.0).
    pub protocol: Protocol,
    /// Why it fell back from 2.0 to 1.0, if it did.
    pub fallback: Option<FallbackReason>,
    /// Whether it ended because it was told to stop.
    pub stopped: bool,
}

impl WriteSummary {
    /// Samples per second of wall time.
    #[must_use]
    pub fn samples_per_second(&self) -> f64 {
        self.samples as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Writes a registry's series to a receiver over a scraper's ticks.
///
/// Ticks in the past (a backfill) are sent as fast as the receiver takes them; ticks in the
/// future wait for the wall clock (live), and whatever is pending is sent before each wait.
/// A series whose shape ends sends a stale marker; when told to stop, every series still
/// running sends one too, as a scrape target that goes away would.
///
/// The stop is obeyed at once, whatever the write is waiting for (the wall clock, room in a
/// shard's queue, a request in flight, a retry's backoff): no more ticks are generated, and
/// the receiver gets [`RemoteWriter::STOP_GRACE`] to take what is pending and the stale
/// markers. What it has not taken by then is dropped, and [`RemoteWriter::run`] says so
/// ([`WriteError::Interrupted`]).
///
/// ```
/// use promgen::{config::Config, remote_write::{RemoteWriter, WriteOptions}, Scraper, Stop};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // A real Prometheus with its receiver on, on a free port (`prometheus` on PATH, as in
/// # // the test suite), stopped at the end.
/// # let dir = std::env::temp_dir().join(format!("promgen-doc-writer-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("prometheus.yml"), "global: {}\n")?;
/// # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
/// # let mut prometheus = std::process::Command::new("prometheus")
/// #     .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
/// #     .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
/// #     .arg(format!("--web.listen-address=127.0.0.1:{port}"))
/// #     .arg("--web.enable-remote-write-receiver")
/// #     .stderr(std::process::Stdio::null())
/// #     .spawn()?;
/// # while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
/// #     std::thread::sleep(std::time::Duration::from_millis(20));
/// # }
/// # let url = format!("http://127.0.0.1:{port}/api/v1/write");
/// // `url`: a receiver's remote write endpoint, such as http://127.0.0.1:9090/api/v1/write.
/// let config = Config::parse("metrics: [{name: up, timeseries: [{values: '1+0x100'}]}]", "c.yaml")?;
/// let mut registry = config.build_registry()?;
/// let now = promgen::time::now_ms();
/// let last_hour = Scraper::new(now - 3_600_000, 15_000, Stop::Until(now))?;
/// let writer = RemoteWriter::new(&WriteOptions::new(url))?;
/// let summary = writer.run(&mut registry, &last_hour, std::future::pending()).await?;
/// // The notation's 101 values, then a stale marker where the series ends.
/// assert_eq!(summary.samples, 102);
/// # prometheus.kill()?;
/// # prometheus.wait()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
pub struct RemoteWriter {
    client: Arc<Client>,
    stats: Arc<WriteStats>,
}

impl RemoteWriter {
    /// How long a stopped write goes on sending what is pending and the stale markers,
    /// unless [`WriteOptions::stop_grace`] says otherwise: plenty for a receiver that
    /// answers a load of up to some 100 000 series, and a short wait for one that is down
    /// or failing.
    pub const STOP_GRACE: Duration = Duration::from_secs(1);

    /// A writer with these options.
    ///
    /// # Errors
    /// A bad URL, CA file or header.
    pub fn new(opts: &WriteOptions) -> Result<Self, WriteError> {
        Ok(Self {
            client: Arc::new(Client::new(opts)?),
            stats: Arc::default(),
        })
    }

    /// Calls `notice` once, at the moment the receiver shows that it does not speak 2.0
    /// (when [`WriteOptions::protocol`] asks for it), with how it showed it; the write goes
    /// on in 1.0. [`WriteSummary::fallback`] says the same afterwards.
    ///
    /// ```
    /// use promgen::remote_write::{Protocol, RemoteWriter, WriteOptions};
    /// let mut opts = WriteOptions::new("http://127.0.0.1:9090/api/v1/write");
    /// opts.protocol = Protocol::V2;
    /// let writer = RemoteWriter::new(&opts)?
    ///     .on_fallback(|why| eprintln!("the receiver does not speak 2.0 ({why}): sending 1.0"));
    /// # Ok::<(), promgen::remote_write::WriteError>(())
    /// ```
    #[must_use]
    pub fn on_fallback(self, notice: impl Fn(FallbackReason) + Send + Sync + 'static) -> Self {
        if let Ok(mut slot) = self.client.notice.lock() {
            *slot = Some(Box::new(notice));
        }
        self
    }

    /// The live counters, for progress reports while [`RemoteWriter::run`] runs.
    #[must_use]
    pub fn stats(&self) -> Arc<WriteStats> {
        Arc::clone(&self.stats)
    }

    /// Writes `registry` over `scraper`'s ticks until they end, every series has ended, or
    /// `stop` completes (then as [`RemoteWriter`] explains).
    ///
    /// # Errors
    /// The first request that could not get through; the write stops there. After a
    /// stop, [`WriteError::Interrupted`] when something was not delivered in time.
    pub async fn run(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
        stop: impl Future<Output = ()>,
    ) -> Result<WriteSummary, WriteError> {
        let (switch, halt) = halt(self.client.options().stop_grace);
        let write = self.write(registry, scraper, &halt);
        tokio::pin!(write, stop);
        tokio::select! {
            result = &mut write => result,
            () = &mut stop => {
                switch.pull();
                write.await
            }
        }
    }

    /// [`RemoteWriter::run`], with every wait watching `halt`.
    async fn write(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
        halt: &Halt,
    ) -> Result<WriteSummary, WriteError> {
        let started = Instant::now();
        if let Some(first) = scraper.ticks().next() {
            // A churning load's first series, before their labels are encoded.
            registry.churn_to(first.timestamp_ms, |_, _| {});
        }
        // Built for the protocol asked (a 2.0 table holds 1.0's too, for a fallback), and
        // without the list of wire series, which a load of millions would hold beside it.
        let (table, members) = SeriesTable::of_registry(registry, self.client.options().protocol);
        let table = Arc::new(table);
        let wire_len = members.len();
        let opts = self.client.options();
        let shards = opts.concurrency.clamp(1, wire_len.max(1));
        let max = opts.max_samples_per_send.max(1);

        let sends_metadata = self.client.protocol() == Protocol::V1;
        let mut metadata_delivered = true;
        if sends_metadata {
            // Families' types and help first, as Prometheus sends them apart from samples.
            metadata_delivered = self.send_metadata(&table, halt).await?;
        }

        let cancel = Arc::new(AtomicBool::new(false));
        let mut workers = JoinSet::new();
        let mut queues = Vec::with_capacity(shards);
        for _ in 0..shards {
            let (tx, rx) = mpsc::channel::<Queued>(QUEUE_PER_SHARD);
            queues.push(tx);
            workers.spawn(worker(
                Arc::clone(&self.client),
                rx,
                Arc::clone(&self.stats),
                Arc::clone(&cancel),
                halt.clone(),
            ));
        }

        let mut staging = Staging::new(&shard_of_members(&members, shards), shards);
        drop(members);
        let mut current = Arc::clone(&table);
        self.produce(
            registry,
            scraper,
            &mut staging,
            &queues,
            &mut current,
            max,
            halt,
        )
        .await;
        drop(queues);
        let mut error = None;
        while let Some(joined) = workers.join_next().await {
            let failure = match joined {
                Ok(Ok(()) | Err(WriteError::Stopped)) => continue,
                Ok(Err(e)) => e,
                Err(panic) => WriteError::Client(format!("a sender task failed: {panic}")),
            };
            error.get_or_insert(failure);
        }
        if let Some(e) = error {
            return Err(e);
        }
        if !sends_metadata && self.client.fallback().is_some() {
            // 2.0 carried the metadata on every series; after falling back to 1.0 it goes
            // apart, as it would have from the start.
            metadata_delivered = self.send_metadata(&table, halt).await?;
        }
        let summary = WriteSummary {
            series: wire_len,
            ticks: self.stats.ticks(),
            samples: self.stats.samples(),
            requests: self.stats.requests(),
            retries: self.stats.retries(),
            bytes: self.stats.bytes(),
            elapsed: started.elapsed(),
            protocol: self.client.protocol(),
            fallback: self.client.fallback(),
            stopped: halt.asked(),
        };
        let undelivered = self.stats.undelivered();
        if undelivered > 0 || !metadata_delivered {
            return Err(WriteError::Interrupted {
                undelivered,
                metadata: !metadata_delivered,
                last: self.client.last_failure(),
                summary: Box::new(summary),
            });
        }
        Ok(summary)
    }

    /// The 1.0 metadata request: every family's type and help. False when it was stopped
    /// and the grace period ran out before it got through.
    async fn send_metadata(&self, table: &SeriesTable, halt: &Halt) -> Result<bool, WriteError> {
        if table.is_empty() {
            return Ok(true);
        }
        let body = Encoder::default()
            .encode_message(&table.v1_metadata_request())
            .to_vec();
        let delivery = tokio::select! {
            biased;
            () = halt.on_expiry() => return Ok(false),
            delivery = self.client.send_message(body) => delivery?,
        };
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats
            .retries
            .fetch_add(u64::from(delivery.retries), Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(delivery.bytes as u64, Ordering::Relaxed);
        Ok(true)
    }

    /// Generates ticks into the shards' queues until the ticks end, every series has
    /// ended, or stopping is asked for (then every running series is marked stale); then
    /// queues what is pending, for at most the grace period after a stop. What could not be
    /// queued is counted undelivered. A closed queue means that its worker failed: that
    /// ends it too, and the worker says why. When a churning series is replaced, what is
    /// pending goes with the labels it was made under, and `table` is made anew.
    #[allow(clippy::too_many_arguments)]
    async fn produce(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
        staging: &mut Staging,
        queues: &[mpsc::Sender<Queued>],
        table: &mut Arc<SeriesTable>,
        max: usize,
        halt: &Halt,
    ) {
        let mut last_ts = None;
        let mut sent = Sent::Done;
        // With the queues full, no shard is more than a few rounds behind another
        // (`WriteOptions::round_span`).
        let round_span_ms = i64::try_from(self.client.options().round_span.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        // Ticks due before this are history, written as fast as the receiver takes them.
        let run_start_ms = now_ms();
        for tick in scraper.ticks() {
            // Between past ticks, only look: a backfill stops too.
            if halt.asked() {
                break;
            }
            let ts = tick.timestamp_ms;
            let wait = ts - now_ms();
            if ts >= run_start_ms {
                self.stats.behind_ms.store(-wait.min(0), Ordering::Relaxed);
            }
            if wait > 0 {
                sent = staging
                    .send(queues, table, max, Which::All, halt.on_ask())
                    .await;
                if sent != Sent::Done {
                    break;
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
                    () = halt.on_ask() => break,
                }
            }
            let relabeled =
                registry.churn_to(ts, |i, _| staging.push(i, Sample::new(ts, stale_nan())));
            if relabeled {
                // The stale markers of the series that left go under their own labels.
                sent = staging
                    .send(queues, table, max, Which::All, halt.on_ask())
                    .await;
                if sent != Sent::Done {
                    break;
                }
                let protocol = self.client.options().protocol;
                *table = Arc::new(SeriesTable::of_registry(registry, protocol).0);
            }
            let running = registry.collect(ts, |i, v| staging.push(i, Sample::new(ts, v)));
            last_ts = Some(ts);
            self.stats.ticks.fetch_add(1, Ordering::Relaxed);
            let which = if staging.span_to(ts) >= round_span_ms {
                Which::All
            } else {
                Which::Full
            };
            sent = staging.send(queues, table, max, which, halt.on_ask()).await;
            if sent != Sent::Done || !running {
                break;
            }
        }
        if sent != Sent::Closed {
            if halt.asked()
                && let Some(last) = last_ts
            {
                // Like a target that goes away: every running series is marked stale.
                let ts = now_ms().max(last + 1);
                registry.mark_stale(|i, v| staging.push(i, Sample::new(ts, v)));
            }
            sent = staging
                .send(queues, table, max, Which::All, halt.on_expiry())
                .await;
        }
        if sent != Sent::Done {
            self.stats
                .undelivered
                .fetch_add(staging.pending() as u64, Ordering::Relaxed);
        }
    }
}

async fn worker(
    client: Arc<Client>,
    mut queue: mpsc::Receiver<Queued>,
    stats: Arc<WriteStats>,
    cancel: Arc<AtomicBool>,
    halt: Halt,
) -> Result<(), WriteError> {
    let mut encoder = Encoder::default();
    while let Some((table, batch)) = queue.recv().await {
        if cancel.load(Ordering::Relaxed) {
            return Err(WriteError::Stopped);
        }
        stats
            .sent
            .fetch_add(batch.sample_count() as u64, Ordering::Relaxed);
        let began = Instant::now();
        let sent = tokio::select! {
            biased;
            () = halt.on_expiry() => None,
            sent = client.send(&table, &batch, &mut encoder) => Some(sent),
        };
        if sent.as_ref().is_none_or(Result::is_err) {
            stats.failed.fetch_add(1, Ordering::Relaxed);
        }
        match sent {
            Some(Ok(d)) => {
                stats.latencies.record(began.elapsed());
                stats
                    .samples
                    .fetch_add(batch.sample_count() as u64, Ordering::Relaxed);
                stats.requests.fetch_add(1, Ordering::Relaxed);
                stats
                    .retries
                    .fetch_add(u64::from(d.retries), Ordering::Relaxed);
                stats.bytes.fetch_add(d.bytes as u64, Ordering::Relaxed);
            }
            Some(Err(e)) => {
                cancel.store(true, Ordering::Relaxed);
                return Err(e);
            }
            None => {
                // Stopped, and the grace period is over: this batch and the ones queued
                // behind it are dropped, and counted.
                let mut dropped = batch.sample_count();
                queue.close();
                while let Some((_, queued)) = queue.recv().await {
                    dropped += queued.sample_count();
                }
                stats
                    .undelivered
                    .fetch_add(dropped as u64, Ordering::Relaxed);
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The shard of each wire series, from its member's index (`members`, ascending): runs of
/// consecutive members, of as near equal counts as can be, each member's wire series in one.
/// Runs, not every `shards`-th member: each worker then reads the series table's label
/// fields in order, where with every fourth series its copies of them missed the cache (a
/// sixth of a writer's CPU at a million series, in a profile).
fn shard_of_members(members: &[usize], shards: usize) -> Vec<usize> {
    let count = members.last().map_or(1, |&m| m + 1);
    members.iter().map(|&m| m * shards / count).collect()
}

#[cfg(test)]
mod tests {
    use super::shard_of_members;

    #[test]
    fn shards_are_runs_of_whole_members_of_near_equal_size() {
        // 10 members; member 3 is a histogram of four wire series.
        let members = [0, 1, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9];
        let shards = shard_of_members(&members, 4);
        assert_eq!(shards, [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3]);
        // Every member in one shard, the shards in order, each of 2 or 3 members.
        for (w, pair) in members.windows(2).zip(shards.windows(2)) {
            assert!(pair[0] <= pair[1]);
            if w[0] == w[1] {
                assert_eq!(pair[0], pair[1]);
            }
        }
        let million: Vec<usize> = (0..1_000_000).collect();
        let mut sizes = [0; 4];
        for s in shard_of_members(&million, 4) {
            sizes[s] += 1;
        }
        assert_eq!(sizes, [250_000; 4]);
        assert_eq!(shard_of_members(&[0, 1], 4), [0, 2]);
        assert!(shard_of_members(&[], 4).is_empty());
    }
}
