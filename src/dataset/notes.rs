//! Writing the provenance notes and shares of a row, for every write path (the dataset
//! loader and the mutations): given notes replace the row's after the domain's checks
//! against the row's citations; when none are given, the row's notes are kept, checked
//! again against what the row now holds, so that a changed value or citation never leaves
//! a note that no longer holds (the note of a value set to null goes with the value).

use std::collections::HashMap;

use entity::{
    ai_model, citation, claim, event, figure_share, investment, project, source, spending_figure,
    value_provenance,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::load::Load;
use super::records::{CitationRec, Notes, ProvenanceRec, ShareRec, ValueRefRec};
use crate::domain::provenance::{
    ProvenanceColumns, ProvenanceSetOn, ShareColumns, VALUE_FIELDS, Values, check_note, check_share,
};
use crate::error::{Error, Result};

/// A row whose values carry notes: its GraphQL type, the column of `value_provenance`
/// that points at it, its id and the values it holds.
pub(crate) struct Owner {
    pub typename: &'static str,
    pub column: value_provenance::Column,
    pub id: i32,
    pub present: Vec<&'static str>,
}

impl Owner {
    /// Row `row` with id `id` (its notes are in its type's column, [`Values::COLUMN`]).
    pub(crate) fn of<M: Values>(id: i32, row: &M) -> Owner {
        Owner {
            typename: M::TYPENAME,
            column: M::COLUMN,
            id,
            present: row.present(),
        }
    }
}

/// The row of GraphQL type `typename` whose natural key is `key` (a source's key, a
/// model's or project's name, a fact's ref), as `derivedFrom` and `provenance.csv` name
/// rows; an unknown type is reported at `at_type`, a key that names no row at `at_key`.
pub(crate) async fn find_owner(
    txn: &DatabaseTransaction,
    (at_type, at_key): (&str, &str),
    typename: &str,
    key: &str,
) -> Result<Owner> {
    macro_rules! by_key {
        ($entity:ident, $key:ident) => {
            $entity::Entity::find()
                .filter($entity::Column::$key.eq(key))
                .all(txn)
                .await?
                .iter()
                .map(|r| Owner::of(r.id, r))
                .collect::<Vec<_>>()
        };
    }
    let (named_by, mut found) = match typename {
        "Source" => ("key", by_key!(source, Key)),
        "AiModel" => ("name", by_key!(ai_model, Name)),
        "Investment" => ("ref", by_key!(investment, Reference)),
        "Project" => ("name", by_key!(project, Name)),
        "SpendingFigure" => ("ref", by_key!(spending_figure, Reference)),
        "Claim" => ("ref", by_key!(claim, Reference)),
        "Event" => ("ref", by_key!(event, Reference)),
        _ => {
            let types: Vec<&str> = VALUE_FIELDS.iter().map(|(t, _)| *t).collect();
            return Err(Error::invalid(
                at_type,
                format!("{typename:?} is not one of {}", types.join(", ")),
            ));
        }
    };
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::invalid(
            at_key,
            format!("no {typename} has the {named_by} {key:?}"),
        )),
        _ => Err(Error::invalid(
            at_key,
            format!("the {typename} name {key:?} is ambiguous: several developers use it"),
        )),
    }
}

/// The values that given notes say they are derived from, by the path of each reference
/// (`….derivedFrom[0]`), to check once the rows they name may exist.
#[derive(Default)]
#[must_use = "the values notes are derived from are refused only by `check`"]
pub(crate) struct DerivedRefs(Vec<(String, ValueRefRec)>);

impl DerivedRefs {
    fn add(&mut self, at: &str, note: &ProvenanceRec) {
        for (i, r) in note.derived_from.iter().enumerate() {
            self.0.push((format!("{at}.derivedFrom[{i}]"), r.clone()));
        }
    }

    /// Adds the references of `other`.
    pub(crate) fn extend(&mut self, other: DerivedRefs) {
        self.0.extend(other.0);
    }

