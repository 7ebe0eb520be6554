//! The filter inputs of scalar fields (text, numbers, dates, money, booleans, enums) and
//! the conditions they make.

use async_graphql::{InputObject, InputType};
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, ExprTrait};

use crate::data::filters::{
    Builder, MAX_FILTER_TEXT, MAX_FOLDED_LETTERS, Ops, compare, fold_sql, fold_text, like_literal,
    null_check, pair, pairs_for,
};
use crate::data::sql::{bytewise, custom};
use crate::error::{Error, Result};
use crate::graphql::common::{Date, Decimal};
use crate::money;

/// Declares the filter input of an ordered scalar (`$name`, over values of `$ty`), one
/// line per operator with its description, in the order the SDL shows them; `isNull` is
/// described here, the same for every type, and a text's `patterns` come before
/// `between`. With it, `ops`: the operators as [`compare`] takes them.
macro_rules! ordered_filter {
    (
        $(#[$meta:meta])*
        $name:ident($ty:ty) {
            eq: $eq:literal,
            ne: $ne:literal,
            gt: $gt:literal,
            gte: $gte:literal,
            lt: $lt:literal,
            lte: $lte:literal,
            in_list: $in_list:literal,
            not_in: $not_in:literal,
            $(patterns {
                $($pattern:ident: $pattern_doc:literal,)*
            })?
            between: $between:literal,
        }
    ) => {
        $(#[$meta])*
        #[derive(InputObject, Default, Clone)]
        pub struct $name {
            #[doc = $eq]
            pub eq: Option<$ty>,
            #[doc = $ne]
            pub ne: Option<$ty>,
            #[doc = $gt]
            pub gt: Option<$ty>,
            #[doc = $gte]
            pub gte: Option<$ty>,
            #[doc = $lt]
            pub lt: Option<$ty>,
            #[doc = $lte]
            pub lte: Option<$ty>,
            #[doc = $in_list]
            #[graphql(name = "in")]
            pub in_list: Option<Vec<$ty>>,
            #[doc = $not_in]
            pub not_in: Option<Vec<$ty>>,
            /// True: the field is null; false: it is not.
            pub is_null: Option<bool>,
            $($(
                #[doc = $pattern_doc]
                pub $pattern: Option<$ty>,
            )*)?
            #[doc = $between]
            pub between: Option<Vec<$ty>>,
        }

        impl $name {
            /// The comparison operators given, as [`compare`] takes them.
            fn ops(&self) -> Ops<'_, $ty> {
                Ops {
                    eq: &self.eq,
                    ne: &self.ne,
                    gt: &self.gt,
                    gte: &self.gte,
                    lt: &self.lt,
                    lte: &self.lte,
                    in_list: &self.in_list,
                    not_in: &self.not_in,
                    between: &self.between,
                    is_null: self.is_null,
                }
            }
        }
    };
}

ordered_filter! {
    /// Conditions on a text field.
    StringFilter(String) {
        eq: "Equal to this text, exactly (case-sensitive).",
        ne: "Not equal to this text (case-sensitive); rows where the field is null do not match.",
        gt: "After this text in byte (code point) order.",
        gte: "This text or after it.",
        lt: "Before this text in byte (code point) order.",
        lte: "This text or before it.",
        in_list: "One of these texts, exactly.",
        not_in: "None of these texts.",
        patterns {
            contains: "Contains this text, ignoring case.",
            starts_with: "Starts with this text, ignoring case.",
            ends_with: "Ends with this text, ignoring case.",
        }
        between: "Between the two texts given, both included.",
    }
}

ordered_filter! {
    /// Conditions on an integer field.
    IntFilter(i32) {
        eq: "Equal to.",
        ne: "Not equal to; rows where the field is null do not match.",
        gt: "Greater than.",
        gte: "Greater than or equal to.",
        lt: "Less than.",
        lte: "Less than or equal to.",
        in_list: "One of these values.",
        not_in: "None of these values.",
        between: "Between the two values given, both included.",
    }
}

ordered_filter! {
    /// Conditions on a date field (the stored date: the first day of its span when only a
    /// month, quarter or year is known).
    DateFilter(Date) {
        eq: "On this date.",
        ne: "Not on this date; rows where the field is null do not match.",
        gt: "After this date.",
        gte: "On or after this date.",
        lt: "Before this date.",
        lte: "On or before this date.",
        in_list: "On one of these dates.",
        not_in: "On none of these dates.",
        between: "Between the two dates given, both included.",
    }
}

/// Conditions on an amount of money. Amounts compare exactly, in one currency: `currency`
/// is required, and rows in another currency never match.
#[derive(InputObject, Clone)]
pub struct MoneyFilter {
    /// ISO 4217 code the amounts below are in; only rows in this currency match. Required
    /// with every comparison.
    pub currency: Option<String>,
    /// True: the amount is unknown (null); false: it is known.
    pub is_null: Option<bool>,
    /// Equal to.
    pub eq: Option<Decimal>,
    /// Not equal to.
    pub ne: Option<Decimal>,
    /// Greater than.
    pub gt: Option<Decimal>,
    /// Greater than or equal to.
    pub gte: Option<Decimal>,
    /// Less than.
    pub lt: Option<Decimal>,
    /// Less than or equal to.
    pub lte: Option<Decimal>,
    /// Between the two amounts given, both included.
    pub between: Option<Vec<Decimal>>,
}

/// Conditions on a true/false field.
#[derive(InputObject, Default, Clone)]
pub struct BooleanFilter {
    /// Equal to.
    pub eq: Option<bool>,
}

/// Conditions on an enumeration field.
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "CompanyKindFilter", params(entity::enums::CompanyKind)))]
#[graphql(concrete(name = "ModelKindFilter", params(entity::enums::ModelKind)))]
#[graphql(concrete(name = "BackerRoleFilter", params(entity::enums::BackerRole)))]
#[graphql(concrete(
    name = "SpendingCategoryFilter",
    params(entity::enums::SpendingCategory)
))]
#[graphql(concrete(name = "SpendingStatusFilter", params(entity::enums::SpendingStatus)))]
#[graphql(concrete(name = "AmountBoundFilter", params(entity::enums::AmountBound)))]
#[graphql(concrete(name = "PeriodKindFilter", params(entity::enums::PeriodKind)))]
#[graphql(concrete(name = "ClaimKindFilter", params(entity::enums::ClaimKind)))]
#[graphql(concrete(name = "ClaimStatusFilter", params(entity::enums::ClaimStatus)))]
#[graphql(concrete(name = "ChallengeKindFilter", params(entity::enums::ChallengeKind)))]
#[graphql(concrete(name = "EventKindFilter", params(entity::enums::EventKind)))]
pub struct EnumFilter<T: InputType + sea_orm::ActiveEnum> {
    /// Equal to.
    pub eq: Option<T>,
    /// Not equal to.
    pub ne: Option<T>,
    /// One of these values.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<T>>,
    /// None of these values.
    pub not_in: Option<Vec<T>>,
}

