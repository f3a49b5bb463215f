//! Small conversions more than one dialect needs: the order's months as whole years, ids that
//! arrive as JSON numbers or strings, and PEM text as a DER chain. They belong to no vendor, so
//! each adapter imports them from here rather than from another adapter.

use serde_json::Value;

/// Whole years covering the months, at least one (DigiCert's `order_validity.years`, WoSign's
/// `validityYears`).
pub(crate) fn validity_years(months: u32) -> u32 {
    months.div_ceil(12).max(1)
}

/// A JSON number or string as text (order ids are numbers in one answer and strings in the
/// next; be lenient). An empty string is no id.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Every CERTIFICATE block of PEM text, as DER (CRLF tolerated), in the text's order.
pub(crate) fn pem_certs(text: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(text)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}
