// The dashboard in Debian's headless Chromium against a private desk:
//   (a) time to first chart: selecting an instrument with 5,000 1m candles → first paint;
//   (b) frame rate, CPU and responsiveness while 20 instruments tick at 100 bars/s each,
//       published through Prosody, then injected straight into the page's WebSocket.
// Prints the figures and rewrites the `ui` section of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/ui-dashboard.ts
// (after `npm run build`: the API serves ui/dist).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '@tickdesk/infra';
import {
  buildDeskTopology,
  connectAs,
  loadDeskConfig,
  provisionDesk,
  startDeskInfra,
  type DeskInfra,
} from '@tickdesk/desk';
import { loadApiConfig, resolveApiConfig, startApiServer } from '@tickdesk/api';
import { launchChromium } from '../support/browser.js';
import type { PageDocument, PageElement } from '../support/page-dom.js';
import { log, median } from './bench-desk.js';
import { writeSection } from './report.js';
import { benchInstruments, seedMarketData } from './ui-seed.js';
import { createBarPublisher } from './ui-publisher.js';
import { batchIntoSocket, createBarInjector, tapXmppSocket } from './ui-injector.js';
import {
  chromiumChildren,
  countSocketFrames,
  eventTimings,
  mainThreadMeter,
  pidCpuMeter,
  socketFrames,
  startEventTiming,
  startFrameCounter,
  stopFrameCounter,
  treeCpuMeter,
} from './ui-metrics.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Number(process.env.TICKDESK_BENCH_RUNS ?? 7);
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 10);
const INSTRUMENTS = Number(process.env.TICKDESK_BENCH_INSTRUMENTS ?? 20);
/** Bars per second per instrument, one measured row each: the goal (100) and a rate this machine carries whole. */
const RATES = (process.env.TICKDESK_BENCH_UPDATES ?? '20,100').split(',').filter(Boolean).map(Number);
/** Bars per second per instrument injected into the page's own WebSocket, Prosody bypassed (0: no such row). */
const INJECT = Number(process.env.TICKDESK_BENCH_INJECT ?? 100);
/** How injected frames reach the page: `batch` (one evaluate per 10 ms tick) or `send` (playwright's WebSocketRoute.send per frame). */
const INJECT_VIA = process.env.TICKDESK_BENCH_INJECT_VIA === 'send' ? 'send' : 'batch';
const PROFILE_DIR = process.env.TICKDESK_BENCH_PROFILE;
/** The built dashboard the API serves: ui/dist, or another build to compare (e.g. of an older commit). */
const UI_DIR = process.env.TICKDESK_BENCH_UI_DIR ?? join(root, 'ui/dist');
const CANDLES = 5_000;
const CHART_SYMBOL = 'BTCUSDT';
const OTHER_SYMBOL = 'ETHUSDT';
const DOMAIN = 'desk.localhost';
const VIEWPORT = { width: 1440, height: 900 };
const out = (s: string) => process.stdout.write(s + '\n');
const sel = (id: string) => `[data-testid="${id}"]`;
const row = (symbol: string) => `[data-testid="watch-row"][data-symbol="${symbol}"]`;
// The page's document, for the functions run in it below (in Chromium: see page-dom.ts).
declare const document: PageDocument;

