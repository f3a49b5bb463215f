//! A vault's [`Timeline`]: where every layer records a step. Recording never waits and never
//! fails the operation: the event gets its `seq`, goes to the live subscribers at once and
//! into a bounded queue; a background writer stores the queue in batches through the store's
//! group commit ([`Change::PutTimelineEvent`], which also drops the certificate's events
//! beyond the newest 200). A full queue or a failed write is logged and the events dropped.
//! Reads ([`Timeline::events`]) first wait for what was recorded before them to be stored.

use super::hub::{Hub, Live};
use crate::model::{EventKind, TimelineEvent};
use crate::store::{Change, Db, StoreResult};
use serde_json::Value;
use shared::clock::Clock;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// Events waiting for the writer before new ones are dropped.
const QUEUE: usize = 4096;
/// Events per write.
const BATCH: usize = 256;

enum Msg {
    Event(TimelineEvent),
    /// Answered once everything queued before it is stored.
    Flush(oneshot::Sender<()>),
}

/// One vault's timeline; cheap to clone.
#[derive(Clone)]
pub struct Timeline {
    inner: Arc<Inner>,
}

struct Inner {
    vault: Arc<str>,
    db: Db,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    queue: mpsc::Sender<Msg>,
}

impl Timeline {
    /// The timeline of vault `vault` on its store, with its writer started on the hub's
    /// tracker. Later `seq`s continue after the events the store already holds.
    pub async fn start(vault: &str, db: Db, hub: Arc<Hub>, clock: Arc<dyn Clock>) -> Self {
        // One indexed MAX at open, before anything can record.
        match db.run(|s| s.timeline_max_seq()).await {
            Ok(seen) => hub.seen_seq(seen),
            Err(e) => warn!(vault, error = %e, "cannot read the timeline's last seq"),
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        hub.tracker
            .spawn(writer(db.clone(), rx, hub.shutdown.clone()));
        Self {
            inner: Arc::new(Inner {
                vault: Arc::from(vault),
                db,
                hub,
                clock,
                queue,
            }),
        }
    }

    pub fn vault(&self) -> &str {
        &self.inner.vault
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// Records one step of `certificate` (a name or key; stored as the key) now.
    pub fn record(
        &self,
        certificate: &str,
        operation: Option<&str>,
        kind: EventKind,
        detail: Value,
    ) {
        let inner = &self.inner;
        let mut event = TimelineEvent {
            seq: 0,
            at_ms: inner.clock.unix_ms(),
            vault: inner.vault.to_string(),
            certificate: certificate.to_ascii_lowercase(),
            operation: operation.map(str::to_string),
            kind,
            detail,
        };
        let changed = matches!(
            kind,
            EventKind::Completed | EventKind::Failed | EventKind::Cancelled
        );
        let name: Option<Arc<str>> = changed.then(|| Arc::from(event.certificate.as_str()));
        inner.hub.next_seq(|seq| {
            event.seq = seq;
            let live = Arc::new(event.clone());
            if let Err(e) = inner.queue.try_send(Msg::Event(event)) {
                warn!(vault = %inner.vault, kind = %kind, reason = %e, "timeline event not stored");
            }
            inner.hub.publish(Live::Timeline(live));
        });
        if let Some(name) = name {
            self.changed_key(name);
        }
    }

    /// Tells live subscribers that a certificate changed.
    pub fn changed(&self, name: &str) {
        self.changed_key(Arc::from(name));
    }

    fn changed_key(&self, name: Arc<str>) {
        self.inner.hub.publish(Live::Certificate {
            vault: self.inner.vault.clone(),
            name,
        });
    }

    /// Waits until every event recorded before this call is stored (or dropped).
    pub async fn flush(&self) {
        let (done, stored) = oneshot::channel();
        if self.inner.queue.send(Msg::Flush(done)).await.is_ok() {
            let _ = stored.await;
        }
    }

    /// Stored events after `after`, oldest first: the first `limit` of one certificate, or
    /// the newest `limit` of the vault (`certificate: None`).
    pub async fn events(
        &self,
        certificate: Option<&str>,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEvent>> {
        self.flush().await;
        let vault = self.inner.vault.to_string();
        let certificate = certificate.map(str::to_ascii_lowercase);
        self.inner
            .db
            .run(move |s| s.timeline(&vault, certificate.as_deref(), after, limit))
            .await
    }
}

/// Stores queued events in batches until shutdown, then what is still queued.
async fn writer(
    db: Db,
    mut rx: mpsc::Receiver<Msg>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let first = tokio::select! {
            msg = rx.recv() => msg,
            () = shutdown.cancelled() => None,
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        write(&db, batch).await;
    }
    // Shutting down: what was recorded so far is still stored.
    rx.close();
    let mut rest = Vec::new();
    while let Ok(msg) = rx.try_recv() {
        rest.push(msg);
    }
    if !rest.is_empty() {
        write(&db, rest).await;
    }
    debug!("timeline writer stopped");
}

async fn write(db: &Db, batch: Vec<Msg>) {
    let mut changes = Vec::with_capacity(batch.len());
    let mut flushes = Vec::new();
    for msg in batch {
        match msg {
            Msg::Event(e) => changes.push(Change::PutTimelineEvent(e)),
            Msg::Flush(done) => flushes.push(done),
        }
    }
    if !changes.is_empty() {
        let count = changes.len();
        if let Err(e) = db.run(move |s| s.apply(changes)).await {
            warn!(events = count, error = %e, "timeline events not stored");
        }
    }
    for done in flushes {
        let _ = done.send(());
    }
}
