//! Provenance given with a mutation: the notes on a row's values and a figure's shares, as
//! input objects, checked by the same rules as the dataset format's (see
//! [`crate::domain::provenance`]).

use async_graphql::InputObject;
use entity::enums::{Basis, Qualifier};
use sea_orm::DatabaseTransaction;

use crate::dataset::notes::{GivenNote, GivenShare, Owner, write_notes, write_shares};
use crate::dataset::{ProvenanceRec, ShareRec, ValueRefRec};
use crate::domain::provenance::Values;
use crate::error::Result;
use crate::graphql::common::Decimal;

/// A value another is derived from.
#[derive(InputObject, Clone)]
pub struct ValueRefInput {
    /// The GraphQL type of the row holding it: Source, AiModel, Investment, Project,
    /// SpendingFigure, Claim or Event.
    #[graphql(name = "type")]
    pub typename: String,
    /// The row's natural key: a ref ("F1"), a name ("Stargate") or a source's key.
    pub key: String,
    /// The value's field on that type, e.g. "amount", "published".
    pub field: String,
}

/// How the source gives a value: as a `ProvenanceInput` without `field`.
#[derive(InputObject, Clone)]
pub struct BasisInput {
    /// STATED (the source's words state it), DERIVED (needs `derivation` and
    /// `derivedFrom`) or INFERRED (needs `reason`).
    pub basis: Basis,
    /// The source's qualifier ("late", "more than"); needs `words` that write it.
    pub qualifier: Option<Qualifier>,
    /// The source's exact words for the value: part of one of the row's citation quotes.
    pub words: Option<String>,
    /// For DERIVED: how, in a sentence.
    pub derivation: Option<String>,
    /// For DERIVED: the values it is derived from.
    pub derived_from: Option<Vec<ValueRefInput>>,
    /// For INFERRED: why the value is filled in although the source does not give it.
    pub reason: Option<String>,
}

/// How one value of the row is known. Given on create or update, the list replaces the
/// row's notes (values not in it are STATED by the row's citations); left out on update,
/// the row's notes are kept: the note of a value set to null goes with it, and the update
/// is refused only if a kept note's `words` are no longer in the row's citations.
#[derive(InputObject, Clone)]
pub struct ProvenanceInput {
    /// The value's field as the row's type names it: "stated", "amount", "period.start",
    /// "plannedAmount", "made"...
    pub field: String,
    #[graphql(flatten)]
    pub basis: BasisInput,
}

/// A share of a figure's amount ("more than half ... in the U.S.").
#[derive(InputObject, Clone)]
pub struct ShareInput {
    /// What part of the whole, e.g. "in the U.S."; at most 200 characters, once per figure.
    pub part: String,
    /// Lower bound of the fraction, from "0" to "1" with at most four decimals ("0.5").
    pub fraction_low: Option<Decimal>,
    /// Whether the share is strictly above `fractionLow` ("more than half").
    #[graphql(default)]
    pub low_exclusive: bool,
    /// Upper bound of the fraction, from "0" to "1".
    pub fraction_high: Option<Decimal>,
    /// Whether the share is strictly below `fractionHigh`.
    #[graphql(default)]
    pub high_exclusive: bool,
    /// How the share is known.
    pub provenance: BasisInput,
}

fn refs(given: &Option<Vec<ValueRefInput>>) -> Vec<ValueRefRec> {
    given
        .iter()
        .flatten()
        .map(|r| ValueRefRec {
            typename: r.typename.clone(),
            key: r.key.clone(),
            field: r.field.clone(),
        })
        .collect()
}

impl BasisInput {
    fn rec(&self) -> ProvenanceRec {
        ProvenanceRec {
            basis: self.basis,
            qualifier: self.qualifier,
            words: self.words.clone(),
            derivation: self.derivation.clone(),
            derived_from: refs(&self.derived_from),
            reason: self.reason.clone(),
        }
    }
}

/// The items of a list given at `at`, each made into `R` with its own path (`at[i]`).
fn each<T, R>(at: &str, given: Option<&[T]>, item: impl Fn(String, &T) -> R) -> Option<Vec<R>> {
    let list = given?.iter().enumerate();
    Some(list.map(|(i, x)| item(format!("{at}[{i}]"), x)).collect())
}

/// Writes the notes given with a mutation of `row` (at `row_at`, e.g. "input").
pub(crate) async fn note<M: Values>(
    txn: &DatabaseTransaction,
    row_at: &str,
    id: i32,
    row: &M,
    given: Option<&[ProvenanceInput]>,
) -> Result<()> {
    let at = format!("{row_at}.provenance");
    let given = each(&at, given, |at, p| GivenNote {
        at,
        field: p.field.clone(),
        note: p.basis.rec(),
    });
    let owner = Owner::of(id, row);
    // The row is written: a note may be derived from another value of the same row.
    write_notes(txn, &at, &owner, given).await?.check(txn).await
}

/// Writes the shares given with a mutation of figure `id`.
pub(crate) async fn share(
    txn: &DatabaseTransaction,
    row_at: &str,
    id: i32,
    given: Option<&[ShareInput]>,
) -> Result<()> {
    let at = format!("{row_at}.shares");
    let given = each(&at, given, |at, s| GivenShare {
        at,
        share: ShareRec {
            part: s.part.clone(),
            fraction_low: s.fraction_low.as_ref().map(|d| d.0.clone()),
            low_exclusive: s.low_exclusive,
            fraction_high: s.fraction_high.as_ref().map(|d| d.0.clone()),
            high_exclusive: s.high_exclusive,
            provenance: s.provenance.rec(),
        },
    });
    write_shares(txn, &at, id, given).await?.check(txn).await
}
