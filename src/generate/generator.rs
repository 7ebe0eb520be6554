//! The generator itself: companies, people, models, investments, claims and challenges,
//! with their citations, written in batches inside one transaction.

use std::fmt;
use std::time::Duration;

use chrono::Datelike;
use entity::enums::*;
use entity::{ai_model, citation, claim, claim_challenge, company, investment, person, source};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::batch::{Batch, Ids, statement};
use super::random::{
    CHALLENGE_KINDS, CLAIM_KINDS, CLAIM_STATUSES, CURRENCIES, FOREIGN_NAMES, KINDS, PLACES, Rng,
    TITLES, Weighted, claim_ref, company_name, investment_ref, kind_profile, model_name,
    person_name, random_amount, random_date,
};
use super::{GenerateOptions, SOURCE_KEY};
use crate::error::{Error, Result};

/// What later tables need to know about a generated company.
pub(super) struct CompanyFacts {
    kind: CompanyKind,
    /// Weight as an investor.
    activity: u64,
    /// Weight as an investee, claimant or challenger.
    prominence: u64,
    /// Weight as a model developer.
    development: u64,
}

pub(super) struct Generator<'a> {
    txn: &'a DatabaseTransaction,
    options: &'a GenerateOptions,
    people: usize,
    tables: Vec<(&'static str, usize)>,
    source_id: i32,
    companies: Ids,
    persons: Ids,
    models: Ids,
    investments: Ids,
    claims: Ids,
    challenges: Ids,
    citations: Ids,
    facts: Vec<CompanyFacts>,
    person_company: Vec<Option<usize>>,
    /// Per model: its developer and kind.
    model_facts: Vec<(usize, ModelKind)>,
    /// Per claim: its claimant company and how many challenges it has.
    claim_challenges: Vec<(usize, u8)>,
}

impl<'a> Generator<'a> {
    pub(super) async fn new(
        txn: &'a DatabaseTransaction,
        options: &'a GenerateOptions,
    ) -> Result<Self> {
        let existing = source::Entity::find()
            .filter(source::Column::Key.eq(SOURCE_KEY))
            .one(txn)
            .await?;
        if existing.is_some() {
            return Err(Error::invalid(
                "database",
                "it already holds a generated graph (source \"generated\" exists): generate into a fresh database",
            ));
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            // Ids are assigned from the current maxima, so nobody else may insert until we
            // commit; readers are not blocked.
            txn.execute_unprepared(
                "LOCK TABLE source, company, person, ai_model, investment, claim, \
                 claim_challenge, citation IN SHARE ROW EXCLUSIVE MODE",
            )
            .await?;
        }
        let o = options;
        let people = o.companies / 5;
        // Challenges and citations are counted later; a generous bound checks the id range.
        let challenges_bound = o.claims.saturating_mul(3);
        let citations_bound = o
            .investments
            .saturating_add(o.claims)
            .saturating_add(challenges_bound);
        Ok(Generator {
            txn,
            options,
            people,
            tables: Vec::new(),
            source_id: Ids::after_max(txn, "source", 1).await?.of(0),
            companies: Ids::after_max(txn, "company", o.companies).await?,
            persons: Ids::after_max(txn, "person", people).await?,
            models: Ids::after_max(txn, "ai_model", o.models).await?,
            investments: Ids::after_max(txn, "investment", o.investments).await?,
            claims: Ids::after_max(txn, "claim", o.claims).await?,
            challenges: Ids::after_max(txn, "claim_challenge", challenges_bound).await?,
            citations: Ids::after_max(txn, "citation", citations_bound).await?,
            facts: Vec::with_capacity(o.companies),
            person_company: Vec::with_capacity(people),
            model_facts: Vec::with_capacity(o.models),
            claim_challenges: Vec::with_capacity(o.claims),
        })
    }

    pub(super) async fn run(mut self) -> Result<Vec<(&'static str, usize)>> {
        self.source().await?;
        self.companies().await?;
        self.people().await?;
        self.models().await?;
        self.investments().await?;
        self.claims().await?;
        self.challenges().await?;
        self.citations().await?;
        self.advance_sequences().await?;
        Ok(self.tables)
    }

    fn seed(&self, stream: u64) -> Rng {
        Rng::stream(self.options.seed, stream)
    }

