//! Subscriptions over real WebSocket connections, with both protocols: committed writes
//! reach subscribers (across instances on PostgreSQL), refused writes send nothing, and
//! the limits close or refuse with their codes.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use capex_graph::auth::WriteAccess;
use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState, LiveOptions};
use capex_graph::live::{self, Change, ChangeKind, Event, Live};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Engine, TestApp, WRITE_TOKEN, run};
use crate::on_both_engines;

on_both_engines!(
    a_mutation_reaches_a_changes_subscriber_over_graphql_transport_ws,
    a_mutation_reaches_a_changes_subscriber_over_legacy_graphql_ws,
    a_refused_write_sends_nothing_and_the_next_one_arrives_first,
    a_batch_and_an_import_send_one_summary_per_type,
    changes_follow_only_the_ids_asked_for_and_node_is_null_on_delete,
    too_many_subscriptions_on_one_connection_are_refused_with_a_code,
    a_connection_without_connection_init_is_closed_with_4408,
    a_subscriber_that_falls_behind_is_closed_with_4008,
    a_client_that_stops_reading_holds_at_most_its_queue_bound_and_then_gets_every_event,
    a_subscription_response_over_the_size_limit_is_refused_with_its_code,
    connections_past_the_limit_are_closed_with_1013,
    queries_and_mutations_over_a_websocket_are_refused,
    errors_over_a_websocket_carry_the_codes_they_have_over_http,
    subscriptions_pass_the_request_guard_and_the_trusted_documents,
    a_websocket_message_over_the_body_limit_closes_the_connection,
    a_stopping_server_closes_its_subscribers_with_1001,
    subscribers_of_a_write_cost_no_statement,
    five_subscribers_of_a_change_without_its_row_read_it_once,
    a_row_too_long_for_a_notify_payload_is_read_instead,
    every_row_type_survives_its_notify_payload,
    a_delete_sends_an_event_for_every_row_it_takes_with_it,
    the_cascades_the_events_follow_are_the_databases,
    identical_subscriptions_share_one_execution_and_late_joiners_see_later_events,
    a_named_subscription_is_shared_with_or_without_its_operation_name,
    a_subscribe_message_longer_than_one_read_is_taken_whole,
    a_websocket_ping_gets_its_pong_between_events,
    a_request_that_is_not_a_websocket_handshake_gets_a_400,
    a_completed_subscriptions_id_is_taken_again_at_once,
);

/// Most a test waits for anything: a bound on failure, not a measurement.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// [`COMPANY_CHANGES`]'s kind of subscription, as the one operation named `Named`.
const NAMED_CHANGES: &str = "subscription Named { changes(types: [\"Company\"]) { kind node { ... on Company { name } } } }";
const COMPANY_CHANGES: &str = "subscription { changes(types: [\"Company\"]) { kind typename id count node { ... on Company { name } } } }";
pub(crate) const CREATE_COMPANY: &str =
    "mutation($input: CompanyInput!) { createCompany(input: $input) { id name } }";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Protocol {
    TransportWs,
    LegacyWs,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A GraphQL-over-WebSocket client, enough of either protocol for the tests.
pub(crate) struct Client {
    socket: Socket,
    protocol: Protocol,
    /// Results of other subscriptions read while waiting for one: concurrent subscriptions
    /// answer in any order, and none of their results may be lost.
    waiting: std::collections::VecDeque<Value>,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr, protocol: Protocol) -> Client {
        Client::connect_with(addr, protocol, None).await
    }

    /// A client whose socket has a receive buffer of `receive_buffer` bytes when given (the
    /// kernel's own otherwise).
    async fn connect_with(
        addr: SocketAddr,
        protocol: Protocol,
        receive_buffer: Option<u32>,
    ) -> Client {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            protocol.name().parse().expect("header"),
        );
        // As browsers send it: the compression layer must leave the 101 alone.
        headers.insert("Accept-Encoding", "gzip, br".parse().expect("header"));
        let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(bytes) = receive_buffer {
            tcp.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        }
        let handshake = async {
            let stream = tcp.connect(addr).await.expect("connect");
            let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
            tokio_tungstenite::client_async(request, stream).await
        };
        let (socket, response) = tokio::time::timeout(PATIENCE, handshake)
            .await
            .expect("connect in time")
            .expect("WebSocket handshake");
        assert_eq!(response.status(), 101);
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some(protocol.name())
        );
        Client {
            socket,
            protocol,
            waiting: Default::default(),
        }
    }

    pub(crate) async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// A client of `router`, served on a free port, connected and initialised with an empty
    /// payload.
    pub(crate) async fn ready(router: Router, protocol: Protocol) -> Client {
        let mut client = Client::connect(serve(router).await, protocol).await;
        client.init(json!({})).await;
        client
    }

    /// The `extensions.code` of the error that refuses subscription `id`.
    pub(crate) async fn refused(&mut self, id: &str) -> String {
        let refused = self.next(id).await;
        refused["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error with a code: {refused}"))
            .to_string()
    }

    /// The next GraphQL message, answering pings; `Err` with the close frame when closed.
    pub(crate) async fn receive(&mut self) -> Result<Value, (u16, String)> {
        // One deadline for the message, not one per frame: keep-alive pings must not
        // stretch the wait for a message that never comes.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("a message in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    match value["type"].as_str() {
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        Some("ka") | Some("pong") => {}
                        _ => return Ok(value),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new())));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err((1006, e.to_string())),
                None => return Err((1006, "closed".into())),
            }
        }
    }

    pub(crate) async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.receive().await.expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    pub(crate) async fn subscribe(&mut self, id: &str, query: &str) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query } }))
            .await;
    }

    /// The payload of the next result of subscription `id`.
    pub(crate) async fn next(&mut self, id: &str) -> Value {
        let is_result = |m: &Value| ["next", "data"].contains(&m["type"].as_str().unwrap_or(""));
        if let Some(at) = self.waiting.iter().position(|m| m["id"] == id) {
            let message = self.waiting.remove(at).expect("a waiting result");
            return message["payload"].clone();
        }
        loop {
            let message = self.receive().await.expect("a result, not a close");
            assert_ne!(message["type"], "error", "{message}");
            if is_result(&message) {
                if message["id"] == id {
                    return message["payload"].clone();
                }
                self.waiting.push_back(message);
            }
        }
    }

    /// The first message for subscription `id` other than `complete` (a result, or an
    /// `error`), dropping the messages read before it.
    async fn answer(&mut self, id: &str) -> Value {
        loop {
            let message = self.receive().await.expect("an answer, not a close");
            if message["id"] == id && message["type"] != "complete" {
                return message;
            }
        }
    }

    /// The close frame of the connection, skipping results.
    async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Err(frame) = self.receive().await {
                return frame;
            }
        }
    }
}