if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR}/index.html is missing: npm run build first`);

// 1. A private desk with 20 instruments: Prosody + Redis, provisioned; the API in this process.
const home = mkdtempSync(join(tmpdir(), 'tickdesk-bench-ui-'));
const ports = {
  xmpp: await freePort(),
  xmppTls: await freePort(),
  xmppHttp: await freePort(),
  redis: await freePort(),
};
const instruments = benchInstruments(INSTRUMENTS);
let infra: DeskInfra | undefined;
let browser: Browser | undefined;
let closeApi: () => Promise<void> = async () => undefined;
let redis: Redis | undefined;
const cleanup = async () => {
  await browser?.close().catch(() => undefined);
  await closeApi().catch(() => undefined);
  redis?.disconnect();
  await infra?.stop();
  if (!process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
};
const fail = (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  void cleanup().finally(() => process.exit(1));
};
process.once('uncaughtException', fail);
process.once('unhandledRejection', fail);

infra = await startDeskInfra({ home, domain: DOMAIN, ports, logLevel: 'warn' });
out(`desk: Prosody and Redis in ${home}; provisioning ${instruments.length} instruments…`);
await provisionDesk({ infra, instruments, log });
redis = new Redis(infra.redis.url);
await seedMarketData(redis, instruments, CHART_SYMBOL, CANDLES);
const apiPort = await freePort();
const api = await startApiServer(
  resolveApiConfig({
    // The desk folder's credentials (the API's Redis user, the audit key), as `tickdesk up` hands them on.
    ...loadApiConfig({ TICKDESK_HOME: home }),
    port: apiPort,
    home,
    logLevel: 'warn',
    loginRateMax: 100_000,
    writeRateMax: 100_000,
    uiDir: UI_DIR,
  }),
  log,
  {
    instruments,
    topology: buildDeskTopology(
      loadDeskConfig({
        TICKDESK_HOME: home,
        TICKDESK_DOMAIN: DOMAIN,
        TICKDESK_API_PORT: String(apiPort),
        TICKDESK_REDIS_PORT: String(ports.redis),
        TICKDESK_XMPP_PORT: String(ports.xmpp),
        TICKDESK_XMPP_TLS_PORT: String(ports.xmppTls),
        TICKDESK_XMPP_HTTP_PORT: String(ports.xmppHttp),
      }),
    ),
  },
);
closeApi = () => api.close();
const baseUrl = `http://127.0.0.1:${apiPort}`;
browser = await launchChromium();
const chromiumVersion = browser.version();
const alice = infra.credentials.accounts.alice!.password;

/** `prepare` runs on the new page before it navigates (routes, init scripts). */
async function openLoggedIn(
  prepare?: (page: Page) => Promise<void>,
): Promise<{ page: Page; close(): Promise<void>; loginMs: number; loadMs: number }> {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  // tsx compiles with esbuild's keepNames: functions handed to page.evaluate call its __name helper.
  await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await prepare?.(page);
  const t0 = performance.now();
  await page.goto(baseUrl + '/');
  await page.waitForSelector(sel('login-form'));
  const loadMs = performance.now() - t0;
  await page.fill(sel('login-jid'), `alice@${DOMAIN}`);
  await page.fill(sel('login-password'), alice);
  const t1 = performance.now();
  await page.click(sel('login-submit'));
  await page.waitForSelector(`${sel('connection-state')}[data-state="connected"]`);
  const loginMs = performance.now() - t1;
  await page.waitForSelector(row(CHART_SYMBOL));
  return {
    page,
    loginMs,
    loadMs,
    async close() {
      await page.click(sel('logout')).catch(() => undefined);
      await context.close();
    },
  };
}

const chartIs = (page: Page, symbol: string, interval: string, minCandles = 1) =>
  page.waitForFunction(
    ([s, i, n]) => {
      const c = document.querySelector('[data-testid="chart"]');
      return (
        !!c &&
        c.dataset.symbol === s &&
        c.dataset.interval === i &&
        Number(c.dataset.candles) >= Number(n) &&
        c.dataset.firstPaintMs !== undefined &&
        c.dataset.firstPaintMs !== ''
      );
    },
    [symbol, interval, String(minCandles)] as const,
    { polling: 'raf', timeout: 60_000 },
  );

// 2. (a) Time to first chart: a fresh page, logged in, on another instrument's 1m chart; then
// a click on the instrument with 5,000 candles, until its series is painted.
const firstChart: Array<{ wallMs: number; pageMs: number; candles: number; loginMs: number; loadMs: number }> = [];
for (let run = 0; run < RUNS; run++) {
  const s = await openLoggedIn();
  await s.page.click(row(OTHER_SYMBOL));
  await s.page.click(sel('interval-1m'));
  await chartIs(s.page, OTHER_SYMBOL, '1m', 0);
  const t0 = performance.now();
  await s.page.click(row(CHART_SYMBOL));
  await chartIs(s.page, CHART_SYMBOL, '1m', 1);
  const wallMs = performance.now() - t0;
  const attrs = await s.page.$eval(sel('chart'), (c: PageElement) => ({
    candles: Number(c.dataset.candles),
    pageMs: Number(c.dataset.firstPaintMs),
  }));
  firstChart.push({ wallMs, ...attrs, loginMs: s.loginMs, loadMs: s.loadMs });
  out(
    `first chart, run ${run + 1}: ${wallMs.toFixed(0)} ms from the click (page: ${attrs.pageMs.toFixed(0)} ms), ${attrs.candles} candles; page load ${s.loadMs.toFixed(0)} ms, login ${s.loginMs.toFixed(0)} ms`,
  );
  await s.close();
}

