//! Writing investments.

use async_graphql::{ID, InputObject};
use entity::investment;
use sea_orm::{DatabaseTransaction, Set};

use super::write::{
    CitationInput, DateInput, MoneyInput, Writable, amount, cite, date, limits, opt_text, persist,
    reference, text, unique,
};
use crate::dataset::Subject;
use crate::error::{Error, Result};
use crate::graphql::companies::Company;
use crate::graphql::investments::Investment;

/// An investment to create or replace.
#[derive(InputObject)]
pub struct InvestmentInput {
    /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "I1".
    pub r#ref: String,
    /// The company that invests (global id).
    pub investor_id: ID,
    /// The company invested in (global id); not the investor.
    pub investee_id: ID,
    /// How much; null when the sources do not say.
    pub amount: Option<MoneyInput>,
    /// When it was made.
    pub made: Option<DateInput>,
    /// A short description, at most 5,000 characters.
    pub description: Option<String>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
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
        let ref_at = format!("{at}.ref");
        let reference_text = text(&ref_at, &input.r#ref, limits::REF)?;
        {
            unique::<investment::Entity>(
                txn,
                investment::Column::Reference,
                &reference_text,
                id,
                &ref_at,
                "an investment with the ref",
            )
            .await?;
        }
        let investor =
            reference::<Company>(txn, &input.investor_id, &format!("{at}.investorId")).await?;
        let investee_at = format!("{at}.investeeId");
        let investee = reference::<Company>(txn, &input.investee_id, &investee_at).await?;
        if investor == investee {
            return Err(Error::invalid(
                investee_at,
                "a company cannot invest in itself",
            ));
        }
        let (amount_minor, currency) = amount(&format!("{at}.amount"), input.amount.as_ref())?;
        let (made_on, made_precision) = date(&format!("{at}.made"), input.made.as_ref())?;
        let description = opt_text(
            &format!("{at}.description"),
            input.description.as_ref(),
            limits::DESCRIPTION,
        )?;
        let creating = existing.is_none();
        let row = persist::<investment::ActiveModel>(txn, existing, |a| {
            a.reference = Set(Some(reference_text));
            a.investor_id = Set(investor);
            a.investee_id = Set(investee);
            a.amount_minor = Set(amount_minor);
            a.currency = Set(currency);
            a.made_on = Set(made_on);
            a.made_precision = Set(made_precision);
            a.description = Set(description);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Investment(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}
