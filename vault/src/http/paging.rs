//! Paging (spec §7): `maxresults` 1..25 (default 25), an opaque URL-safe `$skiptoken`, and an
//! absolute `nextLink` that carries `api-version`, `maxresults` and `includePending` through.

use super::extract::Ctx;
use super::reply::reply;
use crate::error::{Error, Result};
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::ListResult;

pub const MAX_RESULTS: usize = 25;

/// Paging parameters of a list request.
#[derive(Debug, Clone)]
pub struct Page {
    pub max: usize,
    /// Decoded `$skiptoken`: where the previous page ended.
    pub cursor: Option<String>,
    pub include_pending: bool,
}

impl Page {
    pub fn from_ctx(ctx: &Ctx) -> Result<Self> {
        let max = match ctx.query().get("maxresults").as_deref() {
            None | Some("") => MAX_RESULTS,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_RESULTS).contains(&n) => n,
                _ => {
                    return Err(Error::bad(format!(
                        "maxresults must be an integer from 1 to {MAX_RESULTS}; got '{text}'."
                    )))
                }
            },
        };
        let cursor = match ctx.query().get("$skiptoken").as_deref() {
            None | Some("") => None,
            Some(token) => Some(
                hex::decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| Error::bad("The $skiptoken is not valid."))?,
            ),
        };
        let include_pending = match ctx.query().get("includePending").as_deref() {
            None | Some("") => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(Error::bad(format!(
                    "includePending must be true or false; got '{v}'."
                )))
            }
        };
        Ok(Page {
            max,
            cursor,
            include_pending,
        })
    }

    /// A numeric offset cursor (used for version lists).
    pub fn offset(&self) -> Result<usize> {
        match &self.cursor {
            None => Ok(0),
            Some(c) => c
                .parse()
                .map_err(|_| Error::bad("The $skiptoken is not valid.")),
        }
    }

    /// The absolute link to the page after `cursor`, or `None` on the last page.
    pub fn next_link(&self, ctx: &Ctx, cursor: Option<String>) -> Option<String> {
        let cursor = cursor?;
        let mut link = format!(
            "{}{}?api-version={}&$skiptoken={}&maxresults={}",
            ctx.base,
            ctx.path(),
            ctx.api_version,
            hex::encode(cursor.as_bytes()),
            self.max
        );
        if self.include_pending {
            link.push_str("&includePending=true");
        }
        Some(link)
    }
}

impl Page {
    /// Renders `rows` (fetched with `max + 1` to learn whether more follow) as one page;
    /// `cursor` says where the next page starts after the last row shown.
    pub fn reply<R, T: serde::Serialize>(
        &self,
        ctx: &Ctx,
        mut rows: Vec<R>,
        cursor: impl Fn(&R) -> String,
        item: impl Fn(&R) -> T,
    ) -> Response {
        let more = rows.len() > self.max;
        rows.truncate(self.max);
        let next = if more { rows.last().map(&cursor) } else { None };
        reply(
            StatusCode::OK,
            &ListResult {
                value: rows.iter().map(item).collect(),
                next_link: self.next_link(ctx, next),
            },
        )
    }
}
