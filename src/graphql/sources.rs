//! Sources and citations: where every fact comes from.

use async_graphql::{Context, ID, Object, Union};

use entity::citation;

use super::connections::with_connections;
use super::{Result, db};

use super::claims::{Claim, ClaimChallenge};
use super::common::{DateValue, date_value};
use super::companies::{Company, Person};
use super::entity_filters::*;
use super::events::Event;
use super::investments::Investment;
use super::lists::{gql_node, order_fields};
use super::loaders::{Node, Row};
use super::models::AiModel;
use super::node::database_id;
use super::node::fact_enum;
use super::projects::{Project, ProjectBacker};
use super::spending::SpendingFigure;
use crate::data::loaders;

gql_node! {
    /// A document facts come from: an article, a filing, a press release.
    Source for source
}

with_connections! {
    /// A document facts come from: an article, a filing, a press release.
    #[Object]
    impl Source {}

    fields |row, ctx| {
        /// Stable short key of the source, e.g. "ai-capex-spending-spree".
        key: &str = &row.key,
        /// Title of the document.
        title: &str = &row.title,
        /// Who published it; null when the source does not say.
        publisher: Option<&str> = row.publisher.as_deref(),
        /// When it was published, at the precision known.
        published: Option<DateValue> = date_value(row.published_on, row.published_precision),
        /// Web address of the document; null when not known.
        address: Option<&str> = row.address.as_deref(),
        /// Full text of the document, when it is kept in the database.
        content: Option<&str> = row.content.as_deref(),
    }

    ids of "the source";
    provenance of "source": SourceId, cited by None;

    connections {
        /// Every citation of this source, in id order.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::SourceId,
    }
}

gql_node! {
    /// The exact sentence of a source that states a fact about one row.
    Citation for citation
}

fact_enum! {
    /// The row a citation supports.
    #[derive(Union)]
    pub enum CitedFact {}
}

with_connections! {
    /// The exact sentence of a source that states a fact about one row.
    #[Object]
    impl Citation {
        /// The fact this sentence supports.
        async fn subject(&self, ctx: &Context<'_>) -> Result<Option<CitedFact>> {
            let db = db(ctx)?;
            let m = &self.0;
            // The one foreign key the citation sets names its row.
            macro_rules! the_row_of {
                ($($fk:ident: $entity:ident => $variant:ident),* $(,)?) => {
                    $(if m.$fk.is_some() {
                        let row = loaders::one::<_, entity::$entity::Entity, $variant>(db, m, stringify!($fk), |m| m.$fk).await?;
                        return Ok(row.map(CitedFact::$variant));
                    })*
                };
            }
            the_row_of!(
                company_id: company => Company,
                person_id: person => Person,
                ai_model_id: ai_model => AiModel,
                investment_id: investment => Investment,
                project_id: project => Project,
                project_backer_id: project_backer => ProjectBacker,
                spending_figure_id: spending_figure => SpendingFigure,
                claim_id: claim => Claim,
                claim_challenge_id: claim_challenge => ClaimChallenge,
                event_id: event => Event,
            );
            Ok(None)
        }
    }

    fields |row, ctx| {
        /// The sentence, verbatim from the source.
        quote: &str = &row.quote,
    }

    ids of "the citation";

    to_one {
        /// The source the sentence comes from.
        source: Source = required(source, source_id),
    }
}

/// The citations of one row, loaded for its whole batch at once.
pub async fn citations_of<P: Row>(
    ctx: &Context<'_>,
    node: &Node<P>,
    column: citation::Column,
) -> Result<Vec<Citation>> {
    Ok(loaders::many::<P, citation::Entity, Citation>(db(ctx)?, node, column).await?)
}

/// Queries on sources and citations.
#[derive(Default)]
pub struct SourceQuery;

with_connections! {
    /// Queries on sources and citations.
    #[Object]
    impl SourceQuery {}

    by_id {
        /// The source with this id, or null.
        source: Source(source) "Global id of the source.",
        /// The citation with this id, or null.
        citation: Citation(citation) "Global id of the citation.",
    }

    by_text {
        /// The source with this key, or null.
        source_by_key: Source(source, Key) key "The source's key, e.g. \"ai-capex-spending-spree\".",
    }

    connections {
        /// All sources, in id order.
        sources: Source(source, SourceFilter, SourceOrderField),
        /// Citations, in id order; only those of one source when `sourceId` is given.
        citations: Citation(citation, CitationFilter, CitationOrderField) where {
            source_id: ID = citation::Column::SourceId as database_id::<Source>(&source_id, "sourceId")?
                => "Only citations of this source (its global id).",
        },
    }
}

order_fields! {
    /// Fields sources can be ordered by.
    SourceOrderField for source {
        /// The source's key.
        Key => column_term::<E>(C::Key, Text, false),
        /// The title.
        Title => column_term::<E>(C::Title, Text, false),
        /// The publication date.
        PublishedOn => column_term::<E>(C::PublishedOn, Date, true),
    }
}

order_fields! {
    /// Fields citations can be ordered by.
    CitationOrderField for citation {
        /// The quoted sentence.
        Quote => column_term::<E>(C::Quote, Text, false),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over sources.
    SourceAggregate for Source (SourceOrderField, currency: None) {
        /// When the sources were published: count, earliest and latest.
        published_on: DateStats("published_on", precision = "published_precision"),
    }
}
super::aggregates::aggregates! {
    /// Aggregates over citations.
    CitationAggregate for Citation (CitationOrderField, currency: None) {
    }
}
