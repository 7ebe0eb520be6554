//! SQL fragments written the same way for SQLite and PostgreSQL.

use sea_orm::DbBackend;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, JoinType, SelectStatement};

/// A custom SQL expression: `$1`, `$2`... in `template` stand for `exprs` (each may occur
/// more than once), written in the placeholder syntax of `backend`.
pub fn custom(backend: DbBackend, template: &str, exprs: &[Expr]) -> Expr {
    if backend == DbBackend::Postgres {
        return Expr::cust_with_exprs(template.to_string(), exprs.to_vec());
    }
    // SQLite's placeholders are positional `?`: repeat each expression where it occurs.
    let mut sql = String::with_capacity(template.len());
    let mut args = Vec::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let mut digits = String::new();
        if c == '$' {
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
        }
        match digits
            .parse::<usize>()
            .ok()
            .and_then(|n| exprs.get(n.wrapping_sub(1)))
        {
            Some(expr) => {
                sql.push('?');
                args.push(expr.clone());
            }
            None => {
                sql.push(c);
                sql.push_str(&digits);
            }
        }
    }
    Expr::cust_with_exprs(sql, args)
}

/// `text` compared and ordered by bytes (code points) on both engines: SQLite's default,
/// `COLLATE "C"` on PostgreSQL.
pub fn bytewise(text: Expr, backend: DbBackend) -> Expr {
    if backend == DbBackend::Postgres {
        Expr::cust_with_expr("$1 COLLATE \"C\"", text)
    } else {
        text
    }
}

/// A column of the row a foreign key of the listed table points to (the investor's name of
/// an investment): what a relation term reads, and the join that reaches it. The one place
/// that knows how such a term becomes SQL.
///
/// A statement that selects, orders or groups by [`Relation::expr`] must join the relation
/// with [`join_relations`]: `LEFT JOIN company AS "investor_id_company" ON
/// "investor_id_company"."id" = "investment"."investor_id"`, once per relation, so that the
/// related name is read once per row by a join rather than by a subquery per row. The join
/// is on the target's primary key, so it never adds rows; a NULL foreign key gives a NULL
/// value, as the subquery did (a required key joins `INNER`: see [`Relation::required`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Relation {
    /// The listed table, which holds the foreign key.
    pub table: &'static str,
    /// The foreign key column.
    pub fk: &'static str,
    /// The table the key points to, by its `id`.
    pub target: &'static str,
    /// The column of the target that is read.
    pub column: &'static str,
    /// Whether that column is unique in the target (a company's name): then grouping by
    /// it is grouping by the foreign key, and a group-by may group by the key first and
    /// join the names of its groups only.
    pub unique: bool,
    /// Whether the foreign key is `NOT NULL`: then every row has its related row (the
    /// constraint), and the join is an `INNER JOIN`, which gives the same rows as a `LEFT
    /// JOIN` but lets PostgreSQL start from the target: a page ordered by the investee's
    /// name walks the companies by name and stops at the page, rather than sorting every
    /// investment (relay query 3: about 200 ms -> 1.1 ms; see BENCHMARKS.md).
    pub required: bool,
}

impl Relation {
    /// The alias of the joined target: one per foreign key and target, so a relation used
    /// several times in a statement (as a key and in `having`, say) is joined once.
    pub fn alias(&self) -> String {
        format!("{}_{}", self.fk, self.target)
    }

    /// The related column, valid in a statement that joined this relation.
    pub fn expr(&self) -> Expr {
        Expr::col((Alias::new(self.alias()), Alias::new(self.column)))
    }
}

/// Adds a join to `select` for each distinct relation of `relations`, in the order of their
/// first use: `INNER` where the foreign key is required, `LEFT` otherwise.
pub fn join_relations(select: &mut SelectStatement, relations: impl IntoIterator<Item = Relation>) {
    let mut joined: Vec<String> = Vec::new();
    for relation in relations {
        let alias = relation.alias();
        if joined.contains(&alias) {
            continue;
        }
        let join = if relation.required {
            JoinType::InnerJoin
        } else {
            JoinType::LeftJoin
        };
        select.join_as(
            join,
            Alias::new(relation.target),
            Alias::new(alias.clone()),
            Expr::col((Alias::new(alias.clone()), Alias::new("id")))
                .equals((Alias::new(relation.table), Alias::new(relation.fk))),
        );
        joined.push(alias);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Query, SqliteQueryBuilder};

    #[test]
    fn sqlite_placeholders_repeat_an_expression_where_it_occurs() {
        let a = Expr::col(Alias::new("a"));
        let b = Expr::val(2);
        let sql = Query::select()
            .expr(custom(
                DbBackend::Sqlite,
                "CASE WHEN $1 = 1 THEN $2 ELSE $1 END",
                &[a, b],
            ))
            .to_string(SqliteQueryBuilder);
        assert_eq!(sql, r#"SELECT CASE WHEN "a" = 1 THEN 2 ELSE "a" END"#);
    }

    #[test]
    fn a_relation_is_joined_once_however_often_it_is_read() {
        let investor = Relation {
            table: "investment",
            fk: "investor_id",
            target: "company",
            column: "name",
            unique: true,
            required: true,
        };
        let investee = Relation {
            fk: "investee_id",
            required: false,
            ..investor
        };
        let mut select = Query::select();
        select
            .from(Alias::new("investment"))
            .expr(investor.expr())
            .expr(investee.expr());
        join_relations(&mut select, [investor, investee, investor]);
        assert_eq!(
            select.to_string(SqliteQueryBuilder),
            concat!(
                r#"SELECT "investor_id_company"."name", "investee_id_company"."name" FROM "investment" "#,
                r#"INNER JOIN "company" AS "investor_id_company" ON "investor_id_company"."id" = "investment"."investor_id" "#,
                r#"LEFT JOIN "company" AS "investee_id_company" ON "investee_id_company"."id" = "investment"."investee_id""#
            )
        );
    }
}
