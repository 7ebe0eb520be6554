//! Aliases (the other names a source uses for a company, person, model or project) and the
//! search index.
//!
//! `alias` holds one name per row for exactly one subject (one nullable foreign key per
//! subject type, as `citation` has), with the source and the sentence that use the name
//! when there is one.
//!
//! `search_entry` holds one row per searchable text of every row (a name, a ticker, a
//! description, a claim's statement, a citation's quote, an alias...): where it comes from
//! (`origin`, `origin_id`, `field`), the row a hit shows (`node_type`, `node_id`: an
//! alias's hit shows the row it names) and the text. Triggers created here keep it in step
//! with every write, whatever path makes it (dataset load, imports, bulk import,
//! mutations). On SQLite an FTS5 table with the `trigram` tokenizer indexes it (external
//! content, kept in step by triggers on `search_entry`); on PostgreSQL `pg_trgm` GIN and
//! full-text GIN indexes do. The engines only fetch candidates: the ranking is computed in
//! Rust, the same on both (see `src/search/`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A searched table: its name, the GraphQL type its hits show, and its searched columns
/// (column, field name in hits).
struct Searched {
    table: &'static str,
    node: &'static str,
    fields: &'static [(&'static str, &'static str)],
}

const SEARCHED: &[Searched] = &[
    Searched {
        table: "company",
        node: "Company",
        fields: &[
            ("name", "name"),
            ("ticker", "ticker"),
            ("description", "description"),
        ],
    },
    Searched {
        table: "person",
        node: "Person",
        fields: &[
            ("name", "name"),
            ("title", "title"),
            ("description", "description"),
        ],
    },
    Searched {
        table: "ai_model",
        node: "AiModel",
        fields: &[("name", "name"), ("description", "description")],
    },
    Searched {
        table: "project",
        node: "Project",
        fields: &[("name", "name"), ("description", "description")],
    },
    Searched {
        table: "investment",
        node: "Investment",
        fields: &[("\"ref\"", "ref"), ("description", "description")],
    },
    Searched {
        table: "spending_figure",
        node: "SpendingFigure",
        fields: &[
            ("\"ref\"", "ref"),
            ("focus", "focus"),
            ("remarks", "remarks"),
        ],
    },
    Searched {
        table: "claim",
        node: "Claim",
        fields: &[("\"ref\"", "ref"), ("statement", "statement")],
    },
    Searched {
        table: "claim_challenge",
        node: "ClaimChallenge",
        fields: &[("description", "description")],
    },
    Searched {
        table: "event",
        node: "Event",
        fields: &[
            ("\"ref\"", "ref"),
            ("name", "name"),
            ("description", "description"),
        ],
    },
    Searched {
        table: "source",
        node: "Source",
        fields: &[
            ("key", "key"),
            ("title", "title"),
            ("publisher", "publisher"),
        ],
    },
    Searched {
        table: "citation",
        node: "Citation",
        fields: &[("quote", "quote")],
    },
];

/// The subject columns of an alias and the GraphQL type each names.
const ALIAS_SUBJECTS: &[(&str, &str, &str)] = &[
    ("company_id", "company", "Company"),
    ("person_id", "person", "Person"),
    ("ai_model_id", "ai_model", "AiModel"),
    ("project_id", "project", "Project"),
];

const ALIAS_KINDS: &[&str] = &["SHORT_NAME", "COMMON_NAME", "FORMER_NAME", "ABBREVIATION"];

/// `INSERT ... SELECT` statements adding the entries of row `r` (`NEW`, or a table alias
/// in a backfill `FROM`) of `s`.
fn entry_inserts(s: &Searched, r: &str, from: &str) -> Vec<String> {
    s.fields
        .iter()
        .map(|(column, field)| {
            format!(
                "INSERT INTO search_entry (origin, origin_id, field, node_type, node_id, body) \
                 SELECT '{table}', {r}.id, '{field}', '{node}', {r}.id, {r}.{column}{from} \
                 WHERE {r}.{column} IS NOT NULL AND {r}.{column} <> ''",
                table = s.table,
                node = s.node,
            )
        })
        .collect()
}

fn alias_node_type(r: &str) -> String {
    let cases: String = ALIAS_SUBJECTS
        .iter()
        .map(|(column, _, node)| format!(" WHEN {r}.{column} IS NOT NULL THEN '{node}'"))
        .collect();
    format!("CASE{cases} END")
}

fn alias_insert(r: &str, from: &str) -> String {
    let ids: Vec<String> = ALIAS_SUBJECTS
        .iter()
        .map(|(column, _, _)| format!("{r}.{column}"))
        .collect();
    format!(
        "INSERT INTO search_entry (origin, origin_id, field, node_type, node_id, body) \
         SELECT 'alias', {r}.id, 'alias', {node}, COALESCE({ids}), {r}.name{from}",
        node = alias_node_type(r),
        ids = ids.join(", "),
    )
}

fn alias_table(backend: DbBackend) -> String {
    let (id, text) = match backend {
        DbBackend::Postgres => (
            "integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "text",
        ),
        _ => ("integer PRIMARY KEY AUTOINCREMENT", "text"),
    };
    let subjects: String = ALIAS_SUBJECTS
        .iter()
        .map(|(column, table, _)| {
            format!(
                "{column} integer REFERENCES {table} (id) ON DELETE CASCADE ON UPDATE CASCADE, "
            )
        })
        .collect();
    let one: Vec<String> = ALIAS_SUBJECTS
        .iter()
        .map(|(column, _, _)| format!("(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)"))
        .collect();
    let kinds: Vec<String> = ALIAS_KINDS.iter().map(|k| format!("'{k}'")).collect();
    format!(
        "CREATE TABLE alias (id {id}, name varchar(200) NOT NULL, \
         kind varchar(16) NOT NULL CHECK (kind IN ({kinds})), {subjects}\
         source_id integer REFERENCES source (id) ON DELETE SET NULL ON UPDATE CASCADE, \
         quote {text}, \
         CHECK ({one} = 1), \
         CHECK (quote IS NULL OR source_id IS NOT NULL))",
        kinds = kinds.join(", "),
        one = one.join(" + "),
    )
}