// 3. (b) Frame rate, CPU and responsiveness: an idle baseline, then 20 instruments × N bars/s.
const feed = await connectAs(
  { service: infra.service, domain: DOMAIN, ca: infra.ca },
  infra.credentials,
  'feed',
  log,
  'bench-ui',
);
let session = await openLoggedIn(countSocketFrames);
let { page } = session;
const showLiveChart = async () => {
  await page.click(row(CHART_SYMBOL));
  await page.click(sel('interval-1s'));
  await chartIs(page, CHART_SYMBOL, '1s', 0);
};
await showLiveChart();
const browserPid = chromiumChildren()[0] ?? -1;
if (browserPid < 0) throw new Error("no Chromium process found among this process's children");

async function measure(label: string, seconds: number, clicks: boolean) {
  const tree = treeCpuMeter(browserPid);
  const server = pidCpuMeter(infra!.xmpp.serverPid());
  const self = pidCpuMeter(process.pid);
  const main = await mainThreadMeter(page);
  const updates0 = await page.$$eval(sel('watch-row'), (rows: PageElement[]) =>
    rows.reduce((n, r) => n + Number(r.dataset.updated ?? 0), 0),
  );
  const frames0 = await socketFrames(page);
  await startFrameCounter(page);
  await startEventTiming(page);
  tree.start();
  server.start();
  self.start();
  await main.start();
  // TICKDESK_BENCH_PROFILE=<dir>: a CPU profile of the page per live row (open in DevTools).
  const profiler = PROFILE_DIR && clicks ? await page.context().newCDPSession(page) : undefined;
  await profiler?.send('Profiler.enable');
  await profiler?.send('Profiler.start');
  const tracePath =
    PROFILE_DIR && clicks ? join(PROFILE_DIR, `trace-${label.replace(/[^a-z0-9]+/gi, '-')}.json`) : undefined;
  if (tracePath) {
    mkdirSync(PROFILE_DIR!, { recursive: true });
    await browser!.startTracing(page, {
      path: tracePath,
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'v8'],
    });
  }
  const clickMs: number[] = [];
  const switchMs: number[] = [];
  let missedClicks = 0;
  const t0 = performance.now();
  let i = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1_500));
    if (!clicks) continue;
    // Responsiveness: a mouse click (CDP input, no actionability waits) on another
    // instrument's row, until the row shows selected (polled every animation frame) and
    // until the chart has switched to it.
    const symbol = instruments[(++i * 3) % instruments.length]!.symbol;
    const target = page.locator(row(symbol));
    await target.scrollIntoViewIfNeeded();
    const box = (await target.boundingBox())!;
    const c0 = performance.now();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    // A click that lands on another row (the list moved between measuring and
    // clicking) selects that one: counted as missed, not waited for.
    const selected = await page
      .waitForFunction(
        (s) =>
          document.querySelector(`[data-testid="watch-row"][data-symbol="${s}"]`)?.getAttribute('data-selected') ===
          'true',
        symbol,
        { polling: 'raf', timeout: 5_000 },
      )
      .then(
        () => true,
        () => false,
      );
    if (!selected) {
      missedClicks += 1;
      continue;
    }
    clickMs.push(performance.now() - c0);
    await page.waitForFunction((s) => document.querySelector('[data-testid="chart"]')?.dataset.symbol === s, symbol, {
      polling: 'raf',
      timeout: 30_000,
    });
    switchMs.push(performance.now() - c0);
  }
  const elapsed = (performance.now() - t0) / 1000;
  if (tracePath) await browser!.stopTracing();
  if (profiler) {
    const { profile } = await profiler.send('Profiler.stop');
    mkdirSync(PROFILE_DIR!, { recursive: true });
    writeFileSync(join(PROFILE_DIR!, `page-${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`), JSON.stringify(profile));
    await profiler.detach();
  }
  const thread = await main.stop();
  const cpu = tree.stop();
  const prosody = server.stop();
  const bench = self.stop();
  const frames = await stopFrameCounter(page);
  const events = await eventTimings(page);
  const updates1 = await page.$$eval(sel('watch-row'), (rows: PageElement[]) =>
    rows.reduce((n, r) => n + Number(r.dataset.updated ?? 0), 0),
  );
  const frames1 = await socketFrames(page);
  await main.close();
  const result = {
    label,
    elapsed,
    fps: median(frames.perSecond),
    minFps: Math.min(...frames.perSecond),
    longestGapMs: frames.longestGapMs,
    thread,
    cpu,
    prosody,
    bench,
    rowPaintsPerSecond: (updates1 - updates0) / elapsed,
    socketFramesPerSecond: (frames1 - frames0) / elapsed,
    clickMs: clicks ? median(clickMs) : Number.NaN,
    clickMaxMs: clicks ? Math.max(...clickMs) : Number.NaN,
    switchMs: clicks ? median(switchMs) : Number.NaN,
    eventMaxMs: Math.max(0, ...events.map((e) => e.duration)),
    connectionChanges: frames.states.length,
  };
  out(
    `${label}: ${result.fps} fps median (min ${result.minFps}), renderer ${((cpu.renderer ?? 0) * 100).toFixed(0)} % CPU, main thread busy ${(thread.task * 100).toFixed(0)} %, row paints ${result.rowPaintsPerSecond.toFixed(0)}/s, socket frames ${result.socketFramesPerSecond.toFixed(0)}/s, click→selected ${result.clickMs.toFixed(0)} ms${missedClicks > 0 ? ` (${missedClicks} clicks landed on another row)` : ''}`,
  );
  return result;
}

