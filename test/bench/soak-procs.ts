import { readdirSync } from 'node:fs';
import type { DeskStateFile } from '@tickdesk/schemas';
import { processCpuSeconds, processRssMiB } from './process-cpu.js';

/** One process at one sample: resident memory, open descriptors, CPU used so far. */
export interface ProcSample {
  pid: number;
  rssMiB: number;
  fds: number;
  cpuS: number;
  /** The supervisor's restart count of the part (desk.json); 0 for `up` and the benchmark. */
  restarts: number;
}

/** A part seen under a new pid (or a higher restart count) between two samples. */
export interface RestartNote {
  at: number;
  part: string;
  fromPid: number;
  toPid: number;
  restarts: number;
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

function read(pid: number, restarts: number): ProcSample | undefined {
  try {
    return { pid, rssMiB: processRssMiB(pid), fds: fdCount(pid), cpuS: processCpuSeconds(pid), restarts };
  } catch {
    // gone between desk.json and /proc: a restart under way, noted by the next sample
    return undefined;
  }
}

/**
 * Every process of the desk as desk.json names it (`up` itself, the XMPP server or each
 * node, Redis and in Sentinel mode its replica and sentinels, every service), plus the
 * benchmark's own (the traders' sessions), read from /proc.
 */
export function createProcSampler(deskState: () => DeskStateFile) {
  const lastPid = new Map<string, { pid: number; restarts: number }>();
  const restarts: RestartNote[] = [];
  return {
    restarts,
    sample(at: number): Record<string, ProcSample> {
      const state = deskState();
      const out: Record<string, ProcSample> = {};
      const procs: Array<[string, number, number]> = [
        ['up', state.pid, 0],
        ...Object.entries(state.parts).map(([name, p]) => [name, p.pid, p.restarts] as [string, number, number]),
        ['bench (traders)', process.pid, 0],
      ];
      for (const [name, pid, n] of procs) {
        const before = lastPid.get(name);
        if (before && (before.pid !== pid || before.restarts !== n))
          restarts.push({ at, part: name, fromPid: before.pid, toPid: pid, restarts: n });
        lastPid.set(name, { pid, restarts: n });
        const s = pid > 0 ? read(pid, n) : undefined;
        if (s) out[name] = s;
      }
      return out;
    },
  };
}
