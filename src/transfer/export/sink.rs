//! Where exported records go: the JSON dataset format, one record per line, or one CSV
//! file per row type (with the provenance notes and shares in their own files).

use super::*;

pub(super) trait Sink: Send {
    fn section(&mut self, name: &str) -> std::io::Result<()>;
    fn write(&mut self, record: &Record) -> Result<()>;
    fn finish(&mut self) -> std::io::Result<()>;
}

/// The dataset format, one record per line.
pub(super) struct JsonSink {
    out: BufWriter<File>,
    sections: usize,
    in_section: usize,
}

impl JsonSink {
    pub(super) fn new(file: File) -> Self {
        JsonSink {
            out: BufWriter::new(file),
            sections: 0,
            in_section: 0,
        }
    }

    fn record<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
        let sep = if self.in_section == 0 { "\n" } else { ",\n" };
        self.in_section += 1;
        write!(self.out, "{sep}    {text}").map_err(|e| Error::Internal(e.to_string()))
    }
}

impl Sink for JsonSink {
    fn section(&mut self, name: &str) -> std::io::Result<()> {
        let open = if self.sections == 0 {
            "{\n"
        } else if self.in_section == 0 {
            "],\n"
        } else {
            "\n  ],\n"
        };
        self.sections += 1;
        self.in_section = 0;
        write!(self.out, "{open}  \"{name}\": [")
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Source(r) => self.record(r),
            Record::Company(r) => self.record(r),
            Record::Person(r) => self.record(r),
            Record::Model(r) => self.record(r),
            Record::Investment(r) => self.record(r),
            Record::Project(r) => self.record(r),
            Record::Figure(r) => self.record(r),
            Record::Claim(r) => self.record(r),
            Record::Event(r) => self.record(r),
            Record::Alias(r) => self.record(r),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let close = match (self.sections, self.in_section) {
            (0, _) => "{",
            (_, 0) => "]",
            _ => "\n  ]",
        };
        writeln!(self.out, "{close}\n}}")?;
        self.out.flush()
    }
}

/// One CSV file per row type.
pub(super) struct CsvSink {
    writers: HashMap<&'static str, csv::Writer<BufWriter<File>>>,
}

impl CsvSink {
    pub(super) fn new(dir: &Path) -> Result<Self> {
        let mut writers = HashMap::new();
        for kind in CsvKind::ALL {
            let path = dir.join(format!("{}.csv", kind.file_stem()));
            let file = File::create(&path).map_err(|e| {
                Error::invalid(path.display().to_string(), format!("cannot write: {e}"))
            })?;
            let mut writer = csv::Writer::from_writer(BufWriter::new(file));
            if matches!(kind, CsvKind::Provenance | CsvKind::FigureShares) {
                writer
                    .write_record(provenance_csv::header(kind))
                    .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
            }
            writers.insert(kind.file_stem(), writer);
        }
        Ok(CsvSink { writers })
    }

    fn writer(&mut self, file: &'static str) -> Result<&mut csv::Writer<BufWriter<File>>> {
        self.writers
            .get_mut(file)
            .ok_or_else(|| Error::Internal(format!("no writer for {file}")))
    }

    fn rows<T: Serialize>(&mut self, file: &'static str, rows: Vec<T>) -> Result<()> {
        let writer = self.writer(file)?;
        for row in rows {
            writer
                .serialize(row)
                .map_err(|e| Error::Internal(format!("{file}.csv: {e}")))?;
        }
        Ok(())
    }

    /// Writes lines of cells to a file whose header is written.
    fn lines(&mut self, file: &'static str, lines: Vec<Vec<String>>) -> Result<()> {
        let writer = self.writer(file)?;
        for line in lines {
            writer
                .write_record(&line)
                .map_err(|e| Error::Internal(format!("{file}.csv: {e}")))?;
        }
        Ok(())
    }
}

impl Sink for CsvSink {
    fn section(&mut self, _name: &str) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        if let Some((typename, key, notes)) = record.notes() {
            self.lines(
                "provenance",
                provenance_csv::note_lines(typename, key, notes),
            )?;
        }
        if let Record::Figure(r) = record
            && let Some(shares) = &r.shares
        {
            self.lines(
                "figure_shares",
                provenance_csv::share_lines(&r.r#ref, shares),
            )?;
        }
        match record {
            Record::Source(r) => self.rows("sources", SourceRow::from_rec(r)),
            Record::Company(r) => self.rows("companies", CompanyRow::from_rec(r)),
            Record::Person(r) => self.rows("people", PersonRow::from_rec(r)),
            Record::Model(r) => self.rows("models", ModelRow::from_rec(r)),
            Record::Investment(r) => self.rows("investments", InvestmentRow::from_rec(r)),
            Record::Project(r) => {
                self.rows("projects", ProjectRow::from_rec(r))?;
                for b in &r.backers {
                    self.rows("project_backers", BackerRow::from_rec(&r.name, b))?;
                }
                Ok(())
            }
            Record::Figure(r) => self.rows("spending_figures", FigureRow::from_rec(r)),
            Record::Claim(r) => {
                self.rows("claims", ClaimRow::from_rec(r))?;
                for ch in &r.challenges {
                    self.rows("claim_challenges", ChallengeRow::from_rec(&r.r#ref, ch))?;
                }
                Ok(())
            }
            Record::Event(r) => self.rows("events", EventRow::from_rec(r)),
            Record::Alias(r) => self.rows("aliases", vec![r.clone()]),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for writer in self.writers.values_mut() {
            writer.flush()?;
        }
        Ok(())
    }
}