impl StringFilter {
    /// Refuses texts longer than [`MAX_FILTER_TEXT`], naming the operator.
    fn check_lengths(&self, field: &str) -> Result<()> {
        let singles = [
            ("eq", &self.eq),
            ("ne", &self.ne),
            ("gt", &self.gt),
            ("gte", &self.gte),
            ("lt", &self.lt),
            ("lte", &self.lte),
            ("contains", &self.contains),
            ("startsWith", &self.starts_with),
            ("endsWith", &self.ends_with),
        ];
        let lists = [
            ("in", &self.in_list),
            ("notIn", &self.not_in),
            ("between", &self.between),
        ];
        let texts = singles
            .iter()
            .filter_map(|(op, v)| v.as_ref().map(|t| (*op, t)))
            .chain(
                lists
                    .iter()
                    .flat_map(|(op, v)| v.iter().flatten().map(move |t| (*op, t))),
            );
        for (op, text) in texts {
            if text.chars().count() > MAX_FILTER_TEXT {
                return Err(Error::invalid(
                    format!("{field}.{op}"),
                    format!("texts to compare with are at most {MAX_FILTER_TEXT} characters"),
                ));
            }
        }
        Ok(())
    }

    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        self.check_lengths(field)?;
        // Order comparisons by bytes on both engines, like the ordering of lists.
        let ordered = bytewise(column.clone(), b.backend);
        let mut c = compare(b, &ordered, self.ops(), field)?;
        let patterns = [
            (&self.contains, "%{}%"),
            (&self.starts_with, "{}%"),
            (&self.ends_with, "%{}"),
        ];
        for (value, shape) in patterns {
            if let Some(text) = value {
                let folded_text = fold_text(text);
                let letters = pairs_for(&folded_text).len();
                if letters > MAX_FOLDED_LETTERS {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "a text pattern may hold at most {MAX_FOLDED_LETTERS} distinct \
                             letters outside ASCII"
                        ),
                    ));
                }
                // The same count on both engines, so that both refuse the same filters.
                b.count(1 + letters)?;
                let pattern = shape.replace("{}", &like_literal(&folded_text));
                let folded = fold_sql(column.clone(), b.backend, &folded_text);
                c = c.add(custom(
                    b.backend,
                    "$1 LIKE $2 ESCAPE '\\'",
                    &[folded, Expr::val(pattern)],
                ));
            }
        }
        Ok(c)
    }
}

