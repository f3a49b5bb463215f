//! One step of a scenario: [`Step`] selects the kind with `do`; each kind is a struct of its own
//! (its fields as written in the file), grouped by what it works on:
//!
//! - `certs.rs`: certificates, versions, deleted certificates, lists, backups;
//! - `pending.rs`: a certificate's pending operation (merge, cancel, poll);
//! - `settings.rs`: vault's issuers and contacts;
//! - `control.rs`: raw requests, clocks, ca-sim orders and faults, the outbox, sleep;
//! - `acme.rs`: vault's ACME gateway through an ACME client (accounts, orders, challenges,
//!   finalize, download, revoke, renewal information, chaos).
//!
//! Every kind's struct is declared with `kind.rs`'s `step_kind!`, which adds the `expect` and
//! `say` every kind takes.
//!
//! The runner's `steps` module mirrors this layout with what each kind does on the wire.

mod acme;
mod certs;
mod control;
mod kind;
mod pending;
mod settings;

pub use acme::{
    AcmeAccount, AcmeChallenge, AcmeChaos, AcmeDownload, AcmeFinalize, AcmeOrder, AcmePoll,
    AcmeRenewalInfo, AcmeRevoke, CHALLENGE_TYPES, DEFAULT_NAME, ORDER_STATUSES,
};
pub use certs::{
    Backup, Create, Delete, Get, GetDeleted, Import, LifetimeActionSpec, List, ListOf, Purge,
    Recover, Restore, Update,
};
pub use control::{
    AdvanceClock, CaApprove, CaOrder, CaReject, Notifications, Request, SetFaults, Sleep,
};
pub use pending::{Cancel, DeletePending, GetPending, Merge, PollUntil, Signer};
pub use settings::{DeleteContacts, DeleteIssuer, GetContacts, GetIssuer, SetContacts, SetIssuer};

use crate::case::expect::Expect;
use serde::Deserialize;

/// One step. `do` selects the kind; every kind takes an optional `expect` table and an optional
/// `say` line (narration shown by `demo` and in the live progress).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Step {
    Create(Create),
    Import(Import),
    Merge(Merge),
    Cancel(Cancel),
    DeletePending(DeletePending),
    Get(Get),
    GetPending(GetPending),
    PollUntil(PollUntil),
    Update(Update),
    Delete(Delete),
    GetDeleted(GetDeleted),
    Recover(Recover),
    Purge(Purge),
    List(List),
    Backup(Backup),
    Restore(Restore),
    SetIssuer(SetIssuer),
    GetIssuer(GetIssuer),
    DeleteIssuer(DeleteIssuer),
    SetContacts(SetContacts),
    GetContacts(GetContacts),
    DeleteContacts(DeleteContacts),
    Request(Request),
    AdvanceClock(AdvanceClock),
    CaApprove(CaApprove),
    CaReject(CaReject),
    CaOrder(CaOrder),
    SetFaults(SetFaults),
    Notifications(Notifications),
    Sleep(Sleep),
    AcmeAccount(AcmeAccount),
    AcmeOrder(AcmeOrder),
    AcmeChallenge(AcmeChallenge),
    AcmeFinalize(AcmeFinalize),
    AcmePoll(AcmePoll),
    AcmeDownload(AcmeDownload),
    AcmeRevoke(AcmeRevoke),
    AcmeRenewalInfo(AcmeRenewalInfo),
    AcmeChaos(AcmeChaos),
}

