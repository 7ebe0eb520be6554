//! Investments: who put money into whom.

use async_graphql::Object;

use entity::citation;

use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::sources::Citation;

gql_node! {
    /// Money (or an amount the sources do not give) that one company put into another.
    Investment for investment
}

with_connections! {
    /// Money (or an amount the sources do not give) that one company put into another.
    #[Object(serial)]
    impl Investment {}

    fields |row, ctx| {
        /// Stable external reference, e.g. "I1" in the built-in dataset.
        r#ref: Option<&str> = row.reference.as_deref(),
        /// How much was invested; null when the sources do not give an amount ("invested heavily").
        amount: Option<Money> = Money::from_parts(row.amount_minor, row.currency.as_deref()),
        /// When the investment was made, at the precision known.
        made: Option<DateValue> = date_value(row.made_on, row.made_precision),
        /// A short description.
        description: Option<&str> = row.description.as_deref(),
    }

    ids of "the investment";
    provenance of "investment": InvestmentId, cited by Some(citation::Column::InvestmentId);

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
    impl InvestmentQuery {}

    by_id {
        /// The investment with this id, or null.
        investment: Investment(investment) "Global id of the investment.",
    }

    by_text {
        /// The investment with this external reference, or null.
        investment_by_ref: Investment(investment, Reference) r#ref "The reference, e.g. \"I1\".",
    }

    connections {
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
