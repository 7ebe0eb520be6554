//! Investments: who put money into whom.

use async_graphql::{Context, ID, Object};

use entity::{citation, investment};

use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::loaders::wrap_one;
use super::node::{database_id, global_id};
use super::provenance::{Provenance, provenance_of};
use super::sources::Citation;
use super::{Result, db};
use crate::store;

gql_node! {
    /// Money (or an amount the sources do not give) that one company put into another.
    Investment for investment
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
        /// How much was invested; null when the sources do not give an amount ("invested heavily").
        async fn amount(&self) -> Option<Money> {
            Money::from_parts(self.0.amount_minor, self.0.currency.as_deref())
        }
        /// When the investment was made, at the precision known.
        async fn made(&self) -> Option<DateValue> {
            date_value(self.0.made_on, self.0.made_precision)
        }
        /// How each structured value of the investment is known (stated with the source's words,
        /// derived or inferred), in field order; a value with no note is STATED by the
        /// investment's citations.
        async fn provenance(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Only the values of these fields (e.g. [\"stated\"]); every value by default.")]
            fields: Option<Vec<String>>,
        ) -> Result<Vec<Provenance>> {
            let column = entity::value_provenance::Column::InvestmentId;
            provenance_of(ctx, &self.0, column, Some(citation::Column::InvestmentId), fields).await
        }
        /// A short description.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }
    }

    to_one {
        /// The company that invested.
        investor: Company = required(company, investor_id),
        /// The company invested in.
        investee: Company = required(company, investee_id),
    }

    connections {
        /// The source sentences that state this investment.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::InvestmentId,
    }
}

/// Queries on investments.
#[derive(Default)]
pub struct InvestmentQuery;

with_connections! {
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
    }

    roots {
        /// All investments, in id order.
        investments: Investment(investment, InvestmentFilter, InvestmentOrderField),
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

super::aggregates::aggregates! {
    /// Aggregates over investments.
    InvestmentAggregate for Investment (InvestmentOrderField, currency: Some("currency")) {
        /// The amounts invested: how many are known, and per currency their sum, average, smallest and largest.
        amount: MoneyAggregate("amount_minor"),
        /// When the investments were made: count, earliest and latest.
        made_on: DateStats("made_on", precision = "made_precision"),
    }
}