/// Serves `router` on a free port of 127.0.0.1.
pub(crate) async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(axum::serve(listener, router).into_future());
    addr
}

/// The app's router with other WebSocket limits.
pub(crate) fn with_live_options(app: &TestApp, options: LiveOptions) -> Router {
    with_http_options(
        app,
        app_http::HttpOptions {
            live: options,
            ..Default::default()
        },
    )
}

/// The app's router with other HTTP settings.
fn with_http_options(app: &TestApp, http: app_http::HttpOptions) -> Router {
    app.with_state(|state| AppState { http, ..state }).router
}

/// The app's database served on a free port, with a bus of its own (`live`) and `http`'s
/// settings.
async fn serve_with_bus(app: &TestApp, live: &Live, http: app_http::HttpOptions) -> SocketAddr {
    let schema = graphql::build_schema_live(app.db.clone(), SchemaOptions::default(), live.clone());
    let access = WriteAccess::with_tokens([WRITE_TOKEN]).expect("token");
    serve(app_http::router(AppState {
        http,
        ..AppState::new(schema, app.db.clone(), access)
    }))
    .await
}

/// On PostgreSQL, the app hears its database's notifications, as the server does.
pub(crate) async fn listening(app: &TestApp) -> Option<live::Listening> {
    match app.engine {
        Engine::Sqlite => None,
        Engine::Postgres => Some(live::listen(&app.url, &app.live).await.expect("LISTEN")),
    }
}

/// Waits until `bus` (taken before some writes) has carried `n` events, then lets it go. On
/// PostgreSQL an event reaches the bus through LISTEN a moment after its commit: a
/// subscription started before it arrives would see a write made before it started.
async fn carried(mut bus: tokio::sync::broadcast::Receiver<live::Delivery>, n: usize) {
    for _ in 0..n {
        tokio::time::timeout(PATIENCE, bus.recv())
            .await
            .expect("the writes reach the bus in time")
            .expect("an event");
    }
}

/// Waits until `live` has `n` subscribers: a subscription runs from its first poll, after
/// the client's `subscribe` message has been read.
async fn subscribers(live: &Live, n: usize) {
    until(
        || live.subscriber_count() >= n,
        "the subscription runs in time",
    )
    .await;
}

/// Waits until `live` has no subscriber left: a subscription ends when it is completed or
/// its connection drops, a moment after.
async fn no_subscribers(live: &Live) {
    until(
        || live.subscriber_count() == 0,
        "the subscriptions end in time",
    )
    .await;
}

/// Polls `done` until it holds, at most [`PATIENCE`].
pub(crate) async fn until(done: impl Fn() -> bool, what: &str) {
    tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect(what);
}

pub(crate) async fn create_company(app: &TestApp, name: &str) -> String {
    let data = app
        .write(
            CREATE_COMPANY,
            json!({ "input": { "name": name, "kind": "STARTUP" } }),
        )
        .await;
    data["createCompany"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn a_mutation_reaches_a_subscriber(app: TestApp, protocol: Protocol) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), protocol).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
    let id = create_company(&app, "Live Labs").await;
    let payload = client.next("1").await;
    assert_eq!(
        payload,
        json!({ "data": { "changes": {
            "kind": "CREATED", "typename": "Company", "id": id, "count": null,
            "node": { "name": "Live Labs" }
        } } })
    );
}

async fn a_mutation_reaches_a_changes_subscriber_over_graphql_transport_ws(app: TestApp) {
    a_mutation_reaches_a_subscriber(app, Protocol::TransportWs).await;
}

async fn a_mutation_reaches_a_changes_subscriber_over_legacy_graphql_ws(app: TestApp) {
    a_mutation_reaches_a_subscriber(app, Protocol::LegacyWs).await;
}

