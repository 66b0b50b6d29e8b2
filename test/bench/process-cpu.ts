import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds used by `pid` between `start()` and `stop()`, as cores busy on average. */
export function cpuMeter(pid: number) {
  let cpu0 = 0;
  let t0 = 0;
  return {
    start() {
      cpu0 = processCpuSeconds(pid);
      t0 = performance.now();
    },
    /** Cores used on average since start(). */
    stop(): number {
      return (processCpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
    },
  };
}

/** Resident memory of a process now, in MiB, from /proc/<pid>/status. */
export function processRssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