/// Evaluates `$body` with `$s` bound to the step's kind struct, whatever the kind: for the
/// fields every kind has (`expect`, `say`).
macro_rules! each_kind {
    ($step:expr, $s:ident => $body:expr) => {
        match $step {
            Step::Create($s) => $body,
            Step::Import($s) => $body,
            Step::Merge($s) => $body,
            Step::Cancel($s) => $body,
            Step::DeletePending($s) => $body,
            Step::Get($s) => $body,
            Step::GetPending($s) => $body,
            Step::PollUntil($s) => $body,
            Step::Update($s) => $body,
            Step::Delete($s) => $body,
            Step::GetDeleted($s) => $body,
            Step::Recover($s) => $body,
            Step::Purge($s) => $body,
            Step::List($s) => $body,
            Step::Backup($s) => $body,
            Step::Restore($s) => $body,
            Step::SetIssuer($s) => $body,
            Step::GetIssuer($s) => $body,
            Step::DeleteIssuer($s) => $body,
            Step::SetContacts($s) => $body,
            Step::GetContacts($s) => $body,
            Step::DeleteContacts($s) => $body,
            Step::Request($s) => $body,
            Step::AdvanceClock($s) => $body,
            Step::CaApprove($s) => $body,
            Step::CaReject($s) => $body,
            Step::CaOrder($s) => $body,
            Step::SetFaults($s) => $body,
            Step::Notifications($s) => $body,
            Step::Sleep($s) => $body,
            Step::AcmeAccount($s) => $body,
            Step::AcmeOrder($s) => $body,
            Step::AcmeChallenge($s) => $body,
            Step::AcmeFinalize($s) => $body,
            Step::AcmePoll($s) => $body,
            Step::AcmeDownload($s) => $body,
            Step::AcmeRevoke($s) => $body,
            Step::AcmeRenewalInfo($s) => $body,
            Step::AcmeChaos($s) => $body,
        }
    };
}

