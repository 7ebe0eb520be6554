//! `importDataset`: a small batch in the dataset file format, loaded by the same loader as
//! `capex-graph seed` and `capex-graph import`, under the same rules.

use async_graphql::{
    Context, InputValueError, InputValueResult, Object, Scalar, ScalarType, SimpleObject, Value,
};

use super::authorize;
use crate::dataset::{self, Dataset};
use crate::error::Error;
use crate::graphql::{Result, db};

/// Most records (rows and citations) one `importDataset` call may carry; larger files go
/// through `capex-graph import`.
pub const MAX_IMPORT_RECORDS: usize = 1000;

/// A dataset in the JSON format of `dataset/builtin.json` (see the README): an object with
/// `sources`, `companies`, `people`, `models`, `investments`, `projects`, `spendingFigures`,
/// `claims` and `events`, each optional; rows name each other by natural key. Given either
/// as a JSON object or as a string holding one.
#[derive(Debug, Clone)]
pub struct DatasetDocument(pub serde_json::Value);

/// A dataset in the JSON format of `dataset/builtin.json` (see the README): an object with
/// `sources`, `companies`, `people`, `models`, `investments`, `projects`, `spendingFigures`,
/// `claims` and `events`, each optional; rows name each other by natural key. Given either
/// as a JSON object or as a string holding one.
#[Scalar(
    name = "DatasetDocument",
    specified_by_url = "/scalars/dataset-document"
)]
impl ScalarType for DatasetDocument {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => serde_json::from_str(&text)
                .map(DatasetDocument)
                .map_err(|e| InputValueError::custom(format!("not JSON: {e}"))),
            Value::Object(_) => value
                .into_json()
                .map(DatasetDocument)
                .map_err(|e| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::custom(
                "a dataset is a JSON object, or a string holding one",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

/// What an import did.
#[derive(SimpleObject)]
pub struct ImportReport {
    /// Rows created (citations included).
    pub inserted: u64,
    /// Rows that existed already, matched by natural key, and were brought up to date.
    pub matched: u64,
}

/// The dataset in `data`, checked for what a request may not do.
pub fn parse_document(data: DatasetDocument, field: &str) -> crate::error::Result<Dataset> {
    let dataset: Dataset = serde_json::from_value(data.0)
        .map_err(|e| Error::invalid(field, format!("not a dataset: {e}")))?;
    for (i, source) in dataset.sources.iter().enumerate() {
        if source.content_file.is_some() {
            return Err(Error::invalid(
                format!("{field}.sources[{i}].contentFile"),
                "a request cannot name a file on the server: give the text as `content`",
            ));
        }
    }
    let records = dataset.record_count();
    if records > MAX_IMPORT_RECORDS {
        return Err(Error::invalid(
            field,
            format!(
                "{records} records: at most {MAX_IMPORT_RECORDS} per request; use `capex-graph import` for files"
            ),
        ));
    }
    Ok(dataset)
}

/// Loading datasets.
#[derive(Default)]
pub struct ImportMutation;

/// Loading datasets.
#[Object]
impl ImportMutation {
    /// Loads a small dataset (at most 1,000 records) in the dataset file format, in one
    /// transaction: rows are matched by natural key and updated, or created; on any error
    /// nothing is written and the error's `extensions.field` names the record, as in
    /// `data.claims[0].citations[0].quote`. Importing the same data twice changes nothing.
    async fn import_dataset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The dataset, in the format of `dataset/builtin.json`.")]
        data: DatasetDocument,
    ) -> Result<ImportReport> {
        authorize(ctx, "importDataset")?;
        let dataset = parse_document(data, "data")?;
        let report =
            dataset::load_at(db(ctx)?, crate::graphql::live(ctx)?, &dataset, "data").await?;
        Ok(ImportReport {
            inserted: report.inserted as u64,
            matched: report.matched as u64,
        })
    }
}
