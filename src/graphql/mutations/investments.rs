//! Writing investments.

use entity::investment;
use sea_orm::DatabaseTransaction;

use super::write::{Cites, DateInput, MoneyInput, Writable, persist_noted, unique_ref};
use crate::dataset::Subject;
use crate::domain::At;
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
        /// The sentences of sources that state it: at least one.
        citations: Option<Vec<CitationInput>>,
        /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
        /// the row's notes; left out, the notes are kept if they still hold.
        provenance: Option<Vec<ProvenanceInput>>,
    }
}

crud!(
    InvestmentMutation,
    Investment,
    InvestmentInput,
    create_investment "Creates an investment with at least one citation. Refused for unknown companies, a company investing in itself, a negative or malformed amount, an unknown currency, a date contradicting its precision, or an existing ref.",
    create_investments "Creates several investments in one transaction: all of them or none.",
    update_investment "Replaces every field of an investment.",
    delete_investment "Deletes an investment with its citations."
);

impl Cites for Investment {
    const SUBJECT: fn(i32) -> Subject = Subject::Investment;
}

impl Writable for Investment {
    type Entity = investment::Entity;
    type Input = InvestmentInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] = &[];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<investment::Model>,
        input: InvestmentInput,
        at: &str,
    ) -> Result<investment::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let at = At::spelled(at, InvestmentInput::NAMES);
        let refs = input.refs(txn, at).await?;
        let amount = input.amount.as_ref().map(MoneyInput::rec);
        let made = input.made.as_ref().map(DateInput::rec);
        let columns = InvestmentDraft {
            reference: &input.r#ref,
            investor_id: refs.investor_id,
            investee_id: refs.investee_id,
            amount: amount.as_ref(),
            made: made.as_ref(),
            description: input.description.as_deref(),
        }
        .check(at)?;
        unique_ref::<investment::Entity>(
            txn,
            columns.reference.as_deref(),
            id,
            at,
            "an investment with the ref",
        )
        .await?;
        persist_noted::<Self>(txn, at, existing, |a| columns.set_on(a), &input).await
    }
}
