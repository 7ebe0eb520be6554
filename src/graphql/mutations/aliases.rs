//! Writing aliases: `addAlias` (an upsert by subject and name) and `removeAlias`.

use async_graphql::{Context, ID, InputObject, Object};
use entity::alias;
use entity::enums::AliasKind;
use sea_orm::{ColumnTrait, EntityTrait, ModelTrait, QueryFilter};

use super::authorize;
use super::write::{Writable, begin, existing};
use crate::domain::At;
use crate::domain::rows::{AliasDraft, AliasSource, AliasSubject};
use crate::error::{Error, Result};
use crate::graphql::aliases::Alias;
use crate::graphql::companies::{Company, Person};
use crate::graphql::loaders::Row;
use crate::graphql::models::AiModel;
use crate::graphql::node::parse_global_id;
use crate::graphql::projects::Project;
use crate::graphql::sources::Source;
use crate::graphql::{db, live};
use crate::live::{Change, ChangeKind};

/// An alias to add.
#[derive(InputObject)]
pub struct AliasInput {
    /// The row the name is for: global id of a company, person, AI model or project.
    pub subject_id: ID,
    /// The other name, at most 200 characters.
    pub name: String,
    /// What kind of name it is.
    pub kind: AliasKind,
    /// The source that uses the name (global id); needed with `quote`.
    pub source_id: Option<ID>,
    /// The sentence of the source that uses the name: verbatim in the source's text, and
    /// containing the name.
    pub quote: Option<String>,
}

/// The subject the global id `id` of a row of `T` names, checked to exist, with the type's
/// name.
async fn named<T: Writable>(
    txn: &sea_orm::DatabaseTransaction,
    id: &ID,
    at: &str,
    subject: fn(i32) -> AliasSubject,
) -> Result<(AliasSubject, &'static str)> {
    let row = existing::<T>(txn, id, at).await?;
    Ok((subject(row.row_id()), T::NAME))
}

/// The subject a global id names, checked to exist, with its GraphQL type name.
async fn subject_of(
    txn: &sea_orm::DatabaseTransaction,
    id: &ID,
    at: &str,
) -> Result<(AliasSubject, &'static str)> {
    let (kind, _) = parse_global_id(id, at)?;
    match kind.as_str() {
        "Company" => named::<Company>(txn, id, at, AliasSubject::Company).await,
        "Person" => named::<Person>(txn, id, at, AliasSubject::Person).await,
        "AiModel" => named::<AiModel>(txn, id, at, AliasSubject::Model).await,
        "Project" => named::<Project>(txn, id, at, AliasSubject::Project).await,
        other => Err(Error::invalid(
            at,
            format!("a {other} has no aliases: give a Company, Person, AiModel or Project"),
        )),
    }
}

async fn add(ctx: &Context<'_>, input: AliasInput) -> Result<Alias> {
    let mut txn = begin(db(ctx)?, live(ctx)?).await?;
    let at = At::spelled("input", &[("source", "sourceId")]);
    let (subject, typename) = subject_of(&txn, &input.subject_id, "input.subjectId").await?;
    let source = match &input.source_id {
        Some(id) => Some(existing::<Source>(&txn, id, "input.sourceId").await?),
        None => None,
    };
    let columns = AliasDraft {
        subject,
        name: &input.name,
        kind: input.kind,
        source: source.as_ref().map(|s| AliasSource {
            id: s.id,
            key: &s.key,
            content: s.content.as_deref(),
        }),
        quote: input.quote.as_deref(),
    }
    .check(at)?;
    let (column, id) = subject.column_and_id();
    let existing = alias::Entity::find()
        .filter(column.eq(id))
        .filter(alias::Column::Name.eq(columns.name.as_str()))
        .one(&*txn)
        .await?;
    let row =
        crate::store::persist::<alias::ActiveModel>(&txn, existing, |a| columns.set_on(a)).await?;
    txn.record(Change::row(ChangeKind::Updated, typename, id));
    txn.commit().await?;
    crate::graphql::loaders::wrap_one(Some(row))
        .ok_or_else(|| Error::Internal("no alias row".into()))
}

async fn remove(ctx: &Context<'_>, subject_id: ID, name: String) -> Result<bool> {
    let mut txn = begin(db(ctx)?, live(ctx)?).await?;
    let (subject, typename) = subject_of(&txn, &subject_id, "subjectId").await?;
    let (column, id) = subject.column_and_id();
    let found = alias::Entity::find()
        .filter(column.eq(id))
        .filter(alias::Column::Name.eq(name.as_str()))
        .one(&*txn)
        .await?;
    let Some(found) = found else {
        return Ok(false);
    };
    found.delete(&*txn).await?;
    txn.record(Change::row(ChangeKind::Updated, typename, id));
    txn.commit().await?;
    Ok(true)
}

/// Writes of aliases.
#[derive(Default)]
pub struct AliasMutation;

#[Object]
impl AliasMutation {
    /// Adds another name to a company, person, AI model or project, or updates the alias of
    /// that name (its kind, source and quote). Lookups by name and `search` find the row by
    /// it at once. Refused for an empty or too long name, a quote without its source, a quote
    /// not in the source's text, or a quote that does not contain the name.
    async fn add_alias(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alias.")] input: AliasInput,
    ) -> crate::graphql::Result<Alias> {
        authorize(ctx, "addAlias")?;
        Ok(add(ctx, input).await?)
    }

    /// Removes an alias of a row, by its exact name. True when there was one.
    async fn remove_alias(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the company, person, AI model or project.")] subject_id: ID,
        #[graphql(desc = "The alias, exactly as stored.")] name: String,
    ) -> crate::graphql::Result<bool> {
        authorize(ctx, "removeAlias")?;
        Ok(remove(ctx, subject_id, name).await?)
    }
}
