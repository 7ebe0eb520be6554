//! Writing companies and people.

use entity::enums::CompanyKind;
use entity::{company, person};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::write::{Save, Saving, Upsertable};
use crate::dataset::Subject;
use crate::domain::lookups::no_parent_cycle;
use crate::domain::rows::{CompanyDraft, PersonDraft, company_links};
use crate::error::Result;
use crate::graphql::companies::{Company, Person};

input! {
    /// A company to create, replace or upsert.
    CompanyInput resolving CompanyRefs {
        /// Unique name, at most 200 characters, e.g. "Meta Platforms".
        name: String,
        /// Unique stock ticker, at most 16 characters; null when not listed.
        ticker: Option<String>,
        /// What kind of company it is.
        kind: CompanyKind,
        /// ISO 3166 country code of two capital letters.
        country: Option<String>,
        /// City of the headquarters, at most 200 characters.
        headquarters: Option<String>,
        /// The company this one is part of (global id).
        parent_id: Option<ID> => Company as "parent",
        /// The company whose former staff founded this one (global id).
        founded_by_alumni_of_id: Option<ID> => Company as "foundedByAlumniOf",
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        /// Sentences of sources about the company (optional: a company is not a fact).
        citations: Option<Vec<CitationInput>>,
    }
}

crud!(
    CompanyMutation: Company from CompanyInput, cited as Subject::Company,
    blocked by [
        ("company", "parent_id", "subsidiary companies"),
        ("company", "founded_by_alumni_of_id", "companies founded by its alumni"),
        ("person", "company_id", "people"),
        ("ai_model", "developer_id", "AI models"),
        ("investment", "investor_id", "investments made"),
        ("investment", "investee_id", "investments received"),
        ("project", "lead_company_id", "projects led"),
        ("project_backer", "company_id", "project backings"),
        ("spending_figure", "company_id", "spending figures"),
        ("claim", "claimant_company_id", "claims made"),
        ("claim", "subject_company_id", "claims about it"),
        ("claim_challenge", "challenger_company_id", "claim challenges"),
        ("event", "company_id", "events"),
    ];
    create_company "Creates a company. Refused (BAD_USER_INPUT, `extensions.field` naming the input) for an empty or too long name, a name or ticker that exists already, a bad country code, an unknown parent, or a parent cycle.",
    create_companies "Creates several companies in one transaction: all of them or none.",
    update_company "Replaces every field of a company.",
    delete_company "Deletes a company with its citations. Refused while anything else points at it (people, models, investments, projects, backers, figures, claims, challenges, events, subsidiaries, alumni startups): the error names them.",
    upsert_company "Updates the company with this name (or, failing that, this ticker), or creates it."
);

impl Save for Company {
    async fn save(w: Saving<'_, Self>) -> Result<company::Model> {
        let (input, at, id) = (&w.input, w.at, w.id());
        let CompanyRefs {
            parent_id: parent,
            founded_by_alumni_of_id: alumni,
        } = w.refs;
        let columns = CompanyDraft {
            name: &input.name,
            ticker: input.ticker.as_deref(),
            kind: input.kind,
            country: input.country.as_deref(),
            headquarters: input.headquarters.as_deref(),
            description: input.description.as_deref(),
        }
        .check(at)?;
        company_links(at, id, parent, alumni)?;
        if let Some(id) = id {
            no_parent_cycle(w.txn, at, id, parent).await?;
        }
        w.unique(company::Column::Name, &columns.name, "a company named")
            .await?;
        if let Some(t) = &columns.ticker {
            w.unique(company::Column::Ticker, t, "the ticker").await?;
        }
        w.persist_cited(|a| {
            columns.set_on(a);
            a.parent_id = Set(parent);
            a.founded_by_alumni_of_id = Set(alumni);
        })
        .await
    }
}

impl Upsertable for Company {
    async fn find_natural(
        txn: &DatabaseTransaction,
        input: &CompanyInput,
        _at: &str,
    ) -> Result<Option<company::Model>> {
        let by_name = company::Entity::find()
            .filter(company::Column::Name.eq(input.name.as_str()))
            .one(txn)
            .await?;
        if by_name.is_some() {
            return Ok(by_name);
        }
        let Some(ticker) = &input.ticker else {
            return Ok(None);
        };
        Ok(company::Entity::find()
            .filter(company::Column::Ticker.eq(ticker.as_str()))
            .one(txn)
            .await?)
    }
}

input! {
    /// A person to create or replace.
    PersonInput resolving PersonRefs {
        /// Unique name, at most 200 characters.
        name: String,
        /// Job title, at most 200 characters, e.g. "CEO".
        title: Option<String>,
        /// The company the person works for (global id).
        company_id: Option<ID> => Company as "company",
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        /// Sentences of sources about the person (optional).
        citations: Option<Vec<CitationInput>>,
    }
}

crud!(
    PersonMutation: Person from PersonInput, cited as Subject::Person,
    blocked by [
        ("claim", "claimant_person_id", "claims made"),
        ("claim_challenge", "challenger_person_id", "claim challenges"),
    ];
    create_person "Creates a person. Refused for an empty, too long or existing name, or an unknown company.",
    create_people "Creates several people in one transaction: all of them or none.",
    update_person "Replaces every field of a person.",
    delete_person "Deletes a person with their citations. Refused while claims or challenges name them."
);

impl Save for Person {
    async fn save(w: Saving<'_, Self>) -> Result<person::Model> {
        let columns = PersonDraft {
            name: &w.input.name,
            title: w.input.title.as_deref(),
            company_id: w.refs.company_id,
            description: w.input.description.as_deref(),
        }
        .check(w.at)?;
        w.unique(person::Column::Name, &columns.name, "a person named")
            .await?;
        w.persist_cited(|a| columns.set_on(a)).await
    }
}
