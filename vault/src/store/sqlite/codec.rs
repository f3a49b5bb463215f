//! Column codecs shared by the table modules: JSON columns, enums stored as text, and row
//! collection.

use crate::store::contract::{StoreError, StoreResult};
use rusqlite::Row;

pub fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn opt_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> StoreResult<Option<T>> {
    text.map(|t| json(&t)).transpose()
}

pub fn parse_enum<T: std::str::FromStr>(text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

/// Every row of `rows`, read with `read`.
pub fn collect<T>(
    mut rows: rusqlite::Rows<'_>,
    read: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}
