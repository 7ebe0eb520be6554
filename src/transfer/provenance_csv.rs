//! `provenance.csv` and `figure_shares.csv`: the provenance notes of rows' values and the
//! shares of spending figures, in the CSV format.
//!
//! `provenance.csv` has a line per note, `type,key,field` naming the value (the row's
//! GraphQL type, its natural key as `derivedFrom` names it, the value's field), then the
//! note's columns. `figure_shares.csv` has a line per share, `spending_figure` (the
//! figure's ref), `part`, `fraction_low`, `low_exclusive`, `fraction_high`,
//! `high_exclusive`, then the share's note columns. The note columns are `basis`,
//! `qualifier`, `words`, `derivation`, `reason` and `derived_from_type`,
//! `derived_from_key`, `derived_from_field`: as with citations, **one line per value a note
//! is derived from**, repeating the note's other columns.
//!
//! The lines of one row (or figure) are consecutive: together they replace the row's notes
//! (its shares) after the same checks as every write path ([`crate::domain::provenance`]);
//! a row with no line keeps what it has. The files load after every other CSV file, so
//! `derivedFrom` may name any row of the import.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;
use sea_orm::DatabaseTransaction;
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::import::{CsvKind, column_of, next_record, open_csv, refuse_nul};
use crate::dataset::notes::write_shares;
use crate::dataset::notes::{DerivedRefs, GivenNote, GivenShare, find_owner, write_notes};
use crate::dataset::{Notes, ProvenanceRec, ShareRec, ValueRefRec};
use crate::error::{Error, Result};

/// The columns of a note, in both files.
const NOTE: [&str; 8] = [
    "basis",
    "qualifier",
    "words",
    "derivation",
    "reason",
    "derived_from_type",
    "derived_from_key",
    "derived_from_field",
];

/// The columns before the note's in `provenance.csv`.
const NOTED_VALUE: [&str; 3] = ["type", "key", "field"];

/// The columns before the note's in `figure_shares.csv`.
const SHARE: [&str; 6] = [
    "spending_figure",
    "part",
    "fraction_low",
    "low_exclusive",
    "fraction_high",
    "high_exclusive",
];

/// The header of a notes file.
pub fn header(kind: CsvKind) -> Vec<&'static str> {
    let first: &[&str] = match kind {
        CsvKind::FigureShares => &SHARE,
        _ => &NOTED_VALUE,
    };
    first.iter().chain(NOTE.iter()).copied().collect()
}

/// An enumeration's GraphQL name (`STATED`).
fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The note columns of `note`: one line per value it is derived from, one if none.
fn note_cells(note: &ProvenanceRec) -> Vec<Vec<String>> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let own = vec![
        name(&note.basis),
        note.qualifier.as_ref().map(name).unwrap_or_default(),
        text(&note.words),
        text(&note.derivation),
        text(&note.reason),
    ];
    if note.derived_from.is_empty() {
        return vec![[own, vec![String::new(); 3]].concat()];
    }
    note.derived_from
        .iter()
        .map(|r| {
            [
                own.clone(),
                vec![r.typename.clone(), r.key.clone(), r.field.clone()],
            ]
            .concat()
        })
        .collect()
}

/// The lines of `provenance.csv` for the notes of the `typename` row named `key`.
pub fn note_lines(typename: &str, key: &str, notes: &Notes) -> Vec<Vec<String>> {
    notes
        .iter()
        .flat_map(|(field, note)| {
            let value = vec![typename.to_owned(), key.to_owned(), field.clone()];
            note_cells(note)
                .into_iter()
                .map(move |cells| [value.clone(), cells].concat())
        })
        .collect()
}

/// The lines of `figure_shares.csv` for the shares of figure `figure` (its ref).
pub fn share_lines(figure: &str, shares: &[ShareRec]) -> Vec<Vec<String>> {
    shares
        .iter()
        .flat_map(|s| {
            let share = vec![
                figure.to_owned(),
                s.part.clone(),
                s.fraction_low.clone().unwrap_or_default(),
                s.low_exclusive.to_string(),
                s.fraction_high.clone().unwrap_or_default(),
                s.high_exclusive.to_string(),
            ];
            note_cells(&s.provenance)
                .into_iter()
                .map(move |cells| [share.clone(), cells].concat())
        })
        .collect()
}

