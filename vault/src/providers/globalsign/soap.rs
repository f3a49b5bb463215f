//! The SOAP 1.1 document/literal envelope GCC speaks, in both directions: requests are element
//! trees written with quick-xml (values escaped by the writer, only the operation wrapper
//! namespace-qualified), answers are parsed into a small element tree addressed by local names
//! (so any namespace prefix works), and the `OrderResponseHeader` / `QueryResponseHeader` is
//! read into the operation's `Response` or GlobalSign's classified errors (§3.2).

use crate::providers::http::{self, Answer};
use crate::providers::types::ProviderError;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

/// Target namespace of ServerSSLService and GASService.
pub const NS: &str = "https://system.globalsign.com/kb/ws/v1/";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

// Writing

/// An element to write: unqualified name, text or children.
pub(super) struct El {
    name: &'static str,
    text: Option<String>,
    children: Vec<El>,
}

pub(super) fn el(name: &'static str, children: Vec<El>) -> El {
    El {
        name,
        text: None,
        children,
    }
}

pub(super) fn leaf(name: &'static str, text: impl Into<String>) -> El {
    El {
        name,
        text: Some(text.into()),
        children: Vec::new(),
    }
}

fn write_el(w: &mut quick_xml::Writer<Vec<u8>>, e: &El) -> std::io::Result<()> {
    let element = w.create_element(e.name);
    if let Some(text) = &e.text {
        element.write_text_content(BytesText::new(text))?;
    } else if e.children.is_empty() {
        element.write_empty()?;
    } else {
        element.write_inner_content(|w| {
            for c in &e.children {
                write_el(w, c)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// `<soap-env:Envelope><soap-env:Body><ns0:{operation} xmlns:ns0=NS>{request}</…>`.
pub(super) fn envelope(operation: &str, request: &El) -> Result<Vec<u8>, ProviderError> {
    let build = || -> std::io::Result<Vec<u8>> {
        let mut w = quick_xml::Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let op = format!("ns0:{operation}");
        w.create_element("soap-env:Envelope")
            .with_attribute(("xmlns:soap-env", SOAP_ENV))
            .write_inner_content(|w| {
                w.create_element("soap-env:Body").write_inner_content(|w| {
                    w.create_element(op.as_str())
                        .with_attribute(("xmlns:ns0", NS))
                        .write_inner_content(|w| write_el(w, request))?;
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(w.into_inner())
    };
    build().map_err(|e| ProviderError::Config {
        message: format!("cannot write the GlobalSign {operation} request: {e}"),
    })
}

// Reading

/// A parsed element: local name, concatenated text, children.
#[derive(Debug, Default)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) children: Vec<Node>,
}

impl Node {
    pub(super) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(super) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(super) fn path(&self, names: &[&str]) -> Option<&Node> {
        names.iter().try_fold(self, |n, name| n.child(name))
    }

    pub(super) fn text_of(&self, names: &[&str]) -> Option<&str> {
        self.path(names)
            .map(|n| n.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The first element child (Body's payload).
    pub(super) fn first_element(&self) -> Option<&Node> {
        self.children.first()
    }
}

/// The document's root element tree.
pub(super) fn parse_xml(text: &str) -> Result<Node, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    fn open(e: &BytesStart<'_>) -> Node {
        Node {
            name: e.local_name().into_inner().to_string(),
            ..Node::default()
        }
    }
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let node = open(&e);
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced end tag")?;
                let parent = stack.last_mut().ok_or("unbalanced end tag")?;
                parent.children.push(node);
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.into_inner())
                        .ok_or("unknown entity reference")?
                        .to_string(),
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("unclosed element at end of document".into());
    }
    let doc = stack.pop().unwrap_or_default();
    doc.children
        .into_iter()
        .next()
        .ok_or_else(|| "no root element".to_string())
}

/// One `Errors/Error` entry.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct GsError {
    code: i64,
    field: String,
    message: String,
}

/// What a SOAP answer said: the operation's `Response` element, or GlobalSign's errors.
pub(super) enum Outcome {
    Ok(Node),
    Failed(Vec<GsError>),
}

/// Reads the envelope. A SOAP Fault or unreadable XML is Ambiguous; HTTP errors without a
/// readable envelope are classified by status.
pub(super) fn read_answer(what: &str, answer: &Answer) -> Result<Outcome, ProviderError> {
    let text = answer.text();
    let parsed = parse_xml(&text);
    let status = answer.status;
    let root = match parsed {
        Ok(root) if root.name == "Envelope" => root,
        other => {
            if !status.is_success() {
                return Err(http::status_error(what, answer, ""));
            }
            let detail = match other {
                Ok(root) => format!("root element is {}, not a SOAP Envelope", root.name),
                Err(e) => e,
            };
            return Err(ProviderError::unreadable(format!(
                "{what}: unreadable SOAP answer: {detail}"
            )));
        }
    };
    let payload = root.child("Body").and_then(Node::first_element);
    let Some(payload) = payload else {
        return Err(ProviderError::unreadable(format!(
            "{what}: the SOAP Body is empty"
        )));
    };
    if payload.name == "Fault" {
        let code = payload.text_of(&["faultcode"]).unwrap_or("");
        let reason = payload.text_of(&["faultstring"]).unwrap_or("");
        return Err(ProviderError::unreadable(format!(
            "{what}: SOAP Fault (HTTP {}): {code} {reason}",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        return Err(http::status_error(what, answer, ""));
    }
    let response = payload.child("Response").ok_or_else(|| {
        ProviderError::unreadable(format!("{what}: {} has no Response", payload.name))
    })?;
    let header = response
        .child("OrderResponseHeader")
        .or_else(|| response.child("QueryResponseHeader"));
    let code = header
        .and_then(|h| h.text_of(&["SuccessCode"]))
        .and_then(|c| c.parse::<i64>().ok())
        .ok_or_else(|| {
            ProviderError::unreadable(format!(
                "{what}: the answer has no numeric OrderResponseHeader/SuccessCode"
            ))
        })?;
    // 0 = success, 1 = success with a warning.
    if code >= 0 {
        return Ok(Outcome::Ok(take(response)));
    }
    let errors: Vec<GsError> = header
        .and_then(|h| h.child("Errors"))
        .map(|errs| {
            errs.children_named("Error")
                .map(|e| GsError {
                    code: e
                        .text_of(&["ErrorCode"])
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0),
                    field: e.text_of(&["ErrorField"]).unwrap_or("").to_string(),
                    message: e.text_of(&["ErrorMessage"]).unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Outcome::Failed(errors))
}

/// Moves a subtree out of a borrowed tree (cheap enough for these small answers).
fn take(n: &Node) -> Node {
    Node {
        name: n.name.clone(),
        text: n.text.clone(),
        children: n.children.iter().map(take).collect(),
    }
}

fn describe(errors: &[GsError]) -> String {
    if errors.is_empty() {
        return "SuccessCode -1 without error details".into();
    }
    errors
        .iter()
        .map(|e| {
            let mut s = format!("{} {}", e.code, e.message);
            if !e.field.is_empty() {
                s.push_str(&format!(" ({})", e.field));
            }
            s.trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Classifies GlobalSign error codes (§3.2); the first listed code decides. The "please retry"
/// codes (database or RA system problems) do not say whether the order was written before the
/// failure, so they are Ambiguous.
pub(super) fn classify(what: &str, errors: &[GsError]) -> ProviderError {
    let message = format!("{what}: GlobalSign error {}", describe(errors));
    match errors.first().map(|e| e.code) {
        Some(-4001 | -4201 | -9200 | -9939) => ProviderError::Credentials { message },
        Some(-300 | -201 | -301 | -9942 | -9943) => ProviderError::unreadable(message),
        _ => ProviderError::Refused { message },
    }
}

pub(super) fn has_code(errors: &[GsError], code: i64) -> bool {
    errors.iter().any(|e| e.code == code)
}
