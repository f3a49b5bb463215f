//! ca-sim's own WSDLs for ServerSSLService and GASService, generated from one table of types so
//! that every element the services read or write is declared (names and nesting checked
//! against GlobalSign's published GAS WSDL; `elementFormDefault="unqualified"`, document/literal,
//! `soapAction=""`), and the `GET` side of both endpoints that serves them at `?wsdl`.

use super::{Service, NS};
use crate::app::App;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// `GET /kb/ws/v1/ServerSSLService[?wsdl]`.
pub async fn server_ssl(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    get(&app, &q, &headers, &uri, Service::ServerSsl)
}

/// `GET /kb/ws/v1/GASService[?wsdl]`.
pub async fn gas(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    get(&app, &q, &headers, &uri, Service::Gas)
}

/// The WSDL at `?wsdl` (its address the host the client used), else a one-line hint.
fn get(
    app: &App,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    uri: &Uri,
    service: Service,
) -> Response {
    if !q.contains_key("wsdl") && !q.contains_key("WSDL") {
        return (StatusCode::OK, [(http::header::CONTENT_TYPE, "text/plain")], "GlobalSign GCC SOAP endpoint (ca-sim). POST SOAP 1.1 envelopes here; the WSDL is at ?wsdl.\n").into_response();
    }
    let base = uri
        .authority()
        .map(|a| format!("https://{a}"))
        .unwrap_or_else(|| base_from_headers(app, headers));
    let name = service.name();
    let text = wsdl(name, &format!("{base}/kb/ws/v1/{name}"));
    (
        StatusCode::OK,
        [(http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The Host the client used (for WSDL addresses), else the configured base URL.
fn base_from_headers(app: &App, headers: &HeaderMap) -> String {
    headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .map(|h| format!("https://{h}"))
        .unwrap_or_else(|| app.base_url.clone())
}

/// (element name, type, minOccurs, maxOccurs unbounded, nillable)
type Field = (&'static str, &'static str, u8, bool, bool);

const fn req(n: &'static str, t: &'static str) -> Field {
    (n, t, 1, false, false)
}
const fn opt(n: &'static str, t: &'static str) -> Field {
    (n, t, 0, false, true)
}
const fn many(n: &'static str, t: &'static str) -> Field {
    (n, t, 0, true, true)
}

const S: &str = "xs:string";

/// Types shared by both services.
const COMMON: &[(&str, &[Field])] = &[
    (
        "OrderRequestHeader",
        &[(("AuthToken"), "tns:AuthToken", 0, false, false)],
    ),
    (
        "QueryRequestHeader",
        &[("AuthToken", "tns:AuthToken", 0, false, false)],
    ),
    (
        "AuthToken",
        &[
            ("UserName", S, 0, false, false),
            ("Password", S, 0, false, false),
        ],
    ),
    (
        "OrderResponseHeader",
        &[
            req("SuccessCode", "xs:int"),
            ("Errors", "tns:Errors", 0, false, false),
            ("Timestamp", S, 0, false, false),
        ],
    ),
    (
        "QueryResponseHeader",
        &[
            req("SuccessCode", "xs:int"),
            ("Errors", "tns:Errors", 0, false, false),
            ("Timestamp", S, 0, false, false),
        ],
    ),
    ("Errors", &[("Error", "tns:Error", 0, true, false)]),
    (
        "Error",
        &[
            opt("ErrorCode", S),
            ("ErrorField", S, 0, false, false),
            opt("ErrorMessage", S),
        ],
    ),
    (
        "ValidityPeriod",
        &[req("Months", S), opt("NotBefore", S), opt("NotAfter", S)],
    ),
    (
        "ContactInfo",
        &[
            req("FirstName", S),
            req("LastName", S),
            req("Phone", S),
            req("Email", S),
        ],
    ),
    (
        "SecondContactInfo",
        &[req("FirstName", S), req("LastName", S), req("Email", S)],
    ),
    ("SANEntries", &[many("SANEntry", "tns:SANEntry")]),
    (
        "SANEntry",
        &[req("SANOptionType", S), req("SubjectAltName", S)],
    ),
    (
        "OrganizationAddressInfo",
        &[
            req("AddressLine1", S),
            opt("AddressLine2", S),
            opt("AddressLine3", S),
            req("City", S),
            req("Region", S),
            opt("PostalCode", S),
            req("Country", S),
            req("Phone", S),
            opt("Fax", S),
        ],
    ),
];

const SERVER_SSL: &[(&str, &[Field])] = &[
    (
        "OVOrder",
        &[("Request", "tns:QbV1OVOrderRequest", 0, false, false)],
    ),
    (
        "QbV1OVOrderRequest",
        &[
            req("OrderRequestHeader", "tns:OrderRequestHeader"),
            req("OrderRequestParameter", "tns:OrderRequestParameter"),
            // A client-chosen order id (§3.2 "optional, pre-allocated").
            opt("OrderID", S),
            opt("SubID", S),
            // ca-sim leniency: optional (the CSR's O is used when absent).
            opt("OrganizationInfo", "tns:OrganizationInfo"),
            req("ContactInfo", "tns:ContactInfo"),
            opt("SecondContactInfo", "tns:SecondContactInfo"),
            opt("SANEntries", "tns:SANEntries"),
            opt("Extensions", "tns:Extensions"),
        ],
    ),
    (
        "OVOrderResponse",
        &[("Response", "tns:QbV1OVOrderResponse", 0, false, false)],
    ),
    (
        "QbV1OVOrderResponse",
        &[
            req("OrderResponseHeader", "tns:OrderResponseHeader"),
            opt("OrderID", S),
        ],
    ),
    (
        "EVOrder",
        &[("Request", "tns:QbV1EVOrderRequest", 0, false, false)],
    ),
    (
        "QbV1EVOrderRequest",
        &[
            req("OrderRequestHeader", "tns:OrderRequestHeader"),
            req("OrderRequestParameter", "tns:OrderRequestParameter"),
            // EVOrder spells it OrderId (like SubId).
            opt("OrderId", S),
            opt("SubId", S),
            // ca-sim leniency: the EV-only blocks are optional, so a client holding only Key
            // Vault's issuer data can order EV (account/CSR values are used when absent).
            opt("OrganizationInfoEV", "tns:OrganizationInfoEV"),
            opt("RequestorInfo", "tns:RequestorApproverInfo"),
            opt("ApproverInfo", "tns:RequestorApproverInfo"),
            opt("AuthorizedSignerInfo", "tns:AuthorizedSignerInfo"),
            opt("JurisdictionInfo", "tns:JurisdictionInfo"),
            req("ContactInfo", "tns:ContactInfo"),
            opt("SecondContactInfo", "tns:SecondContactInfo"),
            opt("SANEntries", "tns:SANEntries"),
        ],
    ),
    (
        "EVOrderResponse",
        &[("Response", "tns:QbV1EVOrderResponse", 0, false, false)],
    ),
    (
        "QbV1EVOrderResponse",
        &[
            req("OrderResponseHeader", "tns:OrderResponseHeader"),
            opt("OrderId", S),
        ],
    ),
    (
        "ModifyOrder",
        &[("Request", "tns:QbV1ModifyOrderRequest", 0, false, false)],
    ),
    (
        "QbV1ModifyOrderRequest",
        &[
            req("OrderRequestHeader", "tns:OrderRequestHeader"),
            req("OrderID", S),
            req("ModifyOrderOperation", S),
        ],
    ),
    (
        "ModifyOrderResponse",
        &[("Response", "tns:QbV1ModifyOrderResponse", 0, false, false)],
    ),
    (
        "QbV1ModifyOrderResponse",
        &[
            req("OrderResponseHeader", "tns:OrderResponseHeader"),
            opt("OrderID", S),
        ],
    ),
    (
        "OrderRequestParameter",
        &[
            req("ProductCode", S),
            opt("BaseOption", S),
            req("OrderKind", S),
            req("Licenses", S),
            opt("Options", "tns:Options"),
            req("ValidityPeriod", "tns:ValidityPeriod"),
            req("CSR", S),
            opt("RenewalTargetOrderID", S),
            opt("TargetCERT", S),
            opt("SpecialInstructions", S),
            opt("Coupon", S),
            opt("Campaign", S),
        ],
    ),
    ("Options", &[many("Option", "tns:Option")]),
    ("Option", &[req("OptionName", S), req("OptionValue", S)]),
    ("Extensions", &[many("Extension", "tns:Extension")]),
    ("Extension", &[req("Name", S), req("Value", S)]),
    (
        "OrganizationInfo",
        &[
            req("OrganizationName", S),
            opt("CreditAgency", S),
            opt("OrganizationCode", S),
            req("OrganizationAddress", "tns:OrganizationAddressInfo"),
        ],
    ),
    (
        "OrganizationInfoEV",
        &[
            opt("BusinessAssumedName", S),
            opt("CreditAgency", S),
            opt("OrganizationCode", S),
            req("BusinessCategoryCode", S),
            req("OrganizationAddress", "tns:OrganizationAddressInfo"),
        ],
    ),
    (
        "RequestorApproverInfo",
        &[
            req("FirstName", S),
            req("LastName", S),
            req("Function", S),
            req("OrganizationName", S),
            req("OrganizationUnit", S),
            req("Phone", S),
            req("Email", S),
        ],
    ),
    (
        "AuthorizedSignerInfo",
        &[
            req("OrganizationName", S),
            req("FirstName", S),
            req("LastName", S),
            req("Function", S),
            req("Phone", S),
            req("Email", S),
        ],
    ),
    (
        "JurisdictionInfo",
        &[
            req("JurisdictionCountry", S),
            opt("JurisdictionState", S),
            opt("JurisdictionLocality", S),
            req("IncorporationAgencyRegistrationNumber", S),
        ],
    ),
];

const GAS: &[(&str, &[Field])] = &[
    (
        "GetOrderByOrderID",
        &[(
            "Request",
            "tns:QbV1GetOrderByOrderIdRequest",
            0,
            false,
            false,
        )],
    ),
    (
        "QbV1GetOrderByOrderIdRequest",
        &[
            req("QueryRequestHeader", "tns:QueryRequestHeader"),
            req("OrderID", S),
            opt("OrderQueryOption", "tns:OrderQueryOption"),
        ],
    ),
    (
        "GetOrderByOrderIDResponse",
        &[(
            "Response",
            "tns:QbV1GetOrderByOrderIdResponse",
            0,
            false,
            false,
        )],
    ),
    (
        "QbV1GetOrderByOrderIdResponse",
        &[
            req("OrderResponseHeader", "tns:QueryResponseHeader"),
            opt("OrderID", S),
            opt("OrderDetail", "tns:OrderDetail"),
        ],
    ),
    (
        "OrderQueryOption",
        &[
            opt("OrderStatus", S),
            opt("ReturnOrderOption", S),
            opt("ReturnCertificateInfo", S),
            opt("ReturnFulfillment", S),
            opt("ReturnCACerts", S),
            opt("ReturnOriginalCSR", S),
            opt("ReturnPKCS12", S),
            opt("ReturnSANEntries", S),
        ],
    ),
    (
        "OrderDetail",
        &[
            req("OrderInfo", "tns:OrderInfo"),
            req("OrderSubInfo", "tns:OrderSubInfo"),
            opt("OrderOption", "tns:OrderOption"),
            opt("CertificateInfo", "tns:CertificateInfo"),
            opt("SANEntries", "tns:SANEntries"),
            opt("Fulfillment", "tns:QbFulfillment"),
            opt("ModificationEvents", "tns:ModificationEvents"),
        ],
    ),
    (
        "OrderInfo",
        &[
            req("OrderId", S),
            opt("OriginalOrderIDForRenewal", S),
            opt("OriginalOrderIDForReIssue", S),
            req("ProductCode", S),
            opt("BaseOption", S),
            req("OrderKind", S),
            req("Licenses", S),
            req("DomainName", S),
            req("OrderDate", S),
            opt("OrderCompleteDate", S),
            opt("OrderCanceledDate", S),
            opt("OrderDeactivatedDate", S),
            req("OrderStatus", S),
            req("Price", S),
            req("Currency", S),
            req("ValidityPeriod", "tns:ValidityPeriod"),
            opt("SpecialInstructions", S),
        ],
    ),
    (
        "OrderSubInfo",
        &[
            req("CSRSkipOrderFlag", "xs:boolean"),
            req("DNSOrderFlag", "xs:boolean"),
            req("TrustedOrderFlag", "xs:boolean"),
            ("P12DeleteStatus", "xs:boolean", 1, false, true),
            opt("P12DeleteDate", S),
            opt("VerificationUrl", S),
            req("SubId", S),
        ],
    ),
    (
        "OrderOption",
        &[
            opt("ApproverNotifiedDate", S),
            opt("ApproverConfirmDate", S),
            opt("ApproverEmailAddress", S),
            req("OrganizationInfo", "tns:OrganizationInfoS"),
            opt("ContactInfo", "tns:ContactInfo"),
            opt("SecondContactInfo", "tns:SecondContactInfo"),
        ],
    ),
    (
        "OrganizationInfoS",
        &[
            req("OrganizationName", S),
            opt("CreditAgency", S),
            opt("OrganizationCode", S),
            opt("BusinessAssumedName", S),
            opt("BusinessCategoryCode", S),
            req("OrganizationAddress", "tns:OrganizationAddressInfo"),
        ],
    ),
    (
        "CertificateInfo",
        &[
            req("CertificateStatus", S),
            req("StartDate", S),
            req("EndDate", S),
            req("CommonName", S),
            req("SerialNumber", S),
            req("SubjectName", S),
            opt("DNSNames", S),
        ],
    ),
    (
        "QbFulfillment",
        &[
            opt("CACertificates", "tns:CACertificates"),
            opt("ServerCertificate", "tns:ServerCertificate"),
            opt("OriginalCSR", S),
            opt("PKCS12Cert", S),
        ],
    ),
    (
        "CACertificates",
        &[many("CACertificate", "tns:CACertificate")],
    ),
    ("CACertificate", &[req("CACertType", S), req("CACert", S)]),
    (
        "ServerCertificate",
        &[req("X509Cert", S), req("PKCS7Cert", S)],
    ),
    (
        "ModificationEvents",
        &[("ModificationEvent", "tns:ModificationEvent", 1, true, false)],
    ),
    (
        "ModificationEvent",
        &[
            req("ModificationEventName", S),
            req("ModificationEventTimestamp", S),
        ],
    ),
];

/// The operations each service answers.
pub fn operations(service: &str) -> &'static [&'static str] {
    match service {
        "GASService" => &["GetOrderByOrderID"],
        _ => &["OVOrder", "EVOrder", "ModifyOrder"],
    }
}

fn complex_type(name: &str, fields: &[Field]) -> String {
    let mut s = format!("<xs:complexType name=\"{name}\"><xs:sequence>");
    for (n, t, min, unbounded, nillable) in fields {
        s.push_str(&format!("<xs:element name=\"{n}\" type=\"{t}\""));
        if *min == 0 {
            s.push_str(" minOccurs=\"0\"");
        }
        if *unbounded {
            s.push_str(" maxOccurs=\"unbounded\"");
        }
        if *nillable {
            s.push_str(" nillable=\"true\"");
        }
        s.push_str("/>");
    }
    s.push_str("</xs:sequence></xs:complexType>\n");
    s
}

/// The WSDL of `service` (`ServerSSLService` or `GASService`) with its address at `address`.
pub fn wsdl(service: &str, address: &str) -> String {
    let (port_type, binding, port, specific) = match service {
        "GASService" => ("GASV1", "GASServiceSoapBinding", "GASV1Port", GAS),
        _ => (
            "ServerSSLV1",
            "ServerSSLServiceSoapBinding",
            "ServerSSLV1Port",
            SERVER_SSL,
        ),
    };
    let ops = operations(service);
    let mut types = String::new();
    for op in ops {
        types.push_str(&format!("<xs:element name=\"{op}\" type=\"tns:{op}\"/>\n<xs:element name=\"{op}Response\" type=\"tns:{op}Response\"/>\n"));
    }
    for (name, fields) in specific.iter().chain(COMMON.iter()) {
        types.push_str(&complex_type(name, fields));
    }
    let mut messages = String::new();
    let mut port_ops = String::new();
    let mut binding_ops = String::new();
    for op in ops {
        messages.push_str(&format!(
            "<wsdl:message name=\"{op}\"><wsdl:part name=\"parameters\" element=\"tns:{op}\"/></wsdl:message>\n<wsdl:message name=\"{op}Response\"><wsdl:part name=\"parameters\" element=\"tns:{op}Response\"/></wsdl:message>\n"
        ));
        port_ops.push_str(&format!(
            "<wsdl:operation name=\"{op}\"><wsdl:input name=\"{op}\" message=\"tns:{op}\"/><wsdl:output name=\"{op}Response\" message=\"tns:{op}Response\"/></wsdl:operation>\n"
        ));
        binding_ops.push_str(&format!(
            "<wsdl:operation name=\"{op}\"><soap:operation soapAction=\"\" style=\"document\"/><wsdl:input name=\"{op}\"><soap:body use=\"literal\"/></wsdl:input><wsdl:output name=\"{op}Response\"><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>\n"
        ));
    }
    let address = quick_xml::escape::escape(address);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- ca-sim's GlobalSign GCC {service} (simulated). -->
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="{NS}" name="{service}" targetNamespace="{NS}">
<wsdl:types>
<xs:schema elementFormDefault="unqualified" targetNamespace="{NS}" version="1.0">
{types}</xs:schema>
</wsdl:types>
{messages}<wsdl:portType name="{port_type}">
{port_ops}</wsdl:portType>
<wsdl:binding name="{binding}" type="tns:{port_type}">
<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{binding_ops}</wsdl:binding>
<wsdl:service name="{service}">
<wsdl:port name="{port}" binding="tns:{binding}"><soap:address location="{address}"/></wsdl:port>
</wsdl:service>
</wsdl:definitions>
"#
    )
}
