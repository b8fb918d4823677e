//! Driving a registry through time into a receiver: time-major batches, shards that keep
//! each series in order, the wall clock for ticks that have not happened yet.

use super::{
    Batch, Client, Encoder, FallbackReason, Protocol, SeriesTable, WriteError, WriteOptions,
};
use crate::{Sample, Scraper, registry::Registry, time::now_ms};
use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{sync::mpsc, task::JoinSet};

/// Batches waiting per shard: enough to keep a request in flight while the next is built.
const QUEUE_PER_SHARD: usize = 2;

/// The most sample time one round of batches may span. Prometheus refuses samples more than
/// half a block (1h) older than the newest sample in its head, across all series, so the
/// shards must advance together: every shard sends what it holds at least every 5 minutes
/// of sample time, and with the queues full no shard is more than 4 rounds (20 min) behind.
const MAX_SPAN_MS: i64 = 5 * 60 * 1000;

/// Counters updated while a write runs; read them from another task for progress.
#[derive(Debug, Default)]
pub struct WriteStats {
    ticks: AtomicU64,
    samples: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
}

impl WriteStats {
    /// Ticks generated so far (time steps, each covering every series).
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// Samples the receiver has accepted so far.
    pub fn samples(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }

    /// Requests that got through so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests sent again so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Compressed bytes accepted so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

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
/// ```no_run
/// use promgen::{config::Config, remote_write::{RemoteWriter, WriteOptions}, Scraper, Stop};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::parse("metrics: [{name: up, timeseries: [{values: '1+0x100'}]}]", "c.yaml")?;
/// let mut registry = config.build_registry()?;
/// let now = promgen::time::now_ms();
/// let last_hour = Scraper::new(now - 3_600_000, 15_000, Stop::Until(now))?;
/// let writer = RemoteWriter::new(&WriteOptions::new("http://127.0.0.1:9090/api/v1/write"))?;
/// let summary = writer.run(&mut registry, &last_hour, std::future::pending()).await?;
/// println!("{} samples in {} requests", summary.samples, summary.requests);
/// # Ok(()) }
/// ```
pub struct RemoteWriter {
    client: Arc<Client>,
    stats: Arc<WriteStats>,
}

impl RemoteWriter {
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
    /// ```no_run
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
    /// `stop` completes.
    ///
    /// # Errors
    /// The first request that could not get through; the write stops there.
    pub async fn run(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
        stop: impl Future<Output = ()>,
    ) -> Result<WriteSummary, WriteError> {
        let started = Instant::now();
        let wire = registry.wire_series();
        let table = Arc::new(SeriesTable::new(&wire));
        let opts = self.client.options();
        let shards = opts.concurrency.clamp(1, wire.len().max(1));
        let max = opts.max_samples_per_send.max(1);

        let sends_metadata = self.client.protocol() == Protocol::V1;
        if sends_metadata {
            // Families' types and help first, as Prometheus sends them apart from samples.
            self.send_metadata(&table).await?;
        }

        let cancel = Arc::new(AtomicBool::new(false));
        let mut workers = JoinSet::new();
        let mut queues = Vec::with_capacity(shards);
        for _ in 0..shards {
            let (tx, rx) = mpsc::channel::<Batch>(QUEUE_PER_SHARD);
            queues.push(tx);
            workers.spawn(worker(
                Arc::clone(&self.client),
                Arc::clone(&table),
                rx,
                Arc::clone(&self.stats),
                Arc::clone(&cancel),
            ));
        }

        let mut staging = Staging::new(
            &wire.iter().map(|w| w.member % shards).collect::<Vec<_>>(),
            shards,
        );
        let produced = self
            .produce(registry, scraper, stop, &mut staging, &queues, max)
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
        // A closed queue means a worker failed, and it said why above.
        let stopped = produced.map_err(|()| WriteError::Stopped)?;
        if !sends_metadata && self.client.fallback().is_some() {
            // 2.0 carried the metadata on every series; after falling back to 1.0 it goes
            // apart, as it would have from the start.
            self.send_metadata(&table).await?;
        }
        Ok(WriteSummary {
            series: wire.len(),
            ticks: self.stats.ticks(),
            samples: self.stats.samples(),
            requests: self.stats.requests(),
            retries: self.stats.retries(),
            bytes: self.stats.bytes(),
            elapsed: started.elapsed(),
            protocol: self.client.protocol(),
            fallback: self.client.fallback(),
            stopped,
        })
    }

