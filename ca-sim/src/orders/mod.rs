//! The order book: every order of every dialect, its state machine and timeline, and the
//! background worker that issues due orders on the simulated clock (never inside a poll).
//! This is the one place an order changes: dialects and the admin API ask [`OrderBook`]
//! (create, cancel, reject, approve, revoke, ...), and every change is written to the store
//! before it is visible.
//!
//! States (dialect-neutral, `domain::OrderStatus`; each dialect maps them to its vocabulary):
//! `pending` → `issued` → `revoked`, or `pending` → `rejected` | `canceled`;
//! `needs_approval` (timing profile `stuck`) and unvalidated organizations wait for an admin
//! approve.

pub mod clock;

use crate::ca::{Authority, LeafRequest};
use crate::domain::{
    Dialect, Event, FaultAction, IssuedCert, NewOrder, Order, OrderStatus, RevokeRequest,
    SplitMix64, MAX_VALIDITY_DAYS,
};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::store::{CertRow, Store};
use clock::SimClock;
use shared::crypto::{self, KeySpec, PrivateKey};
use shared::models::CurveName;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Every order, in memory and in the store, and the worker's wake-up.
pub struct OrderBook {
    store: Arc<Store>,
    ca: Arc<Authority>,
    pub clock: Arc<SimClock>,
    seed: u64,
    orders: Mutex<BTreeMap<String, Order>>,
    wake: Notify,
    /// Every change is published here (`order`, the order as `/admin/orders/{id}` shows it).
    events: Events,
}

fn event(now_ms: i64, what: &str, detail: Option<String>) -> Event {
    Event {
        at: clock::rfc3339(now_ms),
        at_ms: now_ms,
        event: what.to_string(),
        detail,
        wall_ms: Some(clock::wall_ms()),
    }
}

impl OrderBook {
    pub fn load(
        store: Arc<Store>,
        ca: Arc<Authority>,
        clock: Arc<SimClock>,
        seed: u64,
        events: Events,
    ) -> Result<Self> {
        let orders = store
            .orders()?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        Ok(Self {
            store,
            ca,
            clock,
            seed,
            orders: Mutex::new(orders),
            wake: Notify::new(),
            events,
        })
    }

    fn publish(&self, order: &Order) {
        self.events
            .publish_with("order", || serde_json::to_value(order).unwrap_or_default());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str) -> Option<Order> {
        self.lock().get(id).cloned()
    }

    pub fn list(&self, dialect: Option<Dialect>) -> Vec<Order> {
        let mut v: Vec<Order> = self
            .lock()
            .values()
            .filter(|o| dialect.is_none_or(|d| d == o.dialect))
            .cloned()
            .collect();
        v.sort_by_key(|o| o.seq);
        v
    }

    /// Finds an order by a predicate (DigiCert certificate ids, serial numbers, ...).
    pub fn find(&self, pred: impl Fn(&Order) -> bool) -> Option<Order> {
        self.lock().values().find(|o| pred(o)).cloned()
    }