/// One line of a notes file, its cells by column.
struct Cells<'a> {
    record: &'a StringRecord,
    columns: &'a HashMap<String, usize>,
    file: &'a str,
    line: u64,
}

impl Cells<'_> {
    fn at(&self, column: &str) -> String {
        format!("{}: line {}, column {column}", self.file, self.line)
    }

    /// The cell of `column`; empty is null.
    fn get(&self, column: &str) -> Option<String> {
        let cell = self.record.get(*self.columns.get(column)?)?;
        (!cell.is_empty()).then(|| cell.to_owned())
    }

    fn required(&self, column: &str) -> Result<String> {
        self.get(column)
            .ok_or_else(|| Error::invalid(self.at(column), "must not be empty"))
    }

    fn parse<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>> {
        self.get(column)
            .map(|cell| {
                let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                    cell.as_str().into_deserializer();
                T::deserialize(de).map_err(|e| Error::invalid(self.at(column), e.to_string()))
            })
            .transpose()
    }

    fn flag(&self, column: &str) -> Result<bool> {
        match self.get(column).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(Error::invalid(
                self.at(column),
                format!("{other:?} is not true or false"),
            )),
        }
    }

    /// The note of this line, and the value it is derived from if the line names one.
    fn note(&self) -> Result<(ProvenanceRec, Option<ValueRefRec>)> {
        let note = ProvenanceRec {
            basis: self
                .parse("basis")?
                .ok_or_else(|| Error::invalid(self.at("basis"), "must not be empty"))?,
            qualifier: self.parse("qualifier")?,
            words: self.get("words"),
            derivation: self.get("derivation"),
            derived_from: Vec::new(),
            reason: self.get("reason"),
        };
        let from = ["type", "key", "field"].map(|c| self.get(&format!("derived_from_{c}")));
        let from = match from {
            [None, None, None] => None,
            [Some(typename), Some(key), Some(field)] => Some(ValueRefRec {
                typename,
                key,
                field,
            }),
            _ => {
                let c =
                    ["type", "key", "field"][from.iter().position(Option::is_none).unwrap_or(0)];
                return Err(Error::invalid(
                    self.at(&format!("derived_from_{c}")),
                    "a value derived from names its type, key and field",
                ));
            }
        };
        Ok((note, from))
    }
}

/// A note or share read from one or more lines: its first line and the line of each value
/// it is derived from.
struct Item<T> {
    value: T,
    line: u64,
    ref_lines: Vec<u64>,
    /// The first line's cells.
    cells: StringRecord,
}

/// What one line of either file gives.
struct Parsed<T> {
    /// The row (or figure) whose notes (shares) it is.
    owner: Vec<String>,
    /// What tells the line's note (share) from the row's others: a field, a part.
    item: String,
    value: T,
    from: Option<ValueRefRec>,
}

/// The note (share) of item `T`.
trait Noted {
    fn note_mut(&mut self) -> &mut ProvenanceRec;
}

impl Noted for (String, ProvenanceRec) {
    fn note_mut(&mut self) -> &mut ProvenanceRec {
        &mut self.1
    }
}

impl Noted for ShareRec {
    fn note_mut(&mut self) -> &mut ProvenanceRec {
        &mut self.provenance
    }
}

fn parse_note(cells: &Cells) -> Result<Parsed<(String, ProvenanceRec)>> {
    let (note, from) = cells.note()?;
    let field = cells.required("field")?;
    Ok(Parsed {
        owner: vec![cells.required("type")?, cells.required("key")?],
        item: field.clone(),
        value: (field, note),
        from,
    })
}

fn parse_share(cells: &Cells) -> Result<Parsed<ShareRec>> {
    let (provenance, from) = cells.note()?;
    let part = cells.required("part")?;
    Ok(Parsed {
        owner: vec![cells.required("spending_figure")?],
        item: part.clone(),
        value: ShareRec {
            part,
            fraction_low: cells.get("fraction_low"),
            low_exclusive: cells.flag("low_exclusive")?,
            fraction_high: cells.get("fraction_high"),
            high_exclusive: cells.flag("high_exclusive")?,
            provenance,
        },
        from,
    })
}

