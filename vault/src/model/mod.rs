//! The domain records every layer speaks in (Pebble's `core/types.go`): certificates and their
//! versions, the pending operation, issuers, lifetime markers and notifications, the dashboard's timeline events, and the name
//! rules they are keyed by, and the ACME gateway's objects ([`acme`]). Plain data: this module imports nothing of vault's layers, so
//! `http`, `certs`, `issuance`, `notify` and `store` can all use it without depending on each
//! other.
//!
//! The one place a pending operation's status changes is [`OperationRecord::end`].

pub mod acme;
pub mod certificate;
pub mod issuer;
pub mod names;
pub mod operation;
pub mod outbox;
pub mod platform;
pub mod timeline;

pub use certificate::{CertRecord, Deletion, ListScope, VersionRecord};
pub use issuer::IssuerRecord;
pub use names::{key_of, ISSUER_SELF, ISSUER_UNKNOWN};
pub use operation::{orphan_key, Ending, OperationRecord, ProviderPhase, ProviderState, NEVER};
pub use outbox::{
    Delivery, DeliveryStatus, LifetimeMarker, MarkerAction, MarkerState, NotificationKind,
    NotificationRecord,
};
pub use timeline::{EventKind, TimelineEvent};
