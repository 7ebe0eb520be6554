//! Writing sources and citations.

use async_graphql::ID;
use entity::{citation, source};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, Iterable,
    QueryFilter, Set,
};

use super::provenance::note;
use super::write::{
    DateInput, Save, Saving, Upsertable, count_where, is_fact, quote_of, subject_of,
};
use crate::dataset::Subject;
use crate::dataset::notes::words_stay_cited;
use crate::domain::rows::SourceDraft;
use crate::error::{Error, Result};
use crate::graphql::sources::{Citation, Source};

input! {
    /// A source to create, replace or upsert.
    SourceInput resolving SourceRefs {
        /// Unique short key, at most 100 characters, e.g. "cnbc-2025-02-capex".
        key: String,
        /// Title, at most 500 characters.
        title: String,
        /// Publisher, at most 200 characters.
        publisher: Option<String>,
        /// When it was published.
        published: Option<DateInput>,
        /// Unique address (URL), at most 2,000 characters.
        address: Option<String>,
        /// The source's text, at most 200,000 characters; every quote citing the source must appear in it verbatim.
        content: Option<String>,
        provenance notes,
    }
}

crud!(
    SourceMutation: Source from SourceInput,
    blocked by [("citation", "source_id", "citations")];
    create_source "Creates a source. Refused for an empty or too long key or title, a key or address that exists already, or a date contradicting its precision.",
    create_sources "Creates several sources in one transaction: all of them or none.",
    update_source "Replaces every field of a source. Refused when the new text no longer contains a quote that cites it.",
    delete_source "Deletes a source. Refused while citations quote it.",
    upsert_source "Updates the source with this address (or, without an address, this key), or creates it."
);

impl Save for Source {
    async fn save(mut w: Saving<'_, Self>) -> Result<source::Model> {
        let (input, txn, at) = (&w.input, w.txn, w.at);
        let published = input.published.as_ref().map(DateInput::rec);
        let columns = SourceDraft {
            key: &input.key,
            title: &input.title,
            publisher: input.publisher.as_deref(),
            published: published.as_ref(),
            address: input.address.as_deref(),
            content: input.content.as_deref(),
        }
        .check(at)?;
        w.unique(source::Column::Key, &columns.key, "a source with the key")
            .await?;
        if let Some(a) = &columns.address {
            w.unique(source::Column::Address, a, "a source at the address")
                .await?;
        }
        if let (Some(id), Some(text)) = (w.id(), &columns.content) {
            let quotes = citation::Entity::find()
                .filter(citation::Column::SourceId.eq(id))
                .all(txn)
                .await?;
            if let Some(lost) = quotes.iter().find(|c| !text.contains(c.quote.as_str())) {
                return Err(Error::invalid(
                    at.field("content"),
                    format!(
                        "no longer contains the quote of citation {}: {:?}",
                        lost.id, lost.quote
                    ),
                ));
            }
        }
        let notes = w.input.provenance.take();
        let row = w.persist(|a| columns.set_on(a)).await?;
        note(txn, at.row(), row.id, &row, notes.as_deref()).await?;
        Ok(row)
    }
}

impl Upsertable for Source {
    async fn find_natural(
        txn: &DatabaseTransaction,
        input: &SourceInput,
        _at: &str,
    ) -> Result<Option<source::Model>> {
        if let Some(address) = &input.address {
            let found = source::Entity::find()
                .filter(source::Column::Address.eq(address.as_str()))
                .one(txn)
                .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(source::Entity::find()
            .filter(source::Column::Key.eq(input.key.as_str()))
            .one(txn)
            .await?)
    }
}

input! {
    /// A citation of a source about one row, to create or replace.
    SubjectCitationInput resolving SubjectCitationRefs {
        /// The row the sentence is about (global id of a company, person, model or fact).
        subject_id: ID,
        /// The source (global id).
        source_id: ID,
        /// The sentence, verbatim as it appears in the source's text, at most 2,000 characters.
        quote: String,
    }
}

crud!(
    CitationMutation: Citation from SubjectCitationInput;
    create_citation "Cites a sentence of a source about a row. Refused for an unknown row or source, an empty or too long quote, a quote not in the source's text, or a sentence the row cites already.",
    create_citations "Creates several citations in one transaction: all of them or none.",
    update_citation "Replaces every field of a citation. Refused when it would leave a fact without a citation.",
    delete_citation "Deletes a citation. Refused for the last citation of a fact: a fact keeps at least one."
);

/// The subject a citation row points at.
fn subject_of_row(c: &citation::Model) -> Option<Subject> {
    let pick = [
        c.company_id.map(Subject::Company),
        c.person_id.map(Subject::Person),
        c.ai_model_id.map(Subject::Model),
        c.investment_id.map(Subject::Investment),
        c.project_id.map(Subject::Project),
        c.project_backer_id.map(Subject::Backer),
        c.spending_figure_id.map(Subject::Figure),
        c.claim_id.map(Subject::Claim),
        c.claim_challenge_id.map(Subject::Challenge),
        c.event_id.map(Subject::Event),
    ];
    pick.into_iter().flatten().next()
}

/// Refuses to take citation `c` away from its subject when it is a fact's last one.
async fn not_last_of_fact(txn: &DatabaseTransaction, c: &citation::Model, at: &str) -> Result<()> {
    let Some(subject) = subject_of_row(c) else {
        return Ok(());
    };
    if !is_fact(subject) {
        return Ok(());
    }
    let (column, id) = subject.column_and_id();
    let column_name = sea_orm::IdenStatic::as_str(&column);
    if count_where(txn, "citation", column_name, id).await? <= 1 {
        return Err(Error::invalid(
            at,
            "this is the last citation of a fact: a fact keeps at least one; add another first, or delete the fact",
        ));
    }
    Ok(())
}

impl Save for Citation {
    async fn save(w: Saving<'_, Self>) -> Result<citation::Model> {
        let (input, txn, at) = (&w.input, w.txn, w.at.row());
        let subject_at = w.at.field("subjectId");
        let subject = subject_of(txn, &input.subject_id, &subject_at).await?;
        let source_id = quote_of(txn, at, &input.source_id, &input.quote).await?;
        let (column, subject_id) = subject.column_and_id();
        let key = Condition::all()
            .add(column.eq(subject_id))
            .add(citation::Column::SourceId.eq(source_id))
            .add(citation::Column::Quote.eq(input.quote.as_str()));
        w.unique_key(key, "quote", |id| {
            format!("the row cites this sentence already (citation {id})")
        })
        .await?;
        if let Some(old) = &w.existing
            && subject_of_row(old) != Some(subject)
        {
            not_last_of_fact(txn, old, &subject_at).await?;
        }
        if let Some(old) = &w.existing {
            let same_row = subject_of_row(old) == Some(subject);
            let kept = same_row.then_some(input.quote.as_str());
            words_stay_cited(txn, at, old, kept).await?;
        }
        let quote = input.quote.clone();
        w.persist(|a| {
            use citation::Column as C;
            a.source_id = Set(source_id);
            a.quote = Set(quote);
            // A citation names one subject: the columns of the others are cleared.
            for column in citation::Column::iter() {
                if !matches!(column, C::Id | C::SourceId | C::Quote) {
                    a.set(column, sea_orm::Value::Int(None));
                }
            }
            subject.set_on(a);
        })
        .await
    }

    async fn before_delete(txn: &DatabaseTransaction, row: &citation::Model) -> Result<()> {
        not_last_of_fact(txn, row, "id").await?;
        words_stay_cited(txn, "id", row, None).await
    }
}
