//! Read replicas on real streaming replication: a primary and a `pg_basebackup -R` replica
//! that the harness builds from Debian's PostgreSQL 15 (see `cluster`). Queries read the
//! replica, mutations (and their payloads) the primary, and reads fall back to the primary
//! when the replica is gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use capex_graph::replicas::Pools;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use crate::cluster::{ReplicatedCluster, eventually};
use crate::helpers::{Engine, TestApp, url_encode};

const BY_NAME: &str = "query($name: String!) { companyByName(name: $name) { name } }";
const CREATE: &str =
    "mutation($input: CompanyInput!) { createCompany(input: $input) { id name parent { name } } }";

/// How long replication may take to show a write; never reached when it works.
const REPLAY_WAIT: Duration = Duration::from_secs(30);

/// The replica's pool, counting the statements it runs.
async fn replica_pool(url: &str) -> (DatabaseConnection, Arc<AtomicUsize>) {
    let options = capex_graph::db::PoolOptions {
        lazy: true,
        acquire_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let mut db = capex_graph::db::connect_pool(url, &options)
        .await
        .expect("replica pool");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (db, statements)
}

/// The name of the company `name` as a query answers it (null when it is not there).
async fn read_name(app: &TestApp, name: &str) -> Value {
    app.data_with(BY_NAME, json!({ "name": name })).await["companyByName"]["name"].clone()
}

async fn in_recovery(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT pg_is_in_recovery() AS r",
        ))
        .await
        .expect("pg_is_in_recovery")
        .expect("a row");
    row.try_get::<bool>("", "r").expect("a bool")
}

#[tokio::test]
async fn queries_read_the_replica_mutations_the_primary_and_reads_survive_its_loss() {
    let Some(mut cluster) = ReplicatedCluster::start() else {
        return;
    };
    let primary = TestApp::start(Engine::Postgres, &cluster.primary.url()).await;
    let (replica, on_replica) = replica_pool(&cluster.replica.url()).await;
    assert!(in_recovery(&replica).await, "the replica is a standby");
    assert!(!in_recovery(&primary.db).await, "the primary is not");
    let app = primary.with_pools(Pools::new(
        primary.db.clone(),
        vec![("replica".into(), replica.clone())],
    ));
    let app = &app;

    // The built-in dataset, loaded on the primary, reaches the replica.
    assert!(
        eventually(REPLAY_WAIT, || async move {
            read_name(app, "Amazon").await == "Amazon"
        })
        .await,
        "the replica never showed the dataset"
    );

    // A query runs on the replica alone.
    app.take_statement_count();
    on_replica.store(0, Ordering::SeqCst);
    assert_eq!(read_name(app, "Amazon").await, "Amazon");
    assert!(
        on_replica.load(Ordering::SeqCst) > 0,
        "the query read the replica"
    );
    assert_eq!(
        app.take_statement_count(),
        0,
        "the query did not touch the primary"
    );
    // So does a query over GET.
    on_replica.store(0, Ordering::SeqCst);
    let uri = format!(
        "/graphql?query={}",
        url_encode("{ companyByName(name: \"Amazon\") { name } }")
    );
    let (status, body) = app
        .send(Request::get(uri).body(Body::empty()).expect("request"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["companyByName"]["name"], "Amazon", "{body}");
    assert!(
        on_replica.load(Ordering::SeqCst) > 0,
        "the GET query read the replica"
    );
    assert_eq!(app.take_statement_count(), 0);

    // Replay paused: the replica stops at this point while the primary goes on.
    replica
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    on_replica.store(0, Ordering::SeqCst);
    let parent = app
        .write(
            CREATE,
            json!({ "input": { "name": "Replica Parent", "kind": "STARTUP" } }),
        )
        .await;
    let parent_id = parent["createCompany"]["id"].clone();
    // The payload loads the parent the replica has not replayed: it reads the primary.
    let child = app
        .write(
            CREATE,
            json!({ "input": { "name": "Replica Child", "kind": "STARTUP", "parentId": parent_id } }),
        )
        .await;
    assert_eq!(child["createCompany"]["parent"]["name"], "Replica Parent");
    assert_eq!(
        on_replica.load(Ordering::SeqCst),
        0,
        "mutations never read the replica"
    );
    assert!(
        app.take_statement_count() > 0,
        "mutations run on the primary"
    );

    // A query after the write reads the paused replica: the row is not there yet.
    assert_eq!(read_name(app, "Replica Parent").await, Value::Null);
    assert_eq!(app.take_statement_count(), 0);

    // Replay resumed: the replica catches up and queries see the write.
    replica
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    assert!(
        eventually(REPLAY_WAIT, || async move {
            read_name(app, "Replica Child").await == "Replica Child"
        })
        .await,
        "the replica never replayed the write"
    );

    // The replica is gone: queries are answered by the primary, and /health says so.
    cluster.replica.stop();
    app.take_statement_count();
    assert_eq!(read_name(app, "Replica Parent").await, "Replica Parent");
    assert!(app.take_statement_count() > 0, "the primary answered");
    let (status, health) = app
        .send(
            Request::get("/health")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["database"], "ok", "{health}");
    assert_eq!(
        health["replicas"],
        json!([{ "replica": "replica", "database": "unreachable" }]),
        "{health}"
    );
    let _ = replica.close().await;
    let _ = primary.db.close().await;
}

#[tokio::test]
async fn queries_take_turns_between_replicas() {
    let Some(cluster) = ReplicatedCluster::start() else {
        return;
    };
    let primary = TestApp::start(Engine::Postgres, &cluster.primary.url()).await;
    // The same standby twice, counted apart: two replicas as far as the server knows.
    let (first, on_first) = replica_pool(&cluster.replica.url()).await;
    let (second, on_second) = replica_pool(&cluster.replica.url()).await;
    let app = primary.with_pools(Pools::new(
        primary.db.clone(),
        vec![
            ("first".into(), first.clone()),
            ("second".into(), second.clone()),
        ],
    ));
    let app = &app;
    assert!(
        eventually(REPLAY_WAIT, || async move {
            read_name(app, "Amazon").await == "Amazon"
        })
        .await,
        "the replica never showed the dataset"
    );
    on_first.store(0, Ordering::SeqCst);
    on_second.store(0, Ordering::SeqCst);
    for _ in 0..4 {
        read_name(app, "Amazon").await;
    }
    assert_eq!(
        (
            on_first.load(Ordering::SeqCst),
            on_second.load(Ordering::SeqCst)
        ),
        (2, 2),
        "four one-statement queries, two on each replica"
    );
    let _ = first.close().await;
    let _ = second.close().await;
    let _ = primary.db.close().await;
}
