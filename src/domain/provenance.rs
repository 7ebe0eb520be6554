//! Provenance of structured values: whether the source states a value (in which words),
//! derives it (how, from which values) or leaves it to inference (why), and the source's
//! qualifier ("late", "more than") as a field. Also the shares of a figure's whole.
//!
//! A value with no note is stated by its row's citations. Notes are checked here for
//! every write path (dataset load and import, mutations): the field must be a value of its
//! row type that the row holds; `words` must appear verbatim in one of the row's citation
//! quotes; a qualifier needs words that contain it; DERIVED needs a derivation and the
//! values it comes from; INFERRED needs a reason.

use std::collections::BTreeMap;

use entity::enums::{Basis, PeriodKind, Qualifier};
use entity::{
    ai_model, claim, event, figure_share, investment, project, source, spending_figure,
    value_provenance,
};
use sea_orm::Set;
use serde::{Deserialize, Serialize};

use super::values::{decimal, limits, text};
use crate::error::{Error, Result};

/// The row types whose structured values carry provenance, by GraphQL type name, with the
/// fields of their values (as the GraphQL types name them).
pub const VALUE_FIELDS: &[(&str, &[&str])] = &[
    ("Source", &["published"]),
    ("AiModel", &["announced", "expected"]),
    ("Investment", &["amount", "made"]),
    ("Project", &["plannedAmount", "horizonYears", "announced"]),
    (
        "SpendingFigure",
        &[
            "amount",
            "period",
            "period.start",
            "period.end",
            "stated",
            "expectation",
        ],
    ),
    ("Claim", &["amount", "made"]),
    ("Event", &["occurred"]),
];

/// The value fields of GraphQL type `typename`, or none.
pub fn fields_of(typename: &str) -> Option<&'static [&'static str]> {
    VALUE_FIELDS
        .iter()
        .find(|(t, _)| *t == typename)
        .map(|(_, f)| *f)
}

/// How a value is known, as the dataset format writes it (`provenance` of a record, keyed
/// by field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvenanceRec {
    pub basis: Basis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Qualifier>,
    /// The source's exact words for the value, part of one of the row's citation quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<ValueRefRec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A value another is derived from: its row's type, natural key (a ref, a name, a source's
/// key) and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRefRec {
    #[serde(rename = "type")]
    pub typename: String,
    pub key: String,
    pub field: String,
}

/// Notes of a record, by field.
pub type Notes = BTreeMap<String, ProvenanceRec>;

/// A share of a figure's whole, as the dataset format writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShareRec {
    /// What part of the whole: "in the U.S.", "on AI for Amazon Web Services".
    pub part: String,
    /// Lower bound of the fraction of the whole ("0.5"); absent when the source gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction_low: Option<String>,
    #[serde(default)]
    pub low_exclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction_high: Option<String>,
    #[serde(default)]
    pub high_exclusive: bool,
    pub provenance: ProvenanceRec,
}

/// A checked note, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceColumns {
    pub basis: Basis,
    pub qualifier: Option<Qualifier>,
    pub words: Option<String>,
    pub derivation: Option<String>,
    pub derived_from: Option<String>,
    pub reason: Option<String>,
}

/// A checked share, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareColumns {
    pub part: String,
    pub low_bp: Option<i32>,
    pub low_exclusive: bool,
    pub high_bp: Option<i32>,
    pub high_exclusive: bool,
    pub provenance: ProvenanceColumns,
}

/// The provenance columns that a stored note (`value_provenance`) and a stored share
/// (`figure_share`) both have: read from either model, set on either active model.
macro_rules! stored_provenance {
    ($($entity:ident),*) => {$(
        impl From<&$entity::Model> for ProvenanceColumns {
            fn from(m: &$entity::Model) -> Self {
                ProvenanceColumns {
                    basis: m.basis,
                    qualifier: m.qualifier,
                    words: m.words.clone(),
                    derivation: m.derivation.clone(),
                    derived_from: m.derived_from.clone(),
                    reason: m.reason.clone(),
                }
            }
        }

        impl ProvenanceSetOn<$entity::ActiveModel> for ProvenanceColumns {
            fn set_on(self, active: &mut $entity::ActiveModel) {
                active.basis = Set(self.basis);
                active.qualifier = Set(self.qualifier);
                active.words = Set(self.words);
                active.derivation = Set(self.derivation);
                active.derived_from = Set(self.derived_from);
                active.reason = Set(self.reason);
            }
        }
    )*};
}

