// The docs/benchmarks.md section of a soak run again, from its samples (test/artifacts/soak-*.json),
// with the report code as it is now; no desk is started.
// Run: node --conditions=tickdesk-source --import tsx test/bench/soak-render.ts <artifact.json> [section, default soak; none prints only]
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from './report.js';
import { perTraderPerMinute, type SoakRulePlan } from './soak-load.js';
import type { RestartNote } from './soak-procs.js';
import { procRows, type SoakSample } from './soak-report.js';
import { deskLabel, soakSection, type SoakSummary } from './soak-section.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [path, name = 'soak'] = process.argv.slice(2);
if (!path) throw new Error('usage: soak-render.ts <test/artifacts/soak-….json> [section]');
const run = JSON.parse(readFileSync(path, 'utf8')) as {
  startedAt: string;
  machine: string;
  restarts: RestartNote[];
  samples: SoakSample[];
  summary?: SoakSummary;
  settings: {
    WARMUP_S: number;
    SAMPLE_S: number;
    RATE: number;
    plan: SoakRulePlan;
    FAILOVER: boolean;
    failoverEnv: Record<string, string>;
    XMPP: string;
    FLAT: { mibPerH: number; fdsPerH: number };
  };
  section?: { command: string; endedAt: string; drainS: number };
};
if (!run.summary) throw new Error(`${path}: the run did not finish (no summary)`);
const s = run.settings;
// Runs saved before the section's own fields were: the default command and the last sample's time.
const body = soakSection({
  machine: run.machine,
  command: run.section?.command ?? 'npm run bench:soak',
  startedAt: new Date(run.startedAt),
  endedAt: new Date(run.section?.endedAt ?? run.summary.finalSample.at),
  desk: deskLabel(s.XMPP, s.FAILOVER, s.failoverEnv),
  rate: s.RATE,
  plan: s.plan,
  perTraderPerMinute: perTraderPerMinute(s.plan),
  warmupS: s.WARMUP_S,
  sampleS: s.SAMPLE_S,
  drainS: run.section?.drainS ?? 90,
  flat: s.FLAT,
  samples: run.samples,
  rows: procRows(run.samples, s.WARMUP_S, s.FLAT),
  restarts: run.restarts,
  summary: run.summary,
  artifact: relative(root, path),
});
process.stdout.write(`${body}\n`);
if (name !== 'none') writeSection(join(root, 'docs/benchmarks.md'), name, body);
