//! The ranking of search hits, computed here for both engines so that it does not depend on
//! which one fetched the candidates.
//!
//! Texts are split into words (runs of letters and digits, compared lower-case), as
//! PostgreSQL's `pg_trgm` splits them. A text scores, best first:
//! - the whole text equals the query (an exact name, alias or ticker ranks highest);
//! - the text starts with the query (its last word may be cut short);
//! - each query word against the text's words: the same word, a word it starts, a word it
//!   is part of, or a word close to it by trigram similarity (a misspelling); every query
//!   word must be found in the text;
//!
//! and a hit's score is its best text's, plus one point for each other text of the row that
//! matches. Ties are broken by type, then id.

use std::collections::BTreeSet;

/// A word of a text: lower-case, with its place in the text in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// The words of `text`: runs of alphanumeric characters, lower-cased.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<Word> = None;
    for (i, c) in text.chars().enumerate() {
        if c.is_alphanumeric() {
            let word = current.get_or_insert_with(|| Word {
                text: String::new(),
                start: i,
                end: i,
            });
            word.text.extend(c.to_lowercase());
            word.end = i + 1;
        } else if let Some(word) = current.take() {
            out.push(word);
        }
    }
    out.extend(current);
    out
}

/// The trigrams of a word as `pg_trgm` makes them: the word padded with two spaces before
/// and one after.
pub fn trigrams(word: &str) -> BTreeSet<[char; 3]> {
    let padded: Vec<char> = "  ".chars().chain(word.chars()).chain([' ']).collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// The trigrams inside a word, without padding: what SQLite's `trigram` tokenizer indexes.
pub fn inner_trigrams(word: &str) -> BTreeSet<String> {
    let chars: Vec<char> = word.chars().collect();
    chars.windows(3).map(|w| w.iter().collect()).collect()
}

/// Trigram similarity of two words (shared trigrams over all trigrams, as `pg_trgm`'s
/// `similarity`).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    let shared = ta.intersection(&tb).count();
    let all = ta.len() + tb.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    }
}

/// Least trigram similarity for a misspelling to count. PostgreSQL fetches candidates with
/// a lower threshold (see `fetch`): every text that passes here is among them.
pub const FUZZY_THRESHOLD: f64 = 0.4;

/// How a query word matched a word of the text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WordMatch {
    Whole,
    Prefix,
    Part,
    Fuzzy(f64),
}

impl WordMatch {
    fn weight(self) -> f64 {
        match self {
            WordMatch::Whole => 1.0,
            WordMatch::Prefix => 0.8,
            WordMatch::Part => 0.6,
            WordMatch::Fuzzy(s) => 0.25 + 0.25 * s,
        }
    }
}

/// How query word `q` matches text word `w`, with the matched characters of `w`.
fn word_match(q: &str, w: &Word) -> Option<(WordMatch, usize, usize)> {
    if w.text == q {
        return Some((WordMatch::Whole, w.start, w.end));
    }
    let q_len = q.chars().count();
    if w.text.starts_with(q) {
        return Some((WordMatch::Prefix, w.start, (w.start + q_len).min(w.end)));
    }
    if let Some(at) = w.text.find(q) {
        let offset = w.text[..at].chars().count();
        let start = (w.start + offset).min(w.end);
        return Some((WordMatch::Part, start, (start + q_len).min(w.end)));
    }
    // A misspelling must share a trigram inside the word with the text: SQLite fetches
    // candidates by those.
    if q_len < 3 || w.text.chars().count() < 3 {
        return None;
    }
    let shared = inner_trigrams(q)
        .intersection(&inner_trigrams(&w.text))
        .next()
        .is_some();
    let s = similarity(q, &w.text);
    (shared && s >= FUZZY_THRESHOLD).then_some((WordMatch::Fuzzy(s), w.start, w.end))
}

/// One text of a row that matched, with where.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    /// Points: higher ranks first.
    pub points: u32,
    /// Matched character ranges of the text, sorted, not overlapping, end exclusive.
    pub ranges: Vec<(usize, usize)>,
}

/// Whether texts of this field name the row (names, aliases, tickers, keys, references).
pub fn names_the_row(field: &str) -> bool {
    matches!(field, "name" | "alias" | "ticker" | "key" | "ref" | "title")
}