/// The lines of one row (figure) read so far.
struct Group<T> {
    owner: Vec<String>,
    line: u64,
    items: Vec<(String, Item<T>)>,
}

impl<T> Group<T> {
    /// The group's notes (shares) as the write path takes them, each at `@{index}`.
    fn given<G>(&self, make: impl Fn(String, &T) -> G) -> Vec<G> {
        self.items
            .iter()
            .enumerate()
            .map(|(j, (_, item))| make(format!("@{j}"), &item.value))
            .collect()
    }
}

/// Loads `provenance.csv` or `figure_shares.csv` into `txn`; returns the lines read.
pub(super) async fn load(txn: &DatabaseTransaction, kind: CsvKind, path: &Path) -> Result<u64> {
    match kind {
        CsvKind::FigureShares => read(txn, path, kind, parse_share, write_share_group).await,
        _ => read(txn, path, kind, parse_note, write_note_group).await,
    }
}

/// Reads the file's lines and writes each row's group of lines once it is complete.
async fn read<T, P, W>(
    txn: &DatabaseTransaction,
    path: &Path,
    kind: CsvKind,
    parse: P,
    write: W,
) -> Result<u64>
where
    T: Noted,
    P: Fn(&Cells) -> Result<Parsed<T>>,
    W: AsyncFn(&DatabaseTransaction, &str, Group<T>) -> Result<()>,
{
    let file = path.display().to_string();
    let (mut reader, headers) = open_csv(path, &file)?;
    let columns = check_header(&file, kind, &headers)?;
    let mut record = StringRecord::new();
    let mut lines = 0u64;
    let mut group: Option<Group<T>> = None;
    // The first line of every row seen, to refuse a row whose lines are apart.
    let mut seen: HashMap<Vec<String>, u64> = HashMap::new();
    while next_record(&mut reader, &mut record, &file)? {
        lines += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(lines + 1);
        refuse_nul(&record, &headers, &file, line)?;
        let cells = Cells {
            record: &record,
            columns: &columns,
            file: &file,
            line,
        };
        let parsed = parse(&cells)?;
        if group.as_ref().is_none_or(|g| g.owner != parsed.owner) {
            if let Some(done) = group.take() {
                write(txn, &file, done).await?;
            }
            if let Some(first) = seen.insert(parsed.owner.clone(), line) {
                return Err(Error::invalid(
                    format!("{file}: line {line}"),
                    format!(
                        "the lines of {} must follow each other (it was on line {first})",
                        parsed.owner.join(" ")
                    ),
                ));
            }
            group = Some(Group {
                owner: parsed.owner.clone(),
                line,
                items: Vec::new(),
            });
        }
        let Some(g) = group.as_mut() else { continue };
        add_line(g, parsed, &cells)?;
    }
    if let Some(done) = group.take() {
        write(txn, &file, done).await?;
    }
    Ok(lines)
}

/// Adds a line to its row's group: another value the last note is derived from, or a new
/// note (share).
fn add_line<T: Noted>(g: &mut Group<T>, mut parsed: Parsed<T>, cells: &Cells) -> Result<()> {
    let line = cells.line;
    if let (Some((item, last)), Some(from)) = (g.items.last_mut(), &parsed.from)
        && *item == parsed.item
        && !last.ref_lines.is_empty()
    {
        // The lines of a note differ only in the value it is derived from.
        let differs = cells
            .columns
            .iter()
            .filter(|(c, _)| !c.starts_with("derived_from_"))
            .filter(|(_, i)| last.cells.get(**i) != cells.record.get(**i))
            .min_by_key(|(_, i)| **i);
        if let Some((column, _)) = differs {
            return Err(Error::invalid(
                cells.at(column),
                format!(
                    "continues the note of line {} with another {column}: the lines of a \
                     note differ only in the value it is derived from",
                    last.line
                ),
            ));
        }
        last.value.note_mut().derived_from.push(from.clone());
        last.ref_lines.push(line);
        return Ok(());
    }
    let ref_lines = match parsed.from.take() {
        Some(from) => {
            parsed.value.note_mut().derived_from.push(from);
            vec![line]
        }
        None => Vec::new(),
    };
    g.items.push((
        parsed.item,
        Item {
            value: parsed.value,
            line,
            ref_lines,
            cells: cells.record.clone(),
        },
    ));
    Ok(())
}

