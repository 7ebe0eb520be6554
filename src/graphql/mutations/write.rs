//! What every mutation shares: one transaction per mutation, rows named by global id,
//! validation of texts, money, dates and citations with the path of the offending input,
//! and deletes refused while other rows still point at the row.

use std::future::Future;

use async_graphql::{ID, InputObject, SimpleObject};
use entity::enums::DatePrecision;
use entity::source;
use sea_orm::sea_query::{Alias, Expr, IntoColumnRef, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
};

use super::provenance::ProvenanceInput;
use crate::data::names::camel_case;
use crate::dataset::Subject;
use crate::domain::{AmountRec, At, DateRec, values};
use crate::error::{Error, Result};
use crate::graphql::claims::{Claim, ClaimChallenge};
use crate::graphql::common::{Date, Decimal};
use crate::graphql::companies::{Company, Person};
use crate::graphql::events::Event;
use crate::graphql::investments::Investment;
use crate::graphql::lists::GqlNode;
use crate::graphql::loaders::{Row, wrap};
use crate::graphql::models::AiModel;
use crate::graphql::node::{database_id, global_id, parse_global_id};
use crate::graphql::projects::{Project, ProjectBacker};
use crate::graphql::spending::SpendingFigure;
use crate::live::{Change, ChangeKind, Live};

pub(crate) use super::saving::Saving;

pub use crate::domain::limits;
pub(crate) use crate::store::persist;

/// An amount of money: a decimal string in major units and an ISO 4217 currency.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Non-negative decimal in major units, at most the currency's minor digits: "26300000000.00".
    pub amount: Decimal,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
}

impl MoneyInput {
    /// The amount as the domain's rules take it.
    pub(crate) fn rec(&self) -> AmountRec {
        AmountRec {
            amount: self.amount.0.clone(),
            currency: self.currency.clone(),
        }
    }
}

/// A date and how precisely it is known: a MONTH date is the 1st of its month, a QUARTER
/// date the 1st of its quarter, a YEAR date January 1.
#[derive(InputObject, Clone, Debug)]
pub struct DateInput {
    /// The date, or the first day of the month, quarter or year it stands for.
    pub date: Date,
    /// How precisely the date is known.
    pub precision: DatePrecision,
}

impl DateInput {
    /// The date as the domain's rules take it.
    pub(crate) fn rec(&self) -> DateRec {
        DateRec {
            date: self.date.0,
            precision: self.precision,
        }
    }
}

/// The exact sentence of a source that states the fact.
#[derive(InputObject, Clone, Debug)]
pub struct CitationInput {
    /// The source (its global `id`).
    pub source_id: ID,
    /// The sentence, verbatim as it appears in the source's text (when the source has one).
    pub quote: String,
}

/// A row that a mutation deleted.
#[derive(SimpleObject)]
pub struct Deletion {
    /// Global id the row had.
    pub id: ID,
    /// Database id the row had.
    pub database_id: i32,
}

/// Rows of other tables (table, column, what they are) that keep a row from being deleted
/// while they point at it.
pub(crate) type Blockers = &'static [(&'static str, &'static str, &'static str)];

/// A GraphQL type whose rows mutations write: what `crud!` declares of it.
pub(crate) trait Writable:
    GqlNode<Model: Row + Clone + serde::Serialize> + Send + Sync + 'static
{
    /// The table.
    type Entity: EntityTrait<Model = Self::Model>;
    /// What a client sends to create or replace a row.
    type Input: MutationInput;
    /// What keeps a row from being deleted.
    const BLOCKERS: Blockers;
}

