import { createHash } from 'crypto';

/* Named prepared statements through TypeORM's `query()`.

   `dataSource.query(sql, params)` (and an EntityManager's) hands its first argument to node-postgres's
   `client.query(config, values)`, which takes a query config object as well as a text. Given `{ name, text }`,
   node-postgres parses the statement once per connection and then only binds and executes it; Postgres keeps the
   parsed statement and, after five executions, a generic plan. Every call still goes through TypeORM (its
   QueryFailedError, so `isUniqueViolation` and the 503 mapping work unchanged; its UPDATE answer `[rows, count]`).

   Why: parsing, analysing and planning were 38% of Postgres's CPU for the push's statements (perf, BENCHMARKS.md
   "Push: where the CPU goes"); most of them are CTEs over a few rows found by their key, where planning costs more
   than running.

   Only for statements whose text is a constant and whose result columns are named (a `*` over a CTE of named
   columns is fine): a prepared `SELECT *` of a table fails with "cached plan must not change result type" once a
   migration adds a column while the service runs. */

const names = new Map<string, string>();

/** The config node-postgres needs for a named statement (passed where TypeORM's types say "string"). */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** `sql` as a named prepared statement for `query()`: `db.query(prepared(SQL), params)`. The name is the text's
 *  hash, so one text is one statement on every connection, and two texts never share a name. */
export function prepared(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `ib_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  const statement: PreparedStatement = { name, text: sql };
  // TypeORM declares the argument a string and passes it through untouched (PostgresQueryRunner.query).
  return statement as unknown as string;
}
