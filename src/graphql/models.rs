//! AI models, chips, agents and products.

use async_graphql::Object;

use entity::enums::ModelKind;
use entity::{ai_model, alias, citation, claim, spending_figure};

use super::Result;
use super::aliases::{Alias, aliases_of};
use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::sources::Citation;
use super::spending::SpendingFigure;

gql_node! {
    /// An AI model, chip, agent or product, and the company that develops it.
    AiModel for ai_model
}

with_connections! {
    /// An AI model, chip, agent or product, and the company that develops it.
    #[Object(serial)]
    impl AiModel {}

    fields |row, ctx| {
        /// Name, unique per developer, e.g. "Llama 4".
        name: &str = &row.name,
        /// What it is: a model, a chip, an agent or another product.
        kind: ModelKind = row.kind,
        /// A short description.
        description: Option<&str> = row.description.as_deref(),
        /// Other names of the model in the sources, each with the sentence that uses it.
        aliases: Result<Vec<Alias>> = aliases_of(ctx, row, alias::Column::AiModelId).await,
        /// When it was announced or unveiled, at the precision known.
        announced: Option<DateValue> = date_value(row.announced_on, row.announced_precision),
        /// When it is expected to be released or available, at the precision known.
        expected: Option<DateValue> = date_value(row.expected_on, row.expected_precision),
    }

    ids of "the model";
    provenance of "model": AiModelId, cited by Some(citation::Column::AiModelId);

    to_one {
        /// The company that develops it.
        developer: Company = required(company, developer_id),
    }

    connections {
        /// Claims about this model.
        claims: Claim(claim, ClaimFilter, ClaimOrderField) by claim::Column::SubjectModelId,
        /// Spending figures about this model, such as its training cost.
        spending_figures: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) by spending_figure::Column::AiModelId,
        /// The source sentences that state facts about this model.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::AiModelId,
    }
}

/// Queries on AI models and products.
#[derive(Default)]
pub struct ModelQuery;

with_connections! {
    /// Queries on AI models and products.
    #[Object]
    impl ModelQuery {}

    by_id {
        /// The AI model with this id, or null.
        ai_model: AiModel(ai_model) "Global id of the model.",
    }

    connections {
        /// All AI models in id order, or only those of one kind.
        ai_models: AiModel(ai_model, AiModelFilter, AiModelOrderField) where {
            kind: ModelKind = ai_model::Column::Kind => "Only models of this kind.",
        },
    }
}

order_fields! {
    /// Fields AI models can be ordered by.
    AiModelOrderField for ai_model {
        /// The model's name.
        Name => column_term::<E>(C::Name, Text, false),
        /// The kind of model or product.
        Kind => column_term::<E>(C::Kind, Text, false),
        /// The announcement date.
        AnnouncedOn => column_term::<E>(C::AnnouncedOn, Date, true),
        /// The expected release date.
        ExpectedOn => column_term::<E>(C::ExpectedOn, Date, true),
        /// The developer company's name.
        DeveloperName => company_name_term::<E>("developer_name", C::DeveloperId),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over AI models, chips and products.
    AiModelAggregate for AiModel (AiModelOrderField, currency: None) {
        /// When the models were announced: count, earliest and latest.
        announced_on: DateStats("announced_on", precision = "announced_precision"),
        /// When the models are expected: count, earliest and latest.
        expected_on: DateStats("expected_on", precision = "expected_precision"),
    }
}
