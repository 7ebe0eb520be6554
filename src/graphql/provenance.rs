//! Provenance of structured values as the API shows it: every value a row holds (a date, an
//! amount, a period and its bounds...) says whether the source states it, it is derived or
//! inferred, with the source's words and qualifier; and the shares of a figure's whole.
//!
//! The notes of a whole list of rows, the citations they point at and the shares are each
//! loaded in one statement per list (the batch loaders), never one per row.

use async_graphql::{Context, Object, SimpleObject};
use entity::enums::{Basis, Qualifier};
use entity::{citation, figure_share, value_provenance};

use super::common::Decimal;
use super::loaders::{Node, Row};
use super::sources::{Citation, citations_of};
use super::{Result, db};
use crate::data::loaders;
use crate::domain::provenance::{Values, bp_to_fraction, decode_refs, fields_of};
use crate::error::Error;

/// A value another is derived from: its row's type, natural key and field.
#[derive(Debug, Clone, SimpleObject)]
pub struct ValueRef {
    /// The GraphQL type of the row holding the value, e.g. "SpendingFigure", "Source".
    #[graphql(name = "type")]
    pub typename: String,
    /// The row's natural key: a ref ("F1"), a name ("Stargate") or a source's key.
    pub key: String,
    /// The value's field on that type, e.g. "amount", "published".
    pub field: String,
}

/// How one structured value is known.
pub struct Provenance {
    field: String,
    basis: Basis,
    qualifier: Option<Qualifier>,
    words: Option<String>,
    derivation: Option<String>,
    derived_from: Option<String>,
    reason: Option<String>,
    citation: Option<Citation>,
}

/// How one structured value is known: STATED by a citation (in `words`), DERIVED from
/// other values (`derivation`, `derivedFrom`) or INFERRED (`reason`), with the source's
/// qualifier ("late", "more than") as a field.
#[Object]
impl Provenance {
    /// The value this is about, as its type names the field: "stated", "amount",
    /// "period.start", "plannedAmount"...; "fraction" for a share.
    async fn field(&self) -> &str {
        &self.field
    }
    /// Whether the source states the value, it is derived, or inferred. A value with no
    /// recorded note is STATED by its row's citations, with no words.
    async fn basis(&self) -> Basis {
        self.basis
    }
    /// The source's qualifier of the value ("late 2025" is LATE, "more than $100 billion"
    /// MORE_THAN); null when it has none.
    async fn qualifier(&self) -> Option<Qualifier> {
        self.qualifier
    }
    /// The source's exact words for the value ("late 2025", "early January", "last
    /// month"), part of the quote of `citation`; null when not recorded.
    async fn words(&self) -> Option<&str> {
        self.words.as_deref()
    }
    /// The citation of the row whose quote contains `words` (the first one, in id order);
    /// null when there are no words.
    async fn citation(&self) -> Option<&Citation> {
        self.citation.as_ref()
    }
    /// For DERIVED: how the value is derived, in a sentence; null otherwise.
    async fn derivation(&self) -> Option<&str> {
        self.derivation.as_deref()
    }
    /// For DERIVED: the values it is derived from; empty otherwise.
    async fn derived_from(&self) -> Vec<ValueRef> {
        decode_refs(self.derived_from.as_deref())
            .into_iter()
            .map(|r| ValueRef {
                typename: r.typename,
                key: r.key,
                field: r.field,
            })
            .collect()
    }
    /// For INFERRED: why the value was filled in although the source does not give it;
    /// null otherwise.
    async fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// The stored columns of a note or a share's provenance.
struct Stored<'a> {
    basis: Basis,
    qualifier: Option<Qualifier>,
    words: &'a Option<String>,
    derivation: &'a Option<String>,
    derived_from: &'a Option<String>,
    reason: &'a Option<String>,
}

impl Stored<'_> {
    fn into_provenance(self, field: &str, citations: &[Citation]) -> Provenance {
        let citation = self
            .words
            .as_deref()
            .and_then(|w| citations.iter().find(|c| c.0.quote.contains(w)).cloned());
        Provenance {
            field: field.to_owned(),
            basis: self.basis,
            qualifier: self.qualifier,
            words: self.words.clone(),
            derivation: self.derivation.clone(),
            derived_from: self.derived_from.clone(),
            reason: self.reason.clone(),
            citation,
        }
    }
}