    /// The 1.0 metadata request: every family's type and help.
    async fn send_metadata(&self, table: &SeriesTable) -> Result<(), WriteError> {
        if table.is_empty() {
            return Ok(());
        }
        let body = Encoder::default()
            .encode_message(&table.v1_metadata_request())
            .to_vec();
        let delivery = self.client.send_message(body).await?;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats
            .retries
            .fetch_add(u64::from(delivery.retries), Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(delivery.bytes as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Generates ticks into the shards' queues; true when `stop` ended it. An error means a
    /// queue closed because its worker failed.
    async fn produce(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
        stop: impl Future<Output = ()>,
        staging: &mut Staging,
        queues: &[mpsc::Sender<Batch>],
        max: usize,
    ) -> Result<bool, ()> {
        tokio::pin!(stop);
        let mut last_ts = None;
        let mut stopped = false;
        for tick in scraper.ticks() {
            let ts = tick.timestamp_ms;
            let wait = ts - now_ms();
            if wait > 0 {
                staging.send_all(queues, max).await?;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
                    () = &mut stop => { stopped = true; break; }
                }
            } else {
                // Between past ticks, only look: a backfill stops on Ctrl-C too.
                tokio::select! {
                    biased;
                    () = &mut stop => { stopped = true; break; }
                    () = std::future::ready(()) => {}
                }
            }
            let running = registry.collect(ts, |i, v| staging.push(i, Sample::new(ts, v)));
            last_ts = Some(ts);
            self.stats.ticks.fetch_add(1, Ordering::Relaxed);
            let oldest = *staging.oldest.get_or_insert(ts);
            if ts - oldest >= MAX_SPAN_MS {
                staging.send_all(queues, max).await?;
            } else {
                staging.send_full(queues, max).await?;
            }
            if !running {
                break;
            }
        }
        if stopped && let Some(last) = last_ts {
            // Like a target that goes away: every running series is marked stale.
            let ts = now_ms().max(last + 1);
            registry.mark_stale(|i, v| staging.push(i, Sample::new(ts, v)));
        }
        staging.send_all(queues, max).await?;
        Ok(stopped)
    }
}

/// Samples generated but not yet batched, per series, and which shard each series is in.
struct Staging {
    pending: Vec<Vec<Sample>>,
    shard_of: Vec<usize>,
    /// Each shard's series, in series order.
    members: Vec<Vec<u32>>,
    /// Samples pending per shard.
    counts: Vec<usize>,
    /// The first tick since everything was last sent.
    oldest: Option<i64>,
}

impl Staging {
    fn new(shard_of: &[usize], shards: usize) -> Self {
        let mut members = vec![Vec::new(); shards];
        for (i, &s) in shard_of.iter().enumerate() {
            members[s].push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Self {
            pending: vec![Vec::new(); shard_of.len()],
            shard_of: shard_of.to_vec(),
            members,
            counts: vec![0; shards],
            oldest: None,
        }
    }

    fn push(&mut self, series: usize, sample: Sample) {
        self.pending[series].push(sample);
        self.counts[self.shard_of[series]] += 1;
    }

    /// Sends every full batch.
    async fn send_full(&mut self, queues: &[mpsc::Sender<Batch>], max: usize) -> Result<(), ()> {
        for (shard, queue) in queues.iter().enumerate() {
            while self.counts[shard] >= max {
                self.send_one(shard, queue, max).await?;
            }
        }
        Ok(())
    }

    /// Sends everything pending, in batches of at most `max`.
    async fn send_all(&mut self, queues: &[mpsc::Sender<Batch>], max: usize) -> Result<(), ()> {
        self.oldest = None;
        for (shard, queue) in queues.iter().enumerate() {
            while self.counts[shard] > 0 {
                self.send_one(shard, queue, max).await?;
            }
        }
        Ok(())
    }

    /// One batch of up to `max` samples from `shard`, oldest first for each series.
    async fn send_one(
        &mut self,
        shard: usize,
        queue: &mpsc::Sender<Batch>,
        max: usize,
    ) -> Result<(), ()> {
        let mut batch = Batch::default();
        let mut room = max;
        for &id in &self.members[shard] {
            if room == 0 {
                break;
            }
            let pending = &mut self.pending[id as usize];
            let take = pending.len().min(room);
            if take > 0 {
                batch.push(id, pending.drain(..take));
                room -= take;
            }
        }
        self.counts[shard] -= batch.sample_count();
        queue.send(batch).await.map_err(|_| ())
    }
}

async fn worker(
    client: Arc<Client>,
    table: Arc<SeriesTable>,
    mut queue: mpsc::Receiver<Batch>,
    stats: Arc<WriteStats>,
    cancel: Arc<AtomicBool>,
) -> Result<(), WriteError> {
    let mut encoder = Encoder::default();
    while let Some(batch) = queue.recv().await {
        if cancel.load(Ordering::Relaxed) {
            return Err(WriteError::Stopped);
        }
        match client.send(&table, &batch, &mut encoder).await {
            Ok(d) => {
                stats
                    .samples
                    .fetch_add(batch.sample_count() as u64, Ordering::Relaxed);
                stats.requests.fetch_add(1, Ordering::Relaxed);
                stats
                    .retries
                    .fetch_add(u64::from(d.retries), Ordering::Relaxed);
                stats.bytes.fetch_add(d.bytes as u64, Ordering::Relaxed);
            }
            Err(e) => {
                cancel.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
    }
    Ok(())
}