/// Sets the provenance columns on an active model of a note or a share.
pub trait ProvenanceSetOn<A> {
    fn set_on(self, active: &mut A);
}

stored_provenance!(value_provenance, figure_share);

impl From<&figure_share::Model> for ShareColumns {
    fn from(m: &figure_share::Model) -> Self {
        ShareColumns {
            part: m.part.clone(),
            low_bp: m.low_bp,
            low_exclusive: m.low_exclusive,
            high_bp: m.high_bp,
            high_exclusive: m.high_exclusive,
            provenance: ProvenanceColumns::from(m),
        }
    }
}

impl ShareColumns {
    /// The new row of this share of figure `figure_id`.
    pub fn into_active(self, figure_id: i32) -> figure_share::ActiveModel {
        let mut active = figure_share::ActiveModel {
            spending_figure_id: Set(figure_id),
            part: Set(self.part),
            low_bp: Set(self.low_bp),
            low_exclusive: Set(self.low_exclusive),
            high_bp: Set(self.high_bp),
            high_exclusive: Set(self.high_exclusive),
            ..Default::default()
        };
        self.provenance.set_on(&mut active);
        active
    }
}

/// A stored note as the dataset format writes it.
impl From<ProvenanceColumns> for ProvenanceRec {
    fn from(c: ProvenanceColumns) -> Self {
        ProvenanceRec {
            basis: c.basis,
            qualifier: c.qualifier,
            words: c.words,
            derivation: c.derivation,
            derived_from: decode_refs(c.derived_from.as_deref()),
            reason: c.reason,
        }
    }
}

/// A stored share as the dataset format writes it.
impl From<ShareColumns> for ShareRec {
    fn from(s: ShareColumns) -> Self {
        ShareRec {
            part: s.part,
            fraction_low: s.low_bp.map(bp_to_fraction),
            low_exclusive: s.low_exclusive,
            fraction_high: s.high_bp.map(bp_to_fraction),
            high_exclusive: s.high_exclusive,
            provenance: s.provenance.into(),
        }
    }
}

/// The words by which a source writes each qualifier, lower case: a qualifier's `words`
/// contain one of them.
pub fn markers(q: Qualifier) -> &'static [&'static str] {
    match q {
        Qualifier::Early => &["early"],
        Qualifier::Mid => &["mid"],
        Qualifier::Late => &["late"],
        Qualifier::About => &[
            "about",
            "around",
            "roughly",
            "approximately",
            "nearly",
            "some ",
        ],
        Qualifier::MoreThan => &["more than", "over", "greater than", "above"],
        Qualifier::LessThan => &["less than", "under", "below", "fewer than"],
        Qualifier::AtLeast => &["at least"],
        Qualifier::AtMost => &["at most", "no more than"],
        Qualifier::UpTo => &["up to"],
        Qualifier::Most => &["most", "majority"],
    }
}

/// Checks a note of value `field` of a row of type `typename`; `present` are the fields
/// the row holds a value for, `quotes` its citations' quotes; errors name `{at}.…`.
pub fn check_note(
    at: &str,
    typename: &str,
    field: &str,
    present: &[&str],
    quotes: &[&str],
    note: &ProvenanceRec,
) -> Result<ProvenanceColumns> {
    let fields = fields_of(typename).unwrap_or(&[]);
    if !fields.contains(&field) {
        return Err(Error::invalid(
            at,
            format!(
                "{field:?} is not a value of a {typename}: one of {}",
                fields.join(", ")
            ),
        ));
    }
    if !present.contains(&field) {
        return Err(Error::invalid(
            at,
            format!("the {typename} holds no {field} to note"),
        ));
    }
    check_basis(at, quotes, note)
}

