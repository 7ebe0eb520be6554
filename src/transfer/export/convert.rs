//! Rows as the dataset format's records: ids become the names, keys and refs the formats
//! use, amounts and dates their text and precision.

use super::*;

pub(super) fn date(on: Option<NaiveDate>, precision: Option<DatePrecision>) -> Option<DateRec> {
    Some(DateRec {
        date: on?,
        precision: precision.unwrap_or(DatePrecision::Day),
    })
}

pub(super) fn amount(minor: Option<i64>, currency: &Option<String>) -> Option<AmountRec> {
    let (minor, currency) = (minor?, currency.clone()?);
    Some(AmountRec {
        amount: money::format_amount(minor, &currency),
        currency,
    })
}

pub(super) fn reference(r: Option<String>, what: &str, id: i32) -> Result<String> {
    r.ok_or_else(|| {
        Error::invalid(
            format!("{what} {id}"),
            "has no ref: the export formats name facts by their ref",
        )
    })
}

impl Exported for source::Entity {
    const SECTION: &'static str = "sources";
    const CITED: Option<citation::Column> = None;
    fn record(_: &Names, s: source::Model, _: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Source(SourceRec {
            provenance: None,
            key: s.key,
            title: s.title,
            publisher: s.publisher,
            published: date(s.published_on, s.published_precision),
            address: s.address,
            content_file: None,
            content: s.content,
        }))
    }
}

impl Exported for alias::Entity {
    const SECTION: &'static str = "aliases";
    const CITED: Option<citation::Column> = None;
    fn record(names: &Names, a: alias::Model, _: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Alias(AliasRec {
            company: names.companies.of(a.company_id)?,
            person: names.people.of(a.person_id)?,
            model: names.models.of(a.ai_model_id)?,
            project: names.projects.of(a.project_id)?,
            name: a.name,
            kind: a.kind,
            source: names.sources.of(a.source_id)?,
            quote: a.quote,
        }))
    }
}

impl Exported for company::Entity {
    const SECTION: &'static str = "companies";
    const CITED: Option<citation::Column> = Some(citation::Column::CompanyId);
    fn record(names: &Names, c: company::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Company(CompanyRec {
            parent: names.companies.of(c.parent_id)?,
            founded_by_alumni_of: names.companies.of(c.founded_by_alumni_of_id)?,
            name: c.name,
            ticker: c.ticker,
            kind: c.kind,
            country: c.country,
            headquarters: c.headquarters,
            description: c.description,
            citations,
        }))
    }
}

impl Exported for person::Entity {
    const SECTION: &'static str = "people";
    const CITED: Option<citation::Column> = Some(citation::Column::PersonId);
    fn record(names: &Names, p: person::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Person(PersonRec {
            company: names.companies.of(p.company_id)?,
            name: p.name,
            title: p.title,
            description: p.description,
            citations,
        }))
    }
}

impl Exported for ai_model::Entity {
    const SECTION: &'static str = "models";
    const CITED: Option<citation::Column> = Some(citation::Column::AiModelId);
    fn record(names: &Names, m: ai_model::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Model(ModelRec {
            provenance: None,
            developer: names
                .companies
                .of(Some(m.developer_id))?
                .unwrap_or_default(),
            announced: date(m.announced_on, m.announced_precision),
            expected: date(m.expected_on, m.expected_precision),
            name: m.name,
            kind: m.kind,
            description: m.description,
            citations,
        }))
    }
}

impl Exported for investment::Entity {
    const SECTION: &'static str = "investments";
    const CITED: Option<citation::Column> = Some(citation::Column::InvestmentId);
    fn record(names: &Names, i: investment::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Investment(InvestmentRec {
            provenance: None,
            r#ref: reference(i.reference, "investment", i.id)?,
            investor: names.companies.of(Some(i.investor_id))?.unwrap_or_default(),
            investee: names.companies.of(Some(i.investee_id))?.unwrap_or_default(),
            amount: amount(i.amount_minor, &i.currency),
            made: date(i.made_on, i.made_precision),
            description: i.description,
            citations,
        }))
    }
}

