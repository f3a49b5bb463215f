//! One vault's parts ([`VaultInstance`]): what a Key Vault request reaches once its host named
//! the vault.

use super::poll_cache::PollBodies;
use crate::certs::Service;
use crate::lifetime::Lifetime;
use std::sync::Arc;

/// A vault: its own store behind its own certificate service and background workers.
pub struct VaultInstance {
    /// The vault's name (lower case), as in `NAME.vault.azure.net`.
    pub name: String,
    /// The certificate service: every state change of this vault goes through it.
    pub service: Service,
    /// This vault's lifetime-action scheduler (and, through it, its notifier).
    pub lifetime: Arc<Lifetime>,
    /// Rendered bodies of this vault's polled operations (the polling hot path).
    pub poll_bodies: PollBodies,
    /// This vault's ACME gateway state (its ACME objects live in its store).
    pub acme: Arc<crate::acme::gateway::VaultAcme>,
    /// This vault's timeline events (the dashboard's view of its operations).
    pub timeline: crate::timeline::Timeline,
}
