//! Writing AI models, chips, agents and products.

use entity::ai_model;
use entity::enums::ModelKind;
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter};

use super::write::{DateInput, Save, Saving, Upsertable};
use crate::dataset::Subject;
use crate::domain::rows::ModelDraft;
use crate::error::Result;
use crate::graphql::companies::Company;
use crate::graphql::models::AiModel;
use crate::graphql::node::database_id;

input! {
    /// An AI model, chip, agent or product to create, replace or upsert.
    AiModelInput resolving AiModelRefs {
        /// Name, at most 200 characters, unique per developer, e.g. "R1".
        name: String,
        /// What it is.
        kind: ModelKind,
        /// The company that develops it (global id).
        developer_id: ID => Company as "developer",
        /// When it was announced.
        announced: Option<DateInput>,
        /// When it is expected.
        expected: Option<DateInput>,
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        /// Sentences of sources about it (optional).
        citations: Option<Vec<CitationInput>>,
        provenance notes,
    }
}

crud!(
    AiModelMutation: AiModel from AiModelInput, cited as Subject::Model,
    blocked by [
        ("spending_figure", "ai_model_id", "spending figures"),
        ("claim", "subject_model_id", "claims about it"),
    ];
    create_ai_model "Creates an AI model. Refused for an empty or too long name, a name its developer already uses, an unknown developer, or a date that contradicts its precision.",
    create_ai_models "Creates several AI models in one transaction: all of them or none.",
    update_ai_model "Replaces every field of an AI model.",
    delete_ai_model "Deletes an AI model with its citations. Refused while spending figures or claims name it.",
    upsert_ai_model "Updates the model with this name and developer, or creates it."
);

impl Save for AiModel {
    async fn save(w: Saving<'_, Self>) -> Result<ai_model::Model> {
        let input = &w.input;
        let developer = w.refs.developer_id;
        let announced = input.announced.as_ref().map(DateInput::rec);
        let expected = input.expected.as_ref().map(DateInput::rec);
        let columns = ModelDraft {
            name: &input.name,
            kind: input.kind,
            developer_id: developer,
            announced: announced.as_ref(),
            expected: expected.as_ref(),
            description: input.description.as_deref(),
        }
        .check(w.at)?;
        let key = Condition::all()
            .add(ai_model::Column::Name.eq(columns.name.as_str()))
            .add(ai_model::Column::DeveloperId.eq(developer));
        w.unique_key(key, "name", |id| {
            format!(
                "the developer has a model named {:?} already (database id {id})",
                columns.name
            )
        })
        .await?;
        w.persist_noted(|a| columns.set_on(a)).await
    }
}

impl Upsertable for AiModel {
    async fn find_natural(
        txn: &DatabaseTransaction,
        input: &AiModelInput,
        at: &str,
    ) -> Result<Option<ai_model::Model>> {
        let developer = database_id::<Company>(&input.developer_id, &format!("{at}.developerId"))?;
        Ok(ai_model::Entity::find()
            .filter(ai_model::Column::Name.eq(input.name.as_str()))
            .filter(ai_model::Column::DeveloperId.eq(developer))
            .one(txn)
            .await?)
    }
}
