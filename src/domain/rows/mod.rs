//! One draft per row type, checked into the columns the row stores.
//!
//! A draft holds what a client sent, its references already resolved to database ids by
//! the write path. [`check`](InvestmentDraft::check) applies every rule that needs no
//! database and returns the row's columns; `set_on` writes them onto an active model, new
//! or loaded. Links that may point forward in a dataset (a company's parent, a figure's
//! source figure) are checked apart, by [`company_links`] and [`figure_link`], because the
//! loader sets them in a second pass.
//!
//! The drafts are in [`named`] (companies, people, models, sources, aliases: the rows
//! others point at by name or key) and [`facts`] (investments, projects, spending figures,
//! claims, events: what the sources report).

/// The columns a checked row sets, as a struct with `set_on`; with `by Column(field), ...`,
/// also the natural key that finds the row they update ([`Keyed`]).
macro_rules! columns {
    (
        $(#[$doc:meta])* $name:ident => $entity:ident $(by $($key:ident($key_field:ident)),+)? {
            $($field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl $name {
            /// Sets every column of the row on `active`.
            pub fn set_on(self, active: &mut entity::$entity::ActiveModel) {
                $(active.$field = Set(self.$field);)*
            }
        }

        $(impl super::Keyed for $name {
            type ActiveModel = entity::$entity::ActiveModel;
            fn natural(&self) -> sea_orm::Condition {
                use sea_orm::ColumnTrait;
                sea_orm::Condition::all()
                    $(.add(entity::$entity::Column::$key.eq(self.$key_field.clone())))+
            }
            fn fill(self, active: &mut Self::ActiveModel) {
                self.set_on(active);
            }
        })?
    };
}

/// Checked columns that know the row they update: the one their natural key finds (a
/// company by name, a fact by ref), if any.
pub trait Keyed {
    type ActiveModel: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send;
    /// The condition on the natural key.
    fn natural(&self) -> sea_orm::Condition;
    /// Sets every column on `active` (`set_on`).
    fn fill(self, active: &mut Self::ActiveModel);
}

type Date = chrono::NaiveDate;

/// A row's description: optional, at most [`limits::DESCRIPTION`] characters.
fn description(at: &At, value: Option<&str>) -> Result<Option<String>> {
    opt_text(&at.field("description"), value, limits::DESCRIPTION)
}

/// A link of a row to another of its table (`field`, e.g. a company's parent), refused with
/// `message` when it points at the row itself (`row`: its id; none yet for a new row).
fn not_itself(
    at: &At,
    field: &str,
    row: Option<i32>,
    link: Option<i32>,
    message: &str,
) -> Result<()> {
    if row.is_some() && link == row {
        return Err(Error::invalid(at.field(field), message));
    }
    Ok(())
}

use crate::domain::At;
use crate::domain::values::{limits, opt_text};
use crate::error::{Error, Result};

pub mod facts;
pub mod named;

pub use facts::*;
pub use named::*;
