//! GlobalSign `OVOrder` and `EVOrder` ([`PlaceOrder`]) on ServerSSLService.
//!
//! Both may name their order (`OrderID` / `OrderId` right after `OrderRequestParameter`); a
//! duplicate is `-105`. ca-sim leniency: OVOrder's `OrganizationInfo` and EVOrder's EV-only
//! blocks are optional (CSR/account values are used).

use super::{code, success, GlobalSign, GsError};
use crate::app::App;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::dialects::csr::csr_der;
use crate::dialects::names::uncertifiable;
use crate::dialects::xml::El;
use crate::domain::{op, Dialect, NewOrder, TimingProfile, MAX_VALIDITY_DAYS};
use serde_json::{json, Value};
use shared::crypto::{self, CsrInfo};

/// Longest client-chosen OrderID/OrderId ca-sim accepts.
const MAX_ORDER_ID_LEN: usize = 50;

/// `OVOrder` / `EVOrder`: the request, checked in GlobalSign's order of checks.
pub struct PlaceOrder {
    /// `OrderId` (EVOrder) or `OrderID` (OVOrder): the id element of request and answer.
    id_el: &'static str,
    client_id: Option<String>,
    product: String,
    validation: &'static str,
    months: u32,
    der: Vec<u8>,
    common_name: String,
    dns_names: Vec<String>,
    organization_name: Option<String>,
    country: String,
    profile: TimingProfile,
    extra: Value,
}

impl Operation<GlobalSign> for PlaceOrder {
    const NAME: &'static str = op::ORDER;

