//! A row being saved, as each type's [`Save::save`](super::write::Save::save) gets it,
//! and what every `save` does with it after its own checks: refuse keys another row
//! holds, then write the row, its citations and its provenance notes.

use entity::citation;
use sea_orm::sea_query::{Alias, IntoColumnRef};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
};

use super::provenance::note;
use super::write::{
    CitationInput, Cites, MutationInput, Writable, is_fact, persist, quote_of, unique,
};
use crate::data::names::camel_case;
use crate::dataset::Subject;
use crate::domain::provenance::Values;
use crate::domain::{At, values};
use crate::error::{Error, Result};
use crate::graphql::loaders::Row;

/// The database ids of the rows the input of `T` names.
type Refs<T> = <<T as Writable>::Input as MutationInput>::Refs;

/// A row to save, as [`Save::save`](super::write::Save::save) gets it: the input with the
/// rows it names resolved, where the input is (for errors), and the row it replaces.
pub(crate) struct Saving<'a, T: Writable> {
    pub txn: &'a DatabaseTransaction,
    /// Where the input is, `input` or `inputs[2]`, with its spelling of the fields.
    pub at: At<'a>,
    /// The row the input replaces; `None` when creating.
    pub existing: Option<T::Model>,
    pub input: T::Input,
    /// The database ids of the rows the input names.
    pub refs: Refs<T>,
}

/// The active model of a writable type.
type Active<T> = <<T as Writable>::Entity as EntityTrait>::ActiveModel;

impl<T: Writable> Saving<'_, T>
where
    Active<T>: Send,
    T::Model: sea_orm::IntoActiveModel<Active<T>>,
{
    /// The database id of the row the input replaces.
    pub(crate) fn id(&self) -> Option<i32> {
        self.existing.as_ref().map(Row::row_id)
    }

    /// Refuses `value` in `column` (the input's field of that name) when another row holds
    /// it already; the error calls it `what` ("a company named").
    pub(crate) async fn unique<C>(&self, column: C, value: &str, what: &str) -> Result<()>
    where
        C: sea_orm::IdenStatic + IntoColumnRef + Send,
    {
        let at = self.at.field(&camel_case(column.as_str()));
        unique::<T::Entity>(self.txn, column, value, self.id(), &at, what).await
    }

    /// Refuses the input when a row other than the one replaced matches `key` already (a
    /// key of several columns): the error names the input's `field` and says `clash` of the
    /// other row's database id.
    pub(crate) async fn unique_key(
        &self,
        key: Condition,
        field: &str,
        clash: impl FnOnce(i32) -> String + Send,
    ) -> Result<()> {
        let found = T::Entity::find().filter(key).one(self.txn).await?;
        match found.map(|row| row.row_id()) {
            Some(other) if Some(other) != self.id() => {
                Err(Error::invalid(self.at.field(field), clash(other)))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a fact's `ref` when another row holds it already.
    pub(crate) async fn unique_ref(&self, reference: Option<&str>, what: &str) -> Result<()> {
        let Some(r) = reference else {
            return Ok(());
        };
        let (at, id) = (self.at.field("ref"), self.id());
        unique::<T::Entity>(self.txn, Alias::new("ref"), r, id, &at, what).await
    }

    /// Inserts a new row, or updates the one replaced, with the columns `fill` sets.
    pub(crate) async fn persist(
        self,
        fill: impl FnOnce(&mut Active<T>) + Send,
    ) -> Result<T::Model> {
        persist::<Active<T>>(self.txn, self.existing, fill).await
    }
}

impl<T: Cites> Saving<'_, T>
where
    Active<T>: Send,
    T::Model: sea_orm::IntoActiveModel<Active<T>>,
{
    /// Writes the row and its citations; the row replaced is no longer in `self` after.
    async fn write_cited(&mut self, fill: impl FnOnce(&mut Active<T>) + Send) -> Result<T::Model> {
        let creating = self.existing.is_none();
        let row = persist::<Active<T>>(self.txn, self.existing.take(), fill).await?;
        let subject = (T::SUBJECT)(row.row_id());
        let citations = self.input.citations();
        cite(self.txn, self.at.row(), subject, citations, creating).await?;
        Ok(row)
    }

    /// [`Saving::persist`], then the citations the input gives: what every `save` of a
    /// cited type does after its checks.
    pub(crate) async fn persist_cited(
        mut self,
        fill: impl FnOnce(&mut Active<T>) + Send,
    ) -> Result<T::Model> {
        self.write_cited(fill).await
    }

    /// [`Saving::persist_cited`], then the row's provenance notes, checked against the
    /// values it now holds: what every `save` of a type with notes does after its checks.
    pub(crate) async fn persist_noted(
        mut self,
        fill: impl FnOnce(&mut Active<T>) + Send,
    ) -> Result<T::Model>
    where
        T::Model: Values,
    {
        let row = self.write_cited(fill).await?;
        note(
            self.txn,
            self.at.row(),
            row.row_id(),
            &row,
            self.input.notes(),
        )
        .await?;
        Ok(row)
    }
}

/// Writes the citations of a row. On creation a fact needs at least one; on update,
/// `None` keeps the row's citations and a list replaces them (a fact's list must not be
/// empty). The same sentence of the same source given twice is cited once.
pub(crate) async fn cite(
    txn: &DatabaseTransaction,
    at: &str,
    subject: Subject,
    citations: Option<&[CitationInput]>,
    creating: bool,
) -> Result<()> {
    // On update, no list keeps the row's citations: nothing to check.
    if creating || citations.is_some() {
        let given = citations.map_or(0, <[CitationInput]>::len);
        values::cited(&format!("{at}.citations"), is_fact(subject), given)?;
    }
    let Some(list) = citations else {
        return Ok(());
    };
    let (column, id) = subject.column_and_id();
    if !creating {
        citation::Entity::delete_many()
            .filter(column.eq(id))
            .exec(txn)
            .await?;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in list.iter().enumerate() {
        let source_id =
            quote_of(txn, &format!("{at}.citations[{i}]"), &c.source_id, &c.quote).await?;
        if !seen.insert((source_id, c.quote.clone())) {
            continue;
        }
        subject.citation(source_id, &c.quote).insert(txn).await?;
    }
    Ok(())
}
