//! Writing investments.

use entity::investment;

use super::write::{DateInput, MoneyInput, Save, Saving};
use crate::dataset::Subject;
use crate::domain::rows::InvestmentDraft;
use crate::error::Result;
use crate::graphql::companies::Company;
use crate::graphql::investments::Investment;

input! {
    /// An investment to create or replace.
    InvestmentInput resolving InvestmentRefs {
        /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "I1".
        r#ref: String,
        /// The company that invests (global id).
        investor_id: ID => Company as "investor",
        /// The company invested in (global id); not the investor.
        investee_id: ID => Company as "investee",
        /// How much; null when the sources do not say.
        amount: Option<MoneyInput>,
        /// When it was made.
        made: Option<DateInput>,
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        citations of a fact,
        provenance notes,
    }
}

crud!(
    InvestmentMutation: Investment from InvestmentInput, cited as Subject::Investment;
    create_investment "Creates an investment with at least one citation. Refused for unknown companies, a company investing in itself, a negative or malformed amount, an unknown currency, a date contradicting its precision, or an existing ref.",
    create_investments "Creates several investments in one transaction: all of them or none.",
    update_investment "Replaces every field of an investment.",
    delete_investment "Deletes an investment with its citations."
);

impl Save for Investment {
    async fn save(w: Saving<'_, Self>) -> Result<investment::Model> {
        let input = &w.input;
        let amount = input.amount.as_ref().map(MoneyInput::rec);
        let made = input.made.as_ref().map(DateInput::rec);
        let columns = InvestmentDraft {
            reference: &input.r#ref,
            investor_id: w.refs.investor_id,
            investee_id: w.refs.investee_id,
            amount: amount.as_ref(),
            made: made.as_ref(),
            description: input.description.as_deref(),
        }
        .check(w.at)?;
        w.unique_ref(columns.reference.as_deref(), "an investment with the ref")
            .await?;
        w.persist_noted(|a| columns.set_on(a)).await
    }
}
