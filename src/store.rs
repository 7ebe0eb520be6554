//! Plain data access used by the resolvers and the write paths: async functions over a
//! connection or a transaction, testable without GraphQL.

use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, Condition, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::error::Result;

/// Every table of the schema has an integer primary key named `id`.
const ID: &str = "id";

/// Rows of `E` matching `condition`, in id order.
#[tracing::instrument(skip(db, condition), fields(table = E::default().as_str()))]
pub async fn list<E>(db: &DatabaseConnection, condition: Condition) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
{
    Ok(E::find()
        .filter(condition)
        .order_by_asc(Expr::col(ID))
        .all(db)
        .await?)
}

/// The row of `E` with this id, if any.
pub async fn by_id<E>(db: &DatabaseConnection, id: i32) -> Result<Option<E::Model>>
where
    E: EntityTrait,
{
    Ok(E::find().filter(Expr::col(ID).eq(id)).one(db).await?)
}

/// The row of `E` whose text `column` equals `value` exactly (case-sensitive, the same
/// rule on SQLite and PostgreSQL).
pub async fn by_text<E>(
    db: &DatabaseConnection,
    column: E::Column,
    value: &str,
) -> Result<Option<E::Model>>
where
    E: EntityTrait,
{
    Ok(E::find()
        .filter(Expr::col(column).eq(value))
        .order_by_asc(Expr::col(ID))
        .one(db)
        .await?)
}

/// Whether the database holds no data yet (no source and no company).
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool> {
    use sea_orm::PaginatorTrait;
    let sources = entity::source::Entity::find().count(db).await?;
    let companies = entity::company::Entity::find().count(db).await?;
    Ok(sources == 0 && companies == 0)
}

/// Inserts a new row, or updates `existing`, with the columns `fill` sets.
pub async fn persist<A>(
    txn: &DatabaseTransaction,
    existing: Option<<A::Entity as EntityTrait>::Model>,
    fill: impl FnOnce(&mut A),
) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    match existing {
        Some(model) => {
            let mut active = model.into_active_model();
            fill(&mut active);
            Ok(active.update(txn).await?)
        }
        None => {
            let mut active = A::default();
            fill(&mut active);
            Ok(active.insert(txn).await?)
        }
    }
}

/// The row of `E` a reader means by `text`, or `None`: the row whose `name` equals it
/// exactly; else, ignoring case (`lower()` of each engine: ASCII letters on SQLite), the
/// first row by id whose `name`, then one of `others` (a ticker), then one of whose aliases
/// (`alias` rows through `alias_column`) equals it. Surrounding spaces are ignored.
pub async fn by_name_forgiving<E>(
    db: &DatabaseConnection,
    name: E::Column,
    others: &[E::Column],
    alias_column: entity::alias::Column,
    text: &str,
) -> Result<Option<E::Model>>
where
    E: EntityTrait,
{
    use sea_orm::sea_query::Func;
    let text = text.trim();
    let exact = by_text::<E>(db, name, text).await?;
    if exact.is_some() {
        return Ok(exact);
    }
    let lower = |column: Expr| Expr::expr(Func::lower(column)).eq(Func::lower(Expr::val(text)));
    for column in std::iter::once(name).chain(others.iter().copied()) {
        let found = E::find()
            .filter(lower(Expr::col(column)))
            .order_by_asc(Expr::col(ID))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let alias = entity::alias::Entity::find()
        .filter(lower(Expr::col(entity::alias::Column::Name)))
        .filter(Expr::col(alias_column).is_not_null())
        .order_by_asc(Expr::col(ID))
        .all(db)
        .await?;
    let subject = alias.into_iter().find_map(|a| match alias_column {
        entity::alias::Column::CompanyId => a.company_id,
        entity::alias::Column::PersonId => a.person_id,
        entity::alias::Column::AiModelId => a.ai_model_id,
        entity::alias::Column::ProjectId => a.project_id,
        _ => None,
    });
    match subject {
        Some(id) => by_id::<E>(db, id).await,
        None => Ok(None),
    }
}
