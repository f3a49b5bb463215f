//! The scenario as a whole: [`Case`] (what a file holds once parsed) and what the scheduler
//! asks of it: the names it uses, whether it must run alone, what its teardown must undo.

use super::position::line_of;
use super::setup::Setup;
use super::step::{AdvanceClock, Step};
use serde::Deserialize;
use shared::duration::Dur;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A parsed scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name (used for filters, reports and JUnit test names).
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Deadline for the whole scenario (default 60s).
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Run alone (nothing else concurrently). Implied by global state: fault rules, clocks,
    /// contacts, ca-sim request counts.
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default)]
    pub setup: Setup,
    pub steps: Vec<toml::Spanned<Step>>,
    /// Where the case came from (filled in by [`load_file`](crate::case::load_file)).
    #[serde(skip)]
    pub file: PathBuf,
}

impl Case {
    /// Certificate names, issuer names and ca-sim account ids the scenario uses: two scenarios
    /// sharing any of them never run at the same time.
    pub fn resources(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for step in &self.steps {
            let step = step.get_ref();
            if let Some(n) = step.cert_name() {
                out.insert(format!("cert:{n}"));
            }
            if let Some(i) = step.issuer_name() {
                out.insert(format!("issuer:{i}"));
            }
            if let Some(cn) = step.order_common_name() {
                out.insert(format!("cn:{cn}"));
            }
        }
        for i in &self.setup.issuers {
            out.insert(format!("issuer:{}", i.name));
        }
        for a in &self.setup.accounts {
            out.insert(format!("account:{}:{}", a.dialect, a.id));
        }
        out.remove("issuer:Self");
        out.remove("issuer:Unknown");
        out
    }

    /// Whether the scenario must run alone.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
            || !self.setup.faults.is_empty()
            || !self.setup.contacts.is_empty()
            || self.setup.vault_clock_offset.is_some()
            || self.setup.ca_clock_advance.is_some()
            || self.steps.iter().any(|s| s.get_ref().is_global())
    }

    /// Whether the scenario changes ca-sim's fault rules (they are cleared afterwards).
    pub fn touches_faults(&self) -> bool {
        !self.setup.faults.is_empty()
            || self
                .steps
                .iter()
                .any(|s| matches!(s.get_ref(), Step::SetFaults(_)))
    }

    /// Whether the scenario moves vault's clock (its offset is restored afterwards).
    pub fn moves_vault_clock(&self) -> bool {
        self.setup.vault_clock_offset.is_some()
            || self.steps.iter().any(|s| {
                matches!(
                    s.get_ref(),
                    Step::AdvanceClock(AdvanceClock {
                        seconds: Some(_),
                        ..
                    })
                )
            })
    }

    /// Whether the scenario changes the ACME gateway's chaos document (restored afterwards).
    pub fn touches_acme_chaos(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.get_ref(), Step::AcmeChaos(_)))
    }

    /// Whether the scenario changes vault's certificate contacts (restored afterwards).
    pub fn changes_contacts(&self) -> bool {
        !self.setup.contacts.is_empty()
            || self
                .steps
                .iter()
                .any(|s| matches!(s.get_ref(), Step::SetContacts(_) | Step::DeleteContacts(_)))
    }

    /// Whether any step reads vault's notification outbox.
    pub fn reads_notifications(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.get_ref(), Step::Notifications(_)))
    }

    /// Whether any expectation counts ca-sim requests (history is cleared first).
    pub fn counts_requests(&self) -> bool {
        self.steps
            .iter()
            .any(|s| !s.get_ref().expect().ca_requests.is_empty())
    }

    /// 1-based line of step `index` in the file.
    pub fn step_line(&self, source: &str, index: usize) -> usize {
        line_of(source, self.steps[index].span().start)
    }
}
