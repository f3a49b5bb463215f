//! Reading scenario files: [`parse`] one text (errors name the file, line and field),
//! [`load_file`], [`load_paths`] for files and folders.

use super::position::{field_at, line_col, refine};
use super::scenario::Case;
use super::validate::validate;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// Parses a scenario from `text`; errors name `file`, the line and the field.
pub fn parse(text: &str, file: &Path) -> Result<Case, Error> {
    let mut case: Case = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        // Steps are buffered by serde (the `do` tag), so errors inside one point at the whole
        // step; narrow them down to the line that holds the field or value named in the message.
        let offset = e
            .span()
            .map(|s| refine(text, s.clone(), &message).unwrap_or(s.start));
        let (line, column) = offset.map(|o| line_col(text, o)).unwrap_or((0, 0));
        let field = offset
            .and_then(|o| field_at(text, o))
            .filter(|f| !message.contains(&format!("`{f}`")))
            .map(|f| format!("field `{f}`: "))
            .unwrap_or_default();
        let source_line = text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim();
        Error::Case {
            file: file.to_path_buf(),
            line,
            column,
            message: format!(
                "{field}{message}{}",
                if source_line.is_empty() {
                    String::new()
                } else {
                    format!("\n    | {source_line}")
                }
            ),
        }
    })?;
    case.file = file.to_path_buf();
    validate(&case, text, file)?;
    Ok(case)
}

/// Reads one scenario file.
pub fn load_file(path: &Path) -> Result<Case, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse(&text, path)
}

/// Reads every `*.toml` under the given files and folders (sorted, recursively); duplicate
/// scenario names are an error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Case>, Error> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut cases: Vec<Case> = Vec::new();
    for f in files {
        let case = load_file(&f)?;
        if let Some(other) = cases.iter().find(|c| c.name == case.name) {
            return Err(Error::DuplicateName {
                name: case.name,
                first: other.file.clone(),
                second: f,
            });
        }
        cases.push(case);
    }
    Ok(cases)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "toml") {
                collect(&e, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}
