import { readdirSync, readFileSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright-core';
import type {
  PageDocument,
  PageMutationObserver,
  PagePerformanceObserver,
  PageWebSocketClass,
} from '../support/page-dom.js';

// The page's globals used by the functions run in it below (in Chromium: see page-dom.ts).
declare const window: unknown;
declare const document: PageDocument;
declare const MutationObserver: PageMutationObserver;
declare const PerformanceObserver: PagePerformanceObserver;
declare const requestAnimationFrame: (callback: (time: number) => void) => number;

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of one process, from /proc/<pid>/stat; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The Chromium browser process(es) this process launched (playwright spawns them as its children). */
export function chromiumChildren(parent = process.pid): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0]?.includes('chrom')) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** `pid` and all its descendants, each with its Chromium `--type=` (browser when none). */
function processTree(pid: number): Array<{ pid: number; type: string }> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: Array<{ pid: number; type: string }> = [];
  const visit = (p: number) => {
    let type = 'browser';
    try {
      // Chromium's child processes rewrite their argv into one space-separated string.
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? (cmd.includes('chrom') ? 'browser' : 'other');
    } catch {
      return;
    }
    out.push({ pid: p, type });
    for (const [child, parent] of parents) if (parent === p) visit(child);
  };
  visit(pid);
  return out;
}

/** Cores used (1.0 = one core fully busy) by each process of a tree, summed by type, between start and stop. */
export function treeCpuMeter(rootPid: number) {
  let before = new Map<number, number>();
  let t0 = 0;
  return {
    start() {
      before = new Map(processTree(rootPid).map((p) => [p.pid, cpuSeconds(p.pid)]));
      t0 = performance.now();
    },
    stop(): Record<string, number> {
      const seconds = (performance.now() - t0) / 1000;
      const byType: Record<string, number> = {};
      for (const p of processTree(rootPid)) {
        const used = cpuSeconds(p.pid) - (before.get(p.pid) ?? 0);
        byType[p.type] = (byType[p.type] ?? 0) + used / seconds;
      }
      byType.total = Object.values(byType).reduce((a, b) => a + b, 0);
      return byType;
    },
  };
}

/** Cores used by one process between start and stop. */
export function pidCpuMeter(pid: number) {
  let c0 = 0;
  let t0 = 0;
  return {
    start() {
      c0 = cpuSeconds(pid);
      t0 = performance.now();
    },
    stop: () => (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000),
  };
}

/**
 * The renderer's main thread as DevTools sees it (CDP Performance domain): busy time
 * in tasks, script, layout and style recalculation between start and stop, as a
 * fraction of the wall time.
 */
export async function mainThreadMeter(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  const read = async () =>
    Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  let before: Record<string, number> = {};
  return {
    async start() {
      before = await read();
    },
    async stop(): Promise<{ task: number; script: number; layout: number; style: number; heapMb: number }> {
      const after = await read();
      const wall = (after.Timestamp ?? 0) - (before.Timestamp ?? 0);
      const share = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) / wall;
      return {
        task: share('TaskDuration'),
        script: share('ScriptDuration'),
        layout: share('LayoutDuration'),
        style: share('RecalcStyleDuration'),
        heapMb: (after.JSHeapUsedSize ?? 0) / 2 ** 20,
      };
    },
    close: () => cdp.detach().catch(() => undefined),
  };
}

/** Install a requestAnimationFrame counter in the page (frames per whole second, and gaps between frames). */
export async function startFrameCounter(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as { __frames: { times: number[]; running: boolean; states: string[] } };
    w.__frames = { times: [], running: true, states: [] };
    // Every change of the connection state (a dropped session shows here).
    const conn = document.querySelector('[data-testid="connection-state"]');
    if (conn)
      new MutationObserver(() => w.__frames.states.push(conn.getAttribute('data-state') ?? '')).observe(conn, {
        attributes: true,
        attributeFilter: ['data-state'],
      });
    const tick = (t: number) => {
      w.__frames.times.push(t);
      if (w.__frames.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Stop the counter: frames in each whole second, and the longest gap between two frames (ms). */
export async function stopFrameCounter(
  page: Page,
): Promise<{ perSecond: number[]; longestGapMs: number; frames: number; seconds: number; states: string[] }> {
  const { times, states } = await page.evaluate(() => {
    const w = window as { __frames: { times: number[]; running: boolean; states: string[] } };
    w.__frames.running = false;
    return { times: w.__frames.times, states: w.__frames.states };
  });
  const perSecond: number[] = [];
  let longestGapMs = 0;
  for (let i = 1; i < times.length; i++) longestGapMs = Math.max(longestGapMs, times[i]! - times[i - 1]!);
  const first = times[0] ?? 0;
  for (const t of times) {
    const s = Math.floor((t - first) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  // The last second is partial.
  const whole = perSecond.slice(0, -1).map((n) => n ?? 0);
  return {
    perSecond: whole,
    longestGapMs,
    frames: times.length,
    seconds: ((times.at(-1) ?? first) - first) / 1000,
    states,
  };
}

/** Event Timing (input → next paint) of the page's clicks so far, in ms. */
export async function startEventTiming(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as { __events: Array<{ name: string; duration: number }> };
    w.__events = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__events.push({ name: e.name, duration: e.duration });
    }).observe({ type: 'event', durationThreshold: 16, buffered: false });
  });
}

export async function eventTimings(page: Page): Promise<Array<{ name: string; duration: number }>> {
  return page.evaluate(() => (window as { __events: Array<{ name: string; duration: number }> }).__events);
}

/**
 * Count the WebSocket messages the page's code receives (`window.__wsFrames`): wraps
 * whatever `WebSocket` the page has when this init script runs, so after
 * `page.routeWebSocket` it counts the frames the route delivers, injected ones included.
 */
export async function countSocketFrames(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as { __wsFrames: number; WebSocket: PageWebSocketClass };
    w.__wsFrames = 0;
    const Base = w.WebSocket;
    w.WebSocket = class extends Base {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('message', () => w.__wsFrames++);
      }
    };
  });
}

export const socketFrames = (page: Page): Promise<number> =>
  page.evaluate(() => (window as { __wsFrames?: number }).__wsFrames ?? 0);
