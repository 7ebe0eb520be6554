//! Live analytics over real WebSocket connections: a live aggregate, groupBy and
//! spendingSummary send their result at once and a new one after a write; a batch costs
//! one recomputation; identical subscribers share one statement per change; different
//! arguments are not shared.

use serde_json::json;

use crate::helpers::TestApp;
use crate::live::{CREATE_COMPANY, Client, Protocol, create_company, listening, serve};
use crate::live_filters::{no_computations, results, shared_subscribers};
use crate::on_both_engines;

on_both_engines!(
    a_live_aggregate_sends_its_result_then_the_new_one_after_a_write,
    a_batch_costs_one_recomputation,
    a_write_after_a_quiet_window_is_sent_at_once_and_a_burst_waits_for_the_window,
    a_stream_of_writes_is_computed_at_its_start_once_per_longest_wait_and_at_its_end,
    fifty_identical_live_aggregates_cost_one_statement_per_change,
    live_aggregates_with_different_arguments_are_not_shared,
    a_live_group_by_and_a_live_spending_summary_follow_writes,
    refused_arguments_refuse_the_live_subscription,
    an_unchanged_live_aggregate_is_not_sent_again,
    a_change_to_a_distinct_count_alone_is_sent,
    live_subscribers_selecting_different_statistics_each_get_theirs,
    identical_live_aggregates_share_one_execution_and_late_joiners_get_the_current_result,
);

const STARTUPS: &str =
    "subscription { companiesAggregate(filter: { kind: { eq: STARTUP } }) { count } }";

async fn startups_now(app: &TestApp) -> i64 {
    app.data("{ companies(filter: { kind: { eq: STARTUP } }) { totalCount } }")
        .await["companies"]["totalCount"]
        .as_i64()
        .expect("count")
}

fn count(payload: &serde_json::Value) -> i64 {
    payload["data"]["companiesAggregate"]["count"]
        .as_i64()
        .unwrap_or_else(|| panic!("a count: {payload}"))
}

async fn a_live_aggregate_sends_its_result_then_the_new_one_after_a_write(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let before = startups_now(&app).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client.init(json!({})).await;
    client.subscribe("1", STARTUPS).await;
    assert_eq!(count(&client.next("1").await), before);
    create_company(&app, "Counted Labs").await;
    assert_eq!(count(&client.next("1").await), before + 1);
    // A second subscriber to the same aggregate gets the current result at once.
    client.subscribe("2", STARTUPS).await;
    assert_eq!(count(&client.next("2").await), before + 1);
}

/// A batch of five companies sends one new result (five more), not five: the result
/// after the next write is the very next message.
async fn a_batch_costs_one_recomputation(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let before = startups_now(&app).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client.init(json!({})).await;
    client.subscribe("1", STARTUPS).await;
    assert_eq!(count(&client.next("1").await), before);
    let inputs: Vec<_> = (0..5)
        .map(|i| json!({ "name": format!("Burst {i}"), "kind": "STARTUP" }))
        .collect();
    app.write(
        "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }",
        json!({ "inputs": inputs }),
    )
    .await;
    assert_eq!(count(&client.next("1").await), before + 5);
    create_company(&app, "After Burst").await;
    assert_eq!(count(&client.next("1").await), before + 6);
}

