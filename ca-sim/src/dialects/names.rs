//! The names an order may ask for: what the issuing CA can put in a certificate. A DNS name
//! is an IA5String in subjectAltName (RFC 5280 §4.2.1.6), so ASCII; an IP address is taken
//! as one. Each dialect refuses an order naming anything else with its own bad-parameter
//! error, at order time as the vendors refuse an invalid domain, instead of failing when the
//! certificate is signed (found by the `digicert` fuzz target: a 500 from an instant order).

use std::net::IpAddr;

/// The first of `names` the CA could not certify, if any.
pub fn uncertifiable(names: &[String]) -> Option<&str> {
    names
        .iter()
        .map(String::as_str)
        .find(|n| !n.is_ascii() && n.parse::<IpAddr>().is_err())
}
