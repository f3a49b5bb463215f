//! Positions in a scenario file: byte offsets to lines and columns, the key written on a line,
//! and the narrowing of serde's whole-step spans to the field an error names.

/// Inside `span`, the offset of the key or value the message quotes (`field` or 'value').
pub(super) fn refine(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<usize> {
    // The span may cover only the `[[steps]]` header: extend it to the next table header.
    let mut end = span.end.min(text.len());
    let rest = &text[end..];
    let mut next_header = rest.len();
    let mut pos = 0;
    for line in rest.split_inclusive('\n') {
        if pos > 0 && line.trim_start().starts_with('[') {
            next_header = pos;
            break;
        }
        pos += line.len();
    }
    end += next_header;
    let region = text.get(span.start..end)?;
    let quoted = |open: char, close: char| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = message;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            match after.find(close) {
                Some(j) => {
                    out.push(after[..j].to_string());
                    rest = &after[j + close.len_utf8()..];
                }
                None => break,
            }
        }
        out
    };
    // Keys first: "unknown field `staus`", "unknown variant `teleport`".
    for word in quoted('`', '`') {
        for (i, _) in region.match_indices(word.as_str()) {
            let before = region[..i].chars().last();
            let after = region[i + word.len()..].trim_start().chars().next();
            let boundary = before.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if boundary && (after == Some('=') || before == Some('"')) {
                return Some(span.start + i);
            }
        }
    }
    // Then values: "invalid duration '2 fortnights'".
    for value in quoted('\'', '\'') {
        if value.len() >= 2 {
            if let Some(i) = region.find(value.as_str()) {
                return Some(span.start + i);
            }
        }
    }
    None
}

pub(super) fn nth_index(text: &str, needle: &str, n: usize) -> Option<usize> {
    text.match_indices(needle).nth(n).map(|(i, _)| i)
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    line_col(text, offset).0
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The key written on the line of `offset` (`key = ...`), if any.
pub(super) fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.\"".contains(c));
    ok.then(|| key.trim_matches('"').to_string())
}
