//! The provenance notes and shares of exported rows, read for a page of rows at once.

use std::collections::HashMap;

use entity::enums::Basis;
use entity::{figure_share, value_provenance};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::dataset::{Notes, ProvenanceRec, ShareRec};
use crate::domain::provenance::{bp_to_fraction, decode_refs};
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

fn rec(
    basis: Basis,
    qualifier: Option<entity::enums::Qualifier>,
    words: Option<String>,
    derivation: Option<String>,
    derived_from: Option<String>,
    reason: Option<String>,
) -> ProvenanceRec {
    ProvenanceRec {
        basis,
        qualifier,
        words,
        derivation,
        derived_from: decode_refs(derived_from.as_deref()),
        reason,
    }
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
            let note = rec(
                n.basis,
                n.qualifier,
                n.words,
                n.derivation,
                n.derived_from,
                n.reason,
            );
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
        out.entry(s.spending_figure_id).or_default().push(ShareRec {
            part: s.part,
            fraction_low: s.low_bp.map(bp_to_fraction),
            low_exclusive: s.low_exclusive,
            fraction_high: s.high_bp.map(bp_to_fraction),
            high_exclusive: s.high_exclusive,
            provenance: rec(
                s.basis,
                s.qualifier,
                s.words,
                s.derivation,
                s.derived_from,
                s.reason,
            ),
        });
    }
    Ok(out)
}
