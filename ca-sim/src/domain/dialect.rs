//! The vendor dialects ca-sim speaks: the key of accounts, orders, hierarchies and fault rules.

use serde::{Deserialize, Serialize};

/// The vendor dialects ca-sim speaks (ACME: RFC 8555, ca-sim's own ACME CA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Digicert,
    Globalsign,
    Wosign,
    Acme,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::Digicert,
        Dialect::Globalsign,
        Dialect::Wosign,
        Dialect::Acme,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Digicert => "digicert",
            Dialect::Globalsign => "globalsign",
            Dialect::Wosign => "wosign",
            Dialect::Acme => "acme",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