/// `app` on `live`, its `LISTEN` (PostgreSQL), the startups' count, and a client whose
/// subscription "1" to that count has had its first result; after the window of that
/// first computation has passed.
async fn startups_after_a_quiet_window(
    app: TestApp,
    live: capex_graph::live::Live,
) -> (TestApp, Option<capex_graph::live::Listening>, i64, Client) {
    let app = app.with_live(live.clone());
    let listening = listening(&app).await;
    let before = startups_now(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", STARTUPS).await;
    assert_eq!(count(&client.next("1").await), before);
    tokio::time::sleep(live.coalesce()).await;
    (app, listening, before, client)
}

/// The window bounds computations, not latency: a write after a quiet window is computed
/// at once; the next one, less than a window later, continues a burst and waits for a window
/// without writes; a third, more than a window after it but within the window of the
/// burst's computation, waits for that window's end, and no longer.
async fn a_write_after_a_quiet_window_is_sent_at_once_and_a_burst_waits_for_the_window(
    app: TestApp,
) {
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(2);
    let live = capex_graph::live::Live::default()
        .with_coalesce(WINDOW)
        .with_coalesce_max(WINDOW * 4);
    let (app, _listening, before, mut client) = startups_after_a_quiet_window(app, live).await;
    let first = tokio::time::Instant::now();
    create_company(&app, "Quiet Window").await;
    assert_eq!(count(&client.next("1").await), before + 1);
    let elapsed = first.elapsed();
    assert!(elapsed < WINDOW / 3, "computed at once: {elapsed:?}");

    tokio::time::sleep_until(first + WINDOW / 2).await;
    let second = tokio::time::Instant::now();
    create_company(&app, "Within The Window").await;
    let early = tokio::time::timeout(WINDOW * 3 / 4, client.next("1")).await;
    assert!(early.is_err(), "sent at the window's end: {early:?}");
    assert_eq!(count(&client.next("1").await), before + 2);
    let elapsed = second.elapsed();
    assert!(elapsed >= WINDOW, "a window without writes: {elapsed:?}");
    assert!(elapsed < WINDOW + WINDOW / 3, "later: {elapsed:?}");

    // The burst's computation has just run; a write a quarter window later is more than a
    // window after the previous one.
    tokio::time::sleep(WINDOW / 4).await;
    let third = tokio::time::Instant::now();
    create_company(&app, "After The Burst").await;
    assert_eq!(count(&client.next("1").await), before + 3);
    let elapsed = third.elapsed();
    assert!(
        elapsed >= WINDOW / 2,
        "before the window's end: {elapsed:?}"
    );
    assert!(
        elapsed < WINDOW * 9 / 10,
        "a window after the write, not at the window's end: {elapsed:?}"
    );
}

/// Writes that keep coming less than a window apart (here 0.8 of one: one per window, which
/// the window alone would compute one by one) are computed together once a window passes
/// without any, but none waits more than the longest wait: a stream of writes over five
/// windows sends a result at its start (after a quiet window, at once), one per longest
/// wait while the writes go on, and one at its end if the last one left writes behind.
async fn a_stream_of_writes_is_computed_at_its_start_once_per_longest_wait_and_at_its_end(
    app: TestApp,
) {
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(2);
    const LONGEST: std::time::Duration = std::time::Duration::from_secs(4);
    const WRITES: i64 = 7;
    let live = capex_graph::live::Live::default()
        .with_coalesce(WINDOW)
        .with_coalesce_max(LONGEST);
    let (app, _listening, before, mut client) = startups_after_a_quiet_window(app, live).await;
    let began = tokio::time::Instant::now();
    create_company(&app, "Stream 0").await;
    assert_eq!(count(&client.next("1").await), before + 1, "at once");
    let mut answered = tokio::time::Instant::now();
    let mut widest = std::time::Duration::ZERO;
    for i in 1..WRITES {
        tokio::time::sleep(WINDOW * 8 / 10).await;
        create_company(&app, &format!("Stream {i}")).await;
        widest = widest.max(answered.elapsed());
        answered = tokio::time::Instant::now();
    }
    let lasted = began.elapsed();
    assert!(widest < WINDOW, "writes came a window apart: {widest:?}");
    let mut counts = vec![before + 1];
    while counts.last() != Some(&(before + WRITES)) {
        counts.push(count(&client.next("1").await));
    }
    // Once per window would be a result per write: 7.
    let most = 2 + (lasted.as_secs_f64() / LONGEST.as_secs_f64()).ceil() as usize;
    assert!(
        (3..=most).contains(&counts.len()),
        "{counts:?} over {lasted:?}, at most {most}"
    );
    assert!(
        counts[1] < before + WRITES,
        "a result while the writes went on: {counts:?} over {lasted:?}"
    );
}

/// 1 and then 50 subscribers (over 5 connections) to the same aggregate cost the same
/// statements per change: the write's own and one shared recomputation.
async fn fifty_identical_live_aggregates_cost_one_statement_per_change(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut statements = Vec::new();
    for (connections, each) in [(1usize, 1usize), (5, 10)] {
        let before = startups_now(&app).await;
        let mut clients = Vec::new();
        for _ in 0..connections {
            let mut client = Client::connect(addr, Protocol::TransportWs).await;
            client.init(json!({})).await;
            for i in 0..each {
                client.subscribe(&i.to_string(), STARTUPS).await;
                assert_eq!(count(&client.next(&i.to_string()).await), before);
            }
            clients.push(client);
        }
        shared_subscribers(&app, connections * each).await;
        assert_eq!(app.live.hub().computations(), 1);
        app.take_statement_count();
        create_company(&app, &format!("Shared Count {connections}")).await;
        for client in &mut clients {
            for payload in results(client, each).await {
                assert_eq!(count(&payload), before + 1);
            }
        }
        statements.push(app.take_statement_count());
        drop(clients);
        no_computations(&app).await;
    }
    assert_eq!(statements[0], statements[1], "{statements:?}");
}

async fn live_aggregates_with_different_arguments_are_not_shared(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let all = app.data("{ companies { totalCount } }").await["companies"]["totalCount"]
        .as_i64()
        .expect("count");
    let startups = startups_now(&app).await;
    let mut filtered = Client::connect(addr, Protocol::TransportWs).await;
    filtered.init(json!({})).await;
    filtered.subscribe("1", STARTUPS).await;
    let mut every = Client::connect(addr, Protocol::TransportWs).await;
    every.init(json!({})).await;
    every
        .subscribe("1", "subscription { companiesAggregate { count } }")
        .await;
    assert_eq!(count(&filtered.next("1").await), startups);
    assert_eq!(count(&every.next("1").await), all);
    assert_eq!(app.live.hub().computations(), 2);
    app.write(
        "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }",
        json!({ "input": { "name": "Big Co", "kind": "BIG_TECH" } }),
    )
    .await;
    assert_eq!(count(&every.next("1").await), all + 1);
    // The startups' count is computed again (a filter may go through any relation) but,
    // unchanged, not sent: its next message is the next startup.
    create_company(&app, "Small Co").await;
    assert_eq!(count(&every.next("1").await), all + 2);
    assert_eq!(count(&filtered.next("1").await), startups + 1);
}

async fn a_live_group_by_and_a_live_spending_summary_follow_writes(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            "subscription { companiesGroupBy(by: [{ field: KIND }]) { totalCount nodes { keys { value } aggregate { count } } } }",
        )
        .await;
    let query = "{ companies { groupBy(by: [{ field: KIND }]) { totalCount nodes { keys { value } aggregate { count } } } } }";
    let first = client.next("1").await;
    let expected = app.data(query).await["companies"]["groupBy"].clone();
    assert_eq!(first["data"]["companiesGroupBy"], expected, "{first}");
    create_company(&app, "Grouped Labs").await;
    let next = client.next("1").await;
    let expected = app.data(query).await["companies"]["groupBy"].clone();
    assert_eq!(next["data"]["companiesGroupBy"], expected, "{next}");
    assert_ne!(first, next);

    let summary = "{ spendingSummary(year: 2025) { year figures { id } } }";
    client
        .subscribe(
            "2",
            "subscription { spendingSummary(year: 2025) { year figures { id } } }",
        )
        .await;
    let first = client.next("2").await;
    assert_eq!(
        first["data"]["spendingSummary"],
        app.data(summary).await["spendingSummary"],
        "{first}"
    );
}

