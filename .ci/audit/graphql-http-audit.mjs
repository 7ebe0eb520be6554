// The GraphQL-over-HTTP audit: every serverAudit of graphql-http against URL (argv[2]);
// exits non-zero on any failure or warning.
import { serverAudits } from 'graphql-http';
const url = process.argv[2];
let pass = 0, warn = 0, fail = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') pass++;
  else if (result.status === 'warn') { warn++; console.log('WARN', audit.name, '-', result.reason); }
  else { fail++; console.log('FAIL', audit.name, '-', result.reason); }
}
console.log(`${warn} warnings`);
console.log(`graphql-http: ${pass} passed, ${fail} failed`);
process.exit(fail || warn ? 1 : 0);