    /// A batch of the `len` rows of table `E`, with its progress bar; [`finish`](Self::finish)
    /// writes the rest and records how many rows it wrote.
    fn batch<E>(&self, len: usize) -> Batch<'a, E>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        Batch::new(self.txn, self.bar(E::default().table_name(), len))
    }

    async fn finish<E>(&mut self, batch: Batch<'a, E>) -> Result<()>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        let table = E::default().table_name();
        let started = batch.started();
        let rows = batch.finish().await?;
        if !self.options.progress {
            tracing::info!(
                table,
                rows,
                seconds = started.elapsed().as_secs_f64(),
                "generated"
            );
        }
        self.tables.push((table, rows));
        Ok(())
    }

    fn bar(&self, table: &'static str, len: usize) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template(
            "{prefix:>16} [{bar:32}] {pos:>7}/{len:7} {rate:>14} {elapsed:>4}",
        )
        .map(|s| {
            s.progress_chars("=> ")
                // indicatif's own {per_sec} prints every digit of the float.
                .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", state.per_sec());
                })
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_prefix(table);
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    async fn source(&mut self) -> Result<()> {
        let mut batch = self.batch::<source::Entity>(1);
        batch
            .push(source::Model {
                id: self.source_id,
                key: SOURCE_KEY.to_string(),
                title: "Synthetic data".to_string(),
                publisher: Some("capex-graph generate".to_string()),
                published_on: None,
                published_precision: None,
                address: None,
                // No text, so the loader's verbatim-quote rule has nothing to check against.
                content: None,
            })
            .await?;
        self.finish(batch).await
    }

    async fn companies(&mut self) -> Result<()> {
        let n = self.options.companies;
        let mut rng = self.seed(1);
        let mut batch = self.batch::<company::Entity>(n);
        // Earlier companies that can own a subsidiary, and big techs whose alumni found startups.
        let mut owners: Vec<usize> = Vec::new();
        let mut big_techs: Vec<usize> = Vec::new();
        let mut places: Vec<Option<(&str, &str)>> = Vec::with_capacity(n);
        for i in 0..n {
            let mut kind = rng.choose(KINDS);
            let mut parent = None;
            if kind == CompanyKind::Subsidiary {
                if owners.is_empty() {
                    kind = CompanyKind::Startup;
                } else {
                    parent = Some(owners[rng.index(owners.len())]);
                }
            }
            let (invests, receives, develops, listed) = kind_profile(kind);
            let ticker = rng.percent(listed).then(|| format!("G{:05}", i + 1));
            let number = i + 1;
            let place = if number.is_multiple_of(97) {
                let (_, country, city) = FOREIGN_NAMES[(number / 97) % FOREIGN_NAMES.len()];
                Some((country, city))
            } else if let Some(p) = parent {
                // A subsidiary sits where its parent does.
                places[p]
            } else {
                rng.choose(PLACES)
            };
            let alumni_of =
                if kind == CompanyKind::Startup && !big_techs.is_empty() && rng.percent(6) {
                    Some(big_techs[rng.index(big_techs.len())])
                } else {
                    None
                };
            let activity = invests * rng.popularity();
            let prominence = receives * rng.popularity();
            let development = develops * rng.popularity();
            batch
                .push(company::Model {
                    id: self.companies.of(i),
                    name: company_name(i),
                    ticker,
                    kind,
                    country: place.map(|(c, _)| c.to_string()),
                    headquarters: place.map(|(_, h)| h.to_string()),
                    parent_id: parent.map(|p| self.companies.of(p)),
                    founded_by_alumni_of_id: alumni_of.map(|a| self.companies.of(a)),
                    description: None,
                })
                .await?;
            if matches!(
                kind,
                CompanyKind::BigTech | CompanyKind::Investor | CompanyKind::Chipmaker
            ) {
                owners.push(i);
            }
            if kind == CompanyKind::BigTech {
                big_techs.push(i);
            }
            places.push(place);
            self.facts.push(CompanyFacts {
                kind,
                activity,
                prominence,
                development,
            });
        }
        self.finish(batch).await
    }

    async fn people(&mut self) -> Result<()> {
        let n = self.people;
        let mut rng = self.seed(2);
        let employers = Weighted::new(self.facts.iter().map(|f| f.prominence));
        let mut batch = self.batch::<person::Entity>(n);
        for i in 0..n {
            let company = rng.percent(85).then(|| employers.pick(&mut rng));
            let title = rng.choose(TITLES);
            batch
                .push(person::Model {
                    id: self.persons.of(i),
                    name: person_name(i),
                    title: Some(title.to_string()),
                    company_id: company.map(|c| self.companies.of(c)),
                    description: None,
                })
                .await?;
            self.person_company.push(company);
        }
        self.finish(batch).await
    }

    async fn models(&mut self) -> Result<()> {
        let n = self.options.models;
        let mut rng = self.seed(3);
        let developers = Weighted::new(self.facts.iter().map(|f| f.development));
        let mut batch = self.batch::<ai_model::Entity>(n);
        for i in 0..n {
            let developer = developers.pick(&mut rng);
            let kind = if self.facts[developer].kind == CompanyKind::Chipmaker {
                rng.choose(&[(ModelKind::Chip, 85), (ModelKind::Product, 15)])
            } else {
                rng.choose(&[
                    (ModelKind::Model, 60),
                    (ModelKind::Product, 20),
                    (ModelKind::Agent, 15),
                    (ModelKind::Chip, 5),
                ])
            };
            let announced = rng
                .percent(75)
                .then(|| random_date(&mut rng, 2018, 2025))
                .transpose()?;
            let from = announced.map_or(2025, |(d, _)| d.year() + 1);
            let expected = rng
                .percent(30)
                .then(|| random_date(&mut rng, from, from + 2))
                .transpose()?;
            let (announced_on, announced_precision) = announced.unzip();
            let (expected_on, expected_precision) = expected.unzip();
            batch
                .push(ai_model::Model {
                    id: self.models.of(i),
                    name: model_name(kind, i),
                    kind,
                    developer_id: self.companies.of(developer),
                    announced_on,
                    announced_precision,
                    expected_on,
                    expected_precision,
                    description: None,
                })
                .await?;
            self.model_facts.push((developer, kind));
        }
        self.finish(batch).await
    }

    async fn investments(&mut self) -> Result<()> {
        let n = self.options.investments;
        let mut rng = self.seed(4);
        let investors = Weighted::new(self.facts.iter().map(|f| f.activity));
        let investees = Weighted::new(self.facts.iter().map(|f| f.prominence));
        let mut batch = self.batch::<investment::Entity>(n);
        for i in 0..n {
            let investor = investors.pick(&mut rng);
            let investee = investees.pick_other(&mut rng, investor);
            let (amount, currency) = if rng.percent(10) {
                // Undisclosed: unknown stays null, never zero.
                (None, None)
            } else {
                let currency = rng.choose(CURRENCIES);
                (Some(random_amount(&mut rng, 5, 9)), Some(currency))
            };
            let (made_on, made_precision) = rng
                .percent(92)
                .then(|| random_date(&mut rng, 2015, 2025))
                .transpose()?
                .unzip();
            batch
                .push(investment::Model {
                    id: self.investments.of(i),
                    reference: Some(investment_ref(i)),
                    investor_id: self.companies.of(investor),
                    investee_id: self.companies.of(investee),
                    amount_minor: amount,
                    currency: currency.map(str::to_string),
                    made_on,
                    made_precision,
                    description: None,
                })
                .await?;
        }
        self.finish(batch).await
    }

    async fn claims(&mut self) -> Result<()> {
        let n = self.options.claims;
        let mut rng = self.seed(5);
        let voices = Weighted::new(self.facts.iter().map(|f| f.prominence + f.activity));
        let mut batch = self.batch::<claim::Entity>(n);
        for i in 0..n {
            // Sometimes a person speaks, for their company when they have one.
            let person = (self.people > 0 && rng.percent(30)).then(|| rng.index(self.people));
            let claimant = match person.and_then(|p| self.person_company[p]) {
                Some(company) => company,
                None => voices.pick(&mut rng),
            };
            let kind = rng.choose(CLAIM_KINDS);
            let status = rng.choose(CLAIM_STATUSES);
            let (subject_model, subject_company) =
                if !self.model_facts.is_empty() && rng.percent(30) {
                    let m = rng.index(self.model_facts.len());
                    (Some(m), Some(self.model_facts[m].0))
                } else if self.facts.len() > 1 && rng.percent(40) {
                    (None, Some(voices.pick_other(&mut rng, claimant)))
                } else {
                    (None, None)
                };
            let amount_percent = match kind {
                ClaimKind::CostClaim => 80,
                ClaimKind::Guidance => 60,
                ClaimKind::ForwardLooking | ClaimKind::Opinion => 10,
            };
            let amount = if rng.percent(amount_percent) {
                let (low, high) = match kind {
                    ClaimKind::Guidance => (8, 11),
                    _ => (5, 9),
                };
                Some((random_amount(&mut rng, low, high), rng.choose(CURRENCIES)))
            } else {
                None
            };
            let (made_on, made_precision) = rng
                .percent(85)
                .then(|| random_date(&mut rng, 2019, 2025))
                .transpose()?
                .unzip();
            let challenges = match status {
                ClaimStatus::Disputed | ClaimStatus::Refuted => 1 + rng.below(3) as u8,
                ClaimStatus::Verified => rng.below(2) as u8,
                ClaimStatus::Asserted => 0,
            };
            let speaker = match person {
                Some(p) => person_name(p),
                None => company_name(claimant),
            };
            let subject = match (subject_model, subject_company) {
                (Some(m), _) => Some(model_name(self.model_facts[m].1, m)),
                (None, Some(c)) => Some(company_name(c)),
                (None, None) => None,
            };
            let statement = statement(kind, &speaker, subject.as_deref(), amount, made_on);
            batch
                .push(claim::Model {
                    id: self.claims.of(i),
                    reference: Some(claim_ref(i)),
                    statement,
                    kind,
                    status,
                    claimant_person_id: person.map(|p| self.persons.of(p)),
                    claimant_company_id: Some(self.companies.of(claimant)),
                    subject_company_id: subject_company.map(|c| self.companies.of(c)),
                    subject_model_id: subject_model.map(|m| self.models.of(m)),
                    spending_figure_id: None,
                    amount_minor: amount.map(|(a, _)| a),
                    currency: amount.map(|(_, c)| c.to_string()),
                    made_on,
                    made_precision,
                })
                .await?;
            self.claim_challenges.push((claimant, challenges));
        }
        self.finish(batch).await
    }

    async fn challenges(&mut self) -> Result<()> {
        let total: usize = self
            .claim_challenges
            .iter()
            .map(|&(_, k)| usize::from(k))
            .sum();
        let mut rng = self.seed(6);
        let critics = Weighted::new(self.facts.iter().map(|f| f.prominence + f.activity));
        let mut batch = self.batch::<claim_challenge::Entity>(total);
        let mut next = 0;
        for (c, &(claimant, count)) in self.claim_challenges.iter().enumerate() {
            for _ in 0..count {
                let company = (self.facts.len() > 1 && rng.percent(75))
                    .then(|| critics.pick_other(&mut rng, claimant));
                let person = (self.people > 0 && rng.percent(15)).then(|| rng.index(self.people));
                let kind = rng.choose(CHALLENGE_KINDS);
                let who = match (company, person) {
                    (_, Some(p)) => person_name(p),
                    (Some(c), None) => company_name(c),
                    // Like the built-in "some tech leaders": a challenge with no named challenger.
                    (None, None) => "An unnamed critic".to_string(),
                };
                let what = match kind {
                    ChallengeKind::PublicDoubt => "publicly doubts",
                    ChallengeKind::Investigation => "is investigating",
                    ChallengeKind::CounterEvidence => "presents evidence against",
                };
                batch
                    .push(claim_challenge::Model {
                        id: self.challenges.of(next),
                        claim_id: self.claims.of(c),
                        challenger_company_id: company.map(|x| self.companies.of(x)),
                        challenger_person_id: person.map(|p| self.persons.of(p)),
                        kind,
                        description: format!("{who} {what} claim {}.", claim_ref(c)),
                    })
                    .await?;
                next += 1;
            }
        }
        self.finish(batch).await
    }

    async fn citations(&mut self) -> Result<()> {
        let challenges = self.count("claim_challenge");
        let total = self.options.investments + self.options.claims + challenges;
        let mut batch = self.batch::<citation::Entity>(total);
        let blank = citation::Model {
            id: 0,
            source_id: self.source_id,
            quote: String::new(),
            company_id: None,
            person_id: None,
            ai_model_id: None,
            investment_id: None,
            project_id: None,
            project_backer_id: None,
            spending_figure_id: None,
            claim_id: None,
            claim_challenge_id: None,
            event_id: None,
        };
        let investments = (0..self.options.investments).map(|i| citation::Model {
            quote: format!("Synthetic fact {}.", investment_ref(i)),
            investment_id: Some(self.investments.of(i)),
            ..blank.clone()
        });
        let claims = (0..self.options.claims).map(|c| citation::Model {
            quote: format!("Synthetic fact {}.", claim_ref(c)),
            claim_id: Some(self.claims.of(c)),
            ..blank.clone()
        });
        let challenges = (self.claim_challenges.iter().enumerate())
            .flat_map(|(c, &(_, count))| (1..=count).map(move |k| (c, k)))
            .enumerate()
            .map(|(challenge, (c, k))| citation::Model {
                quote: format!("Synthetic fact {}, challenge {k}.", claim_ref(c)),
                claim_challenge_id: Some(self.challenges.of(challenge)),
                ..blank.clone()
            });
        for (next, row) in investments.chain(claims).chain(challenges).enumerate() {
            let id = self.citations.of(next);
            batch.push(citation::Model { id, ..row }).await?;
        }
        self.finish(batch).await
    }

    fn count(&self, table: &str) -> usize {
        self.tables
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, n)| *n)
    }

    /// PostgreSQL's identity sequences do not see explicit ids: move each past the new rows
    /// so that the next ordinary insert (the dataset loader's) does not collide. SQLite's
    /// AUTOINCREMENT follows explicit ids by itself.
    async fn advance_sequences(&self) -> Result<()> {
        if self.txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, rows) in &self.tables {
            if *rows == 0 {
                continue;
            }
            self.txn
                .execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), \
                     (SELECT MAX(\"id\") FROM \"{table}\"))"
                ))
                .await?;
        }
        Ok(())
    }
}
