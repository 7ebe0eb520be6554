//! The filter inputs of scalar fields (text, numbers, dates, money, booleans, enums) and
//! the conditions they make.

use async_graphql::{InputObject, InputType};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, ExprTrait};

use crate::data::filters::{
    Builder, MAX_FILTER_TEXT, MAX_FOLDED_LETTERS, Ops, compare, fold_sql, fold_text, like_literal,
    pair, pairs_for,
};
use crate::data::sql::{bytewise, custom};
use crate::error::{Error, Result};
use crate::graphql::common::{Date, Decimal};
use crate::money;

/// Conditions on a text field.
#[derive(InputObject, Default, Clone)]
pub struct StringFilter {
    /// Equal to this text, exactly (case-sensitive).
    pub eq: Option<String>,
    /// Not equal to this text (case-sensitive); rows where the field is null do not match.
    pub ne: Option<String>,
    /// After this text in byte (code point) order.
    pub gt: Option<String>,
    /// This text or after it.
    pub gte: Option<String>,
    /// Before this text in byte (code point) order.
    pub lt: Option<String>,
    /// This text or before it.
    pub lte: Option<String>,
    /// One of these texts, exactly.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<String>>,
    /// None of these texts.
    pub not_in: Option<Vec<String>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Contains this text, ignoring case.
    pub contains: Option<String>,
    /// Starts with this text, ignoring case.
    pub starts_with: Option<String>,
    /// Ends with this text, ignoring case.
    pub ends_with: Option<String>,
    /// Between the two texts given, both included.
    pub between: Option<Vec<String>>,
}

/// Conditions on an integer field.
#[derive(InputObject, Default, Clone)]
pub struct IntFilter {
    /// Equal to.
    pub eq: Option<i32>,
    /// Not equal to; rows where the field is null do not match.
    pub ne: Option<i32>,
    /// Greater than.
    pub gt: Option<i32>,
    /// Greater than or equal to.
    pub gte: Option<i32>,
    /// Less than.
    pub lt: Option<i32>,
    /// Less than or equal to.
    pub lte: Option<i32>,
    /// One of these values.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<i32>>,
    /// None of these values.
    pub not_in: Option<Vec<i32>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Between the two values given, both included.
    pub between: Option<Vec<i32>>,
}

/// Conditions on a date field (the stored date: the first day of its span when only a
/// month, quarter or year is known).
#[derive(InputObject, Default, Clone)]
pub struct DateFilter {
    /// On this date.
    pub eq: Option<Date>,
    /// Not on this date; rows where the field is null do not match.
    pub ne: Option<Date>,
    /// After this date.
    pub gt: Option<Date>,
    /// On or after this date.
    pub gte: Option<Date>,
    /// Before this date.
    pub lt: Option<Date>,
    /// On or before this date.
    pub lte: Option<Date>,
    /// On one of these dates.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<Date>>,
    /// On none of these dates.
    pub not_in: Option<Vec<Date>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Between the two dates given, both included.
    pub between: Option<Vec<Date>>,
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
        let mut c = compare(
            b,
            &ordered,
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
            },
            field,
        )?;
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
        compare(
            b,
            &column,
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
            },
            field,
        )
    }
}

impl DateFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        let d = |v: &Option<Date>| v.map(|d| d.0);
        let list = |v: &Option<Vec<Date>>| {
            v.as_ref()
                .map(|l| l.iter().map(|d| d.0).collect::<Vec<NaiveDate>>())
        };
        let (in_list, not_in, between) =
            (list(&self.in_list), list(&self.not_in), list(&self.between));
        compare(
            b,
            &column,
            Ops {
                eq: &d(&self.eq),
                ne: &d(&self.ne),
                gt: &d(&self.gt),
                gte: &d(&self.gte),
                lt: &d(&self.lt),
                lte: &d(&self.lte),
                in_list: &in_list,
                not_in: &not_in,
                between: &between,
                is_null: self.is_null,
            },
            field,
        )
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
            b.count(1)?;
            c = c.add(if null {
                amount.clone().is_null()
            } else {
                amount.clone().is_not_null()
            });
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

impl<T: InputType + sea_orm::ActiveEnum + Clone> EnumFilter<T> {
    pub fn condition(&self, b: &mut Builder, column: Expr, _field: &str) -> Result<Condition> {
        let value = |v: &T| -> sea_orm::Value { v.clone().into_value().into() };
        let mut c = Condition::all();
        if let Some(v) = &self.eq {
            b.count(1)?;
            c = c.add(column.clone().eq(value(v)));
        }
        if let Some(v) = &self.ne {
            b.count(1)?;
            c = c.add(column.clone().ne(value(v)));
        }
        if let Some(list) = &self.in_list {
            b.count(list.len().max(1))?;
            c = c.add(
                column
                    .clone()
                    .is_in(list.iter().map(value).collect::<Vec<_>>()),
            );
        }
        if let Some(list) = &self.not_in {
            b.count(list.len().max(1))?;
            c = c.add(
                column
                    .clone()
                    .is_not_in(list.iter().map(value).collect::<Vec<_>>()),
            );
        }
        Ok(c)
    }
}
