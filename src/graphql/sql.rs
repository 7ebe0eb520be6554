//! SQL fragments written the same way for SQLite and PostgreSQL.

use sea_orm::DbBackend;
use sea_orm::sea_query::Expr;

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
}
