//! Investments: who put money into whom.

use async_graphql::{Context, ID, Object};

use entity::{citation, company, investment};
use sea_orm::Condition;

use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::filters::filter_condition;
use super::lists::{Connection, OrderBy, gql_node, order_fields, page_args, sort_keys, top};
use super::loaders::{Node, required, wrap_one};
use super::node::{database_id, global_id};
use super::sources::Citation;
use super::{Result, db};
use crate::store;

/// Money (or an amount the sources do not give) that one company put into another.
#[derive(Clone)]
pub struct Investment(pub Node<investment::Model>);

impl From<Node<investment::Model>> for Investment {
    fn from(m: Node<investment::Model>) -> Self {
        Investment(m)
    }
}

with_connections! {
    /// Money (or an amount the sources do not give) that one company put into another.
    #[Object(serial)]
    impl Investment {
        /// Globally unique, opaque id (Relay): the same on every engine; pass it to `node(id:)`.
        pub async fn id(&self) -> ID {
            global_id::<Self>(self.0.id)
        }
        /// Database id of the investment.
        async fn database_id(&self) -> i32 {
            self.0.id
        }
        /// Stable external reference, e.g. "I1" in the built-in dataset.
        async fn r#ref(&self) -> Option<&str> {
            self.0.reference.as_deref()
        }
        /// The company that invested.
        async fn investor(&self, ctx: &Context<'_>) -> Result<Company> {
            Ok(
                required::<_, company::Entity, _>(ctx, &self.0, "investor_id", |m| Some(m.investor_id))
                    .await?,
            )
        }
        /// The company invested in.
        async fn investee(&self, ctx: &Context<'_>) -> Result<Company> {
            Ok(
                required::<_, company::Entity, _>(ctx, &self.0, "investee_id", |m| Some(m.investee_id))
                    .await?,
            )
        }
        /// How much was invested; null when the sources do not give an amount ("invested heavily").
        async fn amount(&self) -> Option<Money> {
            Money::from_parts(self.0.amount_minor, self.0.currency.as_deref())
        }
        /// When the investment was made, at the precision known.
        async fn made(&self) -> Option<DateValue> {
            date_value(self.0.made_on, self.0.made_precision)
        }
        /// A short description.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }
    }

    connections {
        /// The source sentences that state this investment.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::InvestmentId,
    }
}

/// Queries on investments.
#[derive(Default)]
pub struct InvestmentQuery;

/// Queries on investments.
#[Object]
impl InvestmentQuery {
    /// The investment with this id, or null.
    async fn investment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the investment.")] id: ID,
    ) -> Result<Option<Investment>> {
        Ok(wrap_one(
            store::by_id::<investment::Entity>(db(ctx)?, database_id::<Investment>(&id, "id")?)
                .await?,
        ))
    }
    /// The investment with this external reference, or null.
    async fn investment_by_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reference, e.g. \"I1\".")] r#ref: String,
    ) -> Result<Option<Investment>> {
        Ok(wrap_one(
            store::by_text::<investment::Entity>(db(ctx)?, investment::Column::Reference, &r#ref)
                .await?,
        ))
    }
    /// All investments, in id order.
    #[allow(clippy::too_many_arguments)]
    async fn investments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<InvestmentOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<Box<InvestmentFilter>>,
    ) -> Result<Connection<Investment>> {
        let keys = sort_keys::<investment::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(Connection(
            top::<investment::Entity>(
                ctx,
                Condition::all().add(filter_condition(db(ctx)?.get_database_backend(), &filter)?),
                keys,
                &args,
            )
            .await?,
        ))
    }
}

order_fields! {
    /// Fields investments can be ordered by.
    InvestmentOrderField for investment {
        /// The external reference.
        Ref => column_term::<E>(C::Reference, Text, true),
        /// The amount in minor units (whatever the currency).
        Amount => column_term::<E>(C::AmountMinor, Int, true),
        /// The currency code.
        Currency => column_term::<E>(C::Currency, Text, true),
        /// The date of the investment.
        MadeOn => column_term::<E>(C::MadeOn, Date, true),
        /// The investor's name.
        InvestorName => company_name_term::<E>("investor_name", C::InvestorId),
        /// The investee's name.
        InvesteeName => company_name_term::<E>("investee_name", C::InvesteeId),
    }
}

gql_node!(Investment, investment);

super::aggregates::aggregates! {
    /// Aggregates over investments.
    InvestmentAggregate for Investment (InvestmentOrderField, currency: Some("currency")) {
        /// The amounts invested: how many are known, and per currency their sum, average, smallest and largest.
        amount: MoneyAggregate("amount_minor"),
        /// When the investments were made: count, earliest and latest.
        made_on: DateStats("made_on", precision = "made_precision"),
    }
}
