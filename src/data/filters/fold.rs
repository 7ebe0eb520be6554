//! Case folding that gives the same answers on both engines: one table of letters (ASCII,
//! Latin-1, Latin Extended-A, Greek, basic Cyrillic), applied in SQL to the column and here
//! to the pattern; and LIKE patterns with their wildcards escaped.

use std::sync::OnceLock;

use sea_orm::DbBackend;
use sea_orm::sea_query::Expr;

use crate::data::sql::custom;

/// Upper/lower-case letter pairs folded by the text operators, the same on both engines.
pub(super) fn fold_pairs() -> &'static [(char, char)] {
    static PAIRS: OnceLock<Vec<(char, char)>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        let ranges = [0x41..=0x5A, 0xC0..=0x17F, 0x386..=0x3AB, 0x400..=0x42F];
        let pairs: Vec<(char, char)> = ranges
            .into_iter()
            .flatten()
            .filter_map(char::from_u32)
            .filter_map(|upper| {
                let mut lower = upper.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l != upper => Some((upper, l)),
                    _ => None,
                }
            })
            .collect();
        // No chains (a lower letter that is itself folded): replace() applied in sequence
        // on SQLite must give what translate() gives on PostgreSQL in one pass.
        let uppers: Vec<char> = pairs.iter().map(|(u, _)| *u).collect();
        pairs
            .into_iter()
            .filter(|(_, l)| !uppers.contains(l))
            .collect()
    })
}

/// `text` folded exactly as the SQL expression from [`fold_sql`] folds a column.
pub fn fold_text(text: &str) -> String {
    let pairs = fold_pairs();
    text.chars()
        .map(|c| {
            pairs
                .iter()
                .find(|(u, _)| *u == c)
                .map(|(_, l)| *l)
                .unwrap_or(c)
        })
        .collect()
}

/// The letter pairs outside ASCII whose lower-case letter occurs in `folded`: the only
/// ones that can change whether a column matches a pattern made of `folded` (a letter that
/// does not occur in the pattern matches nothing in it, folded or not).
pub(crate) fn pairs_for(folded: &str) -> Vec<(char, char)> {
    fold_pairs()
        .iter()
        .filter(|(upper, lower)| !upper.is_ascii() && folded.contains(*lower))
        .copied()
        .collect()
}

/// The SQL that folds `column` for a comparison with `pattern` (a text already folded by
/// [`fold_text`]). PostgreSQL translates every pair in one call; SQLite has no translate(),
/// so it replaces, one nested call each, only the pairs that matter for this pattern: a
/// chain of every pair would be some 200 calls deep, and a few of them in nested
/// subqueries exceed SQLite's expression depth and variable limits.
pub(crate) fn fold_sql(column: Expr, backend: DbBackend, pattern: &str) -> Expr {
    let pairs = fold_pairs();
    match backend {
        DbBackend::Postgres => {
            let (upper, lower): (String, String) = pairs.iter().copied().unzip();
            custom(
                backend,
                "translate($1, $2, $3)",
                &[column, Expr::val(upper), Expr::val(lower)],
            )
        }
        _ => {
            // lower() folds ASCII; replace() every other pair.
            let mut folded = custom(backend, "lower($1)", &[column]);
            for (upper, lower) in pairs_for(pattern) {
                folded = custom(
                    backend,
                    "replace($1, $2, $3)",
                    &[
                        folded,
                        Expr::val(upper.to_string()),
                        Expr::val(lower.to_string()),
                    ],
                );
            }
            folded
        }
    }
}

/// A LIKE pattern matching `text` literally (escaping %, _ and the escape character).
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_covers_ascii_latin_greek_and_cyrillic_letters() {
        assert_eq!(
            fold_text("Élan ÄPFEL Ωmega ПРИВЕТ Zeta"),
            "élan äpfel ωmega привет zeta"
        );
        assert_eq!(fold_text("already lower 123 ß"), "already lower 123 ß");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_literal("50%_off\\"), "50\\%\\_off\\\\");
    }
}
