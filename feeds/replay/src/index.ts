export {
  createReplayFeed,
  formatOf,
  type ReplayFeed,
  type ReplayFeedOptions,
  type ReplayFormat,
  type ReplayStats,
} from './replay-feed.js';
export type { ReplaySpeed } from './pacer.js';
export type { ProgressStream } from './progress-bar.js';
export { parseNdjsonLine, numberLiteral } from './ndjson-parser.js';
export { createCsvParser, splitCsv } from './csv-parser.js';
export type { LineResult } from './fields.js';
export { ReplayFeedError, type ReplayFeedErrorCode } from './errors.js';
export { SAMPLE_FILE } from './sample.js';
