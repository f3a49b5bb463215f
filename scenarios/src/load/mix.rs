//! Who issues the run's certificates: [`Issuer`] and the issuer shares of `--mix` ([`Mix`]).

use std::fmt;
use std::str::FromStr;

/// Who issues a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Issuer {
    /// Self-signed by vault.
    SelfSigned,
    DigiCert,
    GlobalSign,
    WoSign,
    /// Non-partnered: the client signs the pending CSR with its own CA and merges it.
    Unknown,
}

impl Issuer {
    pub const ALL: [Issuer; 5] = [
        Issuer::SelfSigned,
        Issuer::DigiCert,
        Issuer::GlobalSign,
        Issuer::WoSign,
        Issuer::Unknown,
    ];

    /// The name in `--mix` and in reports.
    pub fn label(self) -> &'static str {
        match self {
            Issuer::SelfSigned => "Self",
            Issuer::DigiCert => "DigiCert",
            Issuer::GlobalSign => "GlobalSign",
            Issuer::WoSign => "WoSign",
            Issuer::Unknown => "Unknown",
        }
    }

    /// The vault issuer name a create names: `Self`, `Unknown`, or the issuer the run registers
    /// for the partner (`load-digicert`, ...).
    pub fn vault_issuer(self) -> &'static str {
        match self {
            Issuer::SelfSigned => "Self",
            Issuer::DigiCert => "load-digicert",
            Issuer::GlobalSign => "load-globalsign",
            Issuer::WoSign => "load-wosign",
            Issuer::Unknown => "Unknown",
        }
    }

    pub(super) fn partner(self) -> bool {
        matches!(self, Issuer::DigiCert | Issuer::GlobalSign | Issuer::WoSign)
    }
}

/// Issuer shares: `Self:0.5,DigiCert:0.3,Unknown:0.2` (a bare name weighs 1; weights are
/// normalised). Certificates are assigned so that every prefix of the run follows the shares as
/// closely as whole numbers allow (deterministic, no randomness).
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(pub Vec<(Issuer, f64)>);

impl FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out: Vec<(Issuer, f64)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = match part.split_once(':') {
                Some((n, w)) => (
                    n.trim(),
                    w.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("invalid weight in '{part}'"))?,
                ),
                None => (part, 1.0),
            };
            let issuer = Issuer::ALL
                .into_iter()
                .find(|i| i.label().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "unknown issuer '{name}' (use Self, DigiCert, GlobalSign, WoSign, Unknown)"
                    )
                })?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("invalid weight in '{part}'"));
            }
            if out.iter().any(|(i, _)| *i == issuer) {
                return Err(format!("'{name}' appears twice"));
            }
            out.push((issuer, weight));
        }
        let total: f64 = out.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err("the mix needs at least one issuer with a positive weight".into());
        }
        out.retain(|(_, w)| *w > 0.0);
        for (_, w) in &mut out {
            *w /= total;
        }
        Ok(Mix(out))
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(i, w)| format!("{}:{}", i.label(), (w * 1000.0).round() / 1000.0))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_normalises() {
        let m: Mix = "Self:0.5,DigiCert:0.3,unknown:0.2".parse().unwrap();
        assert_eq!(m.0.len(), 3);
        assert_eq!(m.0[0].0, Issuer::SelfSigned);
        assert!((m.0.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-9);
        let m: Mix = "DigiCert".parse().unwrap();
        assert_eq!(m.0, vec![(Issuer::DigiCert, 1.0)]);
        assert!("Nope:1".parse::<Mix>().is_err());
        assert!("Self:0".parse::<Mix>().is_err());
        assert!("Self:1,Self:2".parse::<Mix>().is_err());
    }
}