async fn a_refused_write_sends_nothing_and_the_next_one_arrives_first(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
    // A batch whose second row is refused: the first row was written, then rolled back.
    let error = app
        .write_error(
            "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }",
            json!({ "inputs": [
                { "name": "Rolled Back Co", "kind": "STARTUP" },
                { "name": "", "kind": "STARTUP" }
            ] }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    // Without a token: refused before any transaction.
    let (_, body) = app
        .post_as(
            None,
            json!({ "query": CREATE_COMPANY, "variables": { "input": { "name": "Anon Co", "kind": "STARTUP" } } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    // Events leave in commit order: had the refused writes sent anything, it came first.
    create_company(&app, "Committed Co").await;
    let payload = client.next("1").await;
    assert_eq!(payload["data"]["changes"]["kind"], "CREATED");
    assert_eq!(
        payload["data"]["changes"]["node"]["name"], "Committed Co",
        "{payload}"
    );
}

async fn a_batch_and_an_import_send_one_summary_per_type(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            "subscription { changes(types: [\"Company\", \"Person\"]) { kind typename id count } }",
        )
        .await;
    subscribers(&app.live, 1).await;
    app.write(
        "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }",
        json!({ "inputs": [
            { "name": "Batch One", "kind": "STARTUP" },
            { "name": "Batch Two", "kind": "STARTUP" },
            { "name": "Batch Three", "kind": "STARTUP" }
        ] }),
    )
    .await;
    assert_eq!(
        client.next("1").await["data"]["changes"],
        json!({ "kind": "BULK", "typename": "Company", "id": null, "count": 3 })
    );
    app.write(
        "mutation($data: DatasetDocument!) { importDataset(data: $data) { inserted } }",
        json!({ "data": {
            "companies": [{ "name": "Imported Co", "kind": "STARTUP" }],
            "people": [{ "name": "Imported Person", "company": "Imported Co" }]
        } }),
    )
    .await;
    let mut summaries = vec![
        client.next("1").await["data"]["changes"].clone(),
        client.next("1").await["data"]["changes"].clone(),
    ];
    summaries.sort_by_key(|s| s["typename"].as_str().unwrap_or("").to_string());
    assert_eq!(
        summaries,
        vec![
            json!({ "kind": "BULK", "typename": "Company", "id": null, "count": 1 }),
            json!({ "kind": "BULK", "typename": "Person", "id": null, "count": 1 }),
        ]
    );
}

async fn changes_follow_only_the_ids_asked_for_and_node_is_null_on_delete(app: TestApp) {
    let _listening = listening(&app).await;
    let bus = app.live.subscribe();
    let watched = create_company(&app, "Watched Co").await;
    carried(bus, 1).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            &format!(
                "subscription {{ changes(ids: [\"{watched}\"]) {{ kind id node {{ id }} }} }}"
            ),
        )
        .await;
    subscribers(&app.live, 1).await;
    create_company(&app, "Unwatched Co").await;
    app.write(
        "mutation($id: ID!) { deleteCompany(id: $id) { id } }",
        json!({ "id": watched }),
    )
    .await;
    assert_eq!(
        client.next("1").await["data"]["changes"],
        json!({ "kind": "DELETED", "id": watched, "node": null })
    );
    // A type that does not exist is the client's mistake.
    client
        .subscribe("2", "subscription { changes(types: [\"Nope\"]) { kind } }")
        .await;
    assert_eq!(client.refused("2").await, "BAD_USER_INPUT");
}

async fn too_many_subscriptions_on_one_connection_are_refused_with_a_code(app: TestApp) {
    let router = with_live_options(
        &app,
        LiveOptions {
            max_subscriptions: 1,
            ..Default::default()
        },
    );
    let mut client = Client::ready(router, Protocol::TransportWs).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
    client.subscribe("2", COMPANY_CHANGES).await;
    assert_eq!(client.refused("2").await, "TOO_MANY_SUBSCRIPTIONS");
    // Completing the first frees its place.
    client.send(json!({ "id": "1", "type": "complete" })).await;
    no_subscribers(&app.live).await;
    client.subscribe("3", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
}

async fn a_connection_without_connection_init_is_closed_with_4408(app: TestApp) {
    let router = with_live_options(
        &app,
        LiveOptions {
            init_timeout: Duration::from_millis(200),
            ..Default::default()
        },
    );
    let addr = serve(router).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    let (code, reason) = client.closed().await;
    assert_eq!(code, app_http::CLOSE_INIT_TIMEOUT, "{reason}");
}

async fn a_subscriber_that_falls_behind_is_closed_with_4008(app: TestApp) {
    // A bus of its own with room for 2 events, and a router whose schema uses it.
    let live = Live::new(2);
    let addr = serve_with_bus(&app, &live, Default::default()).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client.init(json!({})).await;
    client
        .subscribe("1", "subscription { changes { kind id } }")
        .await;
    subscribers(&live, 1).await;
    // Delivered without yielding: the subscriber cannot read any of them in between.
    for id in 0..1000 {
        live.deliver(Event::Change(Change::row(
            ChangeKind::Updated,
            "Company",
            id,
        )));
    }
    let (code, reason) = client.closed().await;
    assert_eq!(code, app_http::CLOSE_SLOW_CONSUMER, "{reason}");
}

/// A client that stops reading holds at most `WS_MAX_QUEUED_BYTES` of frames in the server:
/// once the sockets' buffers are full, its subscriptions wait (within the buffer of
/// changes) rather than queue more. Reading again, it gets every event, in order.
async fn a_client_that_stops_reading_holds_at_most_its_queue_bound_and_then_gets_every_event(
    app: TestApp,
) {
    // An event's frames for the 20 subscriptions (about 2 KB) go out in two batches of at
    // most a quarter of the bound each.
    const BOUND: usize = 6 * 1024;
    const SUBSCRIPTIONS: usize = 20;
    // Room on the bus for every event of the test: the subscriptions wait, never fall out.
    let live = Live::new(100_000);
    let http = app_http::HttpOptions {
        live: LiveOptions {
            max_queued_bytes: BOUND,
            ..Default::default()
        },
        ..Default::default()
    };
    let addr = serve_with_bus(&app, &live, http).await;
    // A small receive buffer: the kernel holds little of what the client leaves unread.
    let mut client = Client::connect_with(addr, Protocol::TransportWs, Some(4096)).await;
    client.init(json!({})).await;
    for n in 0..SUBSCRIPTIONS {
        client
            .subscribe(&n.to_string(), "subscription { changes { kind id } }")
            .await;
    }
    subscribers(&live, SUBSCRIPTIONS).await;
    // Events, a few at a time, until the server's queue for the client holds half its
    // bound (the sockets' buffers are full), and as many again.
    let mut delivered = 0;
    let mut most = 0;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut filled = None;
    while filled.is_none_or(|at| delivered < 2 * at) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue fills in time: {} bytes after {delivered} events",
            live.queued_bytes()
        );
        for _ in 0..20 {
            delivered += 1;
            let id = i32::try_from(delivered).expect("id");
            live.deliver(Event::Change(Change::row(
                ChangeKind::Updated,
                "Company",
                id,
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let queued = live.queued_bytes();
        most = most.max(queued);
        if filled.is_none() && queued >= BOUND / 2 {
            filled = Some(delivered);
        }
    }
    assert!(
        most <= BOUND,
        "{most} bytes queued for one connection, over its bound of {BOUND}"
    );
    // Every event, in order, to every subscription; and, while the others wait for room,
    // five subscriptions completed one after the other as the client catches up: each
    // `complete` goes out without waiting (within the overdraft), the connection stays
    // open, and each completed subscription has had the events up to its end.
    let expected: Vec<String> = (1..=delivered)
        .map(|id| capex_graph::data::paging::base64url_encode(format!("Company:{id}").as_bytes()))
        .collect();
    let kept = SUBSCRIPTIONS - 5;
    let mut received = vec![Vec::new(); SUBSCRIPTIONS];
    let mut completed = [false; SUBSCRIPTIONS];
    let (mut read, mut asked) = (0, kept);
    while completed[kept..].contains(&false)
        || received[..kept].iter().any(|ids| ids.len() < delivered)
    {
        // Spread over the first half of the catch-up.
        if asked < SUBSCRIPTIONS && read >= delivered * SUBSCRIPTIONS * (asked - kept) / 10 {
            client
                .send(json!({ "id": asked.to_string(), "type": "complete" }))
                .await;
            asked += 1;
        }
        let message = client.receive().await.expect("a result, not a close");
        read += 1;
        let n: usize = message["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("id");
        assert!(!completed[n], "nothing after `complete`: {message}");
        if message["type"] == "complete" {
            assert!(n >= kept, "{message}");
            completed[n] = true;
            continue;
        }
        assert_eq!(message["type"], "next", "{message}");
        let id = &message["payload"]["data"]["changes"]["id"];
        received[n].push(id.as_str().expect("an id").to_string());
    }
    for ids in &received[..kept] {
        assert!(ids == &expected, "every event once, in order");
    }
    for ids in &received[kept..] {
        assert!(expected.starts_with(ids), "in order, up to its end");
    }
    // Each batch's room is given back once it is written, a moment after it was sent.
    until(|| live.queued_bytes() == 0, "the queue empties").await;
}

/// A subscription's response over `MAX_RESPONSE_BYTES` is replaced by a
/// `RESPONSE_TOO_LARGE` error, as over HTTP, whether it is shared or runs on its own; the
/// subscription goes on, and a smaller one is untouched.
async fn a_subscription_response_over_the_size_limit_is_refused_with_its_code(app: TestApp) {
    let _listening = listening(&app).await;
    for (protocol, letter) in [(Protocol::TransportWs, "T"), (Protocol::LegacyWs, "L")] {
        a_response_over_the_size_limit(&app, protocol, letter).await;
    }
}

/// [`a_subscription_response_over_the_size_limit_is_refused_with_its_code`] over
/// `protocol`, with a long name of `letter`s.
async fn a_response_over_the_size_limit(app: &TestApp, protocol: Protocol, letter: &str) {
    const LIMIT: usize = 200;
    let router = with_http_options(
        app,
        app_http::HttpOptions {
            max_response_bytes: LIMIT,
            ..Default::default()
        },
    );
    let mut client = Client::ready(router, protocol).await;
    let name = "changes(types: [\"Company\"])";
    let subscriptions = [
        ("small", format!("subscription {{ {name} {{ kind }} }}")),
        // Shared with any other like it.
        (
            "shared",
            format!("subscription {{ {name} {{ kind node {{ ... on Company {{ name }} }} }} }}"),
        ),
        // Not shared (a directive on its root field): it runs through async-graphql's
        // own protocol handler.
        (
            "alone",
            format!(
                "subscription {{ {name} @include(if: true) {{ kind node {{ ... on Company {{ name }} }} }} }}"
            ),
        ),
    ];
    for (id, query) in &subscriptions {
        client.subscribe(id, query).await;
    }
    subscribers(&app.live, subscriptions.len()).await;
    // Two shared executions, `small`'s and `shared`'s (those of the other protocol's round
    // end a moment after its subscribers): `alone` runs on its own, as meant.
    until(
        || app.live.streams().computations() == 2,
        "`alone` runs on its own, the others shared",
    )
    .await;
    // A name as long as names may be: its change is over the limit.
    create_company(app, &letter.repeat(200)).await;
    assert_eq!(
        client.next("small").await["data"]["changes"]["kind"],
        "CREATED"
    );
    for id in ["shared", "alone"] {
        let payload = client.next(id).await;
        assert_eq!(
            payload["errors"][0]["extensions"]["code"], "RESPONSE_TOO_LARGE",
            "{id}: {payload}"
        );
        let message = payload["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("limit of {LIMIT} bytes")),
            "{message}"
        );
        assert!(payload["data"].is_null(), "{payload}");
    }
    // The subscriptions go on: a short name fits.
    create_company(app, &format!("Short {letter}")).await;
    for (id, _) in &subscriptions {
        let payload = client.next(id).await;
        assert_eq!(
            payload["data"]["changes"]["kind"], "CREATED",
            "{id}: {payload}"
        );
    }
    drop(client);
    no_subscribers(&app.live).await;
}

async fn connections_past_the_limit_are_closed_with_1013(app: TestApp) {
    let router = with_live_options(
        &app,
        LiveOptions {
            max_connections: 1,
            ..Default::default()
        },
    );
    let addr = serve(router).await;
    let mut first = Client::connect(addr, Protocol::TransportWs).await;
    first.init(json!({})).await;
    let mut second = Client::connect(addr, Protocol::TransportWs).await;
    let (code, reason) = second.closed().await;
    assert_eq!(code, app_http::CLOSE_TOO_MANY_CONNECTIONS, "{reason}");
    drop(first);
}

async fn queries_and_mutations_over_a_websocket_are_refused(app: TestApp) {
    let addr = serve(app.router.clone()).await;
    let mut client = Client::connect(addr, Protocol::TransportWs).await;
    client
        .init(json!({ "Authorization": format!("Bearer {WRITE_TOKEN}") }))
        .await;
    client
        .subscribe(
            "1",
            "mutation { createCompany(input: { name: \"Socket Co\", kind: STARTUP }) { id } }",
        )
        .await;
    assert_eq!(client.refused("1").await, "BAD_REQUEST");
    let data = app
        .data("{ companies(filter: { name: { eq: \"Socket Co\" } }) { totalCount } }")
        .await;
    assert_eq!(data["companies"]["totalCount"], 0);
}

/// async-graphql's own errors (validation; a document with several operations and no
/// `operationName`) carry the `extensions.code` they have over HTTP, for a subscription
/// that runs alone and for one shared with others; and a document whose first operation
/// is a query is refused for its missing operation name, not as a query.
async fn errors_over_a_websocket_carry_the_codes_they_have_over_http(app: TestApp) {
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    let cases = [
        // Not shared: no such root field.
        ("1", json!({ "query": "subscription { nope }" })),
        // Shared (its root field is `changes`), and invalid below it.
        (
            "2",
            json!({ "query": "subscription { changes(types: [\"Company\"]) { nope } }" }),
        ),
        // Two operations, no name: async-graphql runs neither.
        (
            "3",
            json!({ "query": format!("query Count {{ companies {{ totalCount }} }} {NAMED_CHANGES}") }),
        ),
    ];
    for (id, payload) in &cases {
        client
            .send(json!({ "id": id, "type": "subscribe", "payload": payload }))
            .await;
        // A `next` whose payload holds the errors, or (graphql-transport-ws, before
        // execution) an `error` whose payload is the errors.
        let answer = client.answer(id).await;
        let errors = match answer["type"].as_str() {
            Some("error") => &answer["payload"],
            _ => &answer["payload"]["errors"],
        };
        assert_eq!(
            errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "subscription {id}: {answer}"
        );
        if *id == "3" {
            let message = errors[0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("Operation name required"), "{answer}");
        }
    }
    // The same document over HTTP: the same code.
    let (_, body) = app
        .post(json!({ "query": "subscription { changes(types: [\"Company\"]) { nope } }" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
}

/// Two instances on one PostgreSQL database: a write through one reaches a subscriber of
/// the other, through NOTIFY; and a lost LISTEN connection comes back with a RESYNC.
#[tokio::test]
async fn two_instances_on_one_postgres_database_share_their_changes() {
    run(Engine::Postgres, |app: TestApp| async move {
        // The second instance: its own pool, bus, listener and router on the same database.
        let db = capex_graph::db::connect_pool(&app.url, &Default::default())
            .await
            .expect("connect");
        let live = Live::default();
        let _listening = live::listen(&app.url, &live).await.expect("LISTEN");
        let schema = graphql::build_schema_live(db.clone(), SchemaOptions::default(), live.clone());
        let access = WriteAccess::with_tokens([WRITE_TOKEN]).expect("token");
        let mut client = Client::ready(
            app_http::router(AppState::new(schema, db.clone(), access)),
            Protocol::TransportWs,
        )
        .await;
        client.subscribe("1", COMPANY_CHANGES).await;
        subscribers(&live, 1).await;
        // Written through the first instance.
        let id = create_company(&app, "Elsewhere Co").await;
        let payload = client.next("1").await;
        assert_eq!(payload["data"]["changes"]["id"], id, "{payload}");
        assert_eq!(payload["data"]["changes"]["node"]["name"], "Elsewhere Co");
        // The listening connection is killed: once it is back, the subscriber is told.
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = '{}' AND datname = current_database()",
                live::APPLICATION_NAME
            ))
            .await
            .expect("terminate the listeners");
        let payload = client.next("1").await;
        assert_eq!(payload["data"]["changes"]["kind"], "RESYNC", "{payload}");
        // And changes flow again afterwards.
        create_company(&app, "After Resync Co").await;
        let payload = client.next("1").await;
        assert_eq!(
            payload["data"]["changes"]["node"]["name"], "After Resync Co",
            "{payload}"
        );
        let _ = db.close().await;
    })
    .await;
}

async fn subscriptions_pass_the_request_guard_and_the_trusted_documents(app: TestApp) {
    // The guard's depth limit holds for subscriptions as for queries.
    let shallow = app.with_options(SchemaOptions {
        max_depth: 3,
        ..SchemaOptions::default()
    });
    let mut client = Client::ready(shallow.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            "subscription { changes { node { ... on Company { parent { parent { name } } } } } }",
        )
        .await;
    assert_eq!(client.refused("1").await, "QUERY_TOO_DEEP");
    // With trusted documents only, a subscription must be one of them.
    let trusted = "subscription Trusted { changes { kind } }";
    let mut manifest = serde_json::Map::new();
    manifest.insert(capex_graph::persisted::sha256_hex(trusted), trusted.into());
    let manifest = Value::Object(manifest).to_string();
    let strict = app.with_state(|state| AppState {
        persisted: capex_graph::persisted::PersistedQueries::default().with_trusted(
            capex_graph::persisted::TrustedDocuments::from_json(&manifest, true).expect("manifest"),
        ),
        ..state
    });
    let mut client = Client::ready(strict.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    assert_eq!(client.refused("1").await, "UNTRUSTED_DOCUMENT");
    client.subscribe("2", trusted).await;
    subscribers(&app.live, 1).await;
}

async fn a_websocket_message_over_the_body_limit_closes_the_connection(app: TestApp) {
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    let padding = " ".repeat(app_http::MAX_BODY_BYTES + 1);
    client
        .subscribe(
            "1",
            &format!("subscription {{ changes {{ kind }} }}{padding}"),
        )
        .await;
    client.closed().await;
    assert_eq!(app.live.subscriber_count(), 0);
}

/// The server reads a client's frames a few KiB at a time: a message many reads long (here
/// 100 KiB, under the body limit) is still taken whole.
async fn a_subscribe_message_longer_than_one_read_is_taken_whole(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    let padding = " ".repeat(100 * 1024);
    client
        .subscribe("1", &format!("{COMPANY_CHANGES}{padding}"))
        .await;
    subscribers(&app.live, 1).await;
    let id = create_company(&app, "Long Read Labs").await;
    let payload = client.next("1").await;
    assert_eq!(payload["data"]["changes"]["id"], id, "{payload}");
    assert_eq!(
        payload["data"]["changes"]["node"]["name"], "Long Read Labs",
        "{payload}"
    );
}

/// The server writes its frames itself, beside the WebSocket library's own: a client's
/// ping is answered with its pong, and the events around it arrive whole and in order.
async fn a_websocket_ping_gets_its_pong_between_events(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
    let first = create_company(&app, "Before Ping").await;
    client
        .socket
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("ping");
    let second = create_company(&app, "After Ping").await;
    let mut events = Vec::new();
    let mut pong = None;
    while events.len() < 2 || pong.is_none() {
        let message = tokio::time::timeout(PATIENCE, client.socket.next())
            .await
            .expect("a frame in time")
            .expect("an open socket")
            .expect("a valid frame");
        match message {
            Message::Pong(payload) => pong = Some(payload.to_vec()),
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if value["type"] == "next" {
                    events.push(value["payload"]["data"]["changes"]["id"].clone());
                }
            }
            other => panic!("an unexpected frame: {other:?}"),
        }
    }
    assert_eq!(pong.as_deref(), Some(b"are you there".as_slice()));
    assert_eq!(events, [json!(first), json!(second)]);
}

/// An upgrade request that is not a valid WebSocket handshake gets a 400 with a code, not
/// a half-open connection.
async fn a_request_that_is_not_a_websocket_handshake_gets_a_400(app: TestApp) {
    use tower::ServiceExt;
    let handshake = |version: &str, key: Option<&str>| {
        let mut request = axum::http::Request::get("/graphql")
            .header("Connection", "keep-alive, Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Protocol", "graphql-transport-ws")
            .header("Sec-WebSocket-Version", version);
        if let Some(key) = key {
            request = request.header("Sec-WebSocket-Key", key);
        }
        request.body(axum::body::Body::empty()).expect("request")
    };
    for (request, says) in [
        (handshake("13", None), "Sec-WebSocket-Key"),
        (
            handshake("8", Some("dGhlIHNhbXBsZSBub25jZQ==")),
            "Sec-WebSocket-Version",
        ),
    ] {
        let response = app.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), 400);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message}");
    }
}

/// A stopping server sends its subscribers a close frame ("going away") and counts their
/// connections closed, rather than exiting under them.
async fn a_stopping_server_closes_its_subscribers_with_1001(app: TestApp) {
    let drain = app_http::Drain::default();
    let router = app
        .with_state(|state| AppState {
            drain: drain.clone(),
            ..state
        })
        .router;
    let addr = serve(router).await;
    let mut clients = Vec::new();
    for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
        let mut client = Client::connect(addr, protocol).await;
        client.init(json!({})).await;
        client.subscribe("1", COMPANY_CHANGES).await;
        clients.push(client);
    }
    subscribers(&app.live, 2).await;
    assert_eq!(drain.open(), 2);
    drain.close();
    for client in &mut clients {
        let (code, reason) = client.closed().await;
        assert_eq!(code, app_http::CLOSE_GOING_AWAY, "{reason}");
    }
    assert!(
        drain.wait(PATIENCE).await,
        "every connection is counted closed"
    );
    assert_eq!(drain.open(), 0);
    // A connection opened while stopping is closed at once.
    let mut late = Client::connect(addr, Protocol::TransportWs).await;
    assert_eq!(late.closed().await.0, app_http::CLOSE_GOING_AWAY);
}

/// A write carries its row with its change: one or five subscribers selecting `node` cost
/// no statement beyond the write's own (on PostgreSQL, the row comes back in the NOTIFY
/// payload).
async fn subscribers_of_a_write_cost_no_statement(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut statements = Vec::new();
    for (round, n) in [0usize, 1, 5].into_iter().enumerate() {
        let mut clients = company_changes(&app, addr, n).await;
        let mut bus = app.live.subscribe();
        app.take_statement_count();
        let name = format!("Shared Labs {round}");
        create_company(&app, &name).await;
        for client in &mut clients {
            let payload = client.next("1").await;
            assert_eq!(payload["data"]["changes"]["node"]["name"], name.as_str());
        }
        // With no subscriber, wait for the event itself.
        tokio::time::timeout(PATIENCE, bus.recv())
            .await
            .expect("the event in time")
            .expect("the event");
        drop(bus);
        statements.push(app.take_statement_count());
        drop(clients);
        no_subscribers(&app.live).await;
    }
    assert_eq!(statements[0], statements[1], "{statements:?}");
    assert_eq!(statements[0], statements[2], "{statements:?}");
}

/// `n` clients on `addr`, one connection each, subscribed to [`COMPANY_CHANGES`] as "1" and
/// following the bus.
async fn company_changes(app: &TestApp, addr: SocketAddr, n: usize) -> Vec<Client> {
    let mut clients = Vec::new();
    for _ in 0..n {
        let mut client = Client::connect(addr, Protocol::TransportWs).await;
        client.init(json!({})).await;
        client.subscribe("1", COMPANY_CHANGES).await;
        clients.push(client);
    }
    subscribers(&app.live, n).await;
    clients
}

/// A change that does not carry its row has it read once for all its subscribers: five
/// subscribers cost the statements of one.
async fn five_subscribers_of_a_change_without_its_row_read_it_once(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut statements = Vec::new();
    let name = "Far Labs";
    let global = create_company(&app, name).await;
    let (_, id) = capex_graph::graphql::node::parse_global_id(&global, "id").expect("an id");
    for n in [1usize, 5] {
        let mut clients = company_changes(&app, addr, n).await;
        // The event names the row only.
        app.take_statement_count();
        app.live.deliver(Event::Change(Change::row(
            ChangeKind::Updated,
            "Company",
            id,
        )));
        for client in &mut clients {
            let payload = client.next("1").await;
            assert_eq!(payload["data"]["changes"]["node"]["name"], name);
        }
        statements.push(app.take_statement_count());
        drop(clients);
        no_subscribers(&app.live).await;
    }
    assert_eq!(statements, [1, 1], "one read of the row each time");
}

/// A row whose JSON would pass PostgreSQL's payload limit (a description of 5,000
/// two-byte characters) goes without it and is read, whole; on SQLite it is carried in
/// process.
async fn a_row_too_long_for_a_notify_payload_is_read_instead(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            "subscription { changes(types: [\"Company\"]) { node { ... on Company { name description } } } }",
        )
        .await;
    subscribers(&app.live, 1).await;
    let mut statements = Vec::new();
    for (name, description) in [("Short Co", "é".repeat(10)), ("Long Co", "é".repeat(5000))] {
        app.take_statement_count();
        app.write(
            CREATE_COMPANY,
            json!({ "input": { "name": name, "kind": "STARTUP", "description": description } }),
        )
        .await;
        let payload = client.next("1").await;
        let node = &payload["data"]["changes"]["node"];
        assert_eq!(node["name"], name);
        assert_eq!(node["description"], description.as_str());
        statements.push(app.take_statement_count());
    }
    let read = match app.engine {
        Engine::Postgres => 1,
        Engine::Sqlite => 0,
    };
    assert_eq!(statements[1], statements[0] + read, "{statements:?}");
}

/// Every row type's JSON, as a write sends it in its NOTIFY payload, decodes to the same
/// row, in the form `node` reads it.
async fn every_row_type_survives_its_notify_payload(app: TestApp) {
    use capex_graph::live::{Carried, row_from_json};
    use entity::*;
    use sea_orm::{DbBackend, EntityTrait};
    macro_rules! round_trip {
        ($($typename:literal => $entity:ident),* $(,)?) => {{
            let mut checked = Vec::new();
            $(
                let row = $entity::Entity::find()
                    .one(&app.db)
                    .await
                    .expect("read")
                    .expect(concat!("a ", $typename, " in the dataset"));
                let Some(Carried::Json(json)) = Carried::of(DbBackend::Postgres, row.clone())
                else {
                    panic!(concat!("a ", $typename, " carried as JSON"));
                };
                let decoded = row_from_json($typename, &json).expect($typename);
                assert_eq!(
                    decoded.downcast_ref::<Vec<$entity::Model>>(),
                    Some(&vec![row]),
                    "{json}"
                );
                checked.push($typename);
            )*
            checked
        }};
    }
    let checked = round_trip!(
        "Company" => company,
        "Person" => person,
        "AiModel" => ai_model,
        "Investment" => investment,
        "Project" => project,
        "ProjectBacker" => project_backer,
        "SpendingFigure" => spending_figure,
        "Claim" => claim,
        "ClaimChallenge" => claim_challenge,
        "Event" => event,
        "Source" => source,
        "Citation" => citation,
    );
    assert_eq!(checked, live::TYPENAMES, "every row type");
}

/// Deleting a claim takes its challenges and the citations of both: each gets its DELETED.
async fn a_delete_sends_an_event_for_every_row_it_takes_with_it(app: TestApp) {
    let _listening = listening(&app).await;
    let ids = app
        .data(
            r#"{ claimByRef(ref: "C1") { id citations { nodes { id } }
                   challenges { nodes { id citations { nodes { id } } } } }
                   events { nodes { id citations { nodes { id } } } } }"#,
        )
        .await;
    let claim = &ids["claimByRef"];
    let mut expected = vec![("Claim", claim["id"].clone())];
    for challenge in claim["challenges"]["nodes"].as_array().expect("challenges") {
        expected.push(("ClaimChallenge", challenge["id"].clone()));
        for c in challenge["citations"]["nodes"]
            .as_array()
            .expect("citations")
        {
            expected.push(("Citation", c["id"].clone()));
        }
    }
    for c in claim["citations"]["nodes"].as_array().expect("citations") {
        expected.push(("Citation", c["id"].clone()));
    }
    assert_eq!(
        expected.len(),
        8,
        "C1, 3 challenges with a citation each, its own citation"
    );
    // The event it triggered blocks the delete: remove it (and its citations with it)
    // first, and let those events pass before subscribing.
    let bus = app.live.subscribe();
    let mut earlier = 0;
    for event in ids["events"]["nodes"].as_array().expect("events") {
        earlier += 1 + event["citations"]["nodes"].as_array().map_or(0, Vec::len);
        app.write(
            "mutation($id: ID!) { deleteEvent(id: $id) { id } }",
            json!({ "id": event["id"] }),
        )
        .await;
    }
    carried(bus, earlier).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client
        .subscribe(
            "1",
            r#"subscription { changes(types: ["Claim", "ClaimChallenge", "Citation"]) { kind typename id node { id } } }"#,
        )
        .await;
    subscribers(&app.live, 1).await;
    app.write(
        "mutation($id: ID!) { deleteClaim(id: $id) { id } }",
        json!({ "id": claim["id"] }),
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..expected.len() {
        let payload = client.next("1").await;
        let change = &payload["data"]["changes"];
        assert_eq!(change["kind"], "DELETED", "{payload}");
        assert_eq!(change["node"], json!(null), "{payload}");
        got.push((
            change["typename"].as_str().unwrap_or_default().to_owned(),
            change["id"].clone(),
        ));
    }
    assert_eq!(
        got[0],
        ("Claim".to_owned(), claim["id"].clone()),
        "the row first"
    );
    let mut got: Vec<_> = got.into_iter().map(|(t, id)| (t, id.to_string())).collect();
    let mut expected: Vec<_> = expected
        .into_iter()
        .map(|(t, id)| (t.to_owned(), id.to_string()))
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

/// `live::CASCADES` lists exactly the foreign keys with ON DELETE CASCADE that the
/// migrations create towards tables of row types (read from each engine's catalog).
async fn the_cascades_the_events_follow_are_the_databases(app: TestApp) {
    let mut found: Vec<(String, String, String)> = crate::schema::foreign_keys_of(&app)
        .await
        .into_iter()
        .filter(|k| k.on_delete == entity::OnDelete::Cascade)
        .map(|k| (k.target, k.table, k.column))
        .collect();
    // Only rows with a global id have events: aliases, deleted with their subject, do not.
    found.retain(|(_, child, _)| live::typename_of_table(child).is_some());
    let mut declared: Vec<(String, String, String)> = live::CASCADES
        .iter()
        .map(|k| (k.target.clone(), k.table.clone(), k.column.clone()))
        .collect();
    assert!(declared.len() >= 12, "{declared:?}");
    found.sort();
    declared.sort();
    assert_eq!(found, declared);
}

/// The `import` command (another process; here its function, which has no bus of this
/// instance) reaches the subscribers through NOTIFY with one summary per type it wrote and
/// the rows it wrote of each: lines of one investment count it once, each citation once.
#[tokio::test]
async fn an_import_sends_each_type_it_wrote_with_its_count() {
    run(Engine::Postgres, |app: TestApp| async move {
        let _listening = listening(&app).await;
        let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
        client
            .subscribe(
                "1",
                r#"subscription { changes(types: ["Company", "Investment", "Citation", "Person"]) { kind typename count } }"#,
            )
            .await;
        subscribers(&app.live, 1).await;
        let dir = std::env::temp_dir().join(format!("capex-live-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let json_file = dir.join("companies.json");
        std::fs::write(
            &json_file,
            json!({ "companies": [{ "name": "Imported Live Co", "kind": "STARTUP" }] }).to_string(),
        )
        .expect("write");
        let csv_file = dir.join("investments.csv");
        let header = "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n";
        let first = "L1,Amazon,Imported Live Co,5.00,USD,2025-01-01,MONTH,,ai-capex-spending-spree,\"Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.\"\n";
        let second = "L1,Amazon,Imported Live Co,5.00,USD,2025-01-01,MONTH,,ai-capex-spending-spree,That cash would be doled out over the next four years.\n";
        std::fs::write(&csv_file, format!("{header}{first}{second}")).expect("write");
        let result =
            capex_graph::transfer::import::import(&app.db, &[json_file, csv_file], false).await;
        let _ = std::fs::remove_dir_all(&dir);
        result.expect("import");
        let mut summaries = Vec::new();
        for _ in 0..3 {
            summaries.push(client.next("1").await["data"]["changes"].clone());
        }
        summaries.sort_by_key(|s| s["typename"].as_str().unwrap_or("").to_string());
        assert_eq!(
            summaries,
            vec![
                json!({ "kind": "BULK", "typename": "Citation", "count": 2 }),
                json!({ "kind": "BULK", "typename": "Company", "count": 1 }),
                json!({ "kind": "BULK", "typename": "Investment", "count": 1 }),
            ]
        );
        // Nothing for the types it did not write: the next event is the next write's.
        create_company(&app, "After Import Co").await;
        let next = client.next("1").await;
        assert_eq!(next["data"]["changes"]["kind"], "CREATED", "{next}");
    })
    .await;
}

/// A document with one named operation runs without its `operationName` (as async-graphql
/// runs it), and is shared then too; with its name, it is another execution (the name is
/// part of what identifies one), as is one operation of a document of two, by its name.
async fn a_named_subscription_is_shared_with_or_without_its_operation_name(app: TestApp) {
    let two = format!("query Count {{ companies {{ totalCount }} }} {NAMED_CHANGES}");
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    let payloads = [
        ("1", json!({ "query": NAMED_CHANGES })),
        ("2", json!({ "query": NAMED_CHANGES })),
        (
            "3",
            json!({ "query": NAMED_CHANGES, "operationName": "Named" }),
        ),
        ("4", json!({ "query": two, "operationName": "Named" })),
    ];
    for (id, payload) in &payloads {
        client
            .send(json!({ "id": id, "type": "subscribe", "payload": payload }))
            .await;
    }
    subscribers(&app.live, 4).await;
    assert_eq!(
        app.live.streams().subscribers(),
        4,
        "every one of them shared"
    );
    assert_eq!(app.live.streams().computations(), 3, "1 and 2 share one");
    create_company(&app, "Named Shared").await;
    for (id, _) in payloads {
        let next = client.next(id).await;
        assert_eq!(
            next["data"]["changes"]["node"]["name"], "Named Shared",
            "subscription {id}: {next}"
        );
    }
}

/// Identical subscriptions on two connections share one execution: every subscriber
/// receives every event in order; one joining late receives only later events; one leaving
/// does not end the others' stream; and the execution ends with its last subscriber.
async fn identical_subscriptions_share_one_execution_and_late_joiners_see_later_events(
    app: TestApp,
) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut first = Client::connect(addr, Protocol::TransportWs).await;
    first.init(json!({})).await;
    let mut second = Client::connect(addr, Protocol::LegacyWs).await;
    second.init(json!({})).await;
    for id in ["1", "2", "3"] {
        first.subscribe(id, COMPANY_CHANGES).await;
    }
    for id in ["1", "2"] {
        second.subscribe(id, COMPANY_CHANGES).await;
    }
    subscribers(&app.live, 5).await;
    assert_eq!(app.live.subscriber_count(), 5);
    assert_eq!(app.live.streams().computations(), 1, "one shared execution");
    assert_eq!(app.live.streams().subscribers(), 5);
    assert_eq!(
        app.live.receivers(),
        1,
        "one receiver of the bus for all five"
    );
    let names = ["Shared One", "Shared Two", "Shared Three"];
    for name in names {
        create_company(&app, name).await;
    }
    let mut received = Vec::new();
    for id in ["1", "2", "3"] {
        for _ in names {
            received.push(first.next(id).await["data"]["changes"]["node"]["name"].clone());
        }
    }
    for id in ["1", "2"] {
        for _ in names {
            received.push(second.next(id).await["data"]["changes"]["node"]["name"].clone());
        }
    }
    assert_eq!(received, names.repeat(5), "every event, in order, to each");

    // A late joiner: counted at once, and only the events after it.
    second.subscribe("3", COMPANY_CHANGES).await;
    subscribers(&app.live, 6).await;
    assert_eq!(app.live.streams().computations(), 1);
    create_company(&app, "Shared Four").await;
    let late = second.next("3").await;
    assert_eq!(
        late["data"]["changes"]["node"]["name"], "Shared Four",
        "{late}"
    );

    // One leaves: the others go on.
    first.send(json!({ "id": "1", "type": "complete" })).await;
    until(
        || app.live.subscriber_count() == 5,
        "the subscriber leaves in time",
    )
    .await;
    create_company(&app, "Shared Five").await;
    for id in ["2", "3"] {
        let four = first.next(id).await;
        assert_eq!(four["data"]["changes"]["node"]["name"], "Shared Four");
        let five = first.next(id).await;
        assert_eq!(
            five["data"]["changes"]["node"]["name"], "Shared Five",
            "{five}"
        );
    }
    for id in ["1", "2", "3"] {
        let mut events = Vec::new();
        while events.last() != Some(&json!("Shared Five")) {
            events.push(second.next(id).await["data"]["changes"]["node"]["name"].clone());
        }
        let expected: &[&str] = if id == "3" {
            &["Shared Five"]
        } else {
            &["Shared Four", "Shared Five"]
        };
        assert_eq!(
            events, expected,
            "subscription {id} of the second connection"
        );
    }
    assert_eq!(app.live.streams().computations(), 1);
    drop((first, second));
    until(
        || app.live.streams().computations() == 0 && app.live.subscriber_count() == 0,
        "the shared execution ends with its last subscriber",
    )
    .await;
}

/// A subscription's id is free again as soon as the client completes it: a subscription
/// sent under it at once, shared or running alone, gets the events of later writes in its
/// own shape, and nothing more of the completed one comes after the server read the
/// `complete`. (Session 23's races, an execution ending just as its subscription is
/// completed and its id taken again, need an abort between two instructions: this test
/// checks the outcome they protect, not the interleavings.)
async fn a_completed_subscriptions_id_is_taken_again_at_once(app: TestApp) {
    // A directive makes a subscription run alone; without `typename`, its events differ
    // from COMPANY_CHANGES' ones.
    const ALONE: &str =
        "subscription { changes(types: [\"Company\"]) @include(if: true) { kind id } }";
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", COMPANY_CHANGES).await;
    subscribers(&app.live, 1).await;
    for (round, query) in [ALONE, COMPANY_CHANGES, ALONE, COMPANY_CHANGES]
        .into_iter()
        .enumerate()
    {
        client.send(json!({ "id": "1", "type": "complete" })).await;
        client.subscribe("1", query).await;
        // A subscription refused at once: its error comes after the server read the two
        // messages before it. What the completed subscription sent until then is dropped.
        let barrier = format!("barrier {round}");
        client.subscribe(&barrier, "subscription { nope }").await;
        client.waiting.retain(|message| message["id"] != "1");
        client.answer(&barrier).await;
        // The new subscription may start a moment later: writes until it has one, at
        // most ten times.
        let mut written = Vec::new();
        let mut payload = None;
        while payload.is_none() && written.len() < 10 {
            let name = format!("Taken again {round}.{}", written.len());
            written.push(create_company(&app, &name).await);
            payload = tokio::time::timeout(Duration::from_secs(2), client.next("1"))
                .await
                .ok();
        }
        let payload = payload.unwrap_or_else(|| panic!("round {round}: no event in ten writes"));
        let changes = &payload["data"]["changes"];
        let id = changes["id"].as_str().unwrap_or_default().to_string();
        assert!(written.contains(&id), "round {round}: {payload}");
        assert_eq!(
            changes.get("typename").is_some(),
            query == COMPANY_CHANGES,
            "round {round}, the new subscription's shape: {payload}"
        );
    }
}
