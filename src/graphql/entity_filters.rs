//! The filter input of every row type: operators on its fields, `and`/`or`/`not`, and
//! conditions through its relations (`some`/`none`/`every` for lists).

use async_graphql::InputObject;
use entity::enums::*;
use sea_orm::Condition;

use super::filters::{BooleanFilter, DateFilter, EnumFilter, IntFilter, MoneyFilter, StringFilter};
use crate::data::filters::{Builder, Quantifier, balanced, col, to_many, to_one};
use crate::error::Result;

macro_rules! field_type {
    (text $($rest:tt)*) => { StringFilter };
    (int $($rest:tt)*) => { IntFilter };
    (date $($rest:tt)*) => { DateFilter };
    (money $($rest:tt)*) => { MoneyFilter };
    (boolean $($rest:tt)*) => { BooleanFilter };
    (enumeration $ty:ident, $($rest:tt)*) => { EnumFilter<$ty> };
    (one $filter:ident, $($rest:tt)*) => { Box<$filter> };
    (many $list:ident, $($rest:tt)*) => { Box<$list> };
}

macro_rules! field_condition {
    ($b:ident, $f:ident, $name:literal, $e:ident, money $amount:expr, $currency:expr) => {
        $f.condition($b, col::<$e>($amount), col::<$e>($currency), $name)?
    };
    ($b:ident, $f:ident, $name:literal, $e:ident, enumeration $ty:ident, $c:expr) => {
        $f.condition($b, col::<$e>($c), $name)?
    };
    ($b:ident, $f:ident, $name:literal, $e:ident, one $filter:ident, $target:path, $fk:expr) => {
        Condition::all().add(to_one::<$target>(
            col::<$e>($fk),
            $b.relation($name, |b| $f.build(b))?,
        ))
    };
    ($b:ident, $f:ident, $name:literal, $e:ident, many $list:ident, $child:path, $fk:expr) => {
        $b.relation($name, |b| $f.build::<$e, $child>(b, $fk))?
    };
    ($b:ident, $f:ident, $name:literal, $e:ident, $kind:ident $c:expr) => {
        $f.condition($b, col::<$e>($c), $name)?
    };
}

/// The currency a field's filter fixes: an amount's `currency`; no other kind fixes one.
macro_rules! field_currency {
    ($f:expr, money $($rest:tt)*) => {
        $f.as_ref().and_then(|m| m.currency.as_deref())
    };
    ($f:expr, $($rest:tt)*) => {
        None::<&str>
    };
}