/// How the rows of a [`Writable`] type are checked and written: each type's own code.
pub(crate) trait Save: Writable {
    /// Validates the input (errors name fields under `w.at`) and writes it: over
    /// `w.existing`, or as a new row.
    fn save(w: Saving<'_, Self>) -> impl Future<Output = Result<Self::Model>> + Send;

    /// A check before deleting `row`, beyond the blockers.
    fn before_delete(
        _txn: &DatabaseTransaction,
        _row: &Self::Model,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
}

/// What `input!` declares of a mutation's input: how it spells the fields the dataset
/// format names differently, the rows it names, and its sources.
pub trait MutationInput: Send + Sync {
    /// The database ids of the rows the input names.
    type Refs: Send + Sync;
    /// How the input spells the fields the dataset format names differently.
    const NAMES: &'static [(&'static str, &'static str)];
    /// The input's references resolved to database ids; an error names the field of a
    /// reference to nothing.
    fn refs(
        &self,
        txn: &DatabaseTransaction,
        at: At<'_>,
    ) -> impl Future<Output = Result<Self::Refs>> + Send;
    /// The citations given: `None` keeps a row's citations on update (see [`cite`]).
    fn citations(&self) -> Option<&[CitationInput]> {
        None
    }
    /// The provenance notes given: `None` keeps a row's notes if they still hold (see
    /// [`note`]).
    fn notes(&self) -> Option<&[ProvenanceInput]> {
        None
    }
}

/// Resolves the rows `input` names, then saves it over `existing` or as a new row;
/// errors name fields under `at`.
async fn save_at<T: Save>(
    txn: &DatabaseTransaction,
    existing: Option<T::Model>,
    input: T::Input,
    at: &str,
) -> Result<T::Model> {
    let at = At::spelled(at, <T::Input as MutationInput>::NAMES);
    let refs = input.refs(txn, at).await?;
    T::save(Saving {
        txn,
        at,
        existing,
        input,
        refs,
    })
    .await
    .map_err(|e| unique_violation(e, at.row()))
}

/// A type whose rows have a natural key that an upsert matches.
pub(crate) trait Upsertable: Save {
    /// The row `input` names by its natural key, if any.
    fn find_natural(
        txn: &DatabaseTransaction,
        input: &Self::Input,
        at: &str,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send;
}

/// A unique-key violation the checks did not catch (a concurrent write) is still the
/// client's input, not our fault: it names the input field of the key (`input.name`),
/// never the database's constraint.
fn unique_violation(err: Error, at: &str) -> Error {
    let Error::Database(db) = &err else {
        return err;
    };
    if let Some((table, columns)) = crate::error::violated_unique_key(db) {
        let field = key_field(&table, &columns);
        return Error::invalid(
            format!("{at}.{field}"),
            format!(
                "another {} has the same {field} (written at the same moment): choose another or update that one",
                table.replace('_', " ")
            ),
        );
    }
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = db.sql_err() {
        return Error::invalid(at, "duplicates a key of an existing row");
    }
    err
}

/// The input field that stands for a unique key of `table` made of `columns`.
fn key_field(table: &str, columns: &[String]) -> String {
    // A company backs a project once: the company is what the client would change.
    let column = match (table, columns) {
        ("project_backer", [.., last]) => last.as_str(),
        (_, [first, ..]) => first.as_str(),
        (_, []) => "id",
    };
    camel_case(column)
}

fn one<T: GqlNode>(row: T::Model) -> Result<T> {
    wrap::<T::Model, T>(vec![row])
        .pop()
        .ok_or_else(|| Error::Internal("a written row vanished".into()))
}

/// A write transaction whose changes reach `live`'s subscribers once it commits.
pub(crate) async fn begin(db: &DatabaseConnection, live: &Live) -> Result<crate::db::WriteTxn> {
    let mut txn = crate::db::begin_write(db).await?;
    txn.deliver_to(live);
    Ok(txn)
}

/// Creates one row.
pub(crate) async fn create<T>(db: &DatabaseConnection, live: &Live, input: T::Input) -> Result<T>
where
    T: Save,
{
    let mut txn = begin(db, live).await?;
    let row = save_at::<T>(&txn, None, input, "input").await?;
    txn.record_row(
        Change::row(ChangeKind::Created, T::NAME, row.row_id()),
        row.clone(),
    );
    txn.commit().await?;
    one(row)
}

/// Creates rows, all or none.
pub(crate) async fn create_many<T>(
    db: &DatabaseConnection,
    live: &Live,
    inputs: Vec<T::Input>,
) -> Result<Vec<T>>
where
    T: Save,
{
    if inputs.len() > limits::BATCH {
        return Err(Error::invalid(
            "inputs",
            format!(
                "{} rows: at most {} per request",
                inputs.len(),
                limits::BATCH
            ),
        ));
    }
    let mut txn = begin(db, live).await?;
    let mut rows = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        rows.push(save_at::<T>(&txn, None, input, &format!("inputs[{i}]")).await?);
    }
    // A batch is one summary, not one event per row.
    txn.record(Change::bulk(T::NAME, Some(rows.len() as u64)));
    txn.commit().await?;
    Ok(wrap::<T::Model, T>(rows))
}

/// The row of `T` with global id `id`, or an error about `at`.
pub(crate) async fn existing<T>(txn: &DatabaseTransaction, id: &ID, at: &str) -> Result<T::Model>
where
    T: Writable,
{
    let number = database_id::<T>(id, at)?;
    find::<T::Entity>(txn, number)
        .await?
        .ok_or_else(|| Error::invalid(at, format!("no {} has the id {:?}", T::NAME, id.as_str())))
}

/// Replaces the row with global id `id`.
pub(crate) async fn update<T>(
    db: &DatabaseConnection,
    live: &Live,
    id: &ID,
    input: T::Input,
) -> Result<T>
where
    T: Save,
{
    let mut txn = begin(db, live).await?;
    let row = existing::<T>(&txn, id, "id").await?;
    let row = save_at::<T>(&txn, Some(row), input, "input").await?;
    txn.record_row(
        Change::row(ChangeKind::Updated, T::NAME, row.row_id()),
        row.clone(),
    );
    txn.commit().await?;
    one(row)
}

/// Updates the row `input` names by natural key, or creates it.
pub(crate) async fn upsert<T>(db: &DatabaseConnection, live: &Live, input: T::Input) -> Result<T>
where
    T: Upsertable,
{
    let mut txn = begin(db, live).await?;
    let found = T::find_natural(&txn, &input, "input").await?;
    let kind = match found {
        Some(_) => ChangeKind::Updated,
        None => ChangeKind::Created,
    };
    let row = save_at::<T>(&txn, found, input, "input").await?;
    txn.record_row(Change::row(kind, T::NAME, row.row_id()), row.clone());
    txn.commit().await?;
    one(row)
}

/// Deletes the row with global id `id`, with what goes with it by the domain (its
/// citations, a claim's challenges, a project's backers), unless other rows point at it.
pub(crate) async fn delete<T>(db: &DatabaseConnection, live: &Live, id: &ID) -> Result<Deletion>
where
    T: Save,
{
    let mut txn = begin(db, live).await?;
    let row = existing::<T>(&txn, id, "id").await?;
    let number = row.row_id();
    let mut dependents = Vec::new();
    for (table, column, what) in T::BLOCKERS {
        let n = count_where(&txn, table, column, number).await?;
        if n > 0 {
            dependents.push(format!("{n} {what}"));
        }
    }
    if !dependents.is_empty() {
        return Err(Error::invalid(
            "id",
            format!(
                "{} {number} cannot be deleted: {} still depend on it; delete them or point them elsewhere first",
                T::NAME,
                dependents.join(", ")
            ),
        ));
    }
    T::before_delete(&txn, &row).await?;
    let taken = cascaded(
        &txn,
        sea_orm::EntityName::table_name(&T::Entity::default()),
        number,
    )
    .await?;
    T::Entity::delete_many()
        .filter(Expr::col(Alias::new("id")).eq(number))
        .exec(&*txn)
        .await?;
    txn.record(Change::row(ChangeKind::Deleted, T::NAME, number));
    for (typename, id) in taken {
        txn.record(Change::row(ChangeKind::Deleted, typename, id));
    }
    txn.commit().await?;
    Ok(Deletion {
        id: global_id::<T>(number),
        database_id: number,
    })
}

/// The rows that deleting row `id` of `table` takes with it ([`crate::live::CASCADES`]),
/// children before grandchildren, as (type name, id).
async fn cascaded(
    txn: &DatabaseTransaction,
    table: &str,
    id: i32,
) -> Result<Vec<(&'static str, i32)>> {
    let mut taken = Vec::new();
    let mut parents = vec![(table.to_owned(), id)];
    while let Some((parent, parent_id)) = parents.pop() {
        for key in crate::live::CASCADES.iter().filter(|k| k.target == parent) {
            let child = key.table.as_str();
            let statement = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new(child))
                .and_where(Expr::col(Alias::new(&key.column)).eq(parent_id))
                .to_owned();
            let typename = crate::live::typename_of_table(child)
                .ok_or_else(|| Error::Internal(format!("no row type for table {child}")))?;
            for row in txn.query_all(&statement).await? {
                let child_id: i32 = row.try_get("", "id")?;
                taken.push((typename, child_id));
                parents.push((child.to_owned(), child_id));
            }
        }
    }
    Ok(taken)
}

/// Rows of `table` whose `column` is `id`.
pub(crate) async fn count_where(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    id: i32,
) -> Result<i64> {
    let statement = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .to_owned();
    let row = txn
        .query_one(&statement)
        .await?
        .ok_or_else(|| Error::Internal("COUNT returned no row".into()))?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// The row of `E` with database id `id`.
pub(crate) async fn find<E: EntityTrait>(
    txn: &DatabaseTransaction,
    id: i32,
) -> Result<Option<E::Model>> {
    Ok(E::find()
        .filter(Expr::col(Alias::new("id")).eq(id))
        .one(txn)
        .await?)
}

/// The database id of the row of `T` that global id `id` names; an error about `at` when
/// it names nothing.
pub(crate) async fn reference<T>(txn: &DatabaseTransaction, id: &ID, at: &str) -> Result<i32>
where
    T: Writable,
{
    Ok(existing::<T>(txn, id, at).await?.row_id())
}

/// Like [`reference`] for an optional reference.
pub(crate) async fn opt_reference<T>(
    txn: &DatabaseTransaction,
    id: Option<&ID>,
    at: &str,
) -> Result<Option<i32>>
where
    T: Writable,
{
    match id {
        Some(id) => Ok(Some(reference::<T>(txn, id, at).await?)),
        None => Ok(None),
    }
}

/// Refuses `value` in `column` when another row than `except` holds it already.
pub(crate) async fn unique<E>(
    txn: &DatabaseTransaction,
    column: impl IntoColumnRef,
    value: &str,
    except: Option<i32>,
    at: &str,
    what: &str,
) -> Result<()>
where
    E: EntityTrait,
    E::Model: Row,
{
    let found = E::find()
        .filter(Expr::col(column).eq(value))
        .one(txn)
        .await?;
    match found {
        Some(row) if Some(row.row_id()) != except => Err(Error::invalid(
            at,
            format!(
                "{what} {value:?} exists already (database id {})",
                row.row_id()
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether a citation's subject is a fact, which must keep at least one citation.
pub(crate) fn is_fact(subject: Subject) -> bool {
    !matches!(
        subject,
        Subject::Company(_) | Subject::Person(_) | Subject::Model(_)
    )
}

/// The subject a citation of the row of `T` with global id `id` names, checked to exist.
async fn cited<T: Cites>(txn: &DatabaseTransaction, id: &ID, at: &str) -> Result<Subject> {
    Ok((T::SUBJECT)(existing::<T>(txn, id, at).await?.row_id()))
}

/// The subject a global id names, checked to exist.
pub(crate) async fn subject_of(txn: &DatabaseTransaction, id: &ID, at: &str) -> Result<Subject> {
    let (kind, _) = parse_global_id(id, at)?;
    match kind.as_str() {
        "Company" => cited::<Company>(txn, id, at).await,
        "Person" => cited::<Person>(txn, id, at).await,
        "AiModel" => cited::<AiModel>(txn, id, at).await,
        "Investment" => cited::<Investment>(txn, id, at).await,
        "Project" => cited::<Project>(txn, id, at).await,
        "ProjectBacker" => cited::<ProjectBacker>(txn, id, at).await,
        "SpendingFigure" => cited::<SpendingFigure>(txn, id, at).await,
        "Claim" => cited::<Claim>(txn, id, at).await,
        "ClaimChallenge" => cited::<ClaimChallenge>(txn, id, at).await,
        "Event" => cited::<Event>(txn, id, at).await,
        other => Err(Error::invalid(
            at,
            format!("a {other} cannot be cited: only companies, people, models and facts"),
        )),
    }
}

/// A quote checked against its source: not blank, within the limit, and verbatim in the
/// source's text when the source has one. Returns the source's database id.
pub(crate) async fn quote_of(
    txn: &DatabaseTransaction,
    at: &str,
    source_id: &ID,
    quote: &str,
) -> Result<i32> {
    let source_at = format!("{at}.sourceId");
    let number = database_id::<crate::graphql::sources::Source>(source_id, &source_at)?;
    let source = find::<source::Entity>(txn, number).await?.ok_or_else(|| {
        Error::invalid(
            &source_at,
            format!("no Source has the id {:?}", source_id.as_str()),
        )
    })?;
    values::quote(
        &format!("{at}.quote"),
        quote,
        &source.key,
        source.content.as_deref(),
    )?;
    Ok(source.id)
}

/// A type whose rows sources cite.
pub(crate) trait Cites: Writable {
    /// The subject a citation of a row names.
    const SUBJECT: fn(i32) -> Subject;
}
