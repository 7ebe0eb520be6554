//! The first schema: companies, people, models, investments, projects, spending figures,
//! claims and their challenges, events, sources and citations.
//!
//! Money is stored as a BIGINT count of the currency's minor unit (cents for USD) beside an
//! ISO 4217 code, so sums are exact integers on both engines. Enumerations are short strings
//! guarded by CHECK constraints; a date known only to the month, quarter or year is stored
//! as the first day of that span beside a precision column.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PRECISIONS: &[&str] = &["DAY", "MONTH", "QUARTER", "YEAR"];

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
    Id,
    Name,
    Ticker,
    Kind,
    Country,
    Headquarters,
    ParentId,
    FoundedByAlumniOfId,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Person {
    Table,
    Id,
    Name,
    Title,
    CompanyId,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum AiModel {
    Table,
    Id,
    Name,
    Kind,
    DeveloperId,
    AnnouncedOn,
    AnnouncedPrecision,
    ExpectedOn,
    ExpectedPrecision,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Investment {
    Table,
    Id,
    Ref,
    InvestorId,
    InvesteeId,
    AmountMinor,
    Currency,
    MadeOn,
    MadePrecision,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Project {
    Table,
    Id,
    Name,
    LeadCompanyId,
    PlannedAmountMinor,
    Currency,
    HorizonYears,
    AnnouncedOn,
    AnnouncedPrecision,
    HasUnnamedBackers,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProjectBacker {
    Table,
    Id,
    ProjectId,
    CompanyId,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum SpendingFigure {
    Table,
    Id,
    Ref,
    CompanyId,
    ProjectId,
    AiModelId,
    Category,
    Status,
    Bound,
    AmountLowMinor,
    AmountHighMinor,
    Currency,
    PeriodKind,
    PeriodYear,
    PeriodQuarter,
    PeriodStart,
    PeriodEnd,
    PeriodYears,
    Focus,
    Remarks,
    StatedOn,
    StatedPrecision,
    DerivedFromId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Claim {
    Table,
    Id,
    Ref,
    Statement,
    Kind,
    Status,
    ClaimantPersonId,
    ClaimantCompanyId,
    SubjectCompanyId,
    SubjectModelId,
    SpendingFigureId,
    AmountMinor,
    Currency,
    MadeOn,
    MadePrecision,
}

#[derive(DeriveIden, Clone, Copy)]
enum ClaimChallenge {
    Table,
    Id,
    ClaimId,
    ChallengerCompanyId,
    ChallengerPersonId,
    Kind,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Event {
    Table,
    Id,
    Ref,
    Name,
    Kind,
    OccurredOn,
    OccurredPrecision,
    CompanyId,
    TriggerClaimId,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Source {
    Table,
    Id,
    Key,
    Title,
    Publisher,
    PublishedOn,
    PublishedPrecision,
    Address,
    Content,
}

#[derive(DeriveIden, Clone, Copy)]
enum Citation {
    Table,
    Id,
    SourceId,
    Quote,
    CompanyId,
    PersonId,
    AiModelId,
    InvestmentId,
    ProjectId,
    ProjectBackerId,
    SpendingFigureId,
    ClaimId,
    ClaimChallengeId,
    EventId,
}

/// `column IN ('A', 'B', ...)`, or NULL allowed when the column is nullable.
fn one_of<C: IntoIden + Copy + 'static>(column: C, values: &[&str]) -> Expr {
    Expr::col(column).is_in(values.iter().map(|v| String::from(*v)))
}

fn precision_check<C: IntoIden + Copy + 'static>(column: C) -> Expr {
    Expr::col(column).is_null().or(one_of(column, PRECISIONS))
}

fn currency_check<C: IntoIden + Copy + 'static>(column: C) -> Expr {
    // ISO 4217 codes are three upper-case letters.
    Expr::cust(format!(
        "(\"{0}\" IS NULL OR (length(\"{0}\") = 3 AND upper(\"{0}\") = \"{0}\"))",
        column.into_iden()
    ))
}

fn fk<T, C, R>(
    table: T,
    column: C,
    target: R,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
    R: IntoIden + Copy + 'static,
{
    ForeignKey::create()
        .name(format!("fk_{}_{}", table.into_iden(), column.into_iden()))
        .from(table, column)
        .to(target, Alias::new("id"))
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index_on<T, C>(table: T, column: C) -> IndexCreateStatement
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    Index::create()
        .name(format!("idx_{}_{}", table.into_iden(), column.into_iden()))
        .table(table)
        .col(column)
        .to_owned()
}

async fn create_indexes<T, C>(
    manager: &SchemaManager<'_>,
    table: T,
    columns: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    for column in columns {
        manager.create_index(index_on(table, *column)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(Source::Table)
                    .col(pk_auto(Source::Id))
                    .col(string_len_uniq(Source::Key, 100))
                    .col(string_len(Source::Title, 500))
                    .col(string_len_null(Source::Publisher, 200))
                    .col(date_null(Source::PublishedOn))
                    .col(string_len_null(Source::PublishedPrecision, 8))
                    .col(string_len_null(Source::Address, 2000).unique_key())
                    .col(text_null(Source::Content))
                    .check(precision_check(Source::PublishedPrecision))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Company::Table)
                    .col(pk_auto(Company::Id))
                    .col(string_len_uniq(Company::Name, 200))
                    .col(string_len_null(Company::Ticker, 16).unique_key())
                    .col(string_len(Company::Kind, 24))
                    .col(string_len_null(Company::Country, 2))
                    .col(string_len_null(Company::Headquarters, 200))
                    .col(integer_null(Company::ParentId))
                    .col(integer_null(Company::FoundedByAlumniOfId))
                    .col(text_null(Company::Description))
                    .check(one_of(
                        Company::Kind,
                        &[
                            "BIG_TECH",
                            "STARTUP",
                            "INVESTOR",
                            "CHIPMAKER",
                            "SUBSIDIARY",
                            "OTHER",
                        ],
                    ))
                    .foreign_key(&mut fk(
                        Company::Table,
                        Company::ParentId,
                        Company::Table,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Company::Table,
                        Company::FoundedByAlumniOfId,
                        Company::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            Company::Table,
            &[Company::ParentId, Company::FoundedByAlumniOfId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(pk_auto(Person::Id))
                    .col(string_len_uniq(Person::Name, 200))
                    .col(string_len_null(Person::Title, 200))
                    .col(integer_null(Person::CompanyId))
                    .col(text_null(Person::Description))
                    .foreign_key(&mut fk(
                        Person::Table,
                        Person::CompanyId,
                        Company::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, Person::Table, &[Person::CompanyId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(AiModel::Table)
                    .col(pk_auto(AiModel::Id))
                    .col(string_len(AiModel::Name, 200))
                    .col(string_len(AiModel::Kind, 16))
                    .col(integer(AiModel::DeveloperId))
                    .col(date_null(AiModel::AnnouncedOn))
                    .col(string_len_null(AiModel::AnnouncedPrecision, 8))
                    .col(date_null(AiModel::ExpectedOn))
                    .col(string_len_null(AiModel::ExpectedPrecision, 8))
                    .col(text_null(AiModel::Description))
                    .check(one_of(
                        AiModel::Kind,
                        &["MODEL", "CHIP", "AGENT", "PRODUCT"],
                    ))
                    .check(precision_check(AiModel::AnnouncedPrecision))
                    .check(precision_check(AiModel::ExpectedPrecision))
                    .foreign_key(&mut fk(
                        AiModel::Table,
                        AiModel::DeveloperId,
                        Company::Table,
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, AiModel::Table, &[AiModel::DeveloperId]).await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ai_model_name_developer")
                    .table(AiModel::Table)
                    .col(AiModel::Name)
                    .col(AiModel::DeveloperId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Investment::Table)
                    .col(pk_auto(Investment::Id))
                    .col(string_len_null(Investment::Ref, 100).unique_key())
                    .col(integer(Investment::InvestorId))
                    .col(integer(Investment::InvesteeId))
                    .col(big_integer_null(Investment::AmountMinor))
                    .col(string_len_null(Investment::Currency, 3))
                    .col(date_null(Investment::MadeOn))
                    .col(string_len_null(Investment::MadePrecision, 8))
                    .col(text_null(Investment::Description))
                    .check(Expr::col(Investment::InvestorId).ne(Expr::col(Investment::InvesteeId)))
                    .check(
                        Expr::col(Investment::AmountMinor)
                            .is_null()
                            .or(Expr::col(Investment::AmountMinor).gte(0)),
                    )
                    .check(
                        Expr::col(Investment::AmountMinor)
                            .is_null()
                            .or(Expr::col(Investment::Currency).is_not_null()),
                    )
                    .check(currency_check(Investment::Currency))
                    .check(precision_check(Investment::MadePrecision))
                    .foreign_key(&mut fk(
                        Investment::Table,
                        Investment::InvestorId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Investment::Table,
                        Investment::InvesteeId,
                        Company::Table,
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            Investment::Table,
            &[Investment::InvestorId, Investment::InvesteeId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Project::Table)
                    .col(pk_auto(Project::Id))
                    .col(string_len_uniq(Project::Name, 200))
                    .col(integer_null(Project::LeadCompanyId))
                    .col(big_integer_null(Project::PlannedAmountMinor))
                    .col(string_len_null(Project::Currency, 3))
                    .col(integer_null(Project::HorizonYears))
                    .col(date_null(Project::AnnouncedOn))
                    .col(string_len_null(Project::AnnouncedPrecision, 8))
                    .col(boolean(Project::HasUnnamedBackers).default(false))
                    .col(text_null(Project::Description))
                    .check(
                        Expr::col(Project::PlannedAmountMinor)
                            .is_null()
                            .or(Expr::col(Project::PlannedAmountMinor)
                                .gte(0)
                                .and(Expr::col(Project::Currency).is_not_null())),
                    )
                    .check(
                        Expr::col(Project::HorizonYears)
                            .is_null()
                            .or(Expr::col(Project::HorizonYears).gt(0)),
                    )
                    .check(currency_check(Project::Currency))
                    .check(precision_check(Project::AnnouncedPrecision))
                    .foreign_key(&mut fk(
                        Project::Table,
                        Project::LeadCompanyId,
                        Company::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, Project::Table, &[Project::LeadCompanyId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(ProjectBacker::Table)
                    .col(pk_auto(ProjectBacker::Id))
                    .col(integer(ProjectBacker::ProjectId))
                    .col(integer(ProjectBacker::CompanyId))
                    .col(string_len(ProjectBacker::Role, 16))
                    .check(one_of(ProjectBacker::Role, &["LEAD", "BACKER"]))
                    .foreign_key(&mut fk(
                        ProjectBacker::Table,
                        ProjectBacker::ProjectId,
                        Project::Table,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProjectBacker::Table,
                        ProjectBacker::CompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            ProjectBacker::Table,
            &[ProjectBacker::ProjectId, ProjectBacker::CompanyId],
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_project_backer_project_company")
                    .table(ProjectBacker::Table)
                    .col(ProjectBacker::ProjectId)
                    .col(ProjectBacker::CompanyId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SpendingFigure::Table)
                    .col(pk_auto(SpendingFigure::Id))
                    .col(string_len_null(SpendingFigure::Ref, 100).unique_key())
                    .col(integer_null(SpendingFigure::CompanyId))
                    .col(integer_null(SpendingFigure::ProjectId))
                    .col(integer_null(SpendingFigure::AiModelId))
                    .col(string_len(SpendingFigure::Category, 32))
                    .col(string_len(SpendingFigure::Status, 16))
                    .col(string_len(SpendingFigure::Bound, 16))
                    .col(big_integer_null(SpendingFigure::AmountLowMinor))
                    .col(big_integer_null(SpendingFigure::AmountHighMinor))
                    .col(string_len(SpendingFigure::Currency, 3))
                    .col(string_len(SpendingFigure::PeriodKind, 16))
                    .col(integer_null(SpendingFigure::PeriodYear))
                    .col(integer_null(SpendingFigure::PeriodQuarter))
                    .col(date_null(SpendingFigure::PeriodStart))
                    .col(date_null(SpendingFigure::PeriodEnd))
                    .col(integer_null(SpendingFigure::PeriodYears))
                    .col(string_len_null(SpendingFigure::Focus, 200))
                    .col(text_null(SpendingFigure::Remarks))
                    .col(date_null(SpendingFigure::StatedOn))
                    .col(string_len_null(SpendingFigure::StatedPrecision, 8))
                    .col(integer_null(SpendingFigure::DerivedFromId))
                    .check(
                        Expr::col(SpendingFigure::CompanyId)
                            .is_not_null()
                            .or(Expr::col(SpendingFigure::ProjectId).is_not_null()),
                    )
                    .check(one_of(
                        SpendingFigure::Category,
                        &[
                            "CAPITAL_EXPENDITURE",
                            "INFRASTRUCTURE_INVESTMENT",
                            "MODEL_DEVELOPMENT_COST",
                        ],
                    ))
                    .check(one_of(
                        SpendingFigure::Status,
                        &["REPORTED", "PLANNED", "PROJECTED", "CLAIMED"],
                    ))
                    .check(one_of(
                        SpendingFigure::Bound,
                        &[
                            "EXACT",
                            "RANGE",
                            "MORE_THAN",
                            "AT_LEAST",
                            "LESS_THAN",
                            "AT_MOST",
                        ],
                    ))
                    .check(one_of(
                        SpendingFigure::PeriodKind,
                        &[
                            "QUARTER",
                            "CALENDAR_YEAR",
                            "FISCAL_YEAR",
                            "MULTI_YEAR",
                            "UNSPECIFIED",
                        ],
                    ))
                    .check(Expr::cust(
                        "(\"amount_low_minor\" IS NULL OR \"amount_low_minor\" >= 0) \
                         AND (\"amount_high_minor\" IS NULL OR \"amount_high_minor\" >= 0) \
                         AND (\"amount_low_minor\" IS NULL OR \"amount_high_minor\" IS NULL \
                              OR \"amount_low_minor\" <= \"amount_high_minor\")",
                    ))
                    .check(Expr::cust(
                        "(\"period_quarter\" IS NULL OR \"period_quarter\" BETWEEN 1 AND 4) \
                         AND (\"period_start\" IS NULL OR \"period_end\" IS NULL \
                              OR \"period_start\" <= \"period_end\") \
                         AND (\"period_years\" IS NULL OR \"period_years\" > 0)",
                    ))
                    .check(currency_check(SpendingFigure::Currency))
                    .check(precision_check(SpendingFigure::StatedPrecision))
                    .foreign_key(&mut fk(
                        SpendingFigure::Table,
                        SpendingFigure::CompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        SpendingFigure::Table,
                        SpendingFigure::ProjectId,
                        Project::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        SpendingFigure::Table,
                        SpendingFigure::AiModelId,
                        AiModel::Table,
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        SpendingFigure::Table,
                        SpendingFigure::DerivedFromId,
                        SpendingFigure::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            SpendingFigure::Table,
            &[
                SpendingFigure::CompanyId,
                SpendingFigure::ProjectId,
                SpendingFigure::AiModelId,
                SpendingFigure::DerivedFromId,
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Claim::Table)
                    .col(pk_auto(Claim::Id))
                    .col(string_len_null(Claim::Ref, 100).unique_key())
                    .col(text(Claim::Statement))
                    .col(string_len(Claim::Kind, 16))
                    .col(string_len(Claim::Status, 16))
                    .col(integer_null(Claim::ClaimantPersonId))
                    .col(integer_null(Claim::ClaimantCompanyId))
                    .col(integer_null(Claim::SubjectCompanyId))
                    .col(integer_null(Claim::SubjectModelId))
                    .col(integer_null(Claim::SpendingFigureId))
                    .col(big_integer_null(Claim::AmountMinor))
                    .col(string_len_null(Claim::Currency, 3))
                    .col(date_null(Claim::MadeOn))
                    .col(string_len_null(Claim::MadePrecision, 8))
                    .check(one_of(
                        Claim::Kind,
                        &["COST_CLAIM", "FORWARD_LOOKING", "OPINION", "GUIDANCE"],
                    ))
                    .check(one_of(
                        Claim::Status,
                        &["ASSERTED", "DISPUTED", "VERIFIED", "REFUTED"],
                    ))
                    .check(
                        Expr::col(Claim::ClaimantPersonId)
                            .is_not_null()
                            .or(Expr::col(Claim::ClaimantCompanyId).is_not_null()),
                    )
                    .check(
                        Expr::col(Claim::AmountMinor)
                            .is_null()
                            .or(Expr::col(Claim::AmountMinor)
                                .gte(0)
                                .and(Expr::col(Claim::Currency).is_not_null())),
                    )
                    .check(currency_check(Claim::Currency))
                    .check(precision_check(Claim::MadePrecision))
                    .foreign_key(&mut fk(
                        Claim::Table,
                        Claim::ClaimantPersonId,
                        Person::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Claim::Table,
                        Claim::ClaimantCompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Claim::Table,
                        Claim::SubjectCompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Claim::Table,
                        Claim::SubjectModelId,
                        AiModel::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Claim::Table,
                        Claim::SpendingFigureId,
                        SpendingFigure::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            Claim::Table,
            &[
                Claim::ClaimantPersonId,
                Claim::ClaimantCompanyId,
                Claim::SubjectCompanyId,
                Claim::SubjectModelId,
                Claim::SpendingFigureId,
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClaimChallenge::Table)
                    .col(pk_auto(ClaimChallenge::Id))
                    .col(integer(ClaimChallenge::ClaimId))
                    .col(integer_null(ClaimChallenge::ChallengerCompanyId))
                    .col(integer_null(ClaimChallenge::ChallengerPersonId))
                    .col(string_len(ClaimChallenge::Kind, 16))
                    .col(text(ClaimChallenge::Description))
                    .check(one_of(
                        ClaimChallenge::Kind,
                        &["PUBLIC_DOUBT", "INVESTIGATION", "COUNTER_EVIDENCE"],
                    ))
                    .foreign_key(&mut fk(
                        ClaimChallenge::Table,
                        ClaimChallenge::ClaimId,
                        Claim::Table,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ClaimChallenge::Table,
                        ClaimChallenge::ChallengerCompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        ClaimChallenge::Table,
                        ClaimChallenge::ChallengerPersonId,
                        Person::Table,
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            ClaimChallenge::Table,
            &[
                ClaimChallenge::ClaimId,
                ClaimChallenge::ChallengerCompanyId,
                ClaimChallenge::ChallengerPersonId,
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(pk_auto(Event::Id))
                    .col(string_len_null(Event::Ref, 100).unique_key())
                    .col(string_len(Event::Name, 300))
                    .col(string_len(Event::Kind, 24))
                    .col(date_null(Event::OccurredOn))
                    .col(string_len_null(Event::OccurredPrecision, 8))
                    .col(integer_null(Event::CompanyId))
                    .col(integer_null(Event::TriggerClaimId))
                    .col(text_null(Event::Description))
                    .check(one_of(
                        Event::Kind,
                        &["MARKET_MOVE", "ANNOUNCEMENT", "EARNINGS_CALL", "OTHER"],
                    ))
                    .check(precision_check(Event::OccurredPrecision))
                    .foreign_key(&mut fk(
                        Event::Table,
                        Event::CompanyId,
                        Company::Table,
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Event::Table,
                        Event::TriggerClaimId,
                        Claim::Table,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            Event::Table,
            &[Event::CompanyId, Event::TriggerClaimId],
        )
        .await?;

        let subjects = [
            (Citation::CompanyId, Company::Table.into_iden()),
            (Citation::PersonId, Person::Table.into_iden()),
            (Citation::AiModelId, AiModel::Table.into_iden()),
            (Citation::InvestmentId, Investment::Table.into_iden()),
            (Citation::ProjectId, Project::Table.into_iden()),
            (Citation::ProjectBackerId, ProjectBacker::Table.into_iden()),
            (
                Citation::SpendingFigureId,
                SpendingFigure::Table.into_iden(),
            ),
            (Citation::ClaimId, Claim::Table.into_iden()),
            (
                Citation::ClaimChallengeId,
                ClaimChallenge::Table.into_iden(),
            ),
            (Citation::EventId, Event::Table.into_iden()),
        ];
        // Exactly one subject per citation.
        let exactly_one = subjects
            .iter()
            .map(|(column, _)| {
                format!(
                    "CASE WHEN \"{}\" IS NULL THEN 0 ELSE 1 END",
                    column.into_iden()
                )
            })
            .collect::<Vec<_>>()
            .join(" + ");
        let mut citation = Table::create()
            .table(Citation::Table)
            .col(pk_auto(Citation::Id))
            .col(integer(Citation::SourceId))
            .col(text(Citation::Quote))
            .check(Expr::cust(format!("({exactly_one}) = 1")))
            .check(Expr::cust("length(\"quote\") > 0"))
            .foreign_key(&mut fk(
                Citation::Table,
                Citation::SourceId,
                Source::Table,
                Restrict,
            ))
            .to_owned();
        for (column, table) in &subjects {
            citation.col(integer_null(*column));
            citation.foreign_key(
                ForeignKey::create()
                    .name(format!("fk_citation_{}", column.into_iden()))
                    .from(Citation::Table, *column)
                    .to(table.clone(), Alias::new("id"))
                    .on_delete(Cascade)
                    .on_update(Cascade),
            );
        }
        manager.create_table(citation).await?;
        create_indexes(manager, Citation::Table, &[Citation::SourceId]).await?;
        let subject_columns: Vec<Citation> = subjects.into_iter().map(|(c, _)| c).collect();
        create_indexes(manager, Citation::Table, &subject_columns).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Citation::Table.into_iden(),
            Event::Table.into_iden(),
            ClaimChallenge::Table.into_iden(),
            Claim::Table.into_iden(),
            SpendingFigure::Table.into_iden(),
            ProjectBacker::Table.into_iden(),
            Project::Table.into_iden(),
            Investment::Table.into_iden(),
            AiModel::Table.into_iden(),
            Person::Table.into_iden(),
            Company::Table.into_iden(),
            Source::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