/// The rules of a note on its own: words in a quote, qualifier in the words, what each
/// basis needs.
pub fn check_basis(at: &str, quotes: &[&str], note: &ProvenanceRec) -> Result<ProvenanceColumns> {
    let words = match &note.words {
        None => None,
        Some(w) => {
            let w = text(&format!("{at}.words"), w, limits::QUOTE)?;
            if !quotes.iter().any(|q| q.contains(w.as_str())) {
                return Err(Error::invalid(
                    format!("{at}.words"),
                    format!("{w:?} appears in none of the row's citation quotes"),
                ));
            }
            Some(w)
        }
    };
    if let Some(q) = note.qualifier {
        let lower = words.as_deref().map(str::to_lowercase);
        let found = lower
            .as_deref()
            .is_some_and(|w| markers(q).iter().any(|m| w.contains(m)));
        if !found {
            return Err(Error::invalid(
                format!("{at}.qualifier"),
                format!(
                    "{q:?} needs `words` that write it (one of {:?})",
                    markers(q)
                ),
            ));
        }
    }
    let opt = |name: &str, v: &Option<String>| -> Result<Option<String>> {
        v.as_deref()
            .map(|v| text(&format!("{at}.{name}"), v, limits::DESCRIPTION))
            .transpose()
    };
    let derivation = opt("derivation", &note.derivation)?;
    let reason = opt("reason", &note.reason)?;
    for (i, r) in note.derived_from.iter().enumerate() {
        check_ref(&format!("{at}.derivedFrom[{i}]"), r)?;
    }
    let refuse =
        |name: &str, why: &str| Err(Error::invalid(format!("{at}.{name}"), why.to_string()));
    match note.basis {
        Basis::Stated => {
            if derivation.is_some() || !note.derived_from.is_empty() || reason.is_some() {
                return refuse(
                    "basis",
                    "a STATED value has no derivation, derivedFrom or reason: the citation states it",
                );
            }
        }
        Basis::Derived => {
            if derivation.is_none() {
                return refuse(
                    "derivation",
                    "a DERIVED value needs its derivation, in a sentence",
                );
            }
            if note.derived_from.is_empty() {
                return refuse(
                    "derivedFrom",
                    "a DERIVED value needs the values it is derived from",
                );
            }
            if reason.is_some() {
                return refuse("reason", "a DERIVED value has a derivation, not a reason");
            }
        }
        Basis::Inferred => {
            if reason.is_none() {
                return refuse(
                    "reason",
                    "an INFERRED value needs the reason for the inference",
                );
            }
        }
    }
    Ok(ProvenanceColumns {
        basis: note.basis,
        qualifier: note.qualifier,
        words,
        derivation,
        derived_from: encode_refs(&note.derived_from),
        reason,
    })
}

