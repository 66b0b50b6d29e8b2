import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../app.js';
import { seedUsers, testApp } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';
import { DESK_ROUTES } from '../routes/desk-routes.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/**
 * The README writes a route as `GET /v1/rules/:id` (query after `?`), or as `DELETE …` beside the same path
 * under another method in one table row.
 */
function documented(method: string, url: string): boolean {
  const path = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const exact = new RegExp(`\\b${method} ${path}(?![\\w/:-])`);
  const sibling = new RegExp(`[A-Z]+ ${path}\``);
  return README.split('\n').some((row) => exact.test(row) || (row.includes(`${method} …`) && sibling.test(row)));
}

describe('services/api/README.md route tables', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;

  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: DESK_ROUTES });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('lists every route the desk registers, with its method', () => {
    const routes = app.registeredRoutes.filter((r) => !r.hidden && r.url.startsWith('/v1/'));
    const missing = routes.filter((r) => !documented(r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    expect(routes.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
