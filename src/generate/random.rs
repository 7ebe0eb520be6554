//! The deterministic randomness of the generator: a seeded splitmix64 stream, weighted
//! picks, the tables of weights, names, dates and amounts.

use chrono::NaiveDate;
use entity::enums::*;

use crate::error::{Error, Result};

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and its output depends on nothing but
/// the seed, which is what determinism across engines and machines needs.
#[derive(Debug, Clone)]
pub(super) struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream per table, so that asking for more claims does not change the
    /// investments drawn from the same seed.
    pub(super) fn stream(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng::new(stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(seed ^ mixer.next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0). The multiply-shift's bias is below 2^-32 for
    /// every `n` used here, far too small to matter for synthetic data.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn between(&mut self, low: i32, high: i32) -> i32 {
        low + self.below((high - low + 1) as u64) as i32
    }

    pub(super) fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    pub(super) fn choose<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total);
        for (item, weight) in items {
            if r < *weight {
                return *item;
            }
            r -= weight;
        }
        // Only reached with an empty or all-zero table, which the constants below never are.
        items[0].0
    }

    /// A heavy-tailed weight in 1..=1000 with P(w > x) about 1/x: a few companies attract
    /// most deals, as in the real market, while most get one or two.
    pub(super) fn popularity(&mut self) -> u64 {
        1000 / (1 + self.below(1000))
    }
}

/// Draws indices in proportion to their weights (an index with weight 0 is never drawn,
/// unless all are 0, when all are equally likely).
pub(super) struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    pub(super) fn new(weights: impl Iterator<Item = u64>) -> Weighted {
        let mut total = 0;
        let mut cumulative: Vec<u64> = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        if total == 0 {
            cumulative = (1..=cumulative.len() as u64).collect();
        }
        Weighted { cumulative }
    }

    pub(super) fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let r = rng.below(total);
        self.cumulative.partition_point(|&c| c <= r)
    }

    /// A pick other than `not`, for edges that must join two distinct rows.
    pub(super) fn pick_other(&self, rng: &mut Rng, not: usize) -> usize {
        for _ in 0..16 {
            let i = self.pick(rng);
            if i != not {
                return i;
            }
        }
        // `not` holds nearly all the weight: take a uniform other row instead.
        let n = self.cumulative.len();
        (not + 1 + rng.index(n - 1)) % n
    }
}

// ---------------------------------------------------------------------------------------
// What rows look like

pub(super) const KINDS: &[(CompanyKind, u64)] = &[
    (CompanyKind::Startup, 60),
    (CompanyKind::Investor, 14),
    (CompanyKind::Subsidiary, 8),
    (CompanyKind::Other, 8),
    (CompanyKind::BigTech, 5),
    (CompanyKind::Chipmaker, 5),
];

/// (country, headquarters, weight); `None` is a company whose country no source gives.
pub(super) const PLACES: &[(Option<(&str, &str)>, u64)] = &[
    (Some(("US", "San Francisco")), 22),
    (Some(("US", "New York")), 8),
    (Some(("US", "Seattle")), 6),
    (Some(("CN", "Beijing")), 8),
    (Some(("CN", "Shenzhen")), 4),
    (Some(("GB", "London")), 7),
    (Some(("FR", "Paris")), 5),
    (Some(("DE", "Berlin")), 4),
    (Some(("JP", "Tokyo")), 4),
    (Some(("KR", "Seoul")), 3),
    (Some(("IL", "Tel Aviv")), 3),
    (Some(("CA", "Toronto")), 3),
    (Some(("IN", "Bengaluru")), 3),
    (Some(("SE", "Stockholm")), 2),
    (Some(("NL", "Amsterdam")), 2),
    (None, 16),
];

