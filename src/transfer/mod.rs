//! Bulk import and export: the JSON dataset format and the CSV format (one file per row
//! type), both through the dataset loader, so files follow the same rules as `seed` and
//! `importDataset`.

mod bulk;
pub mod export;
pub mod import;
mod notes;
mod provenance_csv;
pub mod rows;
pub mod stream;
