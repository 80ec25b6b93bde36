//! The single writer: one thread owns the only writable connection and runs every write job.
//!
//! Jobs queue on a bounded channel (back-pressure instead of unbounded memory). The thread
//! takes whatever jobs are waiting, up to [`MAX_BATCH_JOBS`], runs each inside its own
//! savepoint within one transaction, commits once, and only then answers every job: this is
//! group commit, so one fsync covers many writes and nobody is told "done" before the data is
//! durable. A job that fails rolls back its own savepoint and leaves the others untouched.
//!
//! A [`BatchHook`] lets the log keep in-memory state in step with the transaction: it hears
//! about every job's start and outcome (to undo a failed job's in-memory changes) and gets the
//! last word before each commit (where the log signs one checkpoint for the whole batch).

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{StoreError, StoreResult};

/// Jobs that may wait for the writer before submitters are made to wait.
pub const WRITE_QUEUE_LEN: usize = 4096;
/// Most jobs committed in one transaction.
pub const MAX_BATCH_JOBS: usize = 1024;

/// Why a batch did not commit, as every job of it is told.
#[derive(Clone, Debug)]
enum CommitFailure {
    /// The write lock could not be had in time (another process holds it).
    Busy(String),
    /// The disk is full or a write failed.
    Unavailable(String),
    Other(String),
}

impl CommitFailure {
    fn of(e: StoreError) -> CommitFailure {
        match e {
            StoreError::Busy(m) => CommitFailure::Busy(m),
            StoreError::Unavailable(m) => CommitFailure::Unavailable(m),
            other => CommitFailure::Other(other.to_string()),
        }
    }

    fn into_error(self) -> StoreError {
        match self {
            CommitFailure::Busy(m) => StoreError::Busy(m),
            CommitFailure::Unavailable(m) => StoreError::Unavailable(m),
            CommitFailure::Other(m) => StoreError::Other(format!("commit failed: {m}")),
        }
    }
}

/// What a job leaves behind after running: a reply to send once the commit's fate is known.
type Reply = Box<dyn FnOnce(Result<(), CommitFailure>) + Send>;
/// A job runs on the writer's connection, or on `None` when no transaction could be begun. It
/// says whether it succeeded, and leaves the reply to send once the commit's fate is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Reply) + Send>;

/// Called on the writer thread around jobs and batches.
pub trait BatchHook: Send + 'static {
    /// Before a job runs.
    fn before_job(&mut self) {}
    /// After a job ran; `ok` is false when its savepoint was rolled back.
    fn after_job(&mut self, _ok: bool) {}
    /// After every job of the batch ran, inside the transaction; an error rolls the whole
    /// batch back and every job of it is answered with that error.
    fn before_commit(&mut self, _conn: &Connection) -> StoreResult<()> {
        Ok(())
    }
    /// After the batch committed (`true`) or was rolled back (`false`).
    fn after_commit(&mut self, _conn: &Connection, _committed: bool) {}
}

/// The hook of a database with nothing to keep in step.
pub struct NoHook;

impl BatchHook for NoHook {}

#[derive(Clone)]
pub struct Writer {
    sender: SyncSender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    /// Starts the writer thread on `conn`; a batch holds at most `max_batch` jobs (1 turns
    /// group commit off: one transaction per job, as the benchmark compares).
    pub fn start(conn: Connection, hook: Box<dyn BatchHook>, max_batch: usize) -> StoreResult<Writer> {
        let (sender, receiver) = sync_channel::<Job>(WRITE_QUEUE_LEN);
        thread::Builder::new()
            .name("hwtrace-writer".into())
            .spawn(move || run(conn, receiver, hook, max_batch.clamp(1, MAX_BATCH_JOBS)))
            .map_err(|e| StoreError::Other(format!("cannot start writer thread: {e}")))?;
        Ok(Writer { sender })
    }

