//! The exact formats of the custom scalars, as short specifications (in `scalars/*.md`)
//! that the schema points at with `@specifiedBy` and the server serves at `/scalars/{name}`.
//!
//! The URLs are relative to the server (`/scalars/decimal`): the playground, served by the
//! same server, links to them directly; a copy of the specifications is in the repository.

/// The path under which the specifications are served.
pub const PATH: &str = "/scalars";

/// Each specification: the last segment of its URL, and its text (Markdown).
pub const SPECS: &[(&str, &str)] = &[
    ("date", include_str!("scalars/date.md")),
    ("decimal", include_str!("scalars/decimal.md")),
    (
        "dataset-document",
        include_str!("scalars/dataset-document.md"),
    ),
];

/// The specification served at `/scalars/{name}`, if there is one.
pub fn spec(name: &str) -> Option<&'static str> {
    SPECS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
