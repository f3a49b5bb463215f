//! The key Let's Encrypt counts certificates under: the registered domain of an identifier.
//!
//! Not the Public Suffix List (vault carries no copy of it): the registered domain is the
//! last two labels (`www.example.com` → `example.com`), or the last three when the last two
//! are one of the multi-label public suffixes in [`TWO_LABEL_SUFFIXES`] (`shop.example.co.uk`
//! → `example.co.uk`, `app.github.io` stays whole). Wildcards count for their base name. An
//! IPv4 address counts alone; an IPv6 address counts for its /64 (what one subscriber
//! usually holds, and what Let's Encrypt keys IPv6 limits by).

use crate::model::acme::{Identifier, IdentifierType};
use std::net::IpAddr;

/// Two-label public suffixes treated as one label: the common country second levels and the
/// hosting platforms whose subdomains belong to different people.
pub const TWO_LABEL_SUFFIXES: &[&str] = &[
    "ac.uk",
    "co.uk",
    "gov.uk",
    "ltd.uk",
    "me.uk",
    "net.uk",
    "org.uk",
    "plc.uk",
    "com.au",
    "net.au",
    "org.au",
    "edu.au",
    "gov.au",
    "co.nz",
    "org.nz",
    "co.jp",
    "ne.jp",
    "or.jp",
    "co.kr",
    "com.br",
    "com.cn",
    "net.cn",
    "org.cn",
    "co.in",
    "com.mx",
    "co.za",
    "com.tr",
    "com.tw",
    "com.sg",
    "com.hk",
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "azurewebsites.net",
    "cloudapp.net",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
    "appspot.com",
];

/// The registered domain an identifier counts under (see the module doc).
pub fn registered_domain(id: &Identifier) -> String {
    match id.kind {
        IdentifierType::Ip => ip_key(&id.value),
        IdentifierType::Dns => dns_key(&id.value),
    }
}

fn ip_key(value: &str) -> String {
    match value.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        // Stored identifiers are canonical; anything else counts as itself.
        Err(_) => value.to_ascii_lowercase(),
    }
}

fn dns_key(value: &str) -> String {
    let name = value
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let tail = |n: usize| labels[labels.len().saturating_sub(n)..].join(".");
    if TWO_LABEL_SUFFIXES.contains(&tail(2).as_str()) {
        tail(3)
    } else {
        tail(2)
    }
}
