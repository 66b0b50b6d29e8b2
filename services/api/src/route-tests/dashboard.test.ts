import { connect, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { ApiApp } from '../app.js';
import { bearer, expectError, login, seedUsers, testApp } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-B1x9QzTe.js"></script></head><body></body></html>';
const SCRIPT = 'console.log("dashboard")';
const SECRET = 'not-for-the-browser';
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the dashboard at /', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  let tmp: string;

  beforeAll(async () => {
    // A built dashboard as Vite leaves it, beside a file that must never be reachable.
    tmp = mkdtempSync(join(tmpdir(), 'tickdesk-ui-'));
    const dist = join(tmp, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-B1x9QzTe.js'), SCRIPT);
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dist, '.env'), SECRET);
    writeFileSync(join(tmp, 'secret.txt'), SECRET);
    server = await privateRedis();
    redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { config: { uiDir: dist } });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  function expectPage(res: Awaited<ReturnType<ApiApp['inject']>>): void {
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
  }

  it('serves index.html at / and as itself, never cached without revalidation', async () => {
    expectPage(await app.inject('/'));
    expectPage(await app.inject({ url: '/', headers: html }));
    expectPage(await app.inject('/index.html'));
  });

  it('serves hashed assets as immutable for a year, other files with revalidation', async () => {
    const js = await app.inject('/assets/index-B1x9QzTe.js');
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe(SCRIPT);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    const icon = await app.inject('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers a browser navigating to a client-side route with the page', async () => {
    expectPage(await app.inject({ url: '/alerts/a-123?tab=receipts', headers: html }));
    expectPage(await app.inject({ url: '/charts', headers: html }));
  });

  it('keeps the API 404 for API paths, for programs, and for other methods', async () => {
    for (const url of [
      '/v1/unknown',
      '/v1',
      '/health/x',
      '/metrics/x',
      '/openapi.json/x',
      '/xmpp-websocket',
      '/docs/nope',
      '/assets/index-gone.js',
    ]) {
      expectError(await app.inject({ url, headers: html }), 404, 'TICKDESK_API_NOT_FOUND');
    }
    expectError(await app.inject('/alerts'), 404, 'TICKDESK_API_NOT_FOUND', /no route GET \/alerts/);
    expectError(
      await app.inject({ url: '/alerts', headers: { accept: 'application/json' } }),
      404,
      'TICKDESK_API_NOT_FOUND',
    );
    expectError(
      await app.inject({ method: 'POST', url: '/alerts', headers: html, payload: {} }),
      404,
      'TICKDESK_API_NOT_FOUND',
    );
  });

  it('the API itself is unchanged', async () => {
    expectError(await app.inject('/v1/instruments'), 401);
    const res = await app.inject({ url: '/v1/instruments', headers: bearer(await login(app, 'alice')) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject('/health')).statusCode).toBe(200);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%2e%2e%5csecret.txt',
    '/.env',
    '/assets/%00.js',
  ])('refuses a path outside the dashboard or a dotfile: %s', async (url) => {
    const plain = await app.inject(url);
    expect([400, 403, 404]).toContain(plain.statusCode);
    expect(plain.body).not.toContain(SECRET);
    expectError(plain, plain.statusCode);
    const browser = await app.inject({ url, headers: html });
    expect(browser.body).not.toContain(SECRET);
  });

  it('refuses traversal sent raw over HTTP, where no client normalised the path', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
    ]) {
      const answer = await rawGet(port, path);
      expect(answer, path).toMatch(/^HTTP\/1\.1 (400|403|404) /);
      expect(answer).not.toContain(SECRET);
    }
  });
});

/** One GET with the path exactly as given; resolves with the whole answer. */
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    );
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the dashboard before it is built', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'tickdesk-ui-empty-'));
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { config: { uiDir: join(dist, 'dist') } });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('starts anyway; / and page routes answer 503 saying to build it; the API works', async () => {
    expectError(await app.inject('/'), 503, 'TICKDESK_API_UI_NOT_BUILT', /not built: run `npm run build`/);
    expectError(await app.inject({ url: '/alerts', headers: html }), 503, 'TICKDESK_API_UI_NOT_BUILT');
    expectError(await app.inject('/assets/index-B1x9QzTe.js'), 404, 'TICKDESK_API_NOT_FOUND');
    expectError(await app.inject({ url: '/v1/unknown', headers: html }), 404, 'TICKDESK_API_NOT_FOUND');
    expect((await app.inject({ url: '/v1/instruments', headers: bearer(await login(app, 'alice')) })).statusCode).toBe(
      200,
    );
  });

  it('serves it once it is built, without a restart', async () => {
    mkdirSync(join(dist, 'dist'));
    writeFileSync(join(dist, 'dist', 'index.html'), INDEX);
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
  });
});