fn entry_table(backend: DbBackend) -> String {
    let id = match backend {
        DbBackend::Postgres => "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        _ => "integer PRIMARY KEY AUTOINCREMENT",
    };
    format!(
        "CREATE TABLE search_entry (id {id}, origin varchar(32) NOT NULL, \
         origin_id integer NOT NULL, field varchar(32) NOT NULL, \
         node_type varchar(32) NOT NULL, node_id integer NOT NULL, body text NOT NULL)"
    )
}

fn sqlite_triggers(table: &str, inserts: &[String]) -> Vec<String> {
    let inserts: String = inserts.iter().map(|s| format!("{s}; ")).collect();
    let delete = |r: &str| {
        format!("DELETE FROM search_entry WHERE origin = '{table}' AND origin_id = {r}.id;")
    };
    vec![
        format!("CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN {inserts}END"),
        format!(
            "CREATE TRIGGER search_{table}_au AFTER UPDATE ON {table} BEGIN {} {inserts}END",
            delete("OLD")
        ),
        format!(
            "CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN {} END",
            delete("OLD")
        ),
    ]
}

fn postgres_triggers(table: &str, inserts: &[String]) -> Vec<String> {
    let inserts: String = inserts.iter().map(|s| format!("{s}; ")).collect();
    vec![
        format!(
            "CREATE FUNCTION search_sync_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF TG_OP IN ('UPDATE', 'DELETE') THEN \
             DELETE FROM search_entry WHERE origin = '{table}' AND origin_id = OLD.id; END IF; \
             IF TG_OP IN ('INSERT', 'UPDATE') THEN {inserts}END IF; \
             RETURN NULL; END $$"
        ),
        format!(
            "CREATE TRIGGER search_sync AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION search_sync_{table}()"
        ),
    ]
}

/// Every statement of `up`, in order.
fn statements(backend: DbBackend) -> Vec<String> {
    let pg = backend == DbBackend::Postgres;
    let mut out = vec![alias_table(backend)];
    for (column, _, _) in ALIAS_SUBJECTS {
        out.push(format!(
            "CREATE UNIQUE INDEX idx_alias_{column}_name ON alias ({column}, name)"
        ));
    }
    out.push("CREATE INDEX idx_alias_source_id ON alias (source_id)".into());
    out.push("CREATE INDEX idx_alias_lower_name ON alias (lower(name))".into());
    out.push(entry_table(backend));
    out.push("CREATE INDEX idx_search_entry_origin ON search_entry (origin, origin_id)".into());
    if pg {
        out.push("CREATE EXTENSION IF NOT EXISTS pg_trgm".into());
        out.push(
            "CREATE INDEX idx_search_entry_trgm ON search_entry USING gin (body gin_trgm_ops)"
                .into(),
        );
        out.push(
            "CREATE INDEX idx_search_entry_fts ON search_entry \
             USING gin (to_tsvector('simple', body))"
                .into(),
        );
    } else {
        out.push(
            "CREATE VIRTUAL TABLE search_fts USING fts5(body, content = 'search_entry', \
             content_rowid = 'id', tokenize = 'trigram')"
                .into(),
        );
        out.push(
            "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN \
             INSERT INTO search_fts (rowid, body) VALUES (NEW.id, NEW.body); END"
                .into(),
        );
        out.push(
            "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN \
             INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body); END"
                .into(),
        );
    }
    // Lower-case lookups by name (the forgiving `...ByName` lookups).
    for table in ["company", "person", "ai_model", "project", "event"] {
        out.push(format!(
            "CREATE INDEX idx_{table}_lower_name ON {table} (lower(name))"
        ));
    }
    out.push("CREATE INDEX idx_company_lower_ticker ON company (lower(ticker))".into());
    for s in SEARCHED {
        let inserts = entry_inserts(s, "NEW", "");
        out.extend(if pg {
            postgres_triggers(s.table, &inserts)
        } else {
            sqlite_triggers(s.table, &inserts)
        });
        out.extend(entry_inserts(s, "r", &format!(" FROM {} r", s.table)));
    }
    let alias = vec![alias_insert("NEW", "")];
    out.extend(if pg {
        postgres_triggers("alias", &alias)
    } else {
        sqlite_triggers("alias", &alias)
    });
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in statements(db.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let pg = db.get_database_backend() == DbBackend::Postgres;
        let mut tables: Vec<&str> = SEARCHED.iter().map(|s| s.table).collect();
        tables.push("alias");
        for table in &tables {
            if pg {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS search_sync ON {table}"))
                    .await?;
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS search_sync_{table}()"))
                    .await?;
            } else {
                for suffix in ["ai", "au", "ad"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS search_{table}_{suffix}"
                    ))
                    .await?;
                }
            }
        }
        for table in ["company", "person", "ai_model", "project", "event"] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS idx_{table}_lower_name"))
                .await?;
        }
        db.execute_unprepared("DROP INDEX IF EXISTS idx_company_lower_ticker")
            .await?;
        if !pg {
            db.execute_unprepared("DROP TABLE IF EXISTS search_fts")
                .await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS search_entry")
            .await?;
        db.execute_unprepared("DROP TABLE IF EXISTS alias").await?;
        Ok(())
    }
}
