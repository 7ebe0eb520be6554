// Runs the README's first question against a server with the generated, typed document:
// node dist/main.js http://127.0.0.1:8000/graphql             # sends the document's text
// node dist/main.js http://127.0.0.1:8000/graphql --trusted   # sends its id alone
// The operation is the README's, from examples/queries/q1-stargate-backers.graphql. With
// --trusted the request carries only `documentId`, the SHA-256 the generator wrote into
// src/gql/persisted-documents.json: the manifest of a server started with
// TRUSTED_DOCUMENTS (and TRUSTED_DOCUMENTS_ONLY to refuse anything else).
import { StargateBackersDocument, type StargateBackersQuery } from './gql/graphql.js';

async function main(url: string, trusted: boolean): Promise<void> {
  const hash = StargateBackersDocument.__meta__?.['hash'] as string | undefined;
  if (trusted && !hash) throw new Error('the generated document has no hash');
  const request = trusted ? { documentId: `sha256:${hash}` } : { query: StargateBackersDocument.toString() };
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' },
    body: JSON.stringify(request),
  });
  const answer = (await response.json()) as {
    data?: StargateBackersQuery;
    errors?: unknown[];
  };
  if (!response.ok || answer.errors || !answer.data) {
    throw new Error(`the server answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  const project = answer.data.projectByName;
  if (!project) throw new Error('no project named Stargate');
  // Typed all the way: `amount` is a string (an exact decimal), `role` a union of enum values.
  const amount: string | undefined = project.plannedAmount?.amount;
  const backers = project.backers.nodes.map((b) => `${b.company.name} (${b.role})`);
  console.log(`${project.name}: ${amount} ${project.plannedAmount?.currency}; backers ${backers.join(', ')}`);
  if (project.name !== 'Stargate' || backers.length !== 3 || amount !== '500000000000.00') {
    throw new Error('unexpected answer');
  }
}

const url = process.argv[2];
if (!url) throw new Error('usage: node dist/main.js URL [--trusted]');
main(url, process.argv[3] === '--trusted').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