/// The provenance of every value `node` holds, in the type's field order, optionally only
/// of `fields`. Notes are in `value_provenance` under `column`; `cited_by` is the row's
/// column in `citation` (none for sources, which cite nothing).
pub async fn provenance_of<M: Row + Values>(
    ctx: &Context<'_>,
    node: &Node<M>,
    column: value_provenance::Column,
    cited_by: Option<citation::Column>,
    fields: Option<Vec<String>>,
) -> Result<Vec<Provenance>> {
    let known = fields_of(M::TYPENAME).unwrap_or(&[]);
    if let Some(asked) = &fields
        && let Some(bad) = asked.iter().find(|f| !known.contains(&f.as_str()))
    {
        return Err(Error::invalid(
            "fields",
            format!(
                "{bad:?} is not a value of a {}: one of {}",
                M::TYPENAME,
                known.join(", ")
            ),
        )
        .into());
    }
    let notes: Vec<Node<value_provenance::Model>> =
        loaders::many::<M, value_provenance::Entity, _>(db(ctx)?, node, column).await?;
    let citations = match cited_by {
        Some(c) if notes.iter().any(|n| n.words.is_some()) => citations_of(ctx, node, c).await?,
        _ => Vec::new(),
    };
    Ok(node
        .present()
        .into_iter()
        .filter(|f| {
            fields
                .as_ref()
                .is_none_or(|asked| asked.iter().any(|a| a == f))
        })
        .map(|field| match notes.iter().find(|n| n.field == field) {
            Some(n) => Stored {
                basis: n.basis,
                qualifier: n.qualifier,
                words: &n.words,
                derivation: &n.derivation,
                derived_from: &n.derived_from,
                reason: &n.reason,
            }
            .into_provenance(field, &citations),
            None => Provenance {
                field: field.to_owned(),
                basis: Basis::Stated,
                qualifier: None,
                words: None,
                derivation: None,
                derived_from: None,
                reason: None,
                citation: None,
            },
        })
        .collect())
}

/// A share of a spending figure's amount the source states ("more than half of the
/// investment will be focused in the U.S."), with the fraction's bounds when it gives any.
pub struct Share {
    row: Node<figure_share::Model>,
    citations: Vec<Citation>,
}

/// A share of a spending figure's amount that the source states, with its bounds when the
/// source gives a number ("more than half": above 0.5) and none when it does not ("the
/// vast majority": no number is invented).
#[Object]
impl Share {
    /// What part of the whole: "in the U.S.", "on AI for Amazon Web Services".
    async fn part(&self) -> &str {
        &self.row.part
    }
    /// Lower bound of the fraction of the whole, from "0" to "1" ("0.5" for "more than
    /// half"); null when the source gives none.
    async fn fraction_low(&self) -> Option<Decimal> {
        self.row.low_bp.map(|bp| Decimal(bp_to_fraction(bp)))
    }
    /// Whether the share is strictly above `fractionLow` ("more than half").
    async fn low_exclusive(&self) -> bool {
        self.row.low_exclusive
    }
    /// Upper bound of the fraction of the whole; null when the source gives none.
    async fn fraction_high(&self) -> Option<Decimal> {
        self.row.high_bp.map(|bp| Decimal(bp_to_fraction(bp)))
    }
    /// Whether the share is strictly below `fractionHigh`.
    async fn high_exclusive(&self) -> bool {
        self.row.high_exclusive
    }
    /// The source's qualifier ("more than half" is MORE_THAN, "the vast majority" MOST).
    async fn qualifier(&self) -> Option<Qualifier> {
        self.row.qualifier
    }
    /// How the share is known: the source's words, or the derivation or inference.
    async fn provenance(&self) -> Provenance {
        let r = &self.row;
        Stored {
            basis: r.basis,
            qualifier: r.qualifier,
            words: &r.words,
            derivation: &r.derivation,
            derived_from: &r.derived_from,
            reason: &r.reason,
        }
        .into_provenance("fraction", &self.citations)
    }
}

/// The shares of figure `node`, in id order.
pub async fn shares_of(
    ctx: &Context<'_>,
    node: &Node<entity::spending_figure::Model>,
) -> Result<Vec<Share>> {
    let rows: Vec<Node<figure_share::Model>> = loaders::many::<_, figure_share::Entity, _>(
        db(ctx)?,
        node,
        figure_share::Column::SpendingFigureId,
    )
    .await?;
    let citations = if rows.iter().any(|r| r.words.is_some()) {
        citations_of(ctx, node, citation::Column::SpendingFigureId).await?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| Share {
            row,
            citations: citations.clone(),
        })
        .collect())
}