impl IntFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        compare(b, &column, self.ops(), field)
    }
}

impl DateFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        compare(b, &column, self.ops(), field)
    }
}

impl MoneyFilter {
    fn compares(&self) -> bool {
        self.eq.is_some()
            || self.ne.is_some()
            || self.gt.is_some()
            || self.gte.is_some()
            || self.lt.is_some()
            || self.lte.is_some()
            || self.between.is_some()
    }

    /// Conditions on the minor-unit `amount` column beside its `currency` column.
    pub fn condition(
        &self,
        b: &mut Builder,
        amount: Expr,
        currency: Expr,
        field: &str,
    ) -> Result<Condition> {
        let mut c = Condition::all();
        if let Some(null) = self.is_null {
            c = c.add(null_check(b, &amount, null)?);
        }
        let Some(code) = &self.currency else {
            if self.compares() {
                return Err(Error::invalid(
                    format!("{field}.currency"),
                    "amounts compare within one currency: give `currency`",
                ));
            }
            return Ok(c);
        };
        money::minor_digits(code).map_err(|_| {
            Error::invalid(
                format!("{field}.currency"),
                format!("{code:?} is not a supported ISO 4217 code"),
            )
        })?;
        let parse = |v: &Option<Decimal>, op: &str| -> Result<Option<i64>> {
            v.as_ref()
                .map(|d| money::parse_amount(&d.0, code, &format!("{field}.{op}")))
                .transpose()
        };
        let between = match &self.between {
            None => None,
            Some(values) => {
                let (low, high) = pair(values, &format!("{field}.between"))?;
                Some(vec![
                    money::parse_amount(&low.0, code, &format!("{field}.between"))?,
                    money::parse_amount(&high.0, code, &format!("{field}.between"))?,
                ])
            }
        };
        b.count(1)?;
        let compared = compare(
            b,
            &amount,
            Ops {
                eq: &parse(&self.eq, "eq")?,
                ne: &parse(&self.ne, "ne")?,
                gt: &parse(&self.gt, "gt")?,
                gte: &parse(&self.gte, "gte")?,
                lt: &parse(&self.lt, "lt")?,
                lte: &parse(&self.lte, "lte")?,
                in_list: &None,
                not_in: &None,
                between: &between,
                is_null: None,
            },
            field,
        )?;
        Ok(c.add(compared).add(currency.eq(code.clone())))
    }
}

impl BooleanFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, _field: &str) -> Result<Condition> {
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            b.count(1)?;
            c = c.add(column.eq(v));
        }
        Ok(c)
    }
}

impl<T> EnumFilter<T>
where
    T: InputType + sea_orm::ActiveEnum + Clone + Into<sea_orm::Value>,
{
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        let ops = Ops {
            eq: &self.eq,
            ne: &self.ne,
            gt: &None,
            gte: &None,
            lt: &None,
            lte: &None,
            in_list: &self.in_list,
            not_in: &self.not_in,
            between: &None,
            is_null: None,
        };
        compare(b, &column, ops, field)
    }
}