/// How `body` (a text of field `field`) matches the query words `query`; `None` when
/// it does not.
pub fn score_text(query: &[Word], field: &str, body: &str) -> Option<TextMatch> {
    if query.is_empty() {
        return None;
    }
    let naming = names_the_row(field);
    let text = words(body);
    if text.len() == query.len() && text.iter().zip(query).all(|(t, q)| t.text == q.text) {
        let points = if naming { 1000 } else { 700 };
        let range = (text[0].start, text[text.len() - 1].end);
        return Some(TextMatch {
            points,
            ranges: vec![range],
        });
    }
    let last = query.len() - 1;
    if text.len() >= query.len()
        && text[..last]
            .iter()
            .zip(query)
            .all(|(t, q)| t.text == q.text)
        && text[last].text.starts_with(&query[last].text)
    {
        let points = if naming { 900 } else { 600 };
        let end = text[last].start + query[last].text.chars().count();
        return Some(TextMatch {
            points,
            ranges: vec![(text[0].start, end.min(text[last].end))],
        });
    }
    let mut total = 0.0;
    let mut ranges = Vec::new();
    for q in query {
        let best = text
            .iter()
            .filter_map(|w| word_match(&q.text, w))
            .max_by(|a, b| a.0.weight().total_cmp(&b.0.weight()));
        // Every word of the query must be found (SQL fetches candidates the same way).
        let (kind, start, end) = best?;
        total += kind.weight();
        ranges.push((start, end));
    }
    let scale = if naming { 500.0 } else { 400.0 };
    let points = (total / query.len() as f64 * scale).round() as u32;
    Some(TextMatch {
        points: points.max(1),
        ranges: merge(ranges),
    })
}

fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Opening and closing marks of a match in [`highlight`].
pub const MARKS: (&str, &str) = ("«", "»");

/// `text` with each range wrapped in [`MARKS`].
pub fn highlight(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 4);
    let mut next = ranges.iter().peekable();
    let mut open = false;
    for (i, c) in text.chars().enumerate() {
        if open && next.peek().is_some_and(|r| r.1 == i) {
            out.push_str(MARKS.1);
            open = false;
            next.next();
        }
        if !open && next.peek().is_some_and(|r| r.0 == i) {
            out.push_str(MARKS.0);
            open = true;
        }
        out.push(c);
    }
    if open {
        out.push_str(MARKS.1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Vec<Word> {
        words(text)
    }

    #[test]
    fn words_are_lower_case_runs_of_letters_and_digits() {
        let w = words("Meta’s Llama 4, (NVDA)");
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["meta", "s", "llama", "4", "nvda"]);
        assert_eq!((w[2].start, w[2].end), (7, 12));
    }

    #[test]
    fn trigrams_are_padded_as_pg_trgm_pads_them() {
        let t = trigrams("cat");
        assert_eq!(t.len(), 4);
        assert!(t.contains(&[' ', ' ', 'c']));
        assert!(t.contains(&['a', 't', ' ']));
        // pg_trgm: similarity('word', 'words') = 4 / 7
        assert!((similarity("word", "words") - 4.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn exact_beats_prefix_beats_whole_word_beats_misspelling() {
        let exact = score_text(&q("amazon"), "name", "Amazon")
            .expect("a match")
            .points;
        let prefix = score_text(&q("amazon"), "name", "Amazon Web Services")
            .expect("a match")
            .points;
        let word = score_text(&q("amazon"), "description", "Backed by Amazon.")
            .expect("a match")
            .points;
        let fuzzy = score_text(&q("amazom"), "name", "Amazon")
            .expect("a match")
            .points;
        assert!(
            exact > prefix && prefix > word && word > fuzzy,
            "{exact} {prefix} {word} {fuzzy}"
        );
        assert!(score_text(&q("zebra"), "name", "Amazon").is_none());
        // Every word must be found.
        assert!(score_text(&q("amazon zebra"), "name", "Amazon").is_none());
    }

    #[test]
    fn highlights_mark_the_matched_characters() {
        let m = score_text(&q("war rooms"), "quote", "set up “war rooms” to").expect("a match");
        assert_eq!(m.ranges, vec![(8, 11), (12, 17)]);
        assert_eq!(
            highlight("set up “war rooms” to", &m.ranges),
            "set up “«war» «rooms»” to"
        );
    }
}