async fn refused_arguments_refuse_the_live_subscription(app: TestApp) {
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            "subscription { companiesGroupBy(by: [], first: 5) { totalCount } }",
        )
        .await;
    assert_eq!(client.refused("1").await, "BAD_USER_INPUT");
    client
        .subscribe(
            "2",
            "subscription { spendingSummary(year: 2025, tickers: [\"NOPE\"]) { year } }",
        )
        .await;
    assert_eq!(client.refused("2").await, "BAD_USER_INPUT");
    no_computations(&app).await;
}

/// A write that leaves the aggregate as it was (a company that is not a startup, under a
/// filter that makes every write recompute it) sends nothing: the next message is the
/// result of the next write that changes it, not the same result again.
async fn an_unchanged_live_aggregate_is_not_sent_again(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let before = startups_now(&app).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client.init(json!({})).await;
    client.subscribe("1", STARTUPS).await;
    assert_eq!(count(&client.next("1").await), before);
    for i in 0..3 {
        app.write(
            CREATE_COMPANY,
            json!({ "input": { "name": format!("Not A Startup {i}"), "kind": "OTHER" } }),
        )
        .await;
        // Past the coalescing window: each write is computed on its own (were the result
        // sent again, the next message would be the unchanged count).
        tokio::time::sleep(RECOMPUTED).await;
    }
    create_company(&app, "Counted Once").await;
    assert_eq!(count(&client.next("1").await), before + 1);
    create_company(&app, "Counted Twice").await;
    assert_eq!(count(&client.next("1").await), before + 2);
}

