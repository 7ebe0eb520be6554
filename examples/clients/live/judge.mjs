// Subscribes to `changes` with the graphql-ws client (graphql-transport-ws protocol),
// creates a company over HTTP with the write token, and checks that its CREATED event
// arrives with the row. Usage: node judge.mjs GRAPHQL_URL (WRITE_TOKEN in the environment).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = process.argv[2];
const token = process.env.WRITE_TOKEN;
if (!url || !token) {
  console.error("usage: WRITE_TOKEN=... node judge.mjs http://HOST:PORT/graphql");
  process.exit(2);
}
const name = `Live Judge ${Date.now()}`;
const fail = (message) => {
  console.error(`live judge: ${message}`);
  process.exit(1);
};
const deadline = setTimeout(() => fail("no event within 20 s"), 20_000);

let acknowledged;
const ready = new Promise((resolve) => (acknowledged = resolve));
const client = createClient({
  url: url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => acknowledged() },
});

const events = client.iterate({
  query: `subscription { changes(types: ["Company"]) { kind typename id node { ... on Company { name } } } }`,
});
const first = events.next();
await ready;

// The subscription starts when the server reads it: until an event comes, write again.
const write = async () => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }",
      variables: { input: { name: `${name} ${Math.random()}`, kind: "STARTUP" } },
    }),
  });
  const body = await response.json();
  if (body.errors) fail(`the mutation failed: ${JSON.stringify(body.errors)}`);
  return body.data.createCompany.id;
};
const writer = setInterval(write, 500);
await write();

const { value, done } = await first;
clearInterval(writer);
if (done) fail("the subscription ended without an event");
if (value.errors) fail(`the subscription failed: ${JSON.stringify(value.errors)}`);
const change = value.data.changes;
if (change.kind !== "CREATED" || change.typename !== "Company") {
  fail(`unexpected event ${JSON.stringify(change)}`);
}
if (!change.node || !change.node.name.startsWith(name)) {
  fail(`the event's node is not the created company: ${JSON.stringify(change)}`);
}
clearTimeout(deadline);
await events.return();
await client.dispose();
console.log(`live judge: CREATED ${change.id} arrived over graphql-transport-ws`);
process.exit(0);
