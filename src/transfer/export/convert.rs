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

/// One line a table: `table as "section", cited by Column: |names, row, citations| record;`
/// implements [`Exported`] (`uncited` for a table no citation points at), and
/// `table nested as Rec under Parent, cited by Column: |...| (parent id, record);` implements
/// [`Nested`]. The closure-like arm is the body of `record`.
macro_rules! exported {
    (@cited uncited) => { None };
    (@cited cited by $cited:ident) => { Some(citation::Column::$cited) };
    ($(
        $table:ident $(as $section:literal)? $(nested as $rec:ident under $parent:ident)?,
        $($cited:ident)+: |$names:pat_param, $row:pat_param, $citations:pat_param| $record:expr;
    )*) => {$(
        exported!(@impl $table $(nested as $rec under $parent)? $(as $section)?,
            ($($cited)+), |$names, $row, $citations| $record);
    )*};
    (@impl $table:ident as $section:literal, ($($cited:ident)+),
        |$names:pat_param, $row:pat_param, $citations:pat_param| $record:expr) => {
        impl Exported for $table::Entity {
            const SECTION: &'static str = $section;
            const CITED: Option<citation::Column> = exported!(@cited $($cited)+);
            fn record($names: &Names, $row: $table::Model, $citations: Vec<CitationRec>) -> Result<Record> {
                Ok($record)
            }
        }
    };
    (@impl $table:ident nested as $rec:ident under $parent:ident, (cited by $cited:ident),
        |$names:pat_param, $row:pat_param, $citations:pat_param| $record:expr) => {
        impl Nested for $table::Entity {
            type Rec = $rec;
            const PARENT: $table::Column = $table::Column::$parent;
            const CITED: citation::Column = citation::Column::$cited;
            fn record($names: &Names, $row: $table::Model, $citations: Vec<CitationRec>) -> Result<(i32, $rec)> {
                Ok($record)
            }
        }
    };
}

exported! {
    source as "sources", uncited: |_, s, _| Record::Source(SourceRec {
        provenance: None,
        key: s.key,
        title: s.title,
        publisher: s.publisher,
        published: date(s.published_on, s.published_precision),
        address: s.address,
        content_file: None,
        content: s.content,
    });
    alias as "aliases", uncited: |names, a, _| Record::Alias(AliasRec {
        company: names.companies.of(a.company_id)?,
        person: names.people.of(a.person_id)?,
        model: names.models.of(a.ai_model_id)?,
        project: names.projects.of(a.project_id)?,
        name: a.name,
        kind: a.kind,
        source: names.sources.of(a.source_id)?,
        quote: a.quote,
    });
    company as "companies", cited by CompanyId: |names, c, citations| Record::Company(CompanyRec {
        parent: names.companies.of(c.parent_id)?,
        founded_by_alumni_of: names.companies.of(c.founded_by_alumni_of_id)?,
        name: c.name,
        ticker: c.ticker,
        kind: c.kind,
        country: c.country,
        headquarters: c.headquarters,
        description: c.description,
        citations,
    });
    person as "people", cited by PersonId: |names, p, citations| Record::Person(PersonRec {
        company: names.companies.of(p.company_id)?,
        name: p.name,
        title: p.title,
        description: p.description,
        citations,
    });
    ai_model as "models", cited by AiModelId: |names, m, citations| Record::Model(ModelRec {
        provenance: None,
        developer: names.companies.of(Some(m.developer_id))?.unwrap_or_default(),
        announced: date(m.announced_on, m.announced_precision),
        expected: date(m.expected_on, m.expected_precision),
        name: m.name,
        kind: m.kind,
        description: m.description,
        citations,
    });
    investment as "investments", cited by InvestmentId: |names, i, citations| Record::Investment(InvestmentRec {
        provenance: None,
        r#ref: reference(i.reference, "investment", i.id)?,
        investor: names.companies.of(Some(i.investor_id))?.unwrap_or_default(),
        investee: names.companies.of(Some(i.investee_id))?.unwrap_or_default(),
        amount: amount(i.amount_minor, &i.currency),
        made: date(i.made_on, i.made_precision),
        description: i.description,
        citations,
    });
    spending_figure as "spendingFigures", cited by SpendingFigureId: |names, f, citations| {
        let format = |v: Option<i64>| v.map(|m| money::format_amount(m, &f.currency));
        Record::Figure(FigureRec {
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
        })
    };
    event as "events", cited by EventId: |names, e, citations| Record::Event(EventRec {
        provenance: None,
        r#ref: reference(e.reference, "event", e.id)?,
        name: e.name,
        kind: e.kind,
        occurred: date(e.occurred_on, e.occurred_precision),
        company: names.companies.of(e.company_id)?,
        trigger_claim: names.claims.of(e.trigger_claim_id)?,
        description: e.description,
        citations,
    });
    project as "projects", cited by ProjectId: |names, p, citations| Record::Project(ProjectRec {
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
    });
    project_backer nested as BackerRec under ProjectId, cited by ProjectBackerId:
        |names, b, citations| (b.project_id, BackerRec {
            company: names.companies.of(Some(b.company_id))?.unwrap_or_default(),
            role: b.role,
            citations,
        });
    claim as "claims", cited by ClaimId: |names, c, citations| Record::Claim(ClaimRec {
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
    });
    claim_challenge nested as ChallengeRec under ClaimId, cited by ClaimChallengeId:
        |names, ch, citations| (ch.claim_id, ChallengeRec {
            challenger_company: names.companies.of(ch.challenger_company_id)?,
            challenger_person: names.people.of(ch.challenger_person_id)?,
            kind: ch.kind,
            description: ch.description,
            citations,
        });
}