/// Names outside ASCII, for every 97th company, with the place that goes with them: clients
/// and both engines must round-trip them unchanged.
pub(super) const FOREIGN_NAMES: &[(&str, &str, &str)] = &[
    ("Société d'Intelligence", "FR", "Paris"),
    ("Ökonomie Rechenwerk", "DE", "München"),
    ("Ærøskøbing Robotik", "DK", "Århus"),
    ("Zürcher Lernmaschinen", "CH", "Zürich"),
    ("北京智能科技", "CN", "北京"),
    ("Łódź Sieci Neuronowe", "PL", "Łódź"),
    ("São Paulo Inteligência", "BR", "São Paulo"),
    ("Reykjavík Gervigreind", "IS", "Reykjavík"),
];

pub(super) const TITLES: &[(&str, u64)] = &[
    ("Chief Executive Officer", 20),
    ("Chief Technology Officer", 15),
    ("Chief Financial Officer", 10),
    ("Chief Scientist", 8),
    ("Co-founder", 15),
    ("Head of Research", 12),
    ("Analyst", 20),
];

pub(super) const PRECISIONS: &[(DatePrecision, u64)] = &[
    (DatePrecision::Day, 50),
    (DatePrecision::Month, 25),
    (DatePrecision::Quarter, 15),
    (DatePrecision::Year, 10),
];

pub(super) const CLAIM_KINDS: &[(ClaimKind, u64)] = &[
    (ClaimKind::CostClaim, 35),
    (ClaimKind::ForwardLooking, 30),
    (ClaimKind::Opinion, 20),
    (ClaimKind::Guidance, 15),
];

pub(super) const CLAIM_STATUSES: &[(ClaimStatus, u64)] = &[
    (ClaimStatus::Asserted, 55),
    (ClaimStatus::Disputed, 25),
    (ClaimStatus::Verified, 12),
    (ClaimStatus::Refuted, 8),
];

pub(super) const CHALLENGE_KINDS: &[(ChallengeKind, u64)] = &[
    (ChallengeKind::PublicDoubt, 50),
    (ChallengeKind::Investigation, 30),
    (ChallengeKind::CounterEvidence, 20),
];

pub(super) const CURRENCIES: &[(&str, u64)] = &[("USD", 85), ("EUR", 15)];

pub(super) fn company_name(i: usize) -> String {
    let number = i + 1;
    if number.is_multiple_of(97) {
        let (word, _, _) = FOREIGN_NAMES[(number / 97) % FOREIGN_NAMES.len()];
        format!("Gen {word} {number:05}")
    } else {
        format!("Gen Company {number:05}")
    }
}

pub(super) fn person_name(i: usize) -> String {
    format!("Gen Person {:05}", i + 1)
}

pub(super) fn model_name(kind: ModelKind, i: usize) -> String {
    let word = match kind {
        ModelKind::Model => "Model",
        ModelKind::Chip => "Chip",
        ModelKind::Agent => "Agent",
        ModelKind::Product => "Product",
    };
    format!("Gen {word} {:05}", i + 1)
}

pub(super) fn investment_ref(i: usize) -> String {
    format!("GI{:06}", i + 1)
}

pub(super) fn claim_ref(i: usize) -> String {
    format!("GC{:06}", i + 1)
}

/// How likely a company of each kind is to invest (relative), to receive money, to develop
/// a model, and to be listed (percent).
pub(super) fn kind_profile(kind: CompanyKind) -> (u64, u64, u64, u64) {
    match kind {
        CompanyKind::Investor => (12, 1, 0, 30),
        CompanyKind::BigTech => (8, 1, 8, 90),
        CompanyKind::Chipmaker => (3, 3, 4, 70),
        CompanyKind::Startup => (1, 10, 4, 8),
        CompanyKind::Subsidiary => (1, 1, 2, 0),
        CompanyKind::Other => (2, 2, 1, 20),
    }
}

pub(super) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(super) fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        Error::Internal(format!("generated an impossible date {year}-{month}-{day}"))
    })
}