/// Long enough for a write's recomputation to have run (the window is 50 ms).
const RECOMPUTED: std::time::Duration = std::time::Duration::from_millis(300);

const UPDATE_COMPANY: &str =
    "mutation($id: ID!, $input: CompanyInput!) { updateCompany(id: $id, input: $input) { id } }";

/// `countDistinct` is computed when a subscriber asks for it: a write that changes it and
/// not the count is sent; a write that changes neither is not.
async fn a_change_to_a_distinct_count_alone_is_sent(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client.init(json!({})).await;
    client
        .subscribe(
            "1",
            r#"subscription { companiesAggregate(filter: { name: { startsWith: "Distinct " } }) { count countDistinct(field: KIND) } }"#,
        )
        .await;
    let pair = |payload: serde_json::Value| {
        let aggregate = &payload["data"]["companiesAggregate"];
        (
            aggregate["count"].as_i64(),
            aggregate["countDistinct"].as_i64(),
        )
    };
    assert_eq!(pair(client.next("1").await), (Some(0), Some(0)));
    create_company(&app, "Distinct A").await;
    assert_eq!(pair(client.next("1").await), (Some(1), Some(1)));
    let b = create_company(&app, "Distinct B").await;
    assert_eq!(pair(client.next("1").await), (Some(2), Some(1)));
    app.write(
        UPDATE_COMPANY,
        json!({ "id": b, "input": { "name": "Distinct B", "kind": "OTHER" } }),
    )
    .await;
    assert_eq!(pair(client.next("1").await), (Some(2), Some(2)));
    app.write(
        UPDATE_COMPANY,
        json!({ "id": b, "input": { "name": "Distinct B2", "kind": "OTHER" } }),
    )
    .await;
    tokio::time::sleep(RECOMPUTED).await;
    create_company(&app, "Distinct C").await;
    assert_eq!(pair(client.next("1").await), (Some(3), Some(2)));
}

