//! Paging as GraphQL shows it: the enums of `orderBy` terms and Relay's `PageInfo` object.
//! The paging itself (cursors, keyset conditions, page plans) is [`crate::data::paging`].

use async_graphql::{Enum, Object};

use crate::data::paging::{EndCursor, PageInfo};

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "crate::data::paging::OrderDirection")]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// Where rows whose sort key is null go.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "crate::data::paging::NullsOrder")]
pub enum NullsOrder {
    /// Before every non-null value.
    First,
    /// After every non-null value (the default, in both directions).
    #[default]
    Last,
}

/// Relay's page information.
#[Object]
impl PageInfo {
    /// True when more rows follow the last one of this page.
    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }
    /// True when rows precede the first one of this page.
    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }
    /// Cursor of the first row of the page; null when the page is empty.
    async fn start_cursor(&self) -> Option<String> {
        self.start_cursor.as_ref().map(EndCursor::text)
    }
    /// Cursor of the last row of the page; null when the page is empty.
    async fn end_cursor(&self) -> Option<String> {
        self.end_cursor.as_ref().map(EndCursor::text)
    }
}
