//! Writing the provenance notes and shares of a row, for every write path (the dataset
//! loader and the mutations): given notes replace the row's after the domain's checks
//! against the row's citations; when none are given, the row's notes are kept, checked
//! again against what the row now holds, so that a changed value or citation never leaves
//! a note that no longer holds (the note of a value set to null goes with the value).

use entity::{citation, figure_share, value_provenance};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::load::Load;
use super::records::{CitationRec, Notes, ProvenanceRec, ShareRec};
use crate::domain::provenance::{
    ProvenanceColumns, ShareColumns, Values, check_note, check_share, decode_refs,
};
use crate::error::{Error, Result};

/// A note as a caller gives it: the path its errors name, the value's field, the note.
pub(crate) struct GivenNote {
    pub at: String,
    pub field: String,
    pub note: ProvenanceRec,
}

/// A share as a caller gives it, with the path its errors name.
pub(crate) struct GivenShare {
    pub at: String,
    pub share: ShareRec,
}

async fn quotes_of(
    txn: &DatabaseTransaction,
    cited_by: Option<citation::Column>,
    id: i32,
) -> Result<Vec<String>> {
    let Some(column) = cited_by else {
        return Ok(Vec::new());
    };
    Ok(citation::Entity::find()
        .filter(column.eq(id))
        .order_by_asc(citation::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|c| c.quote)
        .collect())
}

fn rec_of(n: &value_provenance::Model) -> ProvenanceRec {
    ProvenanceRec {
        basis: n.basis,
        qualifier: n.qualifier,
        words: n.words.clone(),
        derivation: n.derivation.clone(),
        derived_from: decode_refs(n.derived_from.as_deref()),
        reason: n.reason.clone(),
    }
}

/// A kept note or share that no longer holds, reported at `at` (where notes are given).
fn stale(at: &str, what: &str, e: Error) -> Error {
    let why = match e {
        Error::InvalidInput { message, .. } => message,
        other => return other,
    };
    Error::invalid(
        at,
        format!(
            "the recorded provenance of {what} no longer holds ({why}): give the provenance anew"
        ),
    )
}

/// Writes the notes of `row` (id `id` in `column` of `value_provenance`; its citations in
/// `cited_by`): `given` replaces them; `None` keeps them after checking them again (errors
/// at `at`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_notes<M: Values>(
    txn: &DatabaseTransaction,
    at: &str,
    column: value_provenance::Column,
    cited_by: Option<citation::Column>,
    id: i32,
    row: &M,
    given: Option<Vec<GivenNote>>,
) -> Result<()> {
    let quotes = quotes_of(txn, cited_by, id).await?;
    let quotes: Vec<&str> = quotes.iter().map(String::as_str).collect();
    let present = row.present();
    let Some(given) = given else {
        let kept = value_provenance::Entity::find()
            .filter(column.eq(id))
            .all(txn)
            .await?;
        for n in kept {
            // The value was removed (set to null): its note describes nothing any more.
            if !present.contains(&n.field.as_str()) {
                value_provenance::Entity::delete_by_id(n.id)
                    .exec(txn)
                    .await?;
                continue;
            }
            check_note(at, M::TYPENAME, &n.field, &present, &quotes, &rec_of(&n))
                .map_err(|e| stale(at, &n.field, e))?;
        }
        return Ok(());
    };
    let mut checked = Vec::with_capacity(given.len());
    for g in &given {
        if checked.iter().any(|(f, _)| *f == &g.field) {
            return Err(Error::invalid(
                &g.at,
                format!("{:?} is given twice", g.field),
            ));
        }
        let c = check_note(&g.at, M::TYPENAME, &g.field, &present, &quotes, &g.note)?;
        checked.push((&g.field, c));
    }
    // Notes that stay the same keep their rows (re-importing an export changes nothing).
    let existing = value_provenance::Entity::find()
        .filter(column.eq(id))
        .all(txn)
        .await?;
    for old in &existing {
        let same = checked
            .iter()
            .any(|(field, c)| **field == old.field && same_note(old, c));
        if !same {
            value_provenance::Entity::delete_by_id(old.id)
                .exec(txn)
                .await?;
        }
    }
    for (field, c) in checked {
        if existing
            .iter()
            .any(|old| *field == old.field && same_note(old, &c))
        {
            continue;
        }
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
        active.insert(txn).await?;
    }
    Ok(())
}

fn same_note(old: &value_provenance::Model, c: &ProvenanceColumns) -> bool {
    old.basis == c.basis
        && old.qualifier == c.qualifier
        && old.words == c.words
        && old.derivation == c.derivation
        && old.derived_from == c.derived_from
        && old.reason == c.reason
}

fn same_share(old: &figure_share::Model, s: &ShareColumns) -> bool {
    let p = &s.provenance;
    old.part == s.part
        && old.low_bp == s.low_bp
        && old.low_exclusive == s.low_exclusive
        && old.high_bp == s.high_bp
        && old.high_exclusive == s.high_exclusive
        && old.basis == p.basis
        && old.qualifier == p.qualifier
        && old.words == p.words
        && old.derivation == p.derivation
        && old.derived_from == p.derived_from
        && old.reason == p.reason
}

