import type { ProcSample, RestartNote } from './soak-procs.js';

/** One sample of the whole desk, `t` seconds after the load started. */
export interface SoakSample {
  t: number;
  at: string;
  load1: number;
  procs: Record<string, ProcSample>;
  /** Per service: the metrics kept (ticks, alerts, heap). */
  metrics: Record<string, Record<string, number>>;
  redisUsedMiB: number;
  ticks: {
    published: number;
    recorderTicks: number;
    historyRecorded: number;
    historyMissing: number;
    historyRestarts: number;
  };
  alerts: {
    rules: number;
    fired: number;
    received: number;
    suppressed: number;
    delivered: number;
    resent: number;
    events: Record<string, number>;
  };
}

export interface ProcRow {
  name: string;
  pid: number;
  rss: [number, number, number];
  rssSlope: number;
  heap?: [number, number, number];
  heapSlope?: number;
  /** Slope of the JS heap's floor: the least heap of each FLOOR_S window (what a collection leaves); a leak raises it. */
  heapFloorSlope?: number;
  fds: [number, number, number];
  fdSlope: number;
  cores: number;
  restarts: number;
  /** yes / **no**; `with its data`: a Redis server whose RSS grew as its dataset did; `heap floor flat`: a Node service whose RSS slope is over but whose heap floor is within. */
  flat: string;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const HEAP = /nodejs_heap_size_used_bytes$/;
const heapMiB = (m: Record<string, number> | undefined) => {
  const k = m && Object.keys(m).find((n) => HEAP.test(n));
  return k ? m[k]! / 2 ** 20 : undefined;
};

/**
 * Per process, over the samples from the warm-up on (and, for a process restarted, from
 * its last start on): RSS and fds at the first, middle and last of them, their slope per
 * hour, and flat when the RSS slope is within `flatMiBPerH` and the fd slope within
 * `flatFdsPerH`.
 */
export function procRows(
  samples: SoakSample[],
  warmupS: number,
  flat: { mibPerH: number; fdsPerH: number },
): ProcRow[] {
  const after = samples.filter((s) => s.t >= warmupS);
  const dataSlope = slope(
    after.map((s) => s.t / 3600),
    after.map((s) => s.redisUsedMiB),
  );
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.procs)))];
  return names.flatMap((name) => {
    const last = [...after].reverse().find((s) => s.procs[name])?.procs[name];
    if (!last) return [];
    const mine = after.filter((s) => s.procs[name]?.pid === last.pid);
    const pick = (i: number) => mine[i]!;
    const trio = <T>(f: (s: SoakSample) => T): [T, T, T] => [
      f(pick(0)),
      f(pick(Math.floor((mine.length - 1) / 2))),
      f(pick(mine.length - 1)),
    ];
    const hours = mine.map((s) => s.t / 3600);
    const rssSlope = slope(
      hours,
      mine.map((s) => s.procs[name]!.rssMiB),
    );
    const fdSlope = slope(
      hours,
      mine.map((s) => s.procs[name]!.fds),
    );
    const heaps = mine.map((s) => heapMiB(s.metrics[name]));
    const withHeap = heaps.every((h) => h !== undefined);
    const first = mine[0]!;
    const cores =
      mine.length > 1 ? (last.cpuS - first.procs[name]!.cpuS) / (mine[mine.length - 1]!.t - first.t) : Number.NaN;
    return [
      {
        name,
        pid: last.pid,
        restarts: last.restarts,
        cores,
        rss: trio((s) => s.procs[name]!.rssMiB),
        rssSlope,
        ...(withHeap
          ? {
              heap: trio((s) => heapMiB(s.metrics[name])!),
              heapSlope: slope(hours, heaps),
              heapFloorSlope: floorSlope(mine.map((s, i) => [s.t, heaps[i]!])),
            }
          : {}),
        fds: trio((s) => s.procs[name]!.fds),
        fdSlope,
        flat:
          Math.abs(fdSlope) > flat.fdsPerH
            ? '**no**'
            : Math.abs(rssSlope) <= flat.mibPerH
              ? 'yes'
              : // A Redis server holding the dataset (the primary, its replica) grows with what the desk stores.
                /^redis/.test(name) && Math.abs(rssSlope - dataSlope) <= flat.mibPerH
                ? 'with its data'
                : // A Node service whose RSS swings with the load but whose heap after collections does not rise.
                  withHeap && Math.abs(floorSlope(mine.map((s, i) => [s.t, heaps[i]!]))) <= flat.mibPerH
                  ? 'heap floor flat'
                  : '**no**',
      },
    ];
  });
}

/** Window of the heap floor: several collections of a busy service fall in 5 minutes. */
const FLOOR_S = 300;

/** Least-squares slope per hour of the minimum of each FLOOR_S window of (t seconds, value) points. */
function floorSlope(points: Array<[number, number]>): number {
  const byWindow = new Map<number, { t: number; min: number; n: number }>();
  for (const [t, v] of points) {
    const w = Math.floor(t / FLOOR_S);
    const cur = byWindow.get(w) ?? { t: (w + 0.5) * FLOOR_S, min: v, n: 0 };
    byWindow.set(w, { ...cur, min: Math.min(cur.min, v), n: cur.n + 1 });
  }
  // A window of one or two samples (the run's last) has no floor to speak of.
  const ws = [...byWindow.values()].filter((w) => w.n >= 3);
  return slope(
    ws.map((w) => w.t / 3600),
    ws.map((w) => w.min),
  );
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const sign1 = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(1)}` : '–');

export function procTable(rows: ProcRow[]): string[] {
  return [
    '| process | RSS MiB: warm / middle / end | RSS MiB per hour | JS heap MiB: warm / middle / end (per hour; its 5-min floor per hour) | fds: warm / middle / end | fds per hour | CPU cores, average | restarts since up | flat |',
    '|---|---|---:|---|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.rss.map(f0).join(' / ')} | ${sign1(r.rssSlope)} | ${r.heap ? `${r.heap.map(f0).join(' / ')} (${sign1(r.heapSlope!)}; floor ${sign1(r.heapFloorSlope!)})` : '–'} | ${r.fds.join(' / ')} | ${sign1(r.fdSlope)} | ${Number.isFinite(r.cores) ? r.cores.toFixed(2) : '–'} | ${r.restarts} | ${r.flat} |`,
    ),
  ];
}

export function restartLines(notes: RestartNote[]): string[] {
  return notes.map(
    (n) =>
      `- ${n.part} restarted at ${new Date(n.at).toISOString().slice(11, 19)}Z: pid ${n.fromPid} → ${n.toPid} (restarts ${n.restarts})`,
  );
}