impl Exported for spending_figure::Entity {
    const SECTION: &'static str = "spendingFigures";
    const CITED: Option<citation::Column> = Some(citation::Column::SpendingFigureId);
    fn record(
        names: &Names,
        f: spending_figure::Model,
        citations: Vec<CitationRec>,
    ) -> Result<Record> {
        let format = |v: Option<i64>| v.map(|m| money::format_amount(m, &f.currency));
        Ok(Record::Figure(FigureRec {
            provenance: None,
            shares: None,
            r#ref: reference(f.reference.clone(), "spending figure", f.id)?,
            company: names.companies.of(f.company_id)?,
            project: names.projects.of(f.project_id)?,
            model: names.models.of(f.ai_model_id)?,
            category: f.category,
            status: f.status,
            bound: f.bound,
            low: format(f.amount_low_minor),
            high: format(f.amount_high_minor),
            currency: f.currency.clone(),
            period: PeriodRec {
                kind: f.period_kind,
                year: f.period_year,
                quarter: f.period_quarter,
                start: f.period_start,
                end: f.period_end,
                years: f.period_years,
            },
            focus: f.focus,
            remarks: f.remarks,
            stated: date(f.stated_on, f.stated_precision),
            stated_by: names.people.of(f.stated_by_person_id)?,
            derived_from: names.figures.of(f.derived_from_id)?,
            expectation: match (f.expectation_holder, f.above_expectation_bp) {
                (Some(holder), Some(bp)) => Some(ExpectationRec {
                    holder,
                    percent_above: money::format_scaled(i128::from(bp), 2),
                }),
                _ => None,
            },
            citations,
        }))
    }
}

impl Exported for event::Entity {
    const SECTION: &'static str = "events";
    const CITED: Option<citation::Column> = Some(citation::Column::EventId);
    fn record(names: &Names, e: event::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Event(EventRec {
            provenance: None,
            r#ref: reference(e.reference, "event", e.id)?,
            name: e.name,
            kind: e.kind,
            occurred: date(e.occurred_on, e.occurred_precision),
            company: names.companies.of(e.company_id)?,
            trigger_claim: names.claims.of(e.trigger_claim_id)?,
            description: e.description,
            citations,
        }))
    }
}

impl Exported for project::Entity {
    const SECTION: &'static str = "projects";
    const CITED: Option<citation::Column> = Some(citation::Column::ProjectId);
    fn record(names: &Names, p: project::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Project(ProjectRec {
            provenance: None,
            lead: names.companies.of(p.lead_company_id)?,
            planned_amount: amount(p.planned_amount_minor, &p.currency),
            announced: date(p.announced_on, p.announced_precision),
            horizon_years: p.horizon_years,
            has_unnamed_backers: p.has_unnamed_backers,
            description: p.description,
            citations,
            backers: Vec::new(),
            name: p.name,
        }))
    }
}

impl Nested for project_backer::Entity {
    type Rec = BackerRec;
    const PARENT: project_backer::Column = project_backer::Column::ProjectId;
    const CITED: citation::Column = citation::Column::ProjectBackerId;
    fn record(
        names: &Names,
        b: project_backer::Model,
        citations: Vec<CitationRec>,
    ) -> Result<(i32, BackerRec)> {
        Ok((
            b.project_id,
            BackerRec {
                company: names.companies.of(Some(b.company_id))?.unwrap_or_default(),
                role: b.role,
                citations,
            },
        ))
    }
}

impl Exported for claim::Entity {
    const SECTION: &'static str = "claims";
    const CITED: Option<citation::Column> = Some(citation::Column::ClaimId);
    fn record(names: &Names, c: claim::Model, citations: Vec<CitationRec>) -> Result<Record> {
        Ok(Record::Claim(ClaimRec {
            provenance: None,
            r#ref: reference(c.reference, "claim", c.id)?,
            statement: c.statement,
            kind: c.kind,
            status: c.status,
            claimant_person: names.people.of(c.claimant_person_id)?,
            claimant_company: names.companies.of(c.claimant_company_id)?,
            subject_company: names.companies.of(c.subject_company_id)?,
            subject_model: names.models.of(c.subject_model_id)?,
            spending_figure: names.figures.of(c.spending_figure_id)?,
            amount: amount(c.amount_minor, &c.currency),
            made: date(c.made_on, c.made_precision),
            citations,
            challenges: Vec::new(),
        }))
    }
}

impl Nested for claim_challenge::Entity {
    type Rec = ChallengeRec;
    const PARENT: claim_challenge::Column = claim_challenge::Column::ClaimId;
    const CITED: citation::Column = citation::Column::ClaimChallengeId;
    fn record(
        names: &Names,
        ch: claim_challenge::Model,
        citations: Vec<CitationRec>,
    ) -> Result<(i32, ChallengeRec)> {
        Ok((
            ch.claim_id,
            ChallengeRec {
                challenger_company: names.companies.of(ch.challenger_company_id)?,
                challenger_person: names.people.of(ch.challenger_person_id)?,
                kind: ch.kind,
                description: ch.description,
                citations,
            },
        ))
    }
}
