//! The GCC order's own fields, in both directions: `ContactInfo` and `OrganizationInfo` written
//! from the issuer object and the CSR subject, and read back the `OrderStatus` codes and the
//! `Fulfillment` chain (server certificate, then INTER, then ROOT).

use super::soap::{el, leaf, El, Node};
use crate::providers::convert::pem_certs;
use crate::providers::types::{Credentials, OrderRequest, OrderStatus, ProviderError};

/// The chain of an issued order: server certificate, INTER certificates, ROOT certificates.
/// `None` while the fulfillment is not there yet.
pub(super) fn chain_of(response: &Node) -> Result<Option<Vec<Vec<u8>>>, ProviderError> {
    let Some(fulfillment) = response.path(&["OrderDetail", "Fulfillment"]) else {
        return Ok(None);
    };
    let Some(leaf_pem) = fulfillment.text_of(&["ServerCertificate", "X509Cert"]) else {
        return Ok(None);
    };
    let mut chain = pem_certs(leaf_pem);
    if chain.is_empty() {
        return Err(ProviderError::unreadable(
            "GlobalSign order status: ServerCertificate/X509Cert is not a PEM certificate",
        ));
    }
    let cas: Vec<(String, &str)> = fulfillment
        .child("CACertificates")
        .map(|c| {
            c.children_named("CACertificate")
                .filter_map(|ca| {
                    Some((
                        ca.text_of(&["CACertType"])
                            .unwrap_or("")
                            .to_ascii_uppercase(),
                        ca.text_of(&["CACert"])?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for wanted in ["INTER", "ROOT"] {
        for (_, pem) in cas.iter().filter(|(t, _)| t == wanted) {
            chain.extend(pem_certs(pem));
        }
    }
    for (_, pem) in cas.iter().filter(|(t, _)| t != "INTER" && t != "ROOT") {
        chain.extend(pem_certs(pem));
    }
    Ok(Some(chain))
}

pub(super) fn status_name(code: i64) -> &'static str {
    match code {
        1 => "Initial",
        2 => "Waiting",
        3 => "Cancelled (not issued)",
        4 => "Issued",
        5 => "Cancelled (issued)",
        6 => "Revoking",
        7 => "Revoked",
        8 => "Pending approval",
        9 => "Locked",
        10 => "Denied",
        _ => "Unknown",
    }
}

pub(super) fn to_status(
    order_id: &str,
    code: i64,
    response: &Node,
) -> Result<OrderStatus, ProviderError> {
    let label = format!("{code} ({})", status_name(code));
    Ok(match code {
        4 => match chain_of(response)? {
            Some(chain) => OrderStatus::Issued { chain },
            // §6 "Fulfillment absent": keep polling.
            None => OrderStatus::Pending {
                ca_status: format!("{label}, certificate not yet delivered"),
            },
        },
        3 | 5 => OrderStatus::Cancelled {
            message: format!("GlobalSign order {order_id} is cancelled: status {label}."),
        },
        6 | 7 => OrderStatus::Revoked {
            message: format!("GlobalSign order {order_id} is revoked: status {label}."),
        },
        10 => OrderStatus::Rejected {
            message: format!("GlobalSign denied order {order_id}: status {label}."),
        },
        _ => OrderStatus::Pending { ca_status: label },
    })
}

/// ContactInfo from `admin_details[0]`; every field is required by GCC.
pub(super) fn contact(credentials: &Credentials) -> Result<El, ProviderError> {
    let admin = credentials.admin.clone().unwrap_or_default();
    let fields = [
        ("FirstName", "first_name", admin.first_name),
        ("LastName", "last_name", admin.last_name),
        ("Phone", "phone", admin.phone),
        ("Email", "email", admin.email),
    ];
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(_, _, v)| v.as_deref().is_none_or(|s| s.trim().is_empty()))
        .map(|(_, json, _)| *json)
        .collect();
    if !missing.is_empty() {
        return Err(ProviderError::Config {
            message: format!(
                "The GlobalSign issuer needs the administrator's first name, last name, phone \
                 and email (org_details.admin_details[0]); missing: {}.",
                missing.join(", ")
            ),
        });
    }
    Ok(el(
        "ContactInfo",
        fields
            .into_iter()
            .map(|(name, _, v)| leaf(name, v.unwrap_or_default().trim()))
            .collect(),
    ))
}

/// OrganizationInfo from the CSR subject (OVOrder), when it names an organization.
pub(super) fn organization(order: &OrderRequest) -> Option<El> {
    let info = shared::crypto::parse_csr(&order.csr_der).ok()?;
    let dn = shared::crypto::parse_dn(&info.subject).ok()?;
    let first = |oid: &str| dn.values_of(oid).next().map(str::to_string);
    let name = first("2.5.4.10")?;
    let city = first("2.5.4.7").unwrap_or_default();
    let street = first("2.5.4.9").unwrap_or_else(|| city.clone());
    let mut address = vec![
        leaf("AddressLine1", street),
        leaf("City", city),
        leaf("Region", first("2.5.4.8").unwrap_or_default()),
    ];
    if let Some(pc) = first("2.5.4.17") {
        address.push(leaf("PostalCode", pc));
    }
    address.push(leaf("Country", first("2.5.4.6").unwrap_or_default()));
    let phone = order
        .credentials
        .admin
        .as_ref()
        .and_then(|a| a.phone.clone())
        .unwrap_or_default();
    address.push(leaf("Phone", phone));
    Some(el(
        "OrganizationInfo",
        vec![
            leaf("OrganizationName", name),
            el("OrganizationAddress", address),
        ],
    ))
}