const fmtRate = (n: number, seconds: number) => (n / seconds).toFixed(0);
const idle = { ...(await measure('idle (no updates)', Math.min(SECONDS, 6), false)), published: 0, skipped: 0 };
const rows = [idle];
for (const perSecond of RATES) {
  const publisher = createBarPublisher({ client: feed, pubsubHost: infra.pubsubHost, instruments, perSecond });
  publisher.start();
  await new Promise((r) => setTimeout(r, 3_000)); // warm-up: subscriptions busy, queues settled
  const c0 = publisher.counts();
  const p0 = performance.now();
  const r = await measure(
    `${instruments.length} instruments × ${perSecond} bars/s (${(instruments.length * perSecond).toLocaleString('en-US')}/s offered)`,
    SECONDS,
    true,
  );
  const c1 = publisher.counts();
  const seconds = (performance.now() - p0) / 1000;
  await publisher.stop();
  rows.push({ ...r, published: (c1.published - c0.published) / seconds, skipped: (c1.skipped - c0.skipped) / seconds });
  await new Promise((r) => setTimeout(r, 2_000)); // let the page drain before the next row
}
await session.close();
await feed.stop();

// The same load without Prosody: a fresh page whose XMPP WebSocket runs through a
// playwright route (real frames pass unchanged); no publisher, the bar notifications
// are sent into the page's socket as if from the pubsub service.
if (INJECT > 0) {
  let socket!: Awaited<ReturnType<typeof tapXmppSocket>>;
  let deliver: ((frames: string[]) => Promise<void>) | undefined;
  session = await openLoggedIn(async (p) => {
    socket = await tapXmppSocket(p);
    await countSocketFrames(p);
    if (INJECT_VIA === 'batch') deliver = await batchIntoSocket(p);
  });
  page = session.page;
  await showLiveChart();
  if (!socket.jid()) throw new Error('the routed XMPP WebSocket carried no resource binding result');
  const injector = createBarInjector({
    socket,
    delivered: () => socketFrames(page),
    deliver,
    pubsubHost: infra.pubsubHost,
    instruments,
    perSecond: INJECT,
  });
  await injector.start();
  await new Promise((r) => setTimeout(r, 3_000)); // warm-up, as for the published rows
  const c0 = injector.counts();
  const p0 = performance.now();
  const r = await measure(
    `${instruments.length} instruments × ${INJECT} bars/s injected into the page's WebSocket (${(instruments.length * INJECT).toLocaleString('en-US')}/s offered, Prosody bypassed${INJECT_VIA === 'send' ? ', one WebSocketRoute.send per frame' : ''})`,
    SECONDS,
    true,
  );
  const c1 = injector.counts();
  const seconds = (performance.now() - p0) / 1000;
  await injector.stop();
  rows.push({ ...r, published: (c1.sent - c0.sent) / seconds, skipped: (c1.skipped - c0.skipped) / seconds });
  out(
    `injected: ${fmtRate(c1.sent - c0.sent, seconds)} frames/s sent, ${fmtRate(c1.skipped - c0.skipped, seconds)}/s skipped (window full or no socket), JID ${socket.jid()}`,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  await session.close();
}

// 4. Report.
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const pct = (cores: number | undefined) => `${fmt((cores ?? 0) * 100)} %`;
const prosodyVersion = '0.12 (Debian)';
const med = <K extends keyof (typeof firstChart)[number]>(k: K) => median(firstChart.map((r) => r[k]));
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model.replace(/\s+/g, ' ').trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Chromium ${chromiumVersion} (Debian, headless, no GPU), Prosody ${prosodyVersion}, ${new Date().toISOString().slice(0, 10)}. Command: \`node --conditions=tickdesk-source --import tsx test/bench/ui-dashboard.ts\`. Prosody, Redis, the API (in the benchmark's process), the publisher and Chromium share the machine; read ratios, not absolutes.`,
  '',
  `**Time to first chart** (${RUNS} runs, a fresh page each: log in as alice, show ${OTHER_SYMBOL} 1m, then click ${CHART_SYMBOL}, whose 1m series holds ${CANDLES.toLocaleString('en-US')} candles in the recorder's Redis layout; wall time from the click until the chart reports ${CHART_SYMBOL} 1m painted, polled every animation frame, and the page's own \`data-first-paint-ms\`, backfill request → first paint):`,
  '',
  '| | median | min | max |',
  '|---|---:|---:|---:|',
  ...(['wallMs', 'pageMs', 'candles', 'loadMs', 'loginMs'] as const).map((k) => {
    const xs = firstChart.map((r) => r[k]);
    const name = {
      wallMs: 'click → chart painted, ms (test side)',
      pageMs: '`data-first-paint-ms` (page side)',
      candles: 'candles in the series',
      loadMs: 'navigation → login form, ms',
      loginMs: 'login → connected, ms',
    }[k];
    return `| ${name} | ${fmt(med(k))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`;
  }),
  '',
  `**Live updates** (one page, alice, ${CHART_SYMBOL} 1s chart; the feed account publishes each instrument's live 1-second bar to bars/<SYMBOL> at the row's rate per instrument, round-robin every 10 ms, ≤ 128 publishes in flight${INJECT > 0 ? `; in the injected row, a fresh page whose XMPP WebSocket is routed through the benchmark process (playwright \`routeWebSocket\`, real frames passed unchanged) and no publisher: the same bars, paced the same way, sent into that socket as pubsub notifications from ${infra.pubsubHost} to the page's full JID (from the bind result), ${INJECT_VIA === 'send' ? 'each frame by `WebSocketRoute.send` (one evaluate in the page per frame)' : "each 10 ms tick's frames by one evaluate, dispatched in the page on the routed socket one task each"}, ≤ 400 injected frames not yet received by the page` : ''}; after 3 s of warm-up, ${SECONDS} s measured; frame rate from requestAnimationFrame inside the page, per whole second; CPU from /proc (1 core = 100 %) and the renderer's main thread from CDP \`Performance.getMetrics\` (TaskDuration; ScriptDuration, LayoutDuration + RecalcStyleDuration); a click on another instrument every 1.5 s):`,
  '',
  '| case | bars/s published (injected) | WebSocket frames/s into the page | fps median (min) | longest frame gap ms | renderer CPU | all Chromium CPU | main thread busy (script, layout + style) | row paints/s | click → row selected ms, median (max) | click → chart switched ms | slowest input → paint ms | connection changes | Prosody CPU | bench process CPU |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => {
    const live = r !== idle;
    return `| ${r.label} | ${fmt(r.published)}${r.skipped > 0 ? ` (${fmt(r.skipped)} skipped)` : ''} | ${fmt(r.socketFramesPerSecond)} | ${fmt(r.fps)} (${fmt(r.minFps)}) | ${fmt(r.longestGapMs)} | ${pct(r.cpu.renderer)} | ${pct(r.cpu.total)} | ${pct(r.thread.task)} (${pct(r.thread.script)}, ${pct(r.thread.layout + r.thread.style)}) | ${fmt(r.rowPaintsPerSecond)} | ${live ? `${fmt(r.clickMs)} (${fmt(r.clickMaxMs)})` : '–'} | ${live ? fmt(r.switchMs) : '–'} | ${r.eventMaxMs > 0 ? fmt(r.eventMaxMs) : '< 16'} | ${r.connectionChanges} | ${pct(r.prosody)} | ${pct(r.bench)} |`;
  }),
];
out('\n' + lines.join('\n'));
// TICKDESK_BENCH_WRITE=0: a trial run that leaves docs/benchmarks.md alone.
if (process.env.TICKDESK_BENCH_WRITE !== '0') writeSection(join(root, 'docs/benchmarks.md'), 'ui', lines.join('\n'));
await cleanup();
process.exit(0);