impl Step {
    /// The `do` value.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Import(_) => "import",
            Step::Merge(_) => "merge",
            Step::Cancel(_) => "cancel",
            Step::DeletePending(_) => "delete_pending",
            Step::Get(_) => "get",
            Step::GetPending(_) => "get_pending",
            Step::PollUntil(_) => "poll_until",
            Step::Update(_) => "update",
            Step::Delete(_) => "delete",
            Step::GetDeleted(_) => "get_deleted",
            Step::Recover(_) => "recover",
            Step::Purge(_) => "purge",
            Step::List(_) => "list",
            Step::Backup(_) => "backup",
            Step::Restore(_) => "restore",
            Step::SetIssuer(_) => "set_issuer",
            Step::GetIssuer(_) => "get_issuer",
            Step::DeleteIssuer(_) => "delete_issuer",
            Step::SetContacts(_) => "set_contacts",
            Step::GetContacts(_) => "get_contacts",
            Step::DeleteContacts(_) => "delete_contacts",
            Step::Request(_) => "request",
            Step::AdvanceClock(_) => "advance_clock",
            Step::CaApprove(_) => "ca_approve",
            Step::CaReject(_) => "ca_reject",
            Step::CaOrder(_) => "ca_order",
            Step::SetFaults(_) => "set_faults",
            Step::Notifications(_) => "notifications",
            Step::Sleep(_) => "sleep",
            Step::AcmeAccount(_) => "acme_account",
            Step::AcmeOrder(_) => "acme_order",
            Step::AcmeChallenge(_) => "acme_challenge",
            Step::AcmeFinalize(_) => "acme_finalize",
            Step::AcmePoll(_) => "acme_poll",
            Step::AcmeDownload(_) => "acme_download",
            Step::AcmeRevoke(_) => "acme_revoke",
            Step::AcmeRenewalInfo(_) => "acme_renewal_info",
            Step::AcmeChaos(_) => "acme_chaos",
        }
    }

    /// The certificate name the step works on, if any.
    pub fn cert_name(&self) -> Option<&str> {
        match self {
            Step::Create(Create { name, .. })
            | Step::Import(Import { name, .. })
            | Step::Merge(Merge { name, .. })
            | Step::Cancel(Cancel { name, .. })
            | Step::DeletePending(DeletePending { name, .. })
            | Step::Get(Get { name, .. })
            | Step::GetPending(GetPending { name, .. })
            | Step::PollUntil(PollUntil { name, .. })
            | Step::Update(Update { name, .. })
            | Step::Delete(Delete { name, .. })
            | Step::GetDeleted(GetDeleted { name, .. })
            | Step::Recover(Recover { name, .. })
            | Step::Purge(Purge { name, .. })
            | Step::Backup(Backup { name, .. }) => Some(name),
            Step::List(List { name, .. }) | Step::Notifications(Notifications { name, .. }) => {
                name.as_deref()
            }
            _ => None,
        }
    }

    /// The vault issuer the step names, if any (`Self` and `Unknown` included).
    pub fn issuer_name(&self) -> Option<&str> {
        match self {
            Step::SetIssuer(SetIssuer { name, .. })
            | Step::GetIssuer(GetIssuer { name, .. })
            | Step::DeleteIssuer(DeleteIssuer { name, .. }) => Some(name),
            Step::Create(Create { issuer, .. }) => issuer.as_deref(),
            // A partner profile is an issuer's name (`local` and `shortlived` are built in).
            Step::AcmeOrder(AcmeOrder { profile, .. }) => profile
                .as_deref()
                .filter(|p| !matches!(*p, "local" | "shortlived")),
            _ => None,
        }
    }

    /// The common name of the ca-sim order the step works on, if any.
    pub fn order_common_name(&self) -> Option<&str> {
        match self {
            Step::CaApprove(CaApprove { common_name, .. })
            | Step::CaReject(CaReject { common_name, .. })
            | Step::CaOrder(CaOrder { common_name, .. }) => Some(common_name),
            _ => None,
        }
    }

    /// A short label: `create web`, `poll_until web`.
    pub fn label(&self) -> String {
        match (self, self.cert_name()) {
            (Step::SetIssuer(SetIssuer { name, .. }), _)
            | (Step::GetIssuer(GetIssuer { name, .. }), _)
            | (Step::DeleteIssuer(DeleteIssuer { name, .. }), _) => {
                format!("{} {name}", self.kind())
            }
            (Step::Request(Request { method, path, .. }), _) => {
                format!("request {method} {path}")
            }
            (Step::CaApprove(CaApprove { common_name, .. }), _)
            | (Step::CaReject(CaReject { common_name, .. }), _)
            | (Step::CaOrder(CaOrder { common_name, .. }), _) => {
                format!("{} {common_name}", self.kind())
            }
            (Step::AcmeAccount(AcmeAccount { account: n, .. }), _)
            | (Step::AcmeOrder(AcmeOrder { order: n, .. }), _)
            | (Step::AcmeChallenge(AcmeChallenge { order: n, .. }), _)
            | (Step::AcmeFinalize(AcmeFinalize { order: n, .. }), _)
            | (Step::AcmePoll(AcmePoll { order: n, .. }), _)
            | (Step::AcmeDownload(AcmeDownload { order: n, .. }), _)
            | (Step::AcmeRevoke(AcmeRevoke { cert: n, .. }), _)
            | (Step::AcmeRenewalInfo(AcmeRenewalInfo { cert: n, .. }), _) => {
                format!("{} {n}", self.kind())
            }
            (Step::List(List { of, .. }), name) => format!(
                "list {of:?}{}",
                name.map(|n| format!(" {n}")).unwrap_or_default()
            )
            .to_lowercase(),
            (_, Some(name)) => format!("{} {name}", self.kind()),
            (_, None) => self.kind().to_string(),
        }
    }

    pub fn expect(&self) -> &Expect {
        each_kind!(self, s => &s.expect)
    }

    pub fn say(&self) -> Option<&str> {
        each_kind!(self, s => s.say.as_deref())
    }

    /// Whether the step touches state shared by every scenario.
    pub(crate) fn is_global(&self) -> bool {
        matches!(
            self,
            Step::SetContacts(_)
                | Step::GetContacts(_)
                | Step::DeleteContacts(_)
                | Step::AdvanceClock(_)
                | Step::SetFaults(_)
                // The gateway's chaos is one per vault process: every ACME client sees it.
                | Step::AcmeChaos(_)
        ) || !self.expect().ca_requests.is_empty()
            // The whole outbox (not one certificate's): other scenarios' notices would count.
            || matches!(self, Step::Notifications(Notifications { name: None, expect, .. })
                if expect.notifications.is_empty()
                    || expect.notifications.iter().any(|n| n.certificate.is_none()))
            || matches!(self, Step::List(List { of: ListOf::Certificates | ListOf::Deleted | ListOf::Issuers, expect, .. }) if expect.count.is_some() && expect.prefix.is_none())
    }
}
