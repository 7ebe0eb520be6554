//! One spending figure set against others, both ways (`fraction` and `times`), with the
//! figures left out and the reasons, so that an empty answer explains itself.

use async_graphql::{Context, Enum, SimpleObject};

use entity::enums::PeriodKind;
use entity::{citation, spending_figure};
use sea_orm::{ActiveEnum, ColumnTrait, Condition};

use super::SpendingFigure;
use super::summary::{YearFilter, figures_for_year};
use crate::analytics::{self, RatioBounds};
use crate::error::Error;
use crate::graphql::Result;
use crate::graphql::common::{Decimal, MoneyRange};
use crate::graphql::loaders::{Node, nodes_of};
use crate::graphql::node::global_id;
use crate::graphql::sources::{Citation, citations_of};
use crate::store;

/// Decimals of the ratios in comparisons.
pub const RATIO_DIGITS: u32 = 10;

/// Most figures one comparison may name in `figures`.
pub const MAX_NAMED_FIGURES: usize = 100;

/// A ratio between two amounts known as points, ranges or bounds: the lowest and highest
/// values consistent with both, each rounded half-up to 10 decimals. Equal ends for two exact
/// amounts.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct RatioRange {
    /// The lowest value consistent with both amounts; null when there is no lower end above
    /// zero (the divisor has no upper end, as "more than $100 billion").
    pub low: Option<Decimal>,
    /// True when the ratio is strictly above `low` (an amount is "more than" or "less than"
    /// its bound).
    pub low_exclusive: bool,
    /// The highest value consistent with both amounts; null when there is none (the
    /// dividend has no upper end, or the divisor no lower end).
    pub high: Option<Decimal>,
    /// True when the ratio is strictly below `high`.
    pub high_exclusive: bool,
}

impl From<RatioBounds> for RatioRange {
    fn from(r: RatioBounds) -> Self {
        RatioRange {
            low: r.low.map(Decimal),
            low_exclusive: r.low_exclusive,
            high: r.high.map(Decimal),
            high_exclusive: r.high_exclusive,
        }
    }
}

/// One figure set against another, both ways. Derived: neither ratio is stated by a source;
/// `citations` gives the sentences of both amounts.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct SpendingComparison {
    #[graphql(skip)]
    pub this: Node<spending_figure::Model>,
    /// The figure compared with.
    pub other: SpendingFigure,
    /// This figure's amount as a fraction of the other's (this / other): DeepSeek's claimed
    /// $5.6 million is 0.00007 of Microsoft's $80 billion.
    pub fraction: RatioRange,
    /// How many times this figure's amount fits into the other's (other / this): Microsoft's
    /// $80 billion is 14,285.7142857143 times DeepSeek's $5.6 million.
    pub times: RatioRange,
    /// How the ratios were computed, in words, with both amounts.
    pub derivation: String,
}

#[async_graphql::ComplexObject]
impl SpendingComparison {
    /// Same as `fraction.low`: this figure's lower end over the other's upper end.
    #[graphql(deprecation = "Use `fraction.low`; `times` gives the other direction.")]
    async fn ratio_low(&self) -> Option<&Decimal> {
        self.fraction.low.as_ref()
    }
    /// Same as `fraction.high`: this figure's upper end over the other's lower end.
    #[graphql(deprecation = "Use `fraction.high`; `times` gives the other direction.")]
    async fn ratio_high(&self) -> Option<&Decimal> {
        self.fraction.high.as_ref()
    }
    /// The source sentences of both figures compared: the ratios rest on them.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        let mut all = citations_of(ctx, &self.this, citation::Column::SpendingFigureId).await?;
        all.extend(citations_of(ctx, &self.other.0, citation::Column::SpendingFigureId).await?);
        Ok(all)
    }
}

/// Why a figure was not compared.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// It is the figure being compared.
    SameFigure,
    /// Its currency differs: amounts in two currencies are never divided.
    OtherCurrency,
}

/// A figure that was asked for (of the year, or named) but not compared.
#[derive(SimpleObject)]
pub struct SkippedFigure {
    /// The figure left out.
    pub figure: SpendingFigure,
    /// Why.
    pub reason: SkipReason,
    /// Why, in a sentence.
    pub explanation: String,
}

/// One figure compared with others: the comparisons, the figures left out and why, and what
/// a reader must know about them.
#[derive(SimpleObject)]
pub struct SpendingComparisons {
    /// The comparisons, in the other figures' id order.
    pub items: Vec<SpendingComparison>,
    /// Figures of the year or named in `figures` that were not compared, with the reason.
    pub skipped: Vec<SkippedFigure>,
    /// What a reader must know, in sentences: why nothing matched, figures that no year can
    /// include (an unspecified period), comparisons across categories, statuses or periods.
    pub notes: Vec<String>,
}

/// Which figures to compare with: those of a year, those named, or both.
pub(super) struct Others {
    pub(super) year: Option<YearFilter>,
    pub(super) named: Vec<i32>,
}

