//! The provenance notes and shares of exported rows, read for a page of rows at once.

use std::collections::HashMap;

use entity::{figure_share, value_provenance};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::dataset::{Notes, ShareRec};
use crate::domain::provenance::{ProvenanceColumns, ShareColumns};
use crate::error::Result;

/// The notes column of the rows of an export section, for sections whose rows have values.
pub(super) fn column_of(section: &str) -> Option<value_provenance::Column> {
    use value_provenance::Column as C;
    Some(match section {
        "sources" => C::SourceId,
        "models" => C::AiModelId,
        "investments" => C::InvestmentId,
        "projects" => C::ProjectId,
        "spendingFigures" => C::SpendingFigureId,
        "claims" => C::ClaimId,
        "events" => C::EventId,
        _ => return None,
    })
}

/// The notes of the rows `ids` of `section`, by row id.
pub(super) async fn notes_of(
    db: &DatabaseConnection,
    section: &str,
    ids: &[i32],
) -> Result<HashMap<i32, Notes>> {
    let mut out: HashMap<i32, Notes> = HashMap::new();
    let Some(column) = column_of(section) else {
        return Ok(out);
    };
    let rows = value_provenance::Entity::find()
        .filter(column.is_in(ids.to_vec()))
        .order_by_asc(value_provenance::Column::Id)
        .all(db)
        .await?;
    for n in rows {
        let owner = [
            n.source_id,
            n.ai_model_id,
            n.investment_id,
            n.project_id,
            n.spending_figure_id,
            n.claim_id,
            n.event_id,
        ]
        .into_iter()
        .flatten()
        .next();
        if let Some(owner) = owner {
            let note = ProvenanceColumns::from(&n).into();
            out.entry(owner).or_default().insert(n.field, note);
        }
    }
    Ok(out)
}

/// The shares of the figures `ids`, by figure id.
pub(super) async fn shares_of(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<ShareRec>>> {
    let rows = figure_share::Entity::find()
        .filter(figure_share::Column::SpendingFigureId.is_in(ids.to_vec()))
        .order_by_asc(figure_share::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<ShareRec>> = HashMap::new();
    for s in rows {
        out.entry(s.spending_figure_id)
            .or_default()
            .push(ShareColumns::from(&s).into());
    }
    Ok(out)
}
