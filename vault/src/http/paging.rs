//! Paging (spec §7): `maxresults` 1..25 (default 25), an opaque URL-safe `$skiptoken`, and an
//! absolute `nextLink` that carries `api-version`, `maxresults` and `includePending` through.
//! Every list reads its paging input here, and anything out of range is a 400 BadParameter:
//! `maxresults` outside 1..=25 or not a number, a `$skiptoken` that is not one of ours (not
//! hex, not a name key or offset, an offset above [`MAX_OFFSET`]).

use super::extract::Ctx;
use super::reply::reply;
use crate::error::{Error, Result};
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::ListResult;

pub const MAX_RESULTS: usize = 25;

/// The largest version offset a `$skiptoken` may carry: far beyond any real version count, and
/// small enough that `offset + page` fits the store's `i64` and `usize` everywhere (a larger
/// one once wrapped to a negative SQL offset and served the first page again).
pub const MAX_OFFSET: usize = u32::MAX as usize;

/// What a decoded cursor is made of: a name key (`^[0-9a-z-]{1,127}$` after lowercasing) or a
/// decimal offset. Anything else did not come from one of our `nextLink`s.
fn is_cursor(cursor: &str) -> bool {
    !cursor.is_empty()
        && cursor.len() <= 127
        && cursor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn bad_token() -> Error {
    Error::bad("The $skiptoken is not valid; follow the nextLink of the previous page.")
}

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
                    .filter(|c| is_cursor(c))
                    .ok_or_else(bad_token)?,
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

    /// A numeric offset cursor (used for version lists), at most [`MAX_OFFSET`].
    pub fn offset(&self) -> Result<usize> {
        match &self.cursor {
            None => Ok(0),
            Some(c) => c
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_OFFSET)
                .ok_or_else(bad_token),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cursor: &str) -> Page {
        Page {
            max: MAX_RESULTS,
            cursor: Some(cursor.into()),
            include_pending: false,
        }
    }

    #[test]
    fn offsets_are_bounded_and_never_wrap() {
        assert_eq!(page("0").offset().unwrap(), 0);
        assert_eq!(page("50").offset().unwrap(), 50);
        assert_eq!(page(&MAX_OFFSET.to_string()).offset().unwrap(), MAX_OFFSET);
        for bad in [
            "-1",
            "9223372036854775808",
            "18446744073709551615",
            "99999999999999999999999",
            "4294967296",
            "ab",
        ] {
            assert!(
                matches!(page(bad).offset(), Err(Error::BadParameter(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn cursors_are_name_keys_or_offsets() {
        assert!(is_cursor("my-cert-1") && is_cursor("42"));
        for bad in ["", "a b", "a/b", "é", &"a".repeat(128)] {
            assert!(!is_cursor(bad), "{bad:?}");
        }
    }
}