/// Writes the shares of figure `id`: `given` replaces them; `None` keeps them after
/// checking their words against the figure's citations again (errors at `at`).
pub(crate) async fn write_shares(
    txn: &DatabaseTransaction,
    at: &str,
    id: i32,
    given: Option<Vec<GivenShare>>,
) -> Result<()> {
    let quotes = quotes_of(txn, Some(citation::Column::SpendingFigureId), id).await?;
    let quotes: Vec<&str> = quotes.iter().map(String::as_str).collect();
    let Some(given) = given else {
        let kept = figure_share::Entity::find()
            .filter(figure_share::Column::SpendingFigureId.eq(id))
            .all(txn)
            .await?;
        for s in kept {
            if let Some(words) = &s.words
                && !quotes.iter().any(|q| q.contains(words.as_str()))
            {
                return Err(stale(
                    at,
                    &format!("the share {:?}", s.part),
                    Error::invalid(
                        at,
                        format!("{words:?} appears in none of the row's citation quotes"),
                    ),
                ));
            }
        }
        return Ok(());
    };
    let checked = given
        .iter()
        .map(|g| check_share(&g.at, &quotes, &g.share))
        .collect::<Result<Vec<_>>>()?;
    for (i, s) in checked.iter().enumerate() {
        if checked[..i].iter().any(|o| o.part == s.part) {
            return Err(Error::invalid(
                &given[i].at,
                format!("the part {:?} is given twice", s.part),
            ));
        }
    }
    let existing = figure_share::Entity::find()
        .filter(figure_share::Column::SpendingFigureId.eq(id))
        .all(txn)
        .await?;
    for old in &existing {
        if !checked.iter().any(|s| same_share(old, s)) {
            figure_share::Entity::delete_by_id(old.id).exec(txn).await?;
        }
    }
    for s in checked {
        if existing.iter().any(|old| same_share(old, &s)) {
            continue;
        }
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
        .insert(txn)
        .await?;
    }
    Ok(())
}

impl Load<'_> {
    /// Writes the notes of a loaded record (see [`write_notes`]).
    pub(super) async fn save_notes<M: Values>(
        &mut self,
        at: &str,
        column: value_provenance::Column,
        id: i32,
        row: &M,
        _citations: &[CitationRec],
        notes: &Option<Notes>,
    ) -> Result<()> {
        let given = notes.as_ref().map(|notes| {
            notes
                .iter()
                .map(|(field, note)| GivenNote {
                    at: format!("{at}.provenance.{field}"),
                    field: field.clone(),
                    note: note.clone(),
                })
                .collect()
        });
        let cited_by = cited_by(column);
        write_notes(
            self.txn,
            &format!("{at}.provenance"),
            column,
            cited_by,
            id,
            row,
            given,
        )
        .await
    }

    /// Writes the shares of a loaded figure (see [`write_shares`]).
    pub(super) async fn save_shares(
        &mut self,
        at: &str,
        id: i32,
        _citations: &[CitationRec],
        shares: &Option<Vec<ShareRec>>,
    ) -> Result<()> {
        let given = shares.as_ref().map(|shares| {
            shares
                .iter()
                .enumerate()
                .map(|(i, s)| GivenShare {
                    at: format!("{at}.shares[{i}]"),
                    share: s.clone(),
                })
                .collect()
        });
        write_shares(self.txn, &format!("{at}.shares"), id, given).await
    }
}

/// The citation column of the rows whose notes are in `column`; none for sources.
pub(crate) fn cited_by(column: value_provenance::Column) -> Option<citation::Column> {
    use value_provenance::Column as V;
    Some(match column {
        V::AiModelId => citation::Column::AiModelId,
        V::InvestmentId => citation::Column::InvestmentId,
        V::ProjectId => citation::Column::ProjectId,
        V::SpendingFigureId => citation::Column::SpendingFigureId,
        V::ClaimId => citation::Column::ClaimId,
        V::EventId => citation::Column::EventId,
        _ => return None,
    })
}

/// Refuses to take citation `old` away from its row (deleted, moved to another row, or its
/// quote changed to `kept` on the same row) while a note or share of the row has `words`
/// that no other of the row's citations holds.
pub(crate) async fn words_stay_cited(
    txn: &DatabaseTransaction,
    at: &str,
    old: &citation::Model,
    kept: Option<&str>,
) -> Result<()> {
    use value_provenance::Column as V;
    let owners = [
        (old.ai_model_id, V::AiModelId, citation::Column::AiModelId),
        (
            old.investment_id,
            V::InvestmentId,
            citation::Column::InvestmentId,
        ),
        (old.project_id, V::ProjectId, citation::Column::ProjectId),
        (
            old.spending_figure_id,
            V::SpendingFigureId,
            citation::Column::SpendingFigureId,
        ),
        (old.claim_id, V::ClaimId, citation::Column::ClaimId),
        (old.event_id, V::EventId, citation::Column::EventId),
    ];
    let Some((Some(id), column, cited_by)) = owners.into_iter().find(|(id, _, _)| id.is_some())
    else {
        return Ok(());
    };
    let mut quotes: Vec<String> = citation::Entity::find()
        .filter(cited_by.eq(id))
        .filter(citation::Column::Id.ne(old.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| c.quote)
        .collect();
    quotes.extend(kept.map(str::to_owned));
    let held = |words: &str| quotes.iter().any(|q| q.contains(words));
    let mut words: Vec<(String, String)> = value_provenance::Entity::find()
        .filter(column.eq(id))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|n| Some((n.field, n.words?)))
        .collect();
    if matches!(column, V::SpendingFigureId) {
        let shares = figure_share::Entity::find()
            .filter(figure_share::Column::SpendingFigureId.eq(id))
            .all(txn)
            .await?;
        words.extend(
            shares
                .into_iter()
                .filter_map(|s| Some((format!("the share {:?}", s.part), s.words?))),
        );
    }
    if let Some((field, w)) = words.iter().find(|(_, w)| !held(w)) {
        return Err(Error::invalid(
            at,
            format!(
                "the provenance of {field} cites {w:?} from this citation only: give the row's provenance anew first"
            ),
        ));
    }
    Ok(())
}