/// Compares `this` with the figures `others` selects.
pub(super) async fn compare(
    db: &sea_orm::DatabaseConnection,
    this: &Node<spending_figure::Model>,
    others: Others,
) -> crate::error::Result<SpendingComparisons> {
    if others.year.is_none() && others.named.is_empty() {
        return Err(Error::invalid(
            "year",
            "give `year`, `figures` or both: the figures to compare with",
        ));
    }
    let mut notes = Vec::new();
    let mut candidates = Vec::new();
    if let Some(filter) = &others.year {
        let of_year = figures_for_year(db, filter).await?;
        if of_year.iter().all(|f| f.id == this.id) {
            notes.extend(nothing_in_year(db, this, filter).await?);
        }
        candidates.extend(of_year);
    }
    if !others.named.is_empty() {
        let named = store::list::<spending_figure::Entity>(
            db,
            Condition::all().add(spending_figure::Column::Id.is_in(others.named.clone())),
        )
        .await?;
        if let Some(missing) = others
            .named
            .iter()
            .find(|id| !named.iter().any(|f| f.id == **id))
        {
            return Err(Error::invalid(
                "figures",
                format!(
                    "no spending figure has the id {}",
                    global_id::<SpendingFigure>(*missing).as_str()
                ),
            ));
        }
        for f in named {
            if !candidates
                .iter()
                .any(|c: &spending_figure::Model| c.id == f.id)
            {
                candidates.push(f);
            }
        }
    }
    candidates.sort_by_key(|f| f.id);

    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for other in nodes_of(candidates) {
        let skip = if other.id == this.id {
            Some((
                SkipReason::SameFigure,
                "It is the figure being compared.".to_owned(),
            ))
        } else if other.currency != this.currency {
            Some((
                SkipReason::OtherCurrency,
                format!(
                    "Its amount is in {}, this figure's in {}: amounts in two currencies are never divided.",
                    other.currency, this.currency
                ),
            ))
        } else {
            None
        };
        match skip {
            Some((reason, explanation)) => skipped.push(SkippedFigure {
                figure: SpendingFigure(other),
                reason,
                explanation,
            }),
            None => items.push(comparison(this, other)),
        }
    }
    notes.extend(unlike(this, &items));
    Ok(SpendingComparisons {
        items,
        skipped,
        notes,
    })
}

fn comparison(
    this: &Node<spending_figure::Model>,
    other: Node<spending_figure::Model>,
) -> SpendingComparison {
    let fraction = RatioRange::from(analytics::ratio_bounds(this, &other, RATIO_DIGITS));
    let times = RatioRange::from(analytics::ratio_bounds(&other, this, RATIO_DIGITS));
    let derivation = format!(
        "fraction = {this_ref} / {other_ref} and times = {other_ref} / {this_ref}, with \
         {this_ref} {this_amount} and {other_ref} {other_amount}; each end takes the bounds that \
         make it lowest or highest, rounded half-up to {RATIO_DIGITS} decimals",
        this_ref = reference(this),
        other_ref = reference(&other),
        this_amount = MoneyRange::of_figure(this).words(),
        other_amount = MoneyRange::of_figure(&other).words(),
    );
    SpendingComparison {
        this: this.clone(),
        fraction,
        times,
        derivation,
        other: SpendingFigure(other),
    }
}

/// Why a year gave no figure to compare with, and the figures that match everything but
/// have no year.
async fn nothing_in_year(
    db: &sea_orm::DatabaseConnection,
    this: &spending_figure::Model,
    filter: &YearFilter,
) -> crate::error::Result<Vec<String>> {
    use spending_figure::Column as C;
    let mut notes = vec![format!(
        "No other figure is labelled with year {} among categories {} and statuses {}.",
        filter.year,
        names(&filter.categories),
        names(&filter.statuses),
    )];
    let yearless = store::list::<spending_figure::Entity>(
        db,
        Condition::all()
            .add(C::PeriodYear.is_null())
            .add(C::Category.is_in(filter.categories.clone()))
            .add(C::Status.is_in(filter.statuses.clone())),
    )
    .await?;
    for f in yearless.iter().filter(|f| f.id != this.id) {
        notes.push(format!(
            "Figure {} matches the categories and statuses, but its period is {}, so no year \
             includes it: name it in `figures` to compare with it.",
            reference(f),
            analytics::period_label(f),
        ));
    }
    Ok(notes)
}

/// Notes on comparisons of unlike figures: other categories, statuses or periods.
fn unlike(this: &spending_figure::Model, items: &[SpendingComparison]) -> Vec<String> {
    let mut notes = Vec::new();
    // A note on the others that `same` tells apart from this figure, when there are any;
    // `say` writes it from their references.
    let mut note = |same: &dyn Fn(&spending_figure::Model) -> bool,
                    say: &dyn Fn(String) -> String| {
        let others: Vec<String> = items
            .iter()
            .filter(|c| !same(&c.other.0))
            .map(|c| reference(&c.other.0))
            .collect();
        if !others.is_empty() {
            notes.push(say(others.join(", ")));
        }
    };
    note(&|o| o.category == this.category, &|others| {
        format!(
            "{} measures {}, unlike {others}: the ratios compare amounts, not like with like.",
            reference(this),
            this.category.to_value(),
        )
    });
    note(&|o| o.status == this.status, &|others| {
        format!(
            "{} is {}, unlike {others}: a ratio between a {} figure and others of another status.",
            reference(this),
            this.status.to_value(),
            this.status.to_value().to_lowercase(),
        )
    });
    note(
        &|o| o.period_kind == this.period_kind && o.period_years == this.period_years,
        &|others| {
            let this_period = if this.period_kind == PeriodKind::Unspecified {
                format!("{}'s period is unspecified", reference(this))
            } else {
                format!(
                    "{} covers {}",
                    reference(this),
                    analytics::period_label(this)
                )
            };
            format!(
                "{this_period}, unlike the periods of {others}: the amounts may be over different spans of time."
            )
        },
    );
    notes
}

/// A figure's reference, or its global id when it has none.
fn reference(f: &spending_figure::Model) -> String {
    f.reference
        .clone()
        .unwrap_or_else(|| global_id::<SpendingFigure>(f.id).to_string())
}

/// Enum values by their GraphQL names: `[CAPITAL_EXPENDITURE]`.
fn names<T: ActiveEnum<Value = String> + Copy>(values: &[T]) -> String {
    let names: Vec<String> = values.iter().map(|v| v.to_value()).collect();
    format!("[{}]", names.join(", "))
}
