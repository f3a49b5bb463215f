//! The pure parts: when a trigger comes due, how it is described in a mail, and the small
//! mappings from records to what the notices and markers say.

use crate::model::{CertRecord, MarkerAction, VersionRecord, ISSUER_UNKNOWN};
use crate::notify::{rfc3339, About};
use shared::crypto;
use shared::models::{ActionType, Trigger};

/// When a trigger comes due for a version valid from `nbf` to `exp` (unix seconds).
pub fn trigger_time(trigger: &Trigger, nbf: Option<i64>, exp: Option<i64>) -> Option<i64> {
    let exp = exp?;
    match (trigger.lifetime_percentage, trigger.days_before_expiry) {
        (Some(pct), _) => {
            let nbf = nbf?;
            Some(nbf + (exp - nbf) * i64::from(pct) / 100)
        }
        (None, Some(days)) => Some(exp - i64::from(days) * 86_400),
        (None, None) => None,
    }
}

/// The triggers of the policy's AutoRenew actions.
pub(super) fn autorenew_triggers(cert: &CertRecord) -> impl Iterator<Item = Trigger> + '_ {
    cert.policy
        .lifetime_actions
        .iter()
        .flatten()
        .filter(|a| a.action.as_ref().and_then(|a| a.action_type) == Some(ActionType::AutoRenew))
        .filter_map(|a| a.trigger.clone())
}

pub(super) fn describe(trigger: &Trigger, at: i64) -> String {
    let when = rfc3339(Some(at));
    match (trigger.lifetime_percentage, trigger.days_before_expiry) {
        (Some(pct), _) => format!("{pct}% of the certificate's lifetime (reached {when})"),
        (None, Some(days)) => format!("{days} days before expiry (reached {when})"),
        (None, None) => when,
    }
}

pub(super) fn marker_action(action: ActionType) -> MarkerAction {
    match action {
        ActionType::AutoRenew => MarkerAction::AutoRenew,
        ActionType::EmailContacts => MarkerAction::EmailContacts,
    }
}

pub(super) fn about(cert: &CertRecord, version: &VersionRecord) -> About {
    About {
        cert_key: cert.key.clone(),
        certificate: cert.name.clone(),
        version: version.version.clone(),
        exp: version.exp,
    }
}

pub(super) fn issuer_name(cert: &CertRecord) -> String {
    cert.policy
        .issuer
        .as_ref()
        .and_then(|i| i.name.clone())
        .unwrap_or_else(|| ISSUER_UNKNOWN.into())
}

/// Whether two certificates carry the same public key.
pub(super) fn same_key(a: &[u8], b: &[u8]) -> bool {
    match (crypto::parse_certificate(a), crypto::parse_certificate(b)) {
        (Ok(a), Ok(b)) => a.spki_der == b.spki_der,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_fall_where_the_policy_says() {
        let pct = Trigger {
            lifetime_percentage: Some(80),
            days_before_expiry: None,
        };
        assert_eq!(trigger_time(&pct, Some(1000), Some(2000)), Some(1800));
        assert_eq!(trigger_time(&pct, None, Some(2000)), None);
        let days = Trigger {
            lifetime_percentage: None,
            days_before_expiry: Some(30),
        };
        assert_eq!(
            trigger_time(&days, Some(0), Some(100 * 86_400)),
            Some(70 * 86_400)
        );
        assert_eq!(trigger_time(&days, Some(0), None), None);
        assert!(describe(&pct, 1800).starts_with("80% of"));
    }
}
