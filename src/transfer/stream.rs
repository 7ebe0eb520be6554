//! Large JSON datasets read as a stream: records are parsed on a blocking thread and handed
//! to the loader 1,000 at a time over a bounded channel, so memory stays flat however large
//! the file. A streamed file must list its sections in dependency order (sources,
//! companies, people, models, investments, projects, spendingFigures, claims, events), as
//! `export` writes them: a record may only name rows of earlier sections or of its own.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use tokio::sync::mpsc;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// Records handed to the loader at a time.
const CHUNK: usize = 1_000;

/// The sections of a dataset, in the order a streamed file must follow.
pub const SECTIONS: [&str; 10] = [
    "sources",
    "companies",
    "people",
    "models",
    "investments",
    "projects",
    "spendingFigures",
    "claims",
    "events",
    "aliases",
];

/// Up to `CHUNK` records of one section.
pub struct Piece {
    /// The section's name, e.g. "companies".
    pub section: &'static str,
    /// Index in the section of the piece's first record.
    pub offset: usize,
    /// The records, in a dataset holding only this section.
    pub part: Dataset,
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Starts parsing `path` on a blocking thread; pieces arrive on the receiver, and an error
/// ends the stream. `read` counts the bytes parsed.
pub fn pieces(path: &Path, read: Arc<AtomicU64>) -> mpsc::Receiver<Result<Piece>> {
    let (tx, rx) = mpsc::channel(2);
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let name = path.display().to_string();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                let _ = tx.blocking_send(Err(Error::invalid(name, format!("cannot read: {e}"))));
                return;
            }
        };
        let reader = Counting {
            inner: BufReader::with_capacity(256 * 1024, file),
            read,
        };
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let top = Top {
            tx: &tx,
            last: None,
        };
        let outcome = de::Deserializer::deserialize_map(&mut deserializer, top)
            .and_then(|()| deserializer.end());
        if let Err(e) = outcome {
            // A send that fails means the loader stopped first, with its own error.
            let message = if e.line() > 0 {
                format!("line {}, column {}: {e}", e.line(), e.column())
            } else {
                e.to_string()
            };
            let _ = tx.blocking_send(Err(Error::invalid(name, message)));
        }
    });
    rx
}

/// The top-level object: each key a section, in order.
struct Top<'a> {
    tx: &'a mpsc::Sender<Result<Piece>>,
    last: Option<usize>,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dataset: an object of sections")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let Some(position) = SECTIONS.iter().position(|s| *s == key) else {
                return Err(de::Error::unknown_field(&key, &SECTIONS));
            };
            if self.last.is_some_and(|last| last >= position) {
                return Err(de::Error::custom(format!(
                    "section {key:?} comes after {:?}: a file this large is read as a stream, \
                     so its sections must be in the order {} (as `export` writes them)",
                    SECTIONS[self.last.unwrap_or(0)],
                    SECTIONS.join(", ")
                )));
            }
            self.last = Some(position);
            let section = SECTIONS[position];
            let tx = self.tx;
            match section {
                "sources" => {
                    map.next_value_seed(Section::new(section, tx, |d, r| d.sources = r))?
                }
                "companies" => {
                    map.next_value_seed(Section::new(section, tx, |d, r| d.companies = r))?
                }
                "people" => map.next_value_seed(Section::new(section, tx, |d, r| d.people = r))?,
                "models" => map.next_value_seed(Section::new(section, tx, |d, r| d.models = r))?,
                "investments" => {
                    map.next_value_seed(Section::new(section, tx, |d, r| d.investments = r))?
                }
                "projects" => {
                    map.next_value_seed(Section::new(section, tx, |d, r| d.projects = r))?
                }
                "spendingFigures" => {
                    map.next_value_seed(Section::new(section, tx, |d, r| d.spending_figures = r))?
                }
                "claims" => map.next_value_seed(Section::new(section, tx, |d, r| d.claims = r))?,
                "events" => map.next_value_seed(Section::new(section, tx, |d, r| d.events = r))?,
                _ => map.next_value_seed(Section::new(section, tx, |d, r| d.aliases = r))?,
            }
        }
        Ok(())
    }
}

/// One section's array, sent on in pieces.
struct Section<'a, T> {
    name: &'static str,
    tx: &'a mpsc::Sender<Result<Piece>>,
    put: fn(&mut Dataset, Vec<T>),
    _records: PhantomData<T>,
}

impl<'a, T> Section<'a, T> {
    fn new(
        name: &'static str,
        tx: &'a mpsc::Sender<Result<Piece>>,
        put: fn(&mut Dataset, Vec<T>),
    ) -> Self {
        Section {
            name,
            tx,
            put,
            _records: PhantomData,
        }
    }

    fn send<E: de::Error>(&self, offset: usize, records: Vec<T>) -> Result<(), E> {
        let mut part = Dataset::default();
        (self.put)(&mut part, records);
        self.tx
            .blocking_send(Ok(Piece {
                section: self.name,
                offset,
                part,
            }))
            .map_err(|_| E::custom("the import stopped"))
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Section<'_, T> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Section<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {}", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut offset = 0;
        let mut records = Vec::with_capacity(CHUNK);
        while let Some(record) = seq.next_element::<T>().map_err(|e| {
            de::Error::custom(format!("{}[{}]: {e}", self.name, offset + records.len()))
        })? {
            records.push(record);
            if records.len() == CHUNK {
                let full = std::mem::replace(&mut records, Vec::with_capacity(CHUNK));
                self.send(offset, full)?;
                offset += CHUNK;
            }
        }
        if !records.is_empty() {
            self.send(offset, records)?;
        }
        Ok(())
    }
}

/// An error of a piece's record, with the record's index in its whole section:
/// `companies[3].name` of the piece starting at 2,000 becomes `companies[2003].name`.
pub fn at_offset(err: Error, section: &str, offset: usize) -> Error {
    reindex(err, section, |index| Some(index + offset))
}

/// An error about record `section[i]` renamed to `section[index(i)]`; errors about other
/// sections, or indices `index` does not map, are left as they are.
pub fn reindex(err: Error, section: &str, index: impl Fn(usize) -> Option<usize>) -> Error {
    let Error::InvalidInput { field, message } = err else {
        return err;
    };
    let prefix = format!("{section}[");
    let renamed = field
        .strip_prefix(&prefix)
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(i, rest)| Some(format!("{prefix}{}]{rest}", index(i.parse().ok()?)?)));
    Error::InvalidInput {
        field: renamed.unwrap_or(field),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_a_piece_name_the_record_in_its_whole_section() {
        let err = Error::invalid("companies[3].citations[0].quote", "not in the source");
        match at_offset(err, "companies", 2000) {
            Error::InvalidInput { field, .. } => {
                assert_eq!(field, "companies[2003].citations[0].quote")
            }
            other => panic!("{other:?}"),
        }
        let other = Error::invalid("investments[1].amount", "bad");
        match at_offset(other, "companies", 2000) {
            Error::InvalidInput { field, .. } => assert_eq!(field, "investments[1].amount"),
            other => panic!("{other:?}"),
        }
    }
}
