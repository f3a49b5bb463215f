//! A small element tree over quick-xml, for SOAP: parse (namespace prefixes dropped, so
//! `ns0:OVOrder` and `OVOrder` read the same; entity and character references resolved) and
//! write (escaped by quick-xml; carriage returns kept as `&#13;` so CRLF survives XML
//! line-end normalization).

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct El {
    /// Qualified name as written (`ns2:OVOrderResponse`) when building; local name when parsed.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<El>,
    pub text: String,
}

impl El {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Default::default()
        }
    }

    pub fn text(name: &str, text: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            text: text.into(),
            ..Default::default()
        }
    }

    pub fn attr(mut self, k: &str, v: &str) -> Self {
        self.attrs.push((k.to_string(), v.to_string()));
        self
    }

    pub fn child(mut self, c: El) -> Self {
        self.children.push(c);
        self
    }

    pub fn push(&mut self, c: El) {
        self.children.push(c);
    }

    /// First child with local name `name`.
    pub fn get(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Text of the child at `path` (trimmed), if present and non-empty.
    pub fn path_text(&self, path: &[&str]) -> Option<String> {
        let mut cur = self;
        for p in path {
            cur = cur.get(p)?;
        }
        let t = cur.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

/// Parses a document into its root element.
pub fn parse(text: &str) -> Result<El, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    loop {
        let ev = reader.read_event().map_err(|e| e.to_string())?;
        match ev {
            Event::Start(e) => {
                // Attributes (namespace declarations) are not needed by any dialect.
                stack.push(El::new(&local(e.name().as_ref())));
            }
            Event::Empty(e) => {
                let el = El::new(&local(e.name().as_ref()));
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        quick_xml::escape::unescape(&format!("&{name};"))
                            .map_err(|e| e.to_string())?
                            .into_owned()
                    }
                };
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "empty document".into())
}

fn write_el(w: &mut Writer<Vec<u8>>, el: &El) -> std::io::Result<()> {
    let mut start = BytesStart::new(el.name.as_str());
    for (k, v) in &el.attrs {
        start.push_attribute((k.as_str(), v.as_str()));
    }
    if el.children.is_empty() && el.text.is_empty() {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start))?;
    if !el.text.is_empty() {
        let escaped = quick_xml::escape::escape(el.text.as_str()).replace('\r', "&#13;");
        w.write_event(Event::Text(BytesText::from_escaped(escaped)))?;
    }
    for c in &el.children {
        write_el(w, c)?;
    }
    w.write_event(Event::End(BytesEnd::new(el.name.as_str())))
}

/// Serializes `root` with an XML declaration.
pub fn write(root: &El) -> String {
    let mut w = Writer::new(Vec::new());
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = write_el(&mut w, root);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_text_and_crlf() {
        let el = El::new("ns2:A")
            .attr("xmlns:ns2", "urn:x")
            .child(El::text("B", "x < y & \"z\"\r\nline"))
            .child(El::new("C"));
        let text = write(&el);
        let back = parse(&text).unwrap();
        assert_eq!(back.name, "A");
        assert_eq!(back.get("B").unwrap().text, "x < y & \"z\"\r\nline");
        assert!(back.get("C").is_some());
    }
}