fn check_ref(at: &str, r: &ValueRefRec) -> Result<()> {
    let Some(fields) = fields_of(&r.typename) else {
        let types: Vec<&str> = VALUE_FIELDS.iter().map(|(t, _)| *t).collect();
        return Err(Error::invalid(
            format!("{at}.type"),
            format!("{:?} is not one of {}", r.typename, types.join(", ")),
        ));
    };
    text(&format!("{at}.key"), &r.key, limits::NAME)?;
    if r.key.contains(['\t', '\n']) {
        return Err(Error::invalid(
            format!("{at}.key"),
            "no tabs or line breaks",
        ));
    }
    if !fields.contains(&r.field.as_str()) {
        return Err(Error::invalid(
            format!("{at}.field"),
            format!(
                "{:?} is not a value of a {}: one of {}",
                r.field,
                r.typename,
                fields.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The stored form of references: one per line, type, key and field tab-separated.
pub fn encode_refs(refs: &[ValueRefRec]) -> Option<String> {
    (!refs.is_empty()).then(|| {
        refs.iter()
            .map(|r| format!("{}\t{}\t{}", r.typename, r.key, r.field))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// References from their stored form.
pub fn decode_refs(stored: Option<&str>) -> Vec<ValueRefRec> {
    stored
        .unwrap_or("")
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            Some(ValueRefRec {
                typename: parts.next()?.to_owned(),
                key: parts.next()?.to_owned(),
                field: parts.next()?.to_owned(),
            })
        })
        .collect()
}

/// A fraction of a whole from 0 to 1 with at most four decimals ("0.5"), in basis points.
pub fn fraction_to_bp(at: &str, value: &str) -> Result<i32> {
    let bad = || {
        Error::invalid(
            at,
            format!(
                "{value:?} is not a fraction from 0 to 1 with at most four decimals, such as \"0.5\""
            ),
        )
    };
    let (whole, decimals) = decimal(value, 4)
        .filter(|(whole, _)| whole.len() == 1)
        .ok_or_else(bad)?;
    let bp: i32 = format!("{whole}{decimals:0<4}")
        .parse()
        .map_err(|_| bad())?;
    if bp > 10_000 {
        return Err(bad());
    }
    Ok(bp)
}

/// Basis points of a whole as a fraction: 5000 -> "0.5".
pub fn bp_to_fraction(bp: i32) -> String {
    let text = format!("{}.{:04}", bp / 10_000, bp % 10_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Checks a share of a figure whose citations' quotes are `quotes`.
pub fn check_share(at: &str, quotes: &[&str], s: &ShareRec) -> Result<ShareColumns> {
    let part = text(&format!("{at}.part"), &s.part, limits::SHORT)?;
    let low = s
        .fraction_low
        .as_deref()
        .map(|v| fraction_to_bp(&format!("{at}.fractionLow"), v))
        .transpose()?;
    let high = s
        .fraction_high
        .as_deref()
        .map(|v| fraction_to_bp(&format!("{at}.fractionHigh"), v))
        .transpose()?;
    if let (Some(l), Some(h)) = (low, high)
        && l > h
    {
        return Err(Error::invalid(
            format!("{at}.fractionHigh"),
            "is below fractionLow",
        ));
    }
    if (s.low_exclusive && low.is_none()) || (s.high_exclusive && high.is_none()) {
        return Err(Error::invalid(
            at,
            "lowExclusive and highExclusive need the bound they exclude",
        ));
    }
    let provenance = check_basis(&format!("{at}.provenance"), quotes, &s.provenance)?;
    Ok(ShareColumns {
        part,
        low_bp: low,
        low_exclusive: s.low_exclusive,
        high_bp: high,
        high_exclusive: s.high_exclusive,
        provenance,
    })
}

/// The value fields a row holds (non-null values).
pub trait Values {
    /// The row's GraphQL type name.
    const TYPENAME: &'static str;
    /// The column of `value_provenance` that names a row of this type.
    const COLUMN: entity::value_provenance::Column;
    fn present(&self) -> Vec<&'static str>;
}

/// Declares [`Values`] for row types, one entry per type: its model, GraphQL type name and
/// `value_provenance` column, then each value field with whether row `r` holds it.
macro_rules! values {
    ($($module:ident: $typename:literal, $column:ident, |$r:ident| { $($field:literal: $held:expr,)* })*) => {$(
        impl Values for $module::Model {
            const TYPENAME: &'static str = $typename;
            const COLUMN: entity::value_provenance::Column =
                entity::value_provenance::Column::$column;
            fn present(&self) -> Vec<&'static str> {
                let $r = self;
                [$(($field, $held)),*]
                    .into_iter()
                    .filter(|(_, held)| *held)
                    .map(|(field, _)| field)
                    .collect()
            }
        }
    )*};
}

values! {
    source: "Source", SourceId, |r| {
        "published": r.published_on.is_some(),
    }
    ai_model: "AiModel", AiModelId, |r| {
        "announced": r.announced_on.is_some(),
        "expected": r.expected_on.is_some(),
    }
    investment: "Investment", InvestmentId, |r| {
        "amount": r.amount_minor.is_some(),
        "made": r.made_on.is_some(),
    }
    project: "Project", ProjectId, |r| {
        "plannedAmount": r.planned_amount_minor.is_some(),
        "horizonYears": r.horizon_years.is_some(),
        "announced": r.announced_on.is_some(),
    }
    spending_figure: "SpendingFigure", SpendingFigureId, |r| {
        "amount": true,
        "period": r.period_kind != PeriodKind::Unspecified,
        "period.start": r.period_start.is_some(),
        "period.end": r.period_end.is_some(),
        "stated": r.stated_on.is_some(),
        "expectation": r.above_expectation_bp.is_some(),
    }
    claim: "Claim", ClaimId, |r| {
        "amount": r.amount_minor.is_some(),
        "made": r.made_on.is_some(),
    }
    event: "Event", EventId, |r| {
        "occurred": r.occurred_on.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_read_in_basis_points() {
        assert_eq!(fraction_to_bp("f", "0.5").ok(), Some(5000));
        assert_eq!(fraction_to_bp("f", "1").ok(), Some(10_000));
        assert_eq!(fraction_to_bp("f", "0.1234").ok(), Some(1234));
        for bad in ["1.5", "0.12345", ".5", "5.", "-0.1", "10"] {
            assert!(fraction_to_bp("f", bad).is_err(), "{bad}");
        }
        assert_eq!(bp_to_fraction(5000), "0.5");
        assert_eq!(bp_to_fraction(10_000), "1");
        assert_eq!(bp_to_fraction(0), "0");
    }

    #[test]
    fn references_survive_their_stored_form() {
        let refs = vec![ValueRefRec {
            typename: "Source".into(),
            key: "ai capex".into(),
            field: "published".into(),
        }];
        assert_eq!(decode_refs(encode_refs(&refs).as_deref()), refs);
    }
}
