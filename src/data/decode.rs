//! Reading table rows by position.
//!
//! SeaORM's derived `FromQueryResult` finds every column by name, and reads every nullable
//! column as an error that it then turns into `None`, formatting a message each time: for a
//! page of 3,000 rows that is most of the cost of decoding them. Rows read here are decoded
//! by position, with NULL checked on the raw value first. The columns of a model come first
//! in every statement that selects rows for it, in the order of its `Column` enum, which
//! a test checks against the field lists below.

use entity::enums::*;
use sea_orm::prelude::Date;
use sea_orm::sqlx::{Row as _, ValueRef as _};
use sea_orm::{DbErr, QueryResult, TryGetable};

/// A model read from the first columns of a row, by position.
pub trait ReadRow: Sized {
    /// The model's fields, in column order.
    const FIELDS: &'static [&'static str];
    fn read_row(row: &QueryResult) -> Result<Self, DbErr>;
}

/// One value of a row, by position.
pub trait Cell: Sized {
    fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
}

/// Whether the value at `index` is NULL; `None` when the driver does not say.
fn null_at(row: &QueryResult, index: usize) -> Option<bool> {
    if let Some(row) = row.try_as_pg_row() {
        return row.try_get_raw(index).ok().map(|v| v.is_null());
    }
    if let Some(row) = row.try_as_sqlite_row() {
        return row.try_get_raw(index).ok().map(|v| v.is_null());
    }
    None
}

impl<T: TryGetable> Cell for Option<T> {
    fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        match null_at(row, index) {
            Some(true) => Ok(None),
            Some(false) => row.try_get_by_index::<T>(index).map(Some),
            None => row.try_get_by_index::<Option<T>>(index),
        }
    }
}

macro_rules! plain_cells {
    ($($ty:ty),* $(,)?) => {
        $(impl Cell for $ty {
            fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                row.try_get_by_index::<$ty>(index)
            }
        })*
    };
}
plain_cells!(
    i32,
    i64,
    bool,
    String,
    Date,
    AliasKind,
    AmountBound,
    Basis,
    Qualifier,
    BackerRole,
    ChallengeKind,
    ClaimKind,
    ClaimStatus,
    CompanyKind,
    EventKind,
    ModelKind,
    PeriodKind,
    SpendingCategory,
    SpendingStatus,
);

macro_rules! read_rows {
    ($($module:ident { $($field:ident),* $(,)? })*) => {
        $(impl ReadRow for entity::$module::Model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn read_row(row: &QueryResult) -> Result<Self, DbErr> {
                let mut index = 0;
                let mut next = || {
                    index += 1;
                    index - 1
                };
                // Fields are evaluated in the order written, which is the column order.
                Ok(Self { $($field: Cell::cell(row, next())?),* })
            }
        })*

        #[cfg(test)]
        /// (model, fields here, the entity's column variants) for every model.
        fn layouts() -> Vec<(&'static str, &'static [&'static str], Vec<String>)> {
            use sea_orm::Iterable;
            vec![$((
                stringify!($module),
                <entity::$module::Model as ReadRow>::FIELDS,
                entity::$module::Column::iter().map(|c| format!("{c:?}")).collect(),
            )),*]
        }
    };
}

read_rows! {
    alias { id, name, kind, company_id, person_id, ai_model_id, project_id, source_id, quote }
    ai_model { id, name, kind, developer_id, announced_on, announced_precision, expected_on,
        expected_precision, description }
    citation { id, source_id, quote, company_id, person_id, ai_model_id, investment_id,
        project_id, project_backer_id, spending_figure_id, claim_id, claim_challenge_id,
        event_id }
    claim { id, reference, statement, kind, status, claimant_person_id, claimant_company_id,
        subject_company_id, subject_model_id, spending_figure_id, amount_minor, currency,
        made_on, made_precision }
    claim_challenge { id, claim_id, challenger_company_id, challenger_person_id, kind,
        description }
    company { id, name, ticker, kind, country, headquarters, parent_id,
        founded_by_alumni_of_id, description }
    event { id, reference, name, kind, occurred_on, occurred_precision, company_id,
        trigger_claim_id, description }
    investment { id, reference, investor_id, investee_id, amount_minor, currency, made_on,
        made_precision, description }
    person { id, name, title, company_id, description }
    project { id, name, lead_company_id, planned_amount_minor, currency, horizon_years,
        announced_on, announced_precision, has_unnamed_backers, description }
    project_backer { id, project_id, company_id, role }
    source { id, key, title, publisher, published_on, published_precision, address, content }
    spending_figure { id, reference, company_id, project_id, ai_model_id, category, status,
        bound, amount_low_minor, amount_high_minor, currency, period_kind, period_year,
        period_quarter, period_start, period_end, period_years, focus, remarks, stated_on,
        stated_precision, derived_from_id, expectation_holder, above_expectation_bp,
        stated_by_person_id }
    value_provenance { id, source_id, ai_model_id, investment_id, project_id,
        spending_figure_id, claim_id, event_id, field, basis, qualifier, words, derivation,
        derived_from, reason }
    figure_share { id, spending_figure_id, part, low_bp, low_exclusive, high_bp,
        high_exclusive, basis, qualifier, words, derivation, derived_from, reason }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryTrait};

    use super::*;

    #[test]
    fn every_field_list_follows_its_entitys_columns() {
        for (model, fields, columns) in layouts() {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| crate::data::names::camel_chars(f, true).collect())
                .collect();
            assert_eq!(fields, columns, "{model}");
        }
    }

    async fn same_rows<E>(db: &sea_orm::DatabaseConnection) -> usize
    where
        E: EntityTrait,
        E::Model: ReadRow + PartialEq + std::fmt::Debug,
    {
        let rows = db.query_all(&E::find().into_query()).await.expect("rows");
        for row in &rows {
            let by_name = E::Model::from_query_result(row, "").expect("by name");
            let by_position = E::Model::read_row(row).expect("by position");
            assert_eq!(by_position, by_name);
        }
        rows.len()
    }

    #[tokio::test]
    async fn rows_read_by_position_equal_rows_read_by_name() {
        let db = crate::db::connect("sqlite::memory:", false)
            .await
            .expect("connect");
        crate::db::migrate(&db).await.expect("migrate");
        let data = crate::dataset::Dataset::builtin().expect("dataset");
        crate::dataset::load(&db, &data).await.expect("load");
        let mut n = 0;
        macro_rules! compare {
            ($($table:ident),*) => { $(n += same_rows::<entity::$table::Entity>(&db).await;)* };
        }
        compare!(
            ai_model,
            citation,
            claim,
            claim_challenge,
            company,
            event,
            investment,
            person,
            project,
            project_backer,
            source,
            spending_figure
        );
        assert!(n > 90, "{n} rows compared");
    }
}