    /// Queues `f`; resolves with its result once the transaction holding it has committed.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.enqueue(f).await
    }

    /// Queues `f` now, at the call, and returns the answer to await: jobs enqueued one after
    /// another run in that order (a batch of labels gets its serials in the order sent), unless
    /// the queue is full, when the job waits for room off the runtime.
    pub fn enqueue<T, F>(&self, f: F) -> impl std::future::Future<Output = StoreResult<T>> + Send + 'static
    where
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // Without a transaction the job does not run; the batch's failure is its answer.
            let result = conn.map(|conn| in_savepoint(conn, f));
            let ok = matches!(result, Some(Ok(_)));
            let reply: Reply = Box::new(move |commit: Result<(), CommitFailure>| {
                let answer = match (commit, result) {
                    (Ok(()), Some(result)) => result,
                    // A refusal stays a refusal whatever became of the batch: nothing of it was written.
                    (Err(_), Some(Err(StoreError::Refused(r)))) => Err(StoreError::Refused(r)),
                    (Err(e), _) => Err(e.into_error()),
                    (Ok(()), None) => Err(StoreError::Other("the job did not run".into())),
                };
                let _ = tx.send(answer);
            });
            (ok, reply)
        });
        let sent = self.sender.try_send(job);
        let sender = self.sender.clone();
        async move {
            match sent {
                Ok(()) => {}
                Err(TrySendError::Disconnected(_)) => return Err(StoreError::WriterGone),
                Err(TrySendError::Full(job)) => {
                    tokio::task::spawn_blocking(move || sender.send(job).map_err(|_| StoreError::WriterGone))
                        .await
                        .map_err(|_| StoreError::WriterGone)??;
                }
            }
            rx.await.map_err(|_| StoreError::WriterGone)?
        }
    }
}

/// Runs `f` inside a savepoint: released on success, rolled back on failure.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let result = f(conn);
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    match conn.execute_batch(end) {
        Ok(()) => result,
        // The job's own failure says more than the savepoint it could not end.
        Err(e) => result.and(Err(e.into())),
    }
}

fn run(conn: Connection, receiver: Receiver<Job>, mut hook: Box<dyn BatchHook>, max_batch: usize) {
    let _exit = ExitOnPanic;
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, batch, hook.as_mut());
    }
    tracing::debug!("writer stopped: every handle dropped");
}

/// Ends the process when the writer thread panics: a service whose writer is gone would answer
/// reads and health checks while losing every write, so it stops and its supervisor restarts it.
struct ExitOnPanic;

impl Drop for ExitOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "hwtrace: the database writer failed; exiting so that a supervisor restarts the service"
            );
            std::process::exit(70);
        }
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Job>, hook: &mut dyn BatchHook) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let failure = CommitFailure::of(e.into());
        tracing::warn!(error = ?failure, "cannot begin write transaction");
        for job in batch {
            job(None).1(Err(failure.clone()));
        }
        return;
    }
    let jobs = batch.len();
    let mut replies: Vec<Reply> = Vec::with_capacity(jobs);
    // Once SQLite has rolled the transaction back under a job (a full disk or an I/O error
    // does), the rest of the batch must not run: outside the transaction its writes would
    // commit on their own while the earlier jobs' were lost.
    let mut lost = false;
    for job in batch {
        hook.before_job();
        let (ok, reply) = job((!lost).then_some(conn));
        lost = lost || conn.is_autocommit();
        hook.after_job(ok && !lost);
        replies.push(reply);
    }
    let outcome = if lost {
        // SQLite rolled the transaction back under a job (a full disk or an I/O error does).
        Err(CommitFailure::Unavailable(
            "the transaction was rolled back by SQLite (disk full or I/O error)".into(),
        ))
    } else {
        hook.before_commit(conn)
            .and_then(|()| conn.execute_batch("COMMIT").map_err(StoreError::from))
            .map_err(CommitFailure::of)
    };
    if let Err(e) = &outcome {
        tracing::error!(error = ?e, "batch not committed; rolling back");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    } else {
        tracing::debug!(jobs, "batch committed");
    }
    hook.after_commit(conn, outcome.is_ok());
    for reply in replies {
        reply(outcome.clone());
    }
}
