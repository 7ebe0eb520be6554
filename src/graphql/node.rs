//! Relay global object identification: every row has an opaque `id` that names its type
//! and database id, the same on SQLite and PostgreSQL, and `node(id:)` / `nodes(ids:)` fetch
//! any row by it.

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object};
use entity::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryTrait};

use super::claims::{Claim, ClaimChallenge};
use super::companies::{Company, Person};
use super::events::Event;
use super::investments::Investment;
use super::lists::GqlNode;
use super::loaders::{Row, wrap};
use super::models::AiModel;
use super::projects::{Project, ProjectBacker};
use super::sources::{Citation, Source};
use super::spending::SpendingFigure;
use super::{Result, db};
use crate::data::decode::ReadRow;
use crate::data::paging::{base64url_decode, base64url_encode};
use crate::error::Error;
use crate::live::SharedRow;

/// The global id of row `id` of GraphQL type `T`.
pub fn global_id<T: GqlNode>(id: i32) -> ID {
    ID(base64url_encode(format!("{}:{id}", T::NAME).as_bytes()))
}

/// The type name and database id inside a global id.
pub fn parse_global_id(id: &str, field: &str) -> crate::error::Result<(String, i32)> {
    let invalid = || Error::invalid(field, format!("{id:?} is not an id of this API"));
    let text = base64url_decode(id)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (kind, number) = text.split_once(':').ok_or_else(invalid)?;
    let number = number.parse::<i32>().map_err(|_| invalid())?;
    Ok((kind.to_string(), number))
}

/// The database id of a global id that must name a row of type `T`.
pub fn database_id<T: GqlNode>(id: &ID, field: &str) -> crate::error::Result<i32> {
    let (kind, number) = parse_global_id(id, field)?;
    if kind != T::NAME {
        return Err(Error::invalid(
            field,
            format!("this id names a {kind}, not a {}", T::NAME),
        ));
    }
    Ok(number)
}

/// An enum with a variant for every row type a citation can state (all but sources and
/// citations), then the variants `more`: the members of [`NodeInterface`] and `CitedFact`.
macro_rules! fact_enum {
    ($(#[$attr:meta])* pub enum $name:ident { $($more:tt)* }) => {
        $(#[$attr])*
        pub enum $name {
            /// A company.
            Company(Company),
            /// A person.
            Person(Person),
            /// An AI model or product.
            AiModel(AiModel),
            /// An investment.
            Investment(Investment),
            /// A project.
            Project(Project),
            /// A company's part in a project.
            ProjectBacker(ProjectBacker),
            /// A spending figure.
            SpendingFigure(SpendingFigure),
            /// A claim.
            Claim(Claim),
            /// A challenge to a claim.
            ClaimChallenge(ClaimChallenge),
            /// An event.
            Event(Event),
            $($more)*
        }
    };
}
pub(crate) use fact_enum;

fact_enum! {
    /// Any row that has a global id.
    #[derive(Interface)]
    #[graphql(
        name = "Node",
        field(
            name = "id",
            ty = "ID",
            desc = "Globally unique, opaque id of the row: pass it to `node(id:)`."
        )
    )]
    pub enum NodeInterface {
        /// A source.
        Source(Source),
        /// A citation.
        Citation(Citation),
    }
}

/// Rows of `E` with these ids, as `NodeInterface`s keyed by id. With `shared`, the rows
/// are read once for everyone holding the same cell (the subscribers of one event), and
/// each gets its own copy.
async fn load<E, T>(
    db: &sea_orm::DatabaseConnection,
    ids: Vec<i32>,
    into: fn(T) -> NodeInterface,
    shared: Option<&SharedRow>,
) -> crate::error::Result<HashMap<i32, NodeInterface>>
where
    E: EntityTrait,
    E::Model: Row + Clone + Send + Sync + 'static,
    T: GqlNode<Model = E::Model>,
{
    let read = || async {
        let select = E::find().filter(Expr::col("id").is_in(ids)).into_query();
        Box::pin(db.query_all(&select))
            .await?
            .iter()
            .map(E::Model::read_row)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::from)
    };
    let rows = match shared {
        None => read().await?,
        Some(cell) => {
            let any = cell
                .get_or_try_init(|| async { Ok::<_, Error>(crate::live::rows(read().await?)) })
                .await?;
            any.downcast_ref::<Vec<E::Model>>()
                .cloned()
                .ok_or_else(|| Error::Internal("a shared row of another type".into()))?
        }
    };
    let ids: Vec<i32> = rows.iter().map(Row::row_id).collect();
    Ok(ids
        .into_iter()
        .zip(wrap::<E::Model, T>(rows).into_iter().map(into))
        .collect())
}

pub(crate) async fn load_kind(
    db: &sea_orm::DatabaseConnection,
    kind: &str,
    ids: Vec<i32>,
    shared: Option<&SharedRow>,
) -> crate::error::Result<HashMap<i32, NodeInterface>> {
    use NodeInterface as N;
    macro_rules! loaders {
        ($($name:ident => $entity:ident,)*) => {
            match kind {
                $(stringify!($name) => load::<$entity::Entity, $name>(db, ids, N::$name, shared).await,)*
                _ => Ok(HashMap::new()),
            }
        };
    }
    crate::live::with_row_types!(loaders)
}

/// Queries by global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The row with this global id, of any type; null when there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in any `id` field.")] id: ID,
    ) -> Result<Option<NodeInterface>> {
        let (kind, number) = parse_global_id(&id, "id")?;
        Ok(load_kind(db(ctx)?, &kind, vec![number], None)
            .await?
            .remove(&number))
    }

    /// The rows with these global ids, in the order given (null for each id without a row).
    /// Ids of one type are fetched in one statement.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<NodeInterface>>> {
        if ids.len() > crate::data::paging::MAX_PAGE_SIZE {
            return Err(Error::invalid(
                "ids",
                format!("at most {} ids at once", crate::data::paging::MAX_PAGE_SIZE),
            )
            .into());
        }
        let parsed = ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_global_id(id, &format!("ids[{i}]")))
            .collect::<crate::error::Result<Vec<_>>>()?;
        let mut by_kind: HashMap<&str, Vec<i32>> = HashMap::new();
        for (kind, number) in &parsed {
            by_kind.entry(kind.as_str()).or_default().push(*number);
        }
        let mut found: HashMap<(String, i32), NodeInterface> = HashMap::new();
        for (kind, numbers) in by_kind {
            for (number, node) in load_kind(db(ctx)?, kind, numbers, None).await? {
                found.insert((kind.to_string(), number), node);
            }
        }
        Ok(parsed.into_iter().map(|key| found.remove(&key)).collect())
    }
}