    /// Applies `f` to order `id`, persists it, and returns the new state. `f` returns an error
    /// message to refuse the change (nothing is written then). Every change of an order after
    /// its creation goes through here.
    fn update<E>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Order, i64) -> Result<(), E>,
    ) -> Result<Result<Order, E>> {
        let now = self.clock.now_ms();
        let mut orders = self.lock();
        let Some(current) = orders.get(id) else {
            return Err(Error::Internal(format!("order {id} vanished")));
        };
        let mut next = current.clone();
        if let Err(e) = f(&mut next, now) {
            return Ok(Err(e));
        }
        next.updated_ms = now;
        self.store.put_order(&next)?;
        orders.insert(id.to_string(), next.clone());
        drop(orders);
        self.wake.notify_one();
        self.publish(&next);
        Ok(Ok(next))
    }

    /// Creates an order. `id_for(seq, now)` makes the vendor's order id; should that id be
    /// taken already (a client-chosen GlobalSign id can look like a generated one), the next
    /// sequence number is tried.
    pub fn create(
        &self,
        new: NewOrder,
        id_for: impl Fn(u64, OffsetDateTime) -> String,
    ) -> Result<Order> {
        for _ in 0..1000 {
            let seq = self.store.next_counter("order_seq")?;
            let id = id_for(seq, self.clock.now());
            if let Some(o) = self.insert_new(new.clone(), seq, id)? {
                return Ok(o);
            }
        }
        Err(Error::Internal("no free order id".into()))
    }

    /// Creates an order under a client-chosen id. `Ok(None)` when an order of any dialect or
    /// account already has that id (ids are global in the order book and the store).
    pub fn create_with_id(&self, new: NewOrder, id: String) -> Result<Option<Order>> {
        if self.lock().contains_key(&id) {
            return Ok(None);
        }
        let seq = self.store.next_counter("order_seq")?;
        self.insert_new(new, seq, id)
    }

    /// Inserts a new order unless `id` is taken (checked and inserted under the lock).
    fn insert_new(&self, new: NewOrder, seq: u64, id: String) -> Result<Option<Order>> {
        let now = self.clock.now_ms();
        let mut rng = SplitMix64::derive(self.seed, "order-delay", seq);
        let delay = new.profile.delay_secs(&mut rng);
        let stuck = delay.is_none();
        let mut o = Order {
            id,
            seq,
            dialect: new.dialect,
            account: new.account,
            product: new.product,
            validation: new.validation,
            common_name: new.common_name,
            dns_names: new.dns_names,
            organization_id: new.organization_id,
            organization_name: new.organization_name,
            country: new.country,
            csr_pem: new.csr_pem,
            validity_days: new.validity_days.clamp(1, MAX_VALIDITY_DAYS),
            status: if stuck {
                OrderStatus::NeedsApproval
            } else {
                OrderStatus::Pending
            },
            status_reason: None,
            created_ms: now,
            updated_ms: now,
            due_ms: if new.awaiting_validation {
                None
            } else {
                delay.map(|d| now + (d * 1000.0) as i64)
            },
            profile: new.profile.to_string(),
            awaiting_validation: new.awaiting_validation,
            outcome: new.outcome.as_ref().map(|(_, a)| a.clone()),
            outcome_rule: new.outcome.map(|(r, _)| r),
            cert: None,
            revoke_request: None,
            distrusted: false,
            extra: new.extra,
            timeline: vec![event(now, "created", None)],
        };
        if let Some(rule) = &o.outcome_rule {
            o.timeline.push(event(now, "fault", Some(rule.clone())));
        }
        if o.awaiting_validation {
            o.timeline.push(event(
                now,
                "awaiting_validation",
                Some("organization not validated".into()),
            ));
        }
        let mut orders = self.lock();
        if orders.contains_key(&o.id) {
            return Ok(None);
        }
        self.store.put_order(&o)?;
        orders.insert(o.id.clone(), o.clone());
        drop(orders);
        self.wake.notify_one();
        self.publish(&o);
        Ok(Some(o))
    }

    /// Issues (or, under a reject/cancel fault, fails) an open order now. Blocking: signs.
    pub fn complete_now(&self, id: &str) -> Result<Order> {
        let Some(order) = self.get(id) else {
            return Err(Error::Internal(format!("no order {id}")));
        };
        if !order.status.is_open() {
            return Ok(order);
        }
        match order.outcome.clone() {
            Some(FaultAction::Reject { reason }) => {
                let reason = reason.unwrap_or_else(|| default_reject_reason(order.dialect));
                return self.finish(id, OrderStatus::Rejected, Some(reason), "rejected");
            }
            Some(FaultAction::Cancel { reason }) => {
                let reason = reason.unwrap_or_else(|| "Order cancelled by the CA".into());
                return self.finish(id, OrderStatus::Canceled, Some(reason), "canceled");
            }
            _ => {}
        }
        let cert = self.sign(&order)?;
        let row = CertRow {
            serial: cert.serial_hex.clone(),
            dialect: order.dialect.as_str().to_string(),
            ca_id: cert.ca_id.clone(),
            order_id: order.id.clone(),
            not_after: cert.not_after_ms / 1000,
            revoked_at: None,
            reason: None,
        };
        self.store.put_cert(&row)?;
        let distrusted = order.dialect == Dialect::Wosign
            && cert.not_before_ms / 1000 > crate::ca::WOSIGN_DISTRUST_AFTER_UNIX;
        let r = self.update(id, |o, now| -> Result<(), ()> {
            if !o.status.is_open() {
                return Err(());
            }
            o.status = OrderStatus::Issued;
            o.distrusted = distrusted;
            o.timeline.push(event(
                now,
                "issued",
                Some(format!("serial {}", cert.serial_hex)),
            ));
            o.cert = Some(cert);
            o.due_ms = None;
            Ok(())
        })?;
        Ok(match r {
            Ok(o) => o,
            Err(()) => self.get(id).unwrap_or(order),
        })
    }

    fn finish(
        &self,
        id: &str,
        status: OrderStatus,
        reason: Option<String>,
        what: &str,
    ) -> Result<Order> {
        let r = self.update(id, |o, now| -> Result<(), ()> {
            if !o.status.is_open() {
                return Err(());
            }
            o.status = status;
            o.timeline.push(event(now, what, reason.clone()));
            o.status_reason = reason;
            o.due_ms = None;
            Ok(())
        })?;
        match r {
            Ok(o) => Ok(o),
            Err(()) => self
                .get(id)
                .ok_or_else(|| Error::Internal(format!("order {id} vanished"))),
        }
    }

    fn sign(&self, order: &Order) -> Result<IssuedCert> {
        let csr_der = crypto::pem_blocks(&order.csr_pem)
            .into_iter()
            .find(|(l, _)| l.contains("CERTIFICATE REQUEST"))
            .map(|(_, d)| d)
            .ok_or_else(|| Error::Internal("stored CSR unreadable".into()))?;
        let info = crypto::parse_csr(&csr_der)?;
        let spki_der = if order.outcome == Some(FaultAction::WrongKey) {
            PrivateKey::generate(KeySpec::Ec {
                curve: CurveName::P256,
            })?
            .spki_der()
            .to_vec()
        } else {
            info.spki_der
        };
        let now = self
            .clock
            .now()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let req = LeafRequest {
            common_name: order.common_name.clone(),
            organization: order.organization_name.clone(),
            country: order.country.clone(),
            dns_names: order.dns_names.clone(),
            not_before: now,
            not_after: now + Duration::days(order.validity_days as i64),
            spki_der,
        };
        let (der, serial_hex) = self.ca.issue_leaf(order.dialect, &req)?;
        let h = self.ca.get(order.dialect)?;
        let parsed = crypto::parse_certificate(&der)?;
        Ok(IssuedCert {
            serial_hex,
            pem: crypto::pem_encode("CERTIFICATE", &der),
            intermediates: h
                .chain_up()
                .iter()
                .map(|d| crypto::pem_encode("CERTIFICATE", d))
                .collect(),
            root: h.root.pem.clone(),
            ca_id: h.issuing().id.clone(),
            not_before_ms: req.not_before.unix_timestamp() * 1000,
            not_after_ms: req.not_after.unix_timestamp() * 1000,
            thumbprint: hex::encode_upper(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                &der,
            )),
            subject: parsed.subject,
            revoked_ms: None,
            revocation_reason: None,
        })
    }

    /// Cancels an open order on the customer's request. `Err` with the current status when it
    /// cannot be canceled any more.
    pub fn cancel(&self, id: &str, note: Option<String>) -> Result<Result<Order, OrderStatus>> {
        self.end_open(id, OrderStatus::Canceled, "canceled", note, false)
    }

    /// CA-side reject (admin or fault).
    pub fn reject(&self, id: &str, reason: String) -> Result<Result<Order, OrderStatus>> {
        self.end_open(id, OrderStatus::Rejected, "rejected", Some(reason), true)
    }

    /// CA-side cancel (fault).
    pub fn cancel_by_ca(&self, id: &str, reason: String) -> Result<Result<Order, OrderStatus>> {
        self.end_open(
            id,
            OrderStatus::Canceled,
            "canceled_by_ca",
            Some(reason),
            true,
        )
    }

    /// Ends an open order in `status`, its timeline noting `what` with `detail`, which becomes
    /// the order's status reason when `is_reason` (the CA's reasons; a customer's note is not).
    /// `Err` with the current status when the order is no longer open.
    fn end_open(
        &self,
        id: &str,
        status: OrderStatus,
        what: &str,
        detail: Option<String>,
        is_reason: bool,
    ) -> Result<Result<Order, OrderStatus>> {
        self.update(id, |o, now| {
            if !o.status.is_open() {
                return Err(o.status);
            }
            o.status = status;
            o.due_ms = None;
            if is_reason {
                o.status_reason = detail.clone();
            }
            o.timeline.push(event(now, what, detail));
            Ok(())
        })
    }

    /// Admin approve: validation done; the order issues now (worker) unless it already left
    /// the open states.
    pub fn approve(&self, id: &str) -> Result<Result<Order, OrderStatus>> {
        self.update(id, |o, now| {
            if !o.status.is_open() {
                return Err(o.status);
            }
            o.awaiting_validation = false;
            o.status = OrderStatus::Pending;
            o.due_ms = Some(now);
            o.timeline.push(event(now, "approved", None));
            Ok(())
        })
    }

    /// Revokes the order's certificate now.
    pub fn revoke(&self, id: &str, reason: String) -> Result<Result<Order, OrderStatus>> {
        let r = self.update(id, |o, now| {
            if o.status != OrderStatus::Issued {
                return Err(o.status);
            }
            o.status = OrderStatus::Revoked;
            if let Some(c) = o.cert.as_mut() {
                c.revoked_ms = Some(now);
                c.revocation_reason = Some(reason.clone());
            }
            if let Some(req) = o.revoke_request.as_mut() {
                req.status = "approved".into();
            }
            o.timeline.push(event(now, "revoked", Some(reason.clone())));
            Ok(())
        })?;
        if let Ok(o) = &r {
            if let Some(c) = &o.cert {
                self.store.put_cert(&CertRow {
                    serial: c.serial_hex.clone(),
                    dialect: o.dialect.as_str().to_string(),
                    ca_id: c.ca_id.clone(),
                    order_id: o.id.clone(),
                    not_after: c.not_after_ms / 1000,
                    revoked_at: c.revoked_ms.map(|m| m / 1000),
                    reason: c.revocation_reason.clone(),
                })?;
            }
        }
        Ok(r)
    }

    /// Files a revoke request awaiting approval (DigiCert's revoke without `skip_approval`):
    /// the certificate stays valid until [`Self::revoke`].
    pub fn request_revoke(
        &self,
        id: &str,
        reason: String,
        comments: String,
    ) -> Result<RevokeRequest> {
        let request = RevokeRequest {
            status: "pending".into(),
            created_ms: self.clock.now_ms(),
            reason,
            comments,
        };
        let filed = request.clone();
        self.update(id, |o, _| -> Result<(), ()> {
            o.revoke_request = Some(filed);
            Ok(())
        })?
        .map_err(|()| Error::Internal(format!("order {id} refused a revoke request")))?;
        Ok(request)
    }

    /// Rejects the order's pending revoke request; `Err` with the order's status when there
    /// is none pending.
    pub fn reject_revoke_request(&self, id: &str) -> Result<Result<Order, OrderStatus>> {
        self.update(id, |o, _| match o.revoke_request.as_mut() {
            Some(r) if r.status == "pending" => {
                r.status = "rejected".into();
                Ok(())
            }
            _ => Err(o.status),
        })
    }

    /// A reject or cancel fault that fired on a poll ends the open order CA-side now
    /// (`cancel_reason` when the rule names none). Any other action, a closed order or a
    /// failed write leaves the order as it was.
    pub fn poll_outcome(
        &self,
        order: Order,
        action: Option<&FaultAction>,
        cancel_reason: &str,
    ) -> Order {
        let r = match action {
            Some(FaultAction::Reject { reason }) => self.reject(
                &order.id,
                reason
                    .clone()
                    .unwrap_or_else(|| default_reject_reason(order.dialect)),
            ),
            Some(FaultAction::Cancel { reason }) => self.cancel_by_ca(
                &order.id,
                reason.clone().unwrap_or_else(|| cancel_reason.to_string()),
            ),
            _ => return order,
        };
        match r {
            Ok(Ok(o)) => o,
            _ => order,
        }
    }

    /// [`Self::complete_now`] off the async runtime (signing blocks).
    pub async fn issue_now(self: &Arc<Self>, id: &str) -> Result<Order> {
        let book = self.clone();
        let id = id.to_string();
        tokio::task::spawn_blocking(move || book.complete_now(&id))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }

    /// Orders whose due time has come.
    fn due(&self) -> (Vec<String>, Option<i64>) {
        let now = self.clock.now_ms();
        let orders = self.lock();
        let mut ready = Vec::new();
        let mut next = None::<i64>;
        for o in orders.values() {
            if !o.status.is_open() {
                continue;
            }
            if let Some(d) = o.due_ms {
                if d <= now {
                    ready.push(o.id.clone());
                } else {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
            }
        }
        (ready, next)
    }

    /// The background worker: issues due orders; wakes on new orders, clock advances and
    /// admin actions, and otherwise at the next due time (re-checked at least every 250 ms,
    /// since `/admin/clock` can move time).
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let (ready, next) = self.due();
            for id in ready {
                let book = self.clone();
                let id2 = id.clone();
                match tokio::task::spawn_blocking(move || book.complete_now(&id2)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(order.id = %id, error = %e, "issuance failed"),
                    Err(e) => tracing::error!(order.id = %id, error = %e, "issuance task failed"),
                }
            }
            let _ = self
                .store
                .meta_set("sim_now_ms", &self.clock.now_ms().to_string());
            let wait = next
                .map(|d| self.clock.real_until(d))
                .unwrap_or(std::time::Duration::from_millis(250))
                .min(std::time::Duration::from_millis(250));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let _ = self
            .store
            .meta_set("sim_now_ms", &self.clock.now_ms().to_string());
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

pub fn default_reject_reason(dialect: Dialect) -> String {
    match dialect {
        Dialect::Digicert => "Organization validation failed".into(),
        Dialect::Globalsign => "Order denied: vetting failed".into(),
        Dialect::Wosign => "Domain or organization validation failed".into(),
        Dialect::Acme => "The CA refused to issue this certificate".into(),
    }
}
