//! Aliases (the other names a source uses for a row), and the lookups by natural key that
//! forgive case and accept aliases.

use async_graphql::{Context, Object};
use entity::enums::AliasKind;
use entity::{ai_model, alias, company};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::companies::Person;
use super::connections::with_connections;
use super::events::Event;
use super::loaders::{Node, Row, wrap_one};
use super::models::AiModel;
use super::sources::Source;
use super::{Result, db};
use crate::data::loaders;
use crate::error::Error;
use crate::store;

/// Another name of a company, person, model or project ("Meta" for Meta Platforms, "AWS"
/// for Amazon Web Services), with the sentence of a source that uses it when there is one.
/// Lookups by name (`companyByName`...) and `search` find rows by their aliases.
pub struct Alias(pub Node<alias::Model>);

impl From<Node<alias::Model>> for Alias {
    fn from(node: Node<alias::Model>) -> Self {
        Alias(node)
    }
}

with_connections! {
    /// Another name of a company, person, model or project, with the sentence that uses it.
    #[Object]
    impl Alias {}

    fields |row, ctx| {
        /// The other name.
        name: &str = &row.name,
        /// What kind of name it is (a short name, an abbreviation, a former name...).
        kind: AliasKind = row.kind,
        /// The sentence of the source that uses the name, verbatim; null when none is recorded.
        quote: Option<&str> = row.quote.as_deref(),
    }

    to_one {
        /// The source that uses the name; null when none is recorded.
        source: Source = one(source, source_id),
    }
}

/// The aliases of the row whose id is in `column`, in id order.
pub async fn aliases_of<P: Row>(
    ctx: &Context<'_>,
    node: &Node<P>,
    column: alias::Column,
) -> Result<Vec<Alias>> {
    Ok(loaders::many::<P, alias::Entity, Alias>(db(ctx)?, node, column).await?)
}

/// Lookups by natural key.
#[derive(Default)]
pub struct LookupQuery;

with_connections! {
    #[Object]
    impl LookupQuery {
        /// The AI model or product with this name, or null. Matches the exact name first, then
        /// the name ignoring case, then an alias ignoring case. Models of different developers
        /// may share a name: give `developer` then, or the lookup is refused (BAD_USER_INPUT).
        async fn ai_model_by_name(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "The model's name or an alias, e.g. \"Llama 4\".")] name: String,
            #[graphql(
                desc = "The developer's name, ticker or alias (as `companyByName` matches it), when several developers use the name."
            )]
            developer: Option<String>,
        ) -> Result<Option<AiModel>> {
            let db = db(ctx)?;
            let developer_id = match developer {
                Some(developer) => match company_forgiving(db, &developer).await? {
                    Some(c) => Some(c.id),
                    None => return Ok(None),
                },
                None => None,
            };
            let found = store::by_name_forgiving::<ai_model::Entity>(
                db,
                ai_model::Column::Name,
                &[],
                alias::Column::AiModelId,
                &name,
            )
            .await?;
            let Some(found) = found else {
                return Ok(None);
            };
            let namesakes = ai_model::Entity::find()
                .filter(ai_model::Column::Name.eq(found.name.as_str()))
                .order_by_asc(ai_model::Column::Id)
                .all(db)
                .await
                .map_err(Error::from)?;
            let chosen = match developer_id {
                Some(dev) => namesakes.into_iter().find(|m| m.developer_id == dev),
                None if namesakes.len() > 1 => {
                    return Err(Error::invalid(
                        "developer",
                        format!(
                            "{} models are named {:?}: give `developer`",
                            namesakes.len(),
                            found.name
                        ),
                    )
                    .into());
                }
                None => Some(found),
            };
            Ok(wrap_one(chosen))
        }
    }

    by_name {
        /// The person with this name, or null. Matches the exact name first, then the name
        /// ignoring case, then an alias ignoring case ("smith" finds Brad Smith).
        person_by_name: Person(person, alias PersonId) "The person's name or an alias, e.g. \"Andy Jassy\" or \"Jassy\".",
    }

    by_text {
        /// The event with this external reference (its natural key), or null.
        event_by_ref: Event(event, Reference) r#ref "The reference, e.g. \"E1\".",
    }
}

/// The company `text` names: its name, ticker or alias, as `companyByName` matches them.
pub async fn company_forgiving(
    db: &sea_orm::DatabaseConnection,
    text: &str,
) -> crate::error::Result<Option<company::Model>> {
    store::by_name_forgiving::<company::Entity>(
        db,
        company::Column::Name,
        &[company::Column::Ticker],
        alias::Column::CompanyId,
        text,
    )
    .await
}
