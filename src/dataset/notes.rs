//! Saving the provenance notes and shares of a loaded record: when the record has them,
//! they replace the row's, checked against the record's citations.

use entity::{figure_share, value_provenance};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::load::Load;
use super::records::{CitationRec, Notes, ShareRec};
use crate::domain::provenance::{Values, check_note, check_share};
use crate::error::Result;

impl Load<'_> {
    /// Replaces the notes of `row` (whose id is in `column` of `value_provenance`).
    pub(super) async fn save_notes<M: Values>(
        &mut self,
        at: &str,
        column: value_provenance::Column,
        id: i32,
        row: &M,
        citations: &[CitationRec],
        notes: &Option<Notes>,
    ) -> Result<()> {
        let Some(notes) = notes else {
            return Ok(());
        };
        let quotes: Vec<&str> = citations.iter().map(|c| c.quote.as_str()).collect();
        let present = row.present();
        let mut checked = Vec::with_capacity(notes.len());
        for (field, note) in notes {
            let at = format!("{at}.provenance.{field}");
            checked.push((
                field,
                check_note(&at, M::TYPENAME, field, &present, &quotes, note)?,
            ));
        }
        value_provenance::Entity::delete_many()
            .filter(column.eq(id))
            .exec(self.txn)
            .await?;
        for (field, c) in checked {
            let mut active = value_provenance::ActiveModel {
                field: Set(field.clone()),
                basis: Set(c.basis),
                qualifier: Set(c.qualifier),
                words: Set(c.words),
                derivation: Set(c.derivation),
                derived_from: Set(c.derived_from),
                reason: Set(c.reason),
                ..Default::default()
            };
            active.set(column, Some(id).into());
            active.insert(self.txn).await?;
        }
        Ok(())
    }

    /// Replaces the shares of figure `id`.
    pub(super) async fn save_shares(
        &mut self,
        at: &str,
        id: i32,
        citations: &[CitationRec],
        shares: &Option<Vec<ShareRec>>,
    ) -> Result<()> {
        let Some(shares) = shares else {
            return Ok(());
        };
        let quotes: Vec<&str> = citations.iter().map(|c| c.quote.as_str()).collect();
        let checked = shares
            .iter()
            .enumerate()
            .map(|(i, s)| check_share(&format!("{at}.shares[{i}]"), &quotes, s))
            .collect::<Result<Vec<_>>>()?;
        figure_share::Entity::delete_many()
            .filter(figure_share::Column::SpendingFigureId.eq(id))
            .exec(self.txn)
            .await?;
        for s in checked {
            let p = s.provenance;
            figure_share::ActiveModel {
                spending_figure_id: Set(id),
                part: Set(s.part),
                low_bp: Set(s.low_bp),
                low_exclusive: Set(s.low_exclusive),
                high_bp: Set(s.high_bp),
                high_exclusive: Set(s.high_exclusive),
                basis: Set(p.basis),
                qualifier: Set(p.qualifier),
                words: Set(p.words),
                derivation: Set(p.derivation),
                derived_from: Set(p.derived_from),
                reason: Set(p.reason),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        Ok(())
    }
}
