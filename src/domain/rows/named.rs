//! The rows others point at by name or key: companies (and their links), people, AI
//! models, sources, and the aliases of the named ones.

use entity::enums::*;
use sea_orm::Set;

use super::{Date, description, not_itself};
use crate::domain::At;
use crate::domain::values::{self, DateRec, country, date, limits, opt_text, text};
use crate::error::{Error, Result};

/// A company: its links (parent, alumni) are checked by [`company_links`].
pub struct CompanyDraft<'a> {
    pub name: &'a str,
    pub ticker: Option<&'a str>,
    pub kind: CompanyKind,
    pub country: Option<&'a str>,
    pub headquarters: Option<&'a str>,
    pub description: Option<&'a str>,
}

columns!(
    /// A company's own columns.
    CompanyColumns => company by Name(name) {
        name: String,
        ticker: Option<String>,
        kind: CompanyKind,
        country: Option<String>,
        headquarters: Option<String>,
        description: Option<String>,
    }
);

impl CompanyDraft<'_> {
    pub fn check(self, at: At) -> Result<CompanyColumns> {
        Ok(CompanyColumns {
            name: text(&at.field("name"), self.name, limits::NAME)?,
            ticker: opt_text(&at.field("ticker"), self.ticker, limits::TICKER)?,
            kind: self.kind,
            country: country(&at.field("country"), self.country)?,
            headquarters: opt_text(&at.field("headquarters"), self.headquarters, limits::SHORT)?,
            description: description(&at, self.description)?,
        })
    }
}

/// A company's parent and the company whose alumni founded it: never the company itself.
/// (Longer cycles of parents need the database: the write paths check them.)
pub fn company_links(
    at: At,
    company: Option<i32>,
    parent: Option<i32>,
    alumni_of: Option<i32>,
) -> Result<()> {
    not_itself(
        &at,
        "parent",
        company,
        parent,
        "a company cannot be its own parent",
    )?;
    not_itself(
        &at,
        "foundedByAlumniOf",
        company,
        alumni_of,
        "a company cannot be founded by its own alumni",
    )
}

/// A person.
pub struct PersonDraft<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub company_id: Option<i32>,
    pub description: Option<&'a str>,
}

columns!(
    /// A person's columns.
    PersonColumns => person by Name(name) {
        name: String,
        title: Option<String>,
        company_id: Option<i32>,
        description: Option<String>,
    }
);

impl PersonDraft<'_> {
    pub fn check(self, at: At) -> Result<PersonColumns> {
        Ok(PersonColumns {
            name: text(&at.field("name"), self.name, limits::NAME)?,
            title: opt_text(&at.field("title"), self.title, limits::SHORT)?,
            company_id: self.company_id,
            description: description(&at, self.description)?,
        })
    }
}

/// An AI model or product.
pub struct ModelDraft<'a> {
    pub name: &'a str,
    pub kind: ModelKind,
    pub developer_id: i32,
    pub announced: Option<&'a DateRec>,
    pub expected: Option<&'a DateRec>,
    pub description: Option<&'a str>,
}

columns!(
    /// A model's columns.
    ModelColumns => ai_model by Name(name), DeveloperId(developer_id) {
        name: String,
        kind: ModelKind,
        developer_id: i32,
        announced_on: Option<Date>,
        announced_precision: Option<DatePrecision>,
        expected_on: Option<Date>,
        expected_precision: Option<DatePrecision>,
        description: Option<String>,
    }
);

impl ModelDraft<'_> {
    pub fn check(self, at: At) -> Result<ModelColumns> {
        let (announced_on, announced_precision) = date(&at.field("announced"), self.announced)?;
        let (expected_on, expected_precision) = date(&at.field("expected"), self.expected)?;
        Ok(ModelColumns {
            name: text(&at.field("name"), self.name, limits::NAME)?,
            kind: self.kind,
            developer_id: self.developer_id,
            announced_on,
            announced_precision,
            expected_on,
            expected_precision,
            description: description(&at, self.description)?,
        })
    }
}

/// A source.
pub struct SourceDraft<'a> {
    pub key: &'a str,
    pub title: &'a str,
    pub publisher: Option<&'a str>,
    pub published: Option<&'a DateRec>,
    pub address: Option<&'a str>,
    pub content: Option<&'a str>,
}

columns!(
    /// A source's columns.
    SourceColumns => source by Key(key) {
        key: String,
        title: String,
        publisher: Option<String>,
        published_on: Option<Date>,
        published_precision: Option<DatePrecision>,
        address: Option<String>,
        content: Option<String>,
    }
);