    fn parse(call: &mut Call<GlobalSign>) -> Result<Self, GsError> {
        let op_name = call.req.op_name;
        let ev = op_name == "EVOrder";
        let req = &call.req.request;
        let param = req
            .get("OrderRequestParameter")
            .ok_or_else(|| GsError::missing("OrderRequestParameter"))?;
        let (product, validation) = product(param, ev)?;
        let kind = param.path_text(&["OrderKind"]).unwrap_or_default();
        if !["new", "renewal", "transfer"].contains(&kind.as_str()) {
            return Err(GsError::new(
                if kind.is_empty() {
                    code::MISSING_PARAMETER
                } else {
                    code::INVALID_PARAMETER
                },
                "OrderKind",
                "OrderKind must be new, renewal or transfer",
            ));
        }
        let months = months(param)?;
        let (der, info) = csr(param)?;
        for f in ["FirstName", "LastName", "Phone", "Email"] {
            if req.path_text(&["ContactInfo", f]).is_none() {
                return Err(GsError::missing(&format!("ContactInfo.{f}")));
            }
        }
        // The client-chosen order id (OVOrder `OrderID`, EVOrder `OrderId`; the other spelling
        // is an unknown element and ignored, as GlobalSign's unmarshaller would).
        let id_el = if ev { "OrderId" } else { "OrderID" };
        let wrong_id_el = if ev { "OrderID" } else { "OrderId" };
        if req.get(wrong_id_el).is_some() {
            tracing::warn!(
                operation = op_name,
                "{wrong_id_el} is not an element of {op_name} (it spells it {id_el}); ignored"
            );
        }
        let client_id = req.path_text(&[id_el]);
        if let Some(id) = &client_id {
            check_client_id(&call.app, id_el, id)?;
        }
        // Organization: OVOrder's OrganizationInfo, EVOrder's OrganizationInfoEV + requestor
        // and signer blocks. ca-sim leniency: all of them may be absent; the name then comes
        // from the CSR subject's O (else the account's first organization, else none) and the
        // country from the jurisdiction, the CSR's C, else US.
        let org_el = if ev {
            "OrganizationInfoEV"
        } else {
            "OrganizationInfo"
        };
        let csr_dn = crypto::parse_dn(&info.subject).ok();
        let csr_attr = |oid: &str| {
            csr_dn
                .as_ref()
                .and_then(|d| d.values_of(oid).next().map(str::to_string))
                .filter(|v| !v.trim().is_empty())
        };
        let organization_name = req
            .path_text(&[org_el, "OrganizationName"])
            .or_else(|| req.path_text(&["RequestorInfo", "OrganizationName"]))
            .or_else(|| req.path_text(&["AuthorizedSignerInfo", "OrganizationName"]))
            .or_else(|| req.path_text(&["ApproverInfo", "OrganizationName"]))
            .or_else(|| csr_attr("2.5.4.10"))
            .or_else(|| call.account.organizations.first().map(|o| o.name.clone()));
        let country = req
            .path_text(&[org_el, "OrganizationAddress", "Country"])
            .or_else(|| req.path_text(&["JurisdictionInfo", "JurisdictionCountry"]))
            .or_else(|| csr_attr("2.5.4.6"))
            .unwrap_or_else(|| "US".into())
            .to_ascii_uppercase();
        let (common_name, dns_names) = names(req, &info)?;
        let profile = call
            .account
            .profile_for(&product)
            .map_err(|m| GsError::new(code::DB_RETRY, "", m))?;
        let contact = |f: &str| req.path_text(&["ContactInfo", f]).unwrap_or_default();
        let addr = |f: &str| {
            req.path_text(&[org_el, "OrganizationAddress", f])
                .or_else(|| match f {
                    "City" => csr_attr("2.5.4.7"),
                    "Region" => csr_attr("2.5.4.8"),
                    "PostalCode" => csr_attr("2.5.4.17"),
                    "Country" => Some(country.clone()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let extra = json!({
            "orderKind": kind, "licenses": param.path_text(&["Licenses"]).unwrap_or_else(|| "1".into()), "months": months,
            "contact": {"FirstName": contact("FirstName"), "LastName": contact("LastName"), "Phone": contact("Phone"), "Email": contact("Email")},
            "organization": {"OrganizationName": organization_name.clone().unwrap_or_default(), "AddressLine1": addr("AddressLine1"), "City": addr("City"), "Region": addr("Region"), "PostalCode": addr("PostalCode"), "Country": addr("Country"), "Phone": addr("Phone")},
        });
        Ok(Self {
            id_el,
            client_id,
            product,
            validation,
            months,
            der,
            common_name,
            dns_names,
            organization_name,
            country,
            profile,
            extra,
        })
    }

    async fn apply(self, call: &mut Call<GlobalSign>) -> Outcome<GlobalSign> {
        let fired = call.gate(Some(&self.common_name)).await?;
        let id_el = self.id_el;
        let instant = self.profile.is_instant();
        let new = NewOrder {
            dialect: Dialect::Globalsign,
            account: call.account.id.clone(),
            product: self.product,
            validation: self.validation.into(),
            common_name: self.common_name,
            dns_names: self.dns_names,
            organization_id: None,
            organization_name: self.organization_name,
            country: Some(self.country).filter(|c| c.len() == 2),
            csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &self.der),
            validity_days: (self.months * 365 / 12).min(MAX_VALIDITY_DAYS),
            profile: self.profile,
            awaiting_validation: false,
            outcome: fired
                .filter(|f| f.action.is_order_outcome())
                .map(|f| (f.rule, f.action)),
            extra: self.extra,
        };
        let book = &call.app.orders;
        let created = match self.client_id {
            Some(id) => book.create_with_id(new, id),
            None => book
                .create(new, |seq, now| {
                    format!(
                        "CE{:04}{:02}{:02}{:06}",
                        now.year(),
                        now.month() as u8,
                        now.day(),
                        seq
                    )
                })
                .map(Some),
        };
        let order = match created {
            Ok(Some(o)) => o,
            // Taken between the check in `parse` and the insert (a concurrent duplicate).
            Ok(None) => {
                return Err(GsError::new(
                    code::COMBINATION,
                    id_el,
                    format!("Invalid parameter combination: {id_el} is already in use"),
                )
                .into())
            }
            Err(e) => return Err(GsError::internal("order", e).into()),
        };
        call.about(&order.id);
        if instant {
            // The answer carries only the id; the first poll sees the order issued.
            let _ = call.app.orders.issue_now(&order.id).await;
        }
        Ok(success(call, vec![El::text(id_el, &order.id)]))
    }
}

/// `ProductCode` and its validation type, which must match the operation (EV in EVOrder).
fn product(param: &El, ev: bool) -> Result<(String, &'static str), GsError> {
    let product = param.path_text(&["ProductCode"]).unwrap_or_default();
    let validation = match product.as_str() {
        "OV" | "OV_SHA2" => "OV",
        "EV" | "EV_SHA2" => "EV",
        "" => return Err(GsError::missing("ProductCode")),
        _ => {
            return Err(GsError::new(
                code::INVALID_PARAMETER,
                "ProductCode",
                "Invalid parameter: ProductCode (ca-sim offers OV_SHA2 and EV_SHA2)",
            ))
        }
    };
    if (validation == "EV") != ev {
        return Err(GsError::new(
            code::COMBINATION,
            "ProductCode",
            "Invalid combination: ProductCode does not match the operation",
        ));
    }
    Ok((product, validation))
}

/// `ValidityPeriod/Months`: 1 to 13.
fn months(param: &El) -> Result<u32, GsError> {
    let months = param
        .path_text(&["ValidityPeriod", "Months"])
        .ok_or_else(|| GsError::missing("ValidityPeriod.Months"))?;
    let months = months.parse::<u32>().map_err(|_| {
        GsError::new(
            code::FORMAT,
            "ValidityPeriod.Months",
            "Format error: Months must be a number",
        )
    })?;
    if months == 0 || months > 13 {
        return Err(GsError::new(
            code::VALIDITY,
            "ValidityPeriod.Months",
            "The validity period exceeds the allowed maximum (13 months)",
        ));
    }
    Ok(months)
}

/// The CSR: decodable, parseable, validly signed, with an allowed key.
fn csr(param: &El) -> Result<(Vec<u8>, CsrInfo), GsError> {
    let csr_text = param
        .path_text(&["CSR"])
        .ok_or_else(|| GsError::missing("CSR"))?;
    let der = csr_der(&csr_text).ok_or_else(|| {
        GsError::new(
            code::FORMAT,
            "CSR",
            "Format error: the CSR cannot be decoded",
        )
    })?;
    let info = crypto::parse_csr(&der).map_err(|_| {
        GsError::new(
            code::FORMAT,
            "CSR",
            "Format error: the CSR cannot be parsed or its signature is invalid",
        )
    })?;
    match info.key_spec {
        Some(crypto::KeySpec::Rsa { bits }) if bits < 2048 => Err(GsError::new(
            code::WEAK_KEY,
            "CSR",
            "The public key is too weak",
        )),
        Some(crypto::KeySpec::Ec {
            curve: shared::models::CurveName::P521,
        }) => Err(GsError::new(
            code::ECC_CURVE,
            "CSR",
            "The ECC curve is not allowed",
        )),
        _ => Ok((der, info)),
    }
}

/// A client-chosen order id: short, plain characters, not taken by any order.
fn check_client_id(app: &App, id_el: &str, id: &str) -> Result<(), GsError> {
    if id.len() > MAX_ORDER_ID_LEN {
        return Err(GsError::new(
            code::LENGTH,
            id_el,
            format!(
                "Parameter length check error: {id_el} is at most {MAX_ORDER_ID_LEN} characters"
            ),
        ));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(GsError::new(
            code::FORMAT,
            id_el,
            format!("Parameter format check error: {id_el} may hold letters, digits, '-' and '_'"),
        ));
    }
    if app.orders.get(id).is_some() {
        return Err(GsError::new(
            code::COMBINATION,
            id_el,
            format!("Invalid parameter combination: {id_el} {id} is already in use"),
        ));
    }
    Ok(())
}

/// Names: the CN from the CSR (else the first SAN), SANs from `SANEntries` (GlobalSign reads
/// both).
fn names(req: &El, info: &CsrInfo) -> Result<(String, Vec<String>), GsError> {
    let cn = info
        .subject
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN=").map(str::to_string));
    let sans: Vec<String> = req
        .get("SANEntries")
        .map(|s| {
            s.all("SANEntry")
                .filter_map(|e| e.path_text(&["SubjectAltName"]))
                .collect()
        })
        .unwrap_or_default();
    let Some(cn) = cn.or_else(|| sans.first().cloned()) else {
        return Err(GsError::new(
            code::MISSING_PARAMETER,
            "CSR",
            "The CSR has no common name and no SANEntries were given",
        ));
    };
    let mut dns = vec![cn.clone()];
    for s in sans {
        if !dns.iter().any(|d| d.eq_ignore_ascii_case(&s)) {
            dns.push(s);
        }
    }
    if let Some(bad) = uncertifiable(&dns) {
        return Err(GsError::new(
            code::FORMAT,
            "SubjectAltName",
            format!("'{bad}' is not a valid domain name"),
        ));
    }
    Ok((cn, dns))
}
