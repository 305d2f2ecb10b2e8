//! Relay paging shared by every list: `first` (1–100, default 20) and `after`, the forward
//! `PageInfo`, and what a list costs in the complexity budget (its length bound times each item).

use async_graphql::SimpleObject;

use super::{
    errors::{ApiError, ApiResult},
    ids,
};

impl PageInfo {
    /// A forward page: its first and last cursors, and whether more rows follow.
    pub fn forward(has_next_page: bool, start: Option<String>, end: Option<String>) -> Self {
        Self {
            has_next_page,
            has_previous_page: false,
            start_cursor: start,
            end_cursor: end,
        }
    }
}

/// Relay paging state.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// More rows follow this page.
    pub has_next_page: bool,
    /// Rows come before this page (always false: lists page forward).
    pub has_previous_page: bool,
    /// Cursor of the first row.
    pub start_cursor: Option<String>,
    /// Cursor of the last row; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// Largest page.
pub const MAX_PAGE: i32 = 100;
const DEFAULT_PAGE: i32 = 20;

/// Reads `first` (1–100, default 20) and `after`.
pub fn page(first: Option<i32>, after: Option<String>) -> ApiResult<(u64, Option<i64>)> {
    let limit = page_size(first)?;
    let after = after
        .map(|cursor| cursor_of(&cursor, ids::decode_cursor))
        .transpose()?;
    Ok((limit, after))
}

/// Reads `first`: 1–100, default 20.
pub fn page_size(first: Option<i32>) -> ApiResult<u64> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "`first` must be between 1 and {MAX_PAGE}"
        )));
    }
    Ok(u64::try_from(first).unwrap_or(20))
}

/// Reads an `after` cursor with the list's own decoder; anything else is bad input.
pub fn cursor_of<T>(cursor: &str, decode: impl FnOnce(&str) -> Option<T>) -> ApiResult<T> {
    decode(cursor)
        .ok_or_else(|| ApiError::BadUserInput("`after` is not a cursor of this list".to_owned()))
}

/// A connection costs `first × child` (each of `edges` and `nodes` counts once per row).
pub fn connection_cost(first: Option<i32>, child_complexity: usize) -> usize {
    list_cost(first, DEFAULT_PAGE, MAX_PAGE, child_complexity)
}

/// A list of at most `first` items (`default` when unset, never more than `max`) costs that
/// bound times each item.
pub fn list_cost(first: Option<i32>, default: i32, max: i32, child_complexity: usize) -> usize {
    let first = usize::try_from(first.unwrap_or(default).clamp(1, max)).unwrap_or(1);
    first.saturating_mul(child_complexity.max(1))
}
