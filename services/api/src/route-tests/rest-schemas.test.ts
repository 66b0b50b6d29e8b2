import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { TSchema } from '@sinclair/typebox';
import * as Rest from '@tickdesk/schemas/rest';
import type { ApiApp } from '../app.js';
import { seedUsers, testApp } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';
import { DESK_ROUTES } from '../routes/desk-routes.js';

/**
 * The bodies the dashboard reads (ui/src/lib/api/*-api.ts), by operation: the dashboard
 * types them as `Static<typeof X>` of these @tickdesk/schemas/rest schemas, so the API
 * must answer exactly these, not a copy that could grow a field of its own.
 */
const READ_BY_DASHBOARD: [path: string, method: string, status: string, schema: TSchema][] = [
  ['/v1/auth/token', 'post', '200', Rest.IssuedToken],
  ['/v1/instruments', 'get', '200', Rest.InstrumentList],
  ['/v1/prices', 'get', '200', Rest.LastPriceList],
  ['/v1/instruments/{symbol}/candles', 'get', '200', Rest.CandlePage],
  ['/v1/rules', 'get', '200', Rest.RuleList],
  ['/v1/alerts', 'get', '200', Rest.AlertPage],
  ['/v1/presence', 'get', '200', Rest.TraderPresenceList],
  ['/v1/audit/verify', 'get', '200', Rest.AuditVerdict],
  ['/health', 'get', '200', Rest.HealthReport],
  ['/health', 'get', '503', Rest.HealthReport],
];

/**
 * A schema's JSON as it means something to a validator: no names, titles or descriptions,
 * $refs inlined, and written as @fastify/swagger writes OpenAPI 3.0: `const: x` as
 * `enum: [x]`, TypeBox's Record (`patternProperties: { '^(.*)$': x }`) as `additionalProperties: x`.
 */
function meaning(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(meaning);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'const') out.enum = [v];
    else if (k === 'patternProperties' && Object.keys(v as object).join() === '^(.*)$')
      out.additionalProperties = meaning((v as Record<string, unknown>)['^(.*)$']);
    else if (!['$id', 'title', 'description'].includes(k)) out[k] = meaning(v);
  }
  return out;
}

describe('the response schemas the dashboard is typed from', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>
  >;

  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: DESK_ROUTES });
    const doc = (await app.inject('/openapi.json')).json<unknown>();
    paths = ((await SwaggerParser.dereference(doc as never)) as unknown as { paths: typeof paths }).paths;
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it.each(READ_BY_DASHBOARD)('%s %s %s is the shared schema', (path, method, status, schema) => {
    const documented = paths[path]?.[method]?.responses[status]?.content['application/json']?.schema;
    expect(documented, `${method} ${path} ${status} is not documented`).toBeDefined();
    expect(meaning(documented)).toEqual(meaning(JSON.parse(JSON.stringify(schema))));
  });
});