    /// Refuses a reference to a row that does not exist or does not hold the value:
    /// reported at its `key` or its `field`.
    pub(crate) async fn check(self, txn: &DatabaseTransaction) -> Result<()> {
        let mut held: HashMap<(String, String), Vec<&'static str>> = HashMap::new();
        for (at, r) in self.0 {
            let row = (r.typename.clone(), r.key.clone());
            if !held.contains_key(&row) {
                let (at_type, at_key) = (format!("{at}.type"), format!("{at}.key"));
                let owner = find_owner(txn, (&at_type, &at_key), &r.typename, &r.key).await?;
                held.insert(row.clone(), owner.present);
            }
            if !held[&row].contains(&r.field.as_str()) {
                return Err(Error::invalid(
                    format!("{at}.field"),
                    format!(
                        "the {} {:?} holds no {}: a value is derived from values that exist",
                        r.typename, r.key, r.field
                    ),
                ));
            }
        }
        Ok(())
    }
}

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

/// Writes the notes of row `owner`: `given` replaces them; `None` keeps them after
/// checking them again (errors at `at`). Returns the values the given notes are derived
/// from, for the caller to check when the rows they name may exist.
pub(crate) async fn write_notes(
    txn: &DatabaseTransaction,
    at: &str,
    owner: &Owner,
    given: Option<Vec<GivenNote>>,
) -> Result<DerivedRefs> {
    let Owner {
        typename,
        column,
        id,
        ref present,
    } = *owner;
    let quotes = quotes_of(txn, cited_by(column), id).await?;
    let quotes: Vec<&str> = quotes.iter().map(String::as_str).collect();
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
            let note = ProvenanceColumns::from(&n).into();
            check_note(at, typename, &n.field, present, &quotes, &note)
                .map_err(|e| stale(at, &n.field, e))?;
        }
        return Ok(DerivedRefs::default());
    };
    let mut refs = DerivedRefs::default();
    let mut checked = Vec::with_capacity(given.len());
    for g in &given {
        if checked.iter().any(|(f, _)| *f == &g.field) {
            return Err(Error::invalid(
                &g.at,
                format!("{:?} is given twice", g.field),
            ));
        }
        let c = check_note(&g.at, typename, &g.field, present, &quotes, &g.note)?;
        refs.add(&g.at, &g.note);
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
            .any(|(field, c)| **field == old.field && ProvenanceColumns::from(old) == *c);
        if !same {
            value_provenance::Entity::delete_by_id(old.id)
                .exec(txn)
                .await?;
        }
    }
    for (field, c) in checked {
        if existing
            .iter()
            .any(|old| *field == old.field && ProvenanceColumns::from(old) == c)
        {
            continue;
        }
        let mut active = value_provenance::ActiveModel {
            field: Set(field.clone()),
            ..Default::default()
        };
        c.set_on(&mut active);
        active.set(column, Some(id).into());
        active.insert(txn).await?;
    }
    Ok(refs)
}

/// Writes the shares of figure `id`: `given` replaces them; `None` keeps them after
/// checking their words against the figure's citations again (errors at `at`). Returns the
/// values the given shares are derived from (see [`write_notes`]).
pub(crate) async fn write_shares(
    txn: &DatabaseTransaction,
    at: &str,
    id: i32,
    given: Option<Vec<GivenShare>>,
) -> Result<DerivedRefs> {
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
        return Ok(DerivedRefs::default());
    };
    let mut refs = DerivedRefs::default();
    for g in &given {
        refs.add(&format!("{}.provenance", g.at), &g.share.provenance);
    }
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
        if !checked.contains(&ShareColumns::from(old)) {
            figure_share::Entity::delete_by_id(old.id).exec(txn).await?;
        }
    }
    for s in checked {
        if existing.iter().any(|old| ShareColumns::from(old) == s) {
            continue;
        }
        s.into_active(id).insert(txn).await?;
    }
    Ok(refs)
}

impl Load<'_> {
    /// Writes the notes of a loaded record (see [`write_notes`]).
    pub(super) async fn save_notes<M: Values>(
        &mut self,
        at: &str,
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
        let owner = Owner::of(id, row);
        let refs = write_notes(self.txn, &format!("{at}.provenance"), &owner, given).await?;
        self.refs.extend(refs);
        Ok(())
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
        let refs = write_shares(self.txn, &format!("{at}.shares"), id, given).await?;
        self.refs.extend(refs);
        Ok(())
    }

    /// Refuses a note of the rows loaded so far that is derived from a value that does not
    /// exist (see [`DerivedRefs::check`]).
    pub(super) async fn check_derived(&mut self) -> Result<()> {
        std::mem::take(&mut self.refs).check(self.txn).await
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
