import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createSourceLifecycle, type FeedSource, type TickSink } from '@tickdesk/feed-core';
import { sleep, untilAborted } from './abort.js';
import { createCsvParser } from './csv-parser.js';
import { ReplayFeedError } from './errors.js';
import type { LineResult } from './fields.js';
import { parseNdjsonLine } from './ndjson-parser.js';
import { createPacer, type ReplaySpeed } from './pacer.js';
import { createProgressBar, type ProgressStream } from './progress-bar.js';
import { fileChunks, readLines } from './read-lines.js';

export type ReplayFormat = 'csv' | 'ndjson';

export interface ReplayFeedOptions {
  path: string;
  /** Default: by extension (.csv; .ndjson, .jsonl). */
  format?: ReplayFormat | 'auto';
  speed: ReplaySpeed;
  /** File symbol → desk symbol; symbols not listed pass unchanged. */
  symbolMap?: Readonly<Record<string, string>>;
  /** A progress bar on stderr (true) or on the given stream; drawn only on a terminal. */
  progress?: boolean | ProgressStream;
}

export interface ReplayStats {
  lines: number;
  ticks: number;
  malformed: number;
}

export interface ReplayFeed extends FeedSource {
  stats(): ReplayStats;
}

const RAW_MAX = 200;

export function formatOf(path: string, format: ReplayFeedOptions['format'] = 'auto'): ReplayFormat {
  if (format !== 'auto') return format;
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  throw new ReplayFeedError(
    'TICKDESK_REPLAY_CONFIG',
    `cannot tell the format of ${path}; pass format 'csv' or 'ndjson'`,
  );
}

/**
 * Replays recorded trades from a CSV (tardis.dev layout) or NDJSON file, streamed
 * line by line. Bad lines are reported and skipped; whenever the sink asks to slow
 * down (push returns false) the replay waits for drain(), at any speed.
 */
export function createReplayFeed(opts: ReplayFeedOptions): ReplayFeed {
  const { path, speed, progress } = opts;
  const format = formatOf(path, opts.format);
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
    throw new ReplayFeedError('TICKDESK_REPLAY_CONFIG', `speed must be a positive number or 'max', got ${speed}`);
  }
  const symbolMap = new Map(Object.entries(opts.symbolMap ?? {}));
  const stats: ReplayStats = { lines: 0, ticks: 0, malformed: 0 };
  const lifecycle = createSourceLifecycle(
    () => new ReplayFeedError('TICKDESK_REPLAY_BUSY', `the replay of ${path} is already running`),
  );

  async function replay(sink: TickSink, signal: AbortSignal): Promise<void> {
    const totalBytes = await stat(path).then(
      (s) => s.size,
      (err: Error) => {
        throw new ReplayFeedError('TICKDESK_REPLAY_UNREADABLE', `cannot read ${path}: ${err.message}`);
      },
    );
    const bar = createProgressBar(progress, totalBytes);
    const pacer = createPacer(speed);
    let parse: ((line: string) => LineResult) | undefined = format === 'ndjson' ? parseNdjsonLine : undefined;
    const malformed = (reason: string, lineNo: number, text: string): void => {
      stats.malformed += 1;
      sink.report({ kind: 'malformed', reason: `line ${lineNo}: ${reason}`, raw: text.slice(0, RAW_MAX) });
    };
    let bytes = 0;
    try {
      for await (const chunk of readLines(fileChunks(path))) {
        bytes = chunk.bytesRead;
        for (let i = 0; i < chunk.lines.length; i++) {
          if (signal.aborted) return;
          const line = chunk.lines[i]!;
          const lineNo = chunk.firstLine + i;
          stats.lines += 1;
          if (line === null) {
            malformed('line too long', lineNo, '');
            continue;
          }
          if (line.trim() === '') continue;
          if (!parse) {
            parse = createCsvParser(line);
            continue;
          }
          const result = parse(line);
          if (!result.ok) {
            malformed(result.reason, lineNo, line);
            continue;
          }
          const tick = result.tick;
          tick.symbol = symbolMap.get(tick.symbol) ?? tick.symbol;
          const wait = pacer.delayMs(tick.eventTimeMicros);
          if (wait >= 1) {
            await sleep(wait, signal);
            if (signal.aborted) return;
          }
          stats.ticks += 1;
          if (!sink.push(tick)) {
            const before = performance.now();
            await untilAborted(sink.drain(), signal);
            pacer.shift(performance.now() - before);
          }
          bar.update(bytes, stats.ticks);
        }
      }
    } finally {
      bar.finish(bytes, stats.ticks);
    }
  }

  return {
    name: 'replay',
    state: lifecycle.state,
    stats: () => ({ ...stats }),
    run: (sink, signal) =>
      lifecycle.run('running', () => {
        Object.assign(stats, { lines: 0, ticks: 0, malformed: 0 });
        return replay(sink, signal);
      }),
  };
}