/// Two subscribers to the same live aggregate (and to the same live groupBy) selecting
/// different statistics do not share a computation: each gets the values it selected,
/// equal to the query's.
async fn live_subscribers_selecting_different_statistics_each_get_theirs(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let narrow = "count";
    let wide = "count amount { count missing byCurrency { currency count sum { minorUnits } min { minorUnits } max { minorUnits } } } madeOn { count min max }";
    let aggregate = |s: &str| format!("subscription {{ investmentsAggregate {{ {s} }} }}");
    let groups = |s: &str| {
        format!(
            "subscription {{ investmentsGroupBy(by: [{{ field: INVESTOR_NAME }}], first: 5) {{ nodes {{ keys {{ value }} aggregate {{ {s} }} }} }} }}"
        )
    };
    let query = |s: &str| {
        format!(
            "{{ investments {{ aggregate {{ {s} }} groupBy(by: [{{ field: INVESTOR_NAME }}], first: 5) {{ nodes {{ keys {{ value }} aggregate {{ {s} }} }} }} }} }}"
        )
    };
    let mut clients = Vec::new();
    for s in [narrow, wide] {
        let mut client = Client::connect(addr, Protocol::TransportWs).await;
        client.init(json!({})).await;
        client.subscribe("a", &aggregate(s)).await;
        client.subscribe("g", &groups(s)).await;
        clients.push(client);
    }
    for (client, s) in clients.iter_mut().zip([narrow, wide]) {
        let expected = app.data(&query(s)).await["investments"].clone();
        let a = client.next("a").await;
        assert_eq!(
            a["data"]["investmentsAggregate"], expected["aggregate"],
            "{s}: {a}"
        );
        let g = client.next("g").await;
        assert_eq!(
            g["data"]["investmentsGroupBy"], expected["groupBy"],
            "{s}: {g}"
        );
    }
    // Four computations: the two selections of each subscription are not shared.
    assert_eq!(app.live.hub().computations(), 4);
}

/// Identical live aggregates on two connections (both protocols) share one execution (one
/// resolution and one serialization per result, `Live::streams`), not only one
/// computation; a subscriber joining later receives the current result at once, without
/// a write; one leaving does not end the others'; the execution ends with the last one.
async fn identical_live_aggregates_share_one_execution_and_late_joiners_get_the_current_result(
    app: TestApp,
) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let before = startups_now(&app).await;
    let mut first = Client::connect(addr, Protocol::TransportWs).await;
    first.init(json!({})).await;
    let mut second = Client::connect(addr, Protocol::LegacyWs).await;
    second.init(json!({})).await;
    for id in ["1", "2"] {
        first.subscribe(id, STARTUPS).await;
        assert_eq!(count(&first.next(id).await), before, "first, {id}");
    }
    second.subscribe("1", STARTUPS).await;
    assert_eq!(count(&second.next("1").await), before);
    shared_subscribers(&app, 3).await;
    assert_eq!(app.live.streams().computations(), 1, "one shared execution");
    assert_eq!(app.live.streams().subscribers(), 3);
    assert_eq!(app.live.hub().computations(), 1);
    assert_eq!(
        app.live.hub().subscribers(),
        1,
        "the execution computes for all"
    );

    create_company(&app, "Shared Result Labs").await;
    for id in ["1", "2"] {
        assert_eq!(count(&first.next(id).await), before + 1, "first, {id}");
    }
    assert_eq!(count(&second.next("1").await), before + 1);

    // A late joiner on the second connection: the current result at once.
    second.subscribe("2", STARTUPS).await;
    assert_eq!(
        count(&second.next("2").await),
        before + 1,
        "the current result"
    );
    shared_subscribers(&app, 4).await;
    assert_eq!(app.live.streams().computations(), 1);

    // One leaves: the others go on, and each gets the next result once.
    first.send(json!({ "id": "1", "type": "complete" })).await;
    create_company(&app, "Shared Result Two").await;
    assert_eq!(count(&first.next("2").await), before + 2);
    for id in ["1", "2"] {
        assert_eq!(count(&second.next(id).await), before + 2, "second, {id}");
    }
    drop((first, second));
    no_computations(&app).await;
    crate::live::until(
        || app.live.streams().computations() == 0,
        "the shared execution ends with its last subscriber",
    )
    .await;
}