/// A date in `years` known to a random precision, stored as the first day of its span like
/// every date of the schema (see `check_date` in the dataset loader).
pub(super) fn random_date(
    rng: &mut Rng,
    first: i32,
    last: i32,
) -> Result<(NaiveDate, DatePrecision)> {
    let year = rng.between(first, last);
    let precision = rng.choose(PRECISIONS);
    let date = match precision {
        DatePrecision::Day => {
            let days = if is_leap(year) { 366 } else { 365 };
            let ordinal = 1 + rng.below(days) as u32;
            NaiveDate::from_yo_opt(year, ordinal).ok_or_else(|| {
                Error::Internal(format!("generated an impossible day {ordinal} of {year}"))
            })?
        }
        DatePrecision::Month => ymd(year, 1 + rng.below(12) as u32, 1)?,
        DatePrecision::Quarter => ymd(year, 1 + 3 * rng.below(4) as u32, 1)?,
        DatePrecision::Year => ymd(year, 1, 1)?,
    };
    Ok((date, precision))
}

/// A round amount in minor units between `10^low` and `10^(high+1)` major units, with three
/// significant digits, as deal sizes are reported ("$12.5 million").
pub(super) fn random_amount(rng: &mut Rng, low: u32, high: u32) -> i64 {
    let exponent = low + rng.below(u64::from(high - low + 1)) as u32;
    let mantissa = 100 + rng.below(900) as i64;
    // Both currencies used here have two minor digits.
    mantissa * 10_i64.pow(exponent - 2) * 100
}

// ---------------------------------------------------------------------------------------
// Writing

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // Reference values of Vigna's splitmix64.c seeded with 1234567.
        let mut rng = Rng::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn streams_differ_and_repeat() {
        let draw = |seed, stream| {
            let mut rng = Rng::stream(seed, stream);
            (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, 1), draw(42, 1));
        assert_ne!(draw(42, 1), draw(42, 2));
        assert_ne!(draw(42, 1), draw(43, 1));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(7);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            let x = rng.below(10);
            seen[x as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn weighted_picks_follow_their_weights_and_avoid_the_excluded() {
        let mut rng = Rng::new(1);
        let w = Weighted::new([0, 1, 9].into_iter());
        let mut seen = [0usize; 3];
        for _ in 0..10_000 {
            seen[w.pick(&mut rng)] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!((800..1200).contains(&seen[1]), "{seen:?}");
        for _ in 0..1_000 {
            assert_ne!(w.pick_other(&mut rng, 2), 2);
        }
        let zeros = Weighted::new([0, 0].into_iter());
        assert!(zeros.pick(&mut rng) < 2);
    }

    #[test]
    fn dates_start_the_span_their_precision_names() {
        let mut rng = Rng::new(3);
        for _ in 0..5_000 {
            let (d, p) = random_date(&mut rng, 2015, 2025).expect("date");
            assert!((2015..=2025).contains(&d.year()));
            match p {
                DatePrecision::Day => {}
                DatePrecision::Month => assert_eq!(d.day(), 1),
                DatePrecision::Quarter => {
                    assert!(d.day() == 1 && d.month0().is_multiple_of(3), "{d}")
                }
                DatePrecision::Year => assert!(d.day() == 1 && d.month() == 1, "{d}"),
            }
        }
    }

    #[test]
    fn amounts_are_round_positive_and_in_range() {
        let mut rng = Rng::new(5);
        for _ in 0..5_000 {
            let a = random_amount(&mut rng, 5, 9);
            assert!((100_000 * 100..10_000_000_000 * 100).contains(&a), "{a}");
            assert_eq!(a % (1_000 * 100), 0, "three significant digits: {a}");
        }
    }

    #[test]
    fn names_are_unique_and_some_are_not_ascii() {
        let names: Vec<String> = (0..2_000).map(company_name).collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(names[0], "Gen Company 00001");
        assert!(names.iter().all(|n| n.starts_with("Gen ")));
        assert_eq!(names.iter().filter(|n| !n.is_ascii()).count(), 2_000 / 97);
    }
}
