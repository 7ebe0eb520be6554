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

pub(super) fn source_rec(_: &Names, s: source::Model, _: Vec<CitationRec>) -> Result<Record> {
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

pub(super) fn alias_rec(names: &Names, a: alias::Model, _: Vec<CitationRec>) -> Result<Record> {
    Ok(Record::Alias(AliasRec {
        company: names.company(a.company_id)?,
        person: Names::get(&names.people, a.person_id, "person")?,
        model: Names::get(&names.models, a.ai_model_id, "model")?,
        project: Names::get(&names.projects, a.project_id, "project")?,
        name: a.name,
        kind: a.kind,
        source: Names::get(&names.sources, a.source_id, "source")?,
        quote: a.quote,
    }))
}

pub(super) fn company_rec(
    names: &Names,
    c: company::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Company(CompanyRec {
        parent: names.company(c.parent_id)?,
        founded_by_alumni_of: names.company(c.founded_by_alumni_of_id)?,
        name: c.name,
        ticker: c.ticker,
        kind: c.kind,
        country: c.country,
        headquarters: c.headquarters,
        description: c.description,
        citations,
    }))
}

pub(super) fn person_rec(
    names: &Names,
    p: person::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Person(PersonRec {
        company: names.company(p.company_id)?,
        name: p.name,
        title: p.title,
        description: p.description,
        citations,
    }))
}

pub(super) fn model_rec(
    names: &Names,
    m: ai_model::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Model(ModelRec {
        provenance: None,
        developer: names.company(Some(m.developer_id))?.unwrap_or_default(),
        announced: date(m.announced_on, m.announced_precision),
        expected: date(m.expected_on, m.expected_precision),
        name: m.name,
        kind: m.kind,
        description: m.description,
        citations,
    }))
}

pub(super) fn investment_rec(
    names: &Names,
    i: investment::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Investment(InvestmentRec {
        provenance: None,
        r#ref: reference(i.reference, "investment", i.id)?,
        investor: names.company(Some(i.investor_id))?.unwrap_or_default(),
        investee: names.company(Some(i.investee_id))?.unwrap_or_default(),
        amount: amount(i.amount_minor, &i.currency),
        made: date(i.made_on, i.made_precision),
        description: i.description,
        citations,
    }))
}

pub(super) fn figure_rec(
    names: &Names,
    f: spending_figure::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    let format = |v: Option<i64>| v.map(|m| money::format_amount(m, &f.currency));
    Ok(Record::Figure(FigureRec {
        provenance: None,
        shares: None,
        r#ref: reference(f.reference.clone(), "spending figure", f.id)?,
        company: names.company(f.company_id)?,
        project: Names::get(&names.projects, f.project_id, "project")?,
        model: Names::get(&names.models, f.ai_model_id, "model")?,
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
        stated_by: Names::get(&names.people, f.stated_by_person_id, "person")?,
        derived_from: Names::get(&names.figures, f.derived_from_id, "spending figure")?,
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

pub(super) fn event_rec(
    names: &Names,
    e: event::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Event(EventRec {
        provenance: None,
        r#ref: reference(e.reference, "event", e.id)?,
        name: e.name,
        kind: e.kind,
        occurred: date(e.occurred_on, e.occurred_precision),
        company: names.company(e.company_id)?,
        trigger_claim: Names::get(&names.claims, e.trigger_claim_id, "claim")?,
        description: e.description,
        citations,
    }))
}
