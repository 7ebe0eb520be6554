//! Behind PgBouncer in transaction mode (Debian's 1.18: no prepared-statement support):
//! queries, mutations and an import from parallel requests, on fewer server connections
//! than the server's pool has, so that transactions move between server connections.

use std::collections::HashSet;
use std::time::Duration;

use capex_graph::replicas::Pools;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;

use crate::cluster::Bouncer;
use crate::helpers::{
    Engine, TestApp, drop_postgres_database, fresh_postgres_database, postgres_admin_url,
};

/// Server connections PgBouncer opens to the database.
const SERVER_CONNECTIONS: usize = 3;

/// Parallel clients, each with a query, a mutation and a read of what it wrote.
const CLIENTS: usize = 24;

async fn pooled(url: &str) -> DatabaseConnection {
    let options = capex_graph::db::PoolOptions {
        behind_pooler: true,
        max_connections: Some(12),
        statement_timeout: Some(Duration::from_secs(30)),
        acquire_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    capex_graph::db::connect_pool(url, &options)
        .await
        .expect("connect through pgbouncer")
}

async fn setting(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("a text")
}

#[tokio::test]
async fn queries_mutations_and_an_import_run_through_pgbouncer_in_transaction_mode() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let Some(bouncer) = Bouncer::start(SERVER_CONNECTIONS) else {
        return;
    };
    let (direct_url, name) = fresh_postgres_database(&admin).await;
    // Migrations and the dataset go the direct way (DATABASE_DIRECT_URL in the server).
    let direct = TestApp::start(Engine::Postgres, &direct_url).await;
    let db = pooled(&bouncer.url(&name)).await;
    let app = std::sync::Arc::new(direct.with_pools(Pools::primary_only(db.clone())));

    // The connection's settings hold in every transaction, though none is sent at startup.
    assert_eq!(setting(&db, "SELECT current_setting('jit')").await, "off");
    assert_eq!(
        setting(&db, "SELECT current_setting('statement_timeout')").await,
        "30s"
    );

    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let read = app
                .data("{ companies(first: 50) { totalCount nodes { name investmentsMade(first: 5) { nodes { investee { name } } } } } }")
                .await;
            assert!(read["companies"]["totalCount"].as_i64().unwrap_or(0) > 0);
            let name = format!("Pooled {i}");
            let written = app
                .write(
                    "mutation($input: CompanyInput!) { createCompany(input: $input) { name kind } }",
                    json!({ "input": { "name": name, "kind": "STARTUP" } }),
                )
                .await;
            assert_eq!(written["createCompany"]["name"], name.as_str());
            let again = app
                .data_with(
                    "query($name: String!) { companyByName(name: $name) { name } }",
                    json!({ "name": name }),
                )
                .await;
            assert_eq!(again["companyByName"]["name"], name.as_str());
        }));
    }
    for task in tasks {
        task.await.expect("a request through pgbouncer failed");
    }

    let imported = app
        .write(
            "mutation($data: DatasetDocument!) { importDataset(data: $data) { inserted matched } }",
            json!({ "data": {
                "sources": [{ "key": "memo", "title": "A memo", "content": "Newco raised money from Amazon." }],
                "companies": [{ "name": "Newco", "kind": "STARTUP" }],
                "investments": [{
                    "ref": "I-newco", "investor": "Amazon", "investee": "Newco",
                    "amount": { "amount": "10.50", "currency": "USD" },
                    "citations": [{ "source": "memo", "quote": "Newco raised money from Amazon." }]
                }]
            } }),
        )
        .await;
    assert_eq!(
        imported,
        json!({ "importDataset": { "inserted": 4, "matched": 0 } })
    );

    // The writes are there, seen directly; and the statements really ran on several
    // server connections, each used by many transactions.
    let count = setting(
        &direct.db,
        "SELECT count(*)::text FROM company WHERE name LIKE 'Pooled %' OR name = 'Newco'",
    )
    .await;
    assert_eq!(count, (CLIENTS + 1).to_string());
    let mut backends = HashSet::new();
    let mut probes = Vec::new();
    for _ in 0..40 {
        let db = db.clone();
        probes.push(tokio::spawn(async move {
            setting(&db, "SELECT pg_backend_pid()::text FROM pg_sleep(0.01)").await
        }));
    }
    for probe in probes {
        backends.insert(probe.await.expect("probe"));
    }
    assert!(
        backends.len() > 1 && backends.len() <= SERVER_CONNECTIONS,
        "server connections used: {backends:?}\n{}",
        bouncer.log()
    );
    let _ = db.close().await;
    let _ = direct.db.close().await;
    drop_postgres_database(&admin, &name).await;
}
