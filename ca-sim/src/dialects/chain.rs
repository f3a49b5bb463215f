//! How a certificate chain is served: a fault may reorder it, drop the intermediates or use
//! CRLF line ends. Every dialect renders its chains through [`ChainShape`].

use crate::domain::{FaultAction, IssuedCert};

/// How a chain is served: a fault may reorder it, drop the intermediates or use CRLF.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChainShape {
    pub wrong_order: bool,
    pub missing_intermediate: bool,
    pub crlf: bool,
}

impl ChainShape {
    pub fn from_action(a: Option<&FaultAction>) -> Self {
        let mut s = Self::default();
        s.add(a);
        s
    }

    pub fn add(&mut self, a: Option<&FaultAction>) {
        match a {
            Some(FaultAction::ChainWrongOrder) => self.wrong_order = true,
            Some(FaultAction::ChainMissingIntermediate) => self.missing_intermediate = true,
            Some(FaultAction::ChainCrlf) => self.crlf = true,
            _ => {}
        }
    }

    /// The certificates (PEM, shaped) of `cert`: leaf (if `leaf`), intermediates, root (if
    /// `root`).
    pub fn pems(&self, cert: &IssuedCert, leaf: bool, root: bool) -> Vec<String> {
        let mut v = Vec::new();
        if leaf {
            v.push(cert.pem.clone());
        }
        if !self.missing_intermediate {
            v.extend(cert.intermediates.iter().cloned());
        }
        if root {
            v.push(cert.root.clone());
        }
        if self.wrong_order {
            v.reverse();
        }
        if self.crlf {
            v = v.into_iter().map(|p| crlf(&p)).collect();
        }
        v
    }
}

pub fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}