/// The columns of the file by name; all of them, and no other.
fn check_header(
    file: &str,
    kind: CsvKind,
    headers: &StringRecord,
) -> Result<HashMap<String, usize>> {
    let expected = header(kind);
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_owned(), i))
        .collect();
    let unknown = headers.iter().find(|h| !expected.contains(h));
    let missing = expected.iter().find(|c| !columns.contains_key(**c));
    let problem = match (unknown, missing) {
        (Some(c), _) => format!("unknown column {c:?}"),
        (None, Some(c)) => format!("missing column {c:?}"),
        (None, None) => return Ok(columns),
    };
    Err(Error::invalid(
        format!("{file}: line 1"),
        format!("{problem}: the columns are {}", expected.join(",")),
    ))
}

/// An error of item `@{j}` of a group, named by file, line and column: `whole` is the
/// column of an error about the item as a whole (`field` for a note).
fn place<T>(file: &str, g: &Group<T>, whole: Option<&str>, err: Error) -> Error {
    let Error::InvalidInput { field, message } = err else {
        return err;
    };
    let item = field.strip_prefix('@').and_then(|rest| {
        let (j, rest) = rest.split_once('.').unwrap_or((rest, ""));
        Some((g.items.get(j.parse::<usize>().ok()?)?, rest))
    });
    let Some(((_, item), rest)) = item else {
        return Error::invalid(format!("{file}: line {}", g.line), message);
    };
    let rest = rest.strip_prefix("provenance").unwrap_or(rest);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let (line, column) = if rest.is_empty() {
        (item.line, whole.map(str::to_owned))
    } else if let Some(r) = rest.strip_prefix("derivedFrom") {
        let index = r
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .and_then(|(i, tail)| Some((i.parse::<usize>().ok()?, tail)));
        match index {
            Some((i, tail)) => (
                item.ref_lines.get(i).copied().unwrap_or(item.line),
                Some(format!(
                    "derived_from_{}",
                    tail.trim_start_matches('.')
                        .split('.')
                        .next()
                        .unwrap_or("type")
                )),
            ),
            None => (item.line, Some("derived_from_type".to_owned())),
        }
    } else {
        (item.line, Some(column_of(rest)))
    };
    match column {
        Some(c) => Error::invalid(format!("{file}: line {line}, column {c}"), message),
        None => Error::invalid(format!("{file}: line {line}"), message),
    }
}

/// Replaces the notes of one row with its group's, then checks what they derive from.
async fn write_note_group(
    txn: &DatabaseTransaction,
    file: &str,
    g: Group<(String, ProvenanceRec)>,
) -> Result<()> {
    let at = |c: &str| format!("{file}: line {}, column {c}", g.line);
    let owner = find_owner(txn, (&at("type"), &at("key")), &g.owner[0], &g.owner[1]).await?;
    let given = g.given(|at, (field, note)| GivenNote {
        at,
        field: field.clone(),
        note: note.clone(),
    });
    let written = write_notes(txn, file, &owner, Some(given)).await;
    checked(txn, written)
        .await
        .map_err(|e| place(file, &g, Some("field"), e))
}

/// Replaces the shares of one figure with its group's, then checks what they derive from.
async fn write_share_group(
    txn: &DatabaseTransaction,
    file: &str,
    g: Group<ShareRec>,
) -> Result<()> {
    let at = format!("{file}: line {}, column spending_figure", g.line);
    let figure = find_owner(txn, (&at, &at), "SpendingFigure", &g.owner[0]).await?;
    let given = g.given(|at, share| GivenShare {
        at,
        share: share.clone(),
    });
    let written = write_shares(txn, file, figure.id, Some(given)).await;
    checked(txn, written)
        .await
        .map_err(|e| place(file, &g, None, e))
}

async fn checked(txn: &DatabaseTransaction, written: Result<DerivedRefs>) -> Result<()> {
    written?.check(txn).await
}