macro_rules! entity_filter {
    (
        $(#[$meta:meta])* $name:ident, $list:ident, $entity:ident {
            $( $(#[$fmeta:meta])* $field:ident ($gql:literal): $kind:ident [$($args:tt)*] ;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(InputObject, Default, Clone)]
        pub struct $name {
            /// Every one of these filters holds.
            pub and: Option<Vec<$name>>,
            /// At least one of these filters holds.
            pub or: Option<Vec<$name>>,
            /// This filter does not hold.
            pub not: Option<Box<$name>>,
            $( $(#[$fmeta])* pub $field: Option<field_type!($kind $($args)*)>, )*
        }

        impl $crate::data::filters::RowFilter for $name {
            fn condition(&self, b: &mut Builder) -> Result<Condition> {
                self.build(b)
            }

            fn currency(&self) -> Option<&str> {
                $(
                    if let Some(code) = field_currency!(self.$field, $kind $($args)*) {
                        return Some(code);
                    }
                )*
                self.and.iter().flatten().find_map(|f| f.currency())
            }
        }

        impl $name {
            /// The SQL condition of this filter on its table.
            pub fn build(&self, b: &mut Builder) -> Result<Condition> {
                #[allow(unused_imports)]
                use entity::$entity::{Column as C, Entity as E};
                let mut parts = Vec::new();
                $(
                    if let Some(f) = &self.$field {
                        parts.push(field_condition!(b, f, $gql, E, $kind $($args)*));
                    }
                )*
                if let Some(all) = &self.and {
                    for f in all {
                        parts.push(f.build(b)?);
                    }
                }
                if let Some(any) = &self.or {
                    let alternatives = any.iter().map(|f| f.build(b)).collect::<Result<Vec<_>>>()?;
                    parts.push(balanced(b.backend, alternatives, true));
                }
                if let Some(f) = &self.not {
                    parts.push(f.build(b)?.not());
                }
                Ok(balanced(b.backend, parts, false))
            }
        }

        #[doc = "Conditions on a list of rows: some, none or every one of them match."]
        #[derive(InputObject, Default, Clone)]
        pub struct $list {
            /// At least one row of the list matches.
            pub some: Option<$name>,
            /// No row of the list matches.
            pub none: Option<$name>,
            /// Every row of the list matches (true for an empty list).
            pub every: Option<$name>,
        }

        impl $list {
            /// The condition on parent `P` whose children `C` point to it through `fk`.
            pub fn build<P: sea_orm::EntityTrait, Ch: sea_orm::EntityTrait>(
                &self,
                b: &mut Builder,
                fk: Ch::Column,
            ) -> Result<Condition> {
                let mut c = Condition::all();
                if let Some(f) = &self.some {
                    c = c.add(to_many::<P, Ch>(fk, Quantifier::Some, f.build(b)?));
                }
                if let Some(f) = &self.none {
                    c = c.add(to_many::<P, Ch>(fk, Quantifier::None, f.build(b)?));
                }
                if let Some(f) = &self.every {
                    c = c.add(to_many::<P, Ch>(fk, Quantifier::Every, f.build(b)?));
                }
                Ok(c)
            }
        }
    };
}

use entity::{
    ai_model, claim, claim_challenge, company, investment, person, project, project_backer, source,
    spending_figure,
};

entity_filter! {
    /// Conditions on companies.
    CompanyFilter, CompanyListFilter, company {
        /// The name.
        name("name"): text [C::Name];
        /// The stock ticker.
        ticker("ticker"): text [C::Ticker];
        /// The kind of company.
        kind("kind"): enumeration [CompanyKind, C::Kind];
        /// The country code.
        country("country"): text [C::Country];
        /// The city of the headquarters.
        headquarters("headquarters"): text [C::Headquarters];
        /// The description.
        description("description"): text [C::Description];
        /// The company this one is part of.
        parent("parent"): one [CompanyFilter, company::Entity, C::ParentId];
        /// The company whose former staff founded this one.
        founded_by_alumni_of("foundedByAlumniOf"): one [CompanyFilter, company::Entity, C::FoundedByAlumniOfId];
        /// Companies that are part of this one.
        subsidiaries("subsidiaries"): many [CompanyListFilter, company::Entity, company::Column::ParentId];
        /// People working for the company.
        people("people"): many [PersonListFilter, person::Entity, person::Column::CompanyId];
        /// Models the company develops.
        models("models"): many [AiModelListFilter, ai_model::Entity, ai_model::Column::DeveloperId];
        /// Investments the company made.
        investments_made("investmentsMade"): many [InvestmentListFilter, investment::Entity, investment::Column::InvestorId];
        /// Investments the company received.
        investments_received("investmentsReceived"): many [InvestmentListFilter, investment::Entity, investment::Column::InvesteeId];
        /// The company's parts in projects.
        project_roles("projectRoles"): many [ProjectBackerListFilter, project_backer::Entity, project_backer::Column::CompanyId];
        /// The company's spending figures.
        spending_figures("spendingFigures"): many [SpendingFigureListFilter, spending_figure::Entity, spending_figure::Column::CompanyId];
        /// Claims the company made.
        claims_made("claimsMade"): many [ClaimListFilter, claim::Entity, claim::Column::ClaimantCompanyId];
        /// Challenges the company raised.
        challenges_made("challengesMade"): many [ClaimChallengeListFilter, claim_challenge::Entity, claim_challenge::Column::ChallengerCompanyId];
    }
}

entity_filter! {
    /// Conditions on people.
    PersonFilter, PersonListFilter, person {
        /// The name.
        name("name"): text [C::Name];
        /// The job title.
        title("title"): text [C::Title];
        /// The company the person works for.
        company("company"): one [CompanyFilter, company::Entity, C::CompanyId];
        /// Claims the person made.
        claims("claims"): many [ClaimListFilter, claim::Entity, claim::Column::ClaimantPersonId];
        /// Spending figures the person stated.
        figures_stated("figuresStated"): many [SpendingFigureListFilter, spending_figure::Entity, spending_figure::Column::StatedByPersonId];
    }
}

entity_filter! {
    /// Conditions on AI models and products.
    AiModelFilter, AiModelListFilter, ai_model {
        /// The name.
        name("name"): text [C::Name];
        /// The kind.
        kind("kind"): enumeration [ModelKind, C::Kind];
        /// The announcement date.
        announced_on("announcedOn"): date [C::AnnouncedOn];
        /// The expected release date.
        expected_on("expectedOn"): date [C::ExpectedOn];
        /// The description.
        description("description"): text [C::Description];
        /// The developer.
        developer("developer"): one [CompanyFilter, company::Entity, C::DeveloperId];
        /// Claims about the model.
        claims("claims"): many [ClaimListFilter, claim::Entity, claim::Column::SubjectModelId];
    }
}

entity_filter! {
    /// Conditions on investments.
    InvestmentFilter, InvestmentListFilter, investment {
        /// The external reference.
        r#ref("ref"): text [C::Reference];
        /// The amount, in one currency.
        amount("amount"): money [C::AmountMinor, C::Currency];
        /// The date of the investment.
        made_on("madeOn"): date [C::MadeOn];
        /// The description.
        description("description"): text [C::Description];
        /// The investor.
        investor("investor"): one [CompanyFilter, company::Entity, C::InvestorId];
        /// The investee.
        investee("investee"): one [CompanyFilter, company::Entity, C::InvesteeId];
    }
}

entity_filter! {
    /// Conditions on projects.
    ProjectFilter, ProjectListFilter, project {
        /// The name.
        name("name"): text [C::Name];
        /// The planned amount, in one currency.
        planned_amount("plannedAmount"): money [C::PlannedAmountMinor, C::Currency];
        /// The number of years.
        horizon_years("horizonYears"): int [C::HorizonYears];
        /// The announcement date.
        announced_on("announcedOn"): date [C::AnnouncedOn];
        /// Whether the sources mention backers they do not name.
        has_unnamed_backers("hasUnnamedBackers"): boolean [C::HasUnnamedBackers];
        /// The lead company.
        lead("lead"): one [CompanyFilter, company::Entity, C::LeadCompanyId];
        /// The companies behind the project.
        backers("backers"): many [ProjectBackerListFilter, project_backer::Entity, project_backer::Column::ProjectId];
    }
}

entity_filter! {
    /// Conditions on companies' parts in projects.
    ProjectBackerFilter, ProjectBackerListFilter, project_backer {
        /// The role.
        role("role"): enumeration [BackerRole, C::Role];
        /// The company.
        company("company"): one [CompanyFilter, company::Entity, C::CompanyId];
        /// The project.
        project("project"): one [ProjectFilter, project::Entity, C::ProjectId];
    }
}

entity_filter! {
    /// Conditions on spending figures.
    SpendingFigureFilter, SpendingFigureListFilter, spending_figure {
        /// The external reference.
        r#ref("ref"): text [C::Reference];
        /// The category.
        category("category"): enumeration [SpendingCategory, C::Category];
        /// The status.
        status("status"): enumeration [SpendingStatus, C::Status];
        /// How the amount is bounded.
        bound("bound"): enumeration [AmountBound, C::Bound];
        /// The low end of the amount, in one currency.
        amount_low("amountLow"): money [C::AmountLowMinor, C::Currency];
        /// The high end of the amount, in one currency.
        amount_high("amountHigh"): money [C::AmountHighMinor, C::Currency];
        /// The kind of period.
        period_kind("periodKind"): enumeration [PeriodKind, C::PeriodKind];
        /// The calendar or fiscal year of the period.
        period_year("periodYear"): int [C::PeriodYear];
        /// The first day of the period.
        period_start("periodStart"): date [C::PeriodStart];
        /// The last day of the period.
        period_end("periodEnd"): date [C::PeriodEnd];
        /// What the money goes to.
        focus("focus"): text [C::Focus];
        /// The company.
        company("company"): one [CompanyFilter, company::Entity, C::CompanyId];
        /// The project.
        project("project"): one [ProjectFilter, project::Entity, C::ProjectId];
        /// The model.
        model("model"): one [AiModelFilter, ai_model::Entity, C::AiModelId];
        /// The person who stated the figure.
        stated_by("statedBy"): one [PersonFilter, person::Entity, C::StatedByPersonId];
    }
}

entity_filter! {
    /// Conditions on claims.
    ClaimFilter, ClaimListFilter, claim {
        /// The external reference.
        r#ref("ref"): text [C::Reference];
        /// The statement.
        statement("statement"): text [C::Statement];
        /// The kind of claim.
        kind("kind"): enumeration [ClaimKind, C::Kind];
        /// The status.
        status("status"): enumeration [ClaimStatus, C::Status];
        /// The stated amount, in one currency.
        amount("amount"): money [C::AmountMinor, C::Currency];
        /// When the claim was made.
        made_on("madeOn"): date [C::MadeOn];
        /// The claimant person.
        claimant_person("claimantPerson"): one [PersonFilter, person::Entity, C::ClaimantPersonId];
        /// The claimant company.
        claimant_company("claimantCompany"): one [CompanyFilter, company::Entity, C::ClaimantCompanyId];
        /// The company the claim is about.
        subject_company("subjectCompany"): one [CompanyFilter, company::Entity, C::SubjectCompanyId];
        /// The model the claim is about.
        subject_model("subjectModel"): one [AiModelFilter, ai_model::Entity, C::SubjectModelId];
        /// The challenges to the claim.
        challenges("challenges"): many [ClaimChallengeListFilter, claim_challenge::Entity, claim_challenge::Column::ClaimId];
    }
}

entity_filter! {
    /// Conditions on challenges to claims.
    ClaimChallengeFilter, ClaimChallengeListFilter, claim_challenge {
        /// The kind of challenge.
        kind("kind"): enumeration [ChallengeKind, C::Kind];
        /// The description.
        description("description"): text [C::Description];
        /// The challenger company.
        challenger_company("challengerCompany"): one [CompanyFilter, company::Entity, C::ChallengerCompanyId];
        /// The challenger person.
        challenger_person("challengerPerson"): one [PersonFilter, person::Entity, C::ChallengerPersonId];
        /// The claim challenged.
        claim("claim"): one [ClaimFilter, claim::Entity, C::ClaimId];
    }
}

entity_filter! {
    /// Conditions on events.
    EventFilter, EventListFilter, event {
        /// The external reference.
        r#ref("ref"): text [C::Reference];
        /// The name.
        name("name"): text [C::Name];
        /// The kind of event.
        kind("kind"): enumeration [EventKind, C::Kind];
        /// When it happened.
        occurred_on("occurredOn"): date [C::OccurredOn];
        /// The company concerned.
        company("company"): one [CompanyFilter, company::Entity, C::CompanyId];
        /// The claim that set it off.
        trigger_claim("triggerClaim"): one [ClaimFilter, claim::Entity, C::TriggerClaimId];
    }
}

entity_filter! {
    /// Conditions on sources.
    SourceFilter, SourceListFilter, source {
        /// The key.
        key("key"): text [C::Key];
        /// The title.
        title("title"): text [C::Title];
        /// The publisher.
        publisher("publisher"): text [C::Publisher];
        /// The publication date.
        published_on("publishedOn"): date [C::PublishedOn];
        /// The web address.
        address("address"): text [C::Address];
    }
}

entity_filter! {
    /// Conditions on citations.
    CitationFilter, CitationListFilter, citation {
        /// The quoted sentence.
        quote("quote"): text [C::Quote];
        /// The source.
        source("source"): one [SourceFilter, source::Entity, C::SourceId];
    }
}
