//! Fault rules: named, seeded, off by default, changeable at runtime (`/admin/faults`).
//!
//! A rule matches on dialect, operation, account and common-name pattern, then decides whether
//! to fire: the `nth` matching request, `every` Nth one, or with a `probability` drawn from a
//! generator seeded by `--seed` and the rule's position, so the same seed and the same request
//! sequence give the same outcomes. The first rule that fires wins. What each action does is
//! rendered by the dialect (its own error shape); see [`FaultAction`].
//!
//! Each rule strikes in one [`FaultPhase`]: `before` the operation acts (the default), or
//! `after` it acted, when only the answer is lost. The dialect contract asks once per phase
//! ([`Facts::phase`]); a rule counts only the requests of its own phase.

use crate::domain::fault::{op, FaultAction, FaultPhase};
use crate::domain::rng::SplitMix64;
use crate::domain::Dialect;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A fault rule, as written in the config file (`[[faults]]`) or sent to `/admin/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub dialect: Option<Dialect>,
    /// `order`, `poll`, `download`, `cancel`, `revoke`, `approve`, `user`, `lookup`; ACME:
    /// `newNonce`, `newAccount`, `newOrder`, `challenge`, `finalize`, `certificate`,
    /// `revokeCert` (its `poll` is an order or authorization read, `user` the account, `lookup`
    /// the orders list).
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    /// Glob on the order's common name (`*` matches any run of characters).
    #[serde(default)]
    pub common_name: Option<String>,
    /// Fire on the Nth matching request only (1-based).
    #[serde(default)]
    pub nth: Option<u64>,
    /// Fire on every Nth matching request.
    #[serde(default)]
    pub every: Option<u64>,
    /// Fire with this probability (seeded).
    #[serde(default)]
    pub probability: Option<f64>,
    /// Stop after firing this many times.
    #[serde(default)]
    pub times: Option<u64>,
    /// `before` (default) the operation acts, or `after` it acted (the answer is lost).
    #[serde(default)]
    pub phase: FaultPhase,
    pub action: FaultAction,
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        let name = self.name.clone().unwrap_or_else(|| "(unnamed)".into());
        if self.nth == Some(0) || self.every == Some(0) {
            return Err(format!("fault {name}: nth and every start at 1"));
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("fault {name}: probability must be within 0..=1"));
            }
        }
        if let Some(op) = &self.operation {
            let known = [
                op::ORDER,
                op::POLL,
                op::DOWNLOAD,
                op::CANCEL,
                op::REVOKE,
                op::APPROVE,
                op::USER,
                op::LOOKUP,
                op::NEW_NONCE,
                op::NEW_ACCOUNT,
                op::NEW_ORDER,
                op::CHALLENGE,
                op::FINALIZE,
                op::CERTIFICATE,
                op::REVOKE_CERT,
            ];
            if !known.contains(&op.as_str()) {
                return Err(format!(
                    "fault {name}: unknown operation '{op}' (use one of {})",
                    known.join(", ")
                ));
            }
        }
        if self.phase == FaultPhase::After && !self.action.loses_answer() {
            return Err(format!(
                "fault {name}: phase \"after\" takes server_error, drop, malformed or delay (the \
                 CA acted and the answer is lost); {} only strikes before the act",
                self.action.kind()
            ));
        }
        Ok(())
    }
}

/// What a request looks like to the rules.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub dialect: Dialect,
    pub operation: &'a str,
    pub account: Option<&'a str>,
    pub common_name: Option<&'a str>,
    /// Which rules are asked: those of this phase only.
    pub phase: FaultPhase,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub rule: String,
    pub action: FaultAction,
    pub phase: FaultPhase,
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u64,
    rng: SplitMix64,
}

/// A rule as `/admin/faults` shows it.
#[derive(Debug, Serialize)]
pub struct RuleView {
    #[serde(flatten)]
    pub rule: FaultRule,
    pub matched: u64,
    pub fired: u64,
}

/// The rule set and its counters.
#[derive(Debug)]
pub struct Faults {
    seed: u64,
    rules: Mutex<Vec<RuleState>>,
    /// Bumped by every change of a rule or a counter (the dashboard's live feed compares it).
    version: AtomicU64,
}

impl Faults {
    pub fn new(seed: u64, rules: Vec<FaultRule>) -> Self {
        let f = Self {
            seed,
            rules: Mutex::new(Vec::new()),
            version: AtomicU64::new(0),
        };
        f.replace(rules);
        f
    }

    fn state(&self, index: usize, rule: FaultRule) -> RuleState {
        let stream = rule.name.clone().unwrap_or_default();
        RuleState {
            rng: SplitMix64::derive(self.seed, &stream, index as u64),
            rule,
            matched: 0,
            fired: 0,
        }
    }

    /// Replaces every rule and resets the counters.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        let states = rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| self.state(i, r))
            .collect();
        *self.lock() = states;
        self.bump();
    }

    pub fn append(&self, rule: FaultRule) {
        let mut rules = self.lock();
        let i = rules.len();
        let state = self.state(i, rule);
        rules.push(state);
        self.bump();
    }

    /// Where the rule called `name` is: its `name`, or `rule-{i}` for an unnamed rule at
    /// index `i` (the name a fired unnamed rule gets in the history).
    fn position(rules: &[RuleState], name: &str) -> Option<usize> {
        rules
            .iter()
            .enumerate()
            .position(|(i, s)| match &s.rule.name {
                Some(n) => n == name,
                None => format!("rule-{i}") == name,
            })
    }

    /// Replaces the rule called `name` in place (its counters restart; the others keep
    /// theirs). `false` if there is none.
    pub fn replace_one(&self, name: &str, rule: FaultRule) -> bool {
        let mut rules = self.lock();
        let Some(i) = Self::position(&rules, name) else {
            return false;
        };
        rules[i] = self.state(i, rule);
        drop(rules);
        self.bump();
        true
    }

    /// Removes the rule called `name` (the others keep their counters). `false` if none.
    pub fn remove(&self, name: &str) -> bool {
        let mut rules = self.lock();
        let Some(i) = Self::position(&rules, name) else {
            return false;
        };
        rules.remove(i);
        drop(rules);
        self.bump();
        true
    }

    /// Changes with every rule or counter change.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    fn bump(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }

    pub fn list(&self) -> Vec<RuleView> {
        self.lock()
            .iter()
            .map(|s| RuleView {
                rule: s.rule.clone(),
                matched: s.matched,
                fired: s.fired,
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RuleState>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the request against every matching rule; returns the first that fires.
    pub fn evaluate(&self, facts: Facts<'_>) -> Option<Fired> {
        let mut rules = self.lock();
        let mut winner = None;
        for (i, s) in rules.iter_mut().enumerate() {
            let r = &s.rule;
            if r.phase != facts.phase
                || r.dialect.is_some_and(|d| d != facts.dialect)
                || r.operation.as_deref().is_some_and(|o| o != facts.operation)
                || !r.action.applies_to(facts.operation)
                || r.account
                    .as_deref()
                    .is_some_and(|a| Some(a) != facts.account)
                || r.common_name
                    .as_deref()
                    .is_some_and(|p| !facts.common_name.is_some_and(|cn| glob(p, cn)))
            {
                continue;
            }
            s.matched += 1;
            self.bump();
            let n = s.matched;
            let mut fire = r.nth.is_none_or(|k| n == k) && r.every.is_none_or(|k| n % k == 0);
            if let Some(p) = r.probability {
                // Always draw, so the sequence depends only on the matching requests.
                let draw = s.rng.next_f64();
                fire = fire && draw < p;
            }
            if r.times.is_some_and(|t| s.fired >= t) {
                fire = false;
            }
            if fire && winner.is_none() {
                s.fired += 1;
                winner = Some(Fired {
                    rule: r.name.clone().unwrap_or_else(|| format!("rule-{i}")),
                    action: r.action.clone(),
                    phase: r.phase,
                });
            }
        }
        winner
    }
}

/// `*` matches any run of characters; case-insensitive.
pub fn glob(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, '*')
}

/// `any` matches any run of characters (`*` for rule globs, `%` for DigiCert's LIKE
/// filters), every other character itself; case-insensitive.
pub fn wildcard_match(pattern: &str, text: &str, any: char) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(op: &str) -> Facts<'_> {
        Facts {
            dialect: Dialect::Digicert,
            operation: op,
            account: Some("a"),
            common_name: Some("www.example.com"),
            phase: FaultPhase::Before,
        }
    }

    #[test]
    fn nth_every_and_probability() {
        let rule = |nth, every, p| FaultRule {
            name: None,
            dialect: None,
            operation: Some("poll".into()),
            account: None,
            common_name: None,
            nth,
            every,
            probability: p,
            times: None,
            phase: FaultPhase::Before,
            action: FaultAction::Drop,
        };
        let f = Faults::new(1, vec![rule(Some(2), None, None)]);
        let fired: Vec<bool> = (0..4)
            .map(|_| f.evaluate(facts("poll")).is_some())
            .collect();
        assert_eq!(fired, [false, true, false, false]);
        assert!(f.evaluate(facts("order")).is_none());
        let f = Faults::new(1, vec![rule(None, Some(3), None)]);
        let fired: Vec<bool> = (0..6)
            .map(|_| f.evaluate(facts("poll")).is_some())
            .collect();
        assert_eq!(fired, [false, false, true, false, false, true]);
        let run = |seed| {
            let f = Faults::new(seed, vec![rule(None, None, Some(0.5))]);
            (0..64)
                .map(|_| f.evaluate(facts("poll")).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn phases_count_apart() {
        let rule = |phase: &str| -> FaultRule {
            serde_json::from_value(serde_json::json!({
                "operation": "order", "phase": phase, "nth": 1, "action": {"kind": "drop"}
            }))
            .unwrap()
        };
        let f = Faults::new(1, vec![rule("after")]);
        // A before-phase request neither fires nor counts against an after-phase rule.
        assert!(f.evaluate(facts("order")).is_none());
        let after = Facts {
            phase: FaultPhase::After,
            ..facts("order")
        };
        let fired = f.evaluate(after).unwrap();
        assert_eq!(fired.phase, FaultPhase::After);
        assert_eq!(f.list()[0].matched, 1);
        // The default is before; an after-phase rule must lose the answer.
        let plain: FaultRule = serde_json::from_value(serde_json::json!({
            "action": {"kind": "drop"}
        }))
        .unwrap();
        assert_eq!(plain.phase, FaultPhase::Before);
        let bad: FaultRule = serde_json::from_value(serde_json::json!({
            "phase": "after", "action": {"kind": "reject"}
        }))
        .unwrap();
        assert!(bad.validate().unwrap_err().contains("after"));
        assert!(serde_json::from_value::<FaultRule>(serde_json::json!({
            "phase": "During", "action": {"kind": "drop"}
        }))
        .is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("*.example.com", "www.example.com"));
        assert!(glob("fail-*", "FAIL-1.test"));
        assert!(!glob("*.example.com", "example.org"));
        assert!(glob("*", ""));
        // DigiCert's LIKE filters: `%` is the wildcard, a wildcard name's `*` is literal.
        assert!(wildcard_match("%.example.com", "*.example.com", '%'));
        assert!(!wildcard_match("*.example.com", "www.example.com", '%'));
    }
}