impl SourceDraft<'_> {
    pub fn check(self, at: At) -> Result<SourceColumns> {
        let (published_on, published_precision) = date(&at.field("published"), self.published)?;
        Ok(SourceColumns {
            key: text(&at.field("key"), self.key, limits::REF)?,
            title: text(&at.field("title"), self.title, limits::TITLE)?,
            publisher: opt_text(&at.field("publisher"), self.publisher, limits::NAME)?,
            published_on,
            published_precision,
            address: opt_text(&at.field("address"), self.address, limits::ADDRESS)?,
            content: opt_text(&at.field("content"), self.content, limits::CONTENT)?,
        })
    }
}

/// The row an alias names, its id resolved by the write path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasSubject {
    Company(i32),
    Person(i32),
    Model(i32),
    Project(i32),
}

/// The source an alias cites, resolved by the write path: its id, key and text.
pub struct AliasSource<'a> {
    pub id: i32,
    pub key: &'a str,
    pub content: Option<&'a str>,
}

/// Another name of a company, person, model or project, with the sentence that uses it.
pub struct AliasDraft<'a> {
    pub subject: AliasSubject,
    pub name: &'a str,
    pub kind: AliasKind,
    pub source: Option<AliasSource<'a>>,
    pub quote: Option<&'a str>,
}

columns!(
    /// An alias's columns.
    AliasColumns => alias {
        name: String,
        kind: AliasKind,
        company_id: Option<i32>,
        person_id: Option<i32>,
        ai_model_id: Option<i32>,
        project_id: Option<i32>,
        source_id: Option<i32>,
        quote: Option<String>,
    }
);

impl AliasDraft<'_> {
    /// The quote, when given, needs its source, must appear verbatim in the source's text
    /// (when the source has one), and must contain the alias: it is the sentence that uses
    /// the name.
    pub fn check(self, at: At) -> Result<AliasColumns> {
        let name = text(&at.field("name"), self.name, limits::NAME)?;
        let quote = match (self.quote, &self.source) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::invalid(
                    at.field("quote"),
                    "a quote needs its source",
                ));
            }
            (Some(q), Some(source)) => {
                let q = values::quote(&at.field("quote"), q, source.key, source.content)?;
                if !q.contains(name.as_str()) {
                    return Err(Error::invalid(
                        at.field("quote"),
                        format!("the quote does not use the alias {name:?}"),
                    ));
                }
                Some(q)
            }
        };
        let (company_id, person_id, ai_model_id, project_id) = match self.subject {
            AliasSubject::Company(id) => (Some(id), None, None, None),
            AliasSubject::Person(id) => (None, Some(id), None, None),
            AliasSubject::Model(id) => (None, None, Some(id), None),
            AliasSubject::Project(id) => (None, None, None, Some(id)),
        };
        Ok(AliasColumns {
            name,
            kind: self.kind,
            company_id,
            person_id,
            ai_model_id,
            project_id,
            source_id: self.source.map(|s| s.id),
            quote,
        })
    }
}

impl super::Keyed for AliasColumns {
    type ActiveModel = entity::alias::ActiveModel;
    /// An alias is found by the row it names and its name.
    fn natural(&self) -> sea_orm::Condition {
        use entity::alias::Column as C;
        use sea_orm::ColumnTrait;
        let named = [
            (C::CompanyId, self.company_id),
            (C::PersonId, self.person_id),
            (C::AiModelId, self.ai_model_id),
            (C::ProjectId, self.project_id),
        ];
        let subject = named
            .into_iter()
            .filter_map(|(column, id)| Some(column.eq(id?)));
        subject
            .fold(sea_orm::Condition::all(), |key, column| key.add(column))
            .add(C::Name.eq(self.name.as_str()))
    }
    fn fill(self, active: &mut Self::ActiveModel) {
        self.set_on(active);
    }
}

impl AliasSubject {
    /// The alias column that points at the subject, and its id.
    pub fn column_and_id(self) -> (entity::alias::Column, i32) {
        use entity::alias::Column as C;
        match self {
            AliasSubject::Company(id) => (C::CompanyId, id),
            AliasSubject::Person(id) => (C::PersonId, id),
            AliasSubject::Model(id) => (C::AiModelId, id),
            AliasSubject::Project(id) => (C::ProjectId, id),
        }
    }
}
