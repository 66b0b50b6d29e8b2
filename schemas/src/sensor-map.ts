import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Decimal } from './decimal.js';
import { DEFAULT_INSTRUMENTS } from './instruments.js';
import { SENSOR_DECIMALS_MAX, SENSOR_VALUE_PATTERN, SYMBOL_PATTERN, type SensorInstrument } from './instrument.js';
import { xmlTextProblem } from './xml-text.js';

/** Entries a sensor map may hold unless the desk says otherwise (TICKDESK_MQTT_SENSORS_MAX). */
export const DEFAULT_MQTT_SENSORS_MAX = 256;
/** A map file longer than this (characters) is refused before parsing (256 entries take about 50 KiB). */
export const SENSOR_MAP_MAX_BYTES = 1024 * 1024;

const Bound = Type.String({ pattern: SENSOR_VALUE_PATTERN, maxLength: 40 });

/**
 * One sensor: the MQTT topic filter its values arrive on (`+` and `#` allowed, MQTT 5
 * §4.7.1) and the instrument they become ticks of. Values outside [min, max] or with more
 * than `decimals` fraction digits are refused by the feed.
 */
export const SensorMapEntry = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 256 }),
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    unit: Type.String({ maxLength: 16 }),
    decimals: Type.Integer({ minimum: 0, maximum: SENSOR_DECIMALS_MAX }),
    min: Bound,
    max: Bound,
  },
  { additionalProperties: false },
);
export type SensorMapEntry = Static<typeof SensorMapEntry>;

/** The sensor map file (TICKDESK_MQTT_MAP_FILE): the first entry whose filter matches a message's topic names its symbol. */
export const SensorMap = Type.Object(
  { sensors: Type.Array(SensorMapEntry, { minItems: 1 }) },
  { additionalProperties: false },
);
export type SensorMap = Static<typeof SensorMap>;

export interface SensorMapOptions {
  /** Named in every error: the variable and the file (`TICKDESK_MQTT_MAP_FILE (/etc/sensors.json)`). */
  source?: string;
  /** At most this many entries (TICKDESK_MQTT_SENSORS_MAX); default {@link DEFAULT_MQTT_SENSORS_MAX}. */
  maxSensors?: number;
  /** Symbols the desk already uses for other instruments; default the market instruments'. */
  takenSymbols?: readonly string[];
}

/**
 * Why `filter` is not a valid MQTT topic filter, or undefined. MQTT 5 §4.7.1: `#` only as
 * the last level and alone in it, `+` alone in its level; §4.7.3: no U+0000. A leading `$`
 * is refused: such topics belong to the broker (§4.7.2, `$SYS/`) or name a shared
 * subscription (`$share/`, §4.8.2), never a device's value.
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'must not be empty';
  if (filter.includes('\u0000')) return 'must not contain U+0000 (MQTT 5 §4.7.3)';
  if (filter.startsWith('$')) return 'must not start with $ (reserved for the broker, MQTT 5 §4.7.2)';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      return `"#" must be the last level and alone in it (MQTT 5 §4.7.1.2): level ${i + 1} is "${level}"`;
    if (level.includes('+') && level !== '+')
      return `"+" must be alone in its level (MQTT 5 §4.7.1.3): level ${i + 1} is "${level}"`;
  }
  return undefined;
}

const fractionDigits = (d: string): number => (d.includes('.') ? d.length - d.indexOf('.') - 1 : 0);

/**
 * A sensor map file's text, checked: the schema, at most `maxSensors` entries, valid topic
 * filters, symbols unique and not taken by another instrument, min < max, each with at most
 * `decimals` fraction digits, name and unit fit for a stanza. Throws one TypeError naming
 * `source`, the entry (`entry 2 (IOT.SITE1.TEMP)`) and the field at fault.
 */
export function parseSensorMap(text: string, opts: SensorMapOptions = {}): SensorMap {
  const source = opts.source ?? 'sensor map';
  const max = opts.maxSensors ?? DEFAULT_MQTT_SENSORS_MAX;
  if (text.length > SENSOR_MAP_MAX_BYTES)
    throw new TypeError(`${source} is longer than ${SENSOR_MAP_MAX_BYTES} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const sensors = (value as { sensors?: unknown } | null)?.sensors;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Array.isArray(sensors)) {
    throw new TypeError(`${source} must be a JSON object { "sensors": [ … ] }`);
  }
  const extra = Object.keys(value).find((k) => k !== 'sensors');
  if (extra !== undefined) throw new TypeError(`${source}: unknown field ${JSON.stringify(extra.slice(0, 64))}`);
  if (sensors.length === 0) throw new TypeError(`${source} lists no sensors`);
  if (sensors.length > max)
    throw new TypeError(`${source} lists ${sensors.length} sensors; at most ${max} (TICKDESK_MQTT_SENSORS_MAX)`);
  const taken = new Set(opts.takenSymbols ?? DEFAULT_INSTRUMENTS.map((i) => i.symbol));
  const seen = new Set<string>();
  const topics = new Map<string, number>();
  sensors.forEach((entry: unknown, i) => {
    const fail = (field: string, why: string): never => {
      throw new TypeError(`${source} entry ${i + 1}${entrySymbol(entry)}: ${field} ${why}`);
    };
    const error = Value.Errors(SensorMapEntry, entry).First();
    if (error) fail(error.path.slice(1) || 'the entry', error.message);
    const e = entry as SensorMapEntry;
    const topic = topicFilterProblem(e.topic);
    if (topic) fail('topic', topic);
    // The first matching entry wins: a later one with the same filter would never get a value.
    const first = topics.get(e.topic);
    if (first !== undefined) fail('topic', `${e.topic} is entry ${first}'s already: this entry would never match`);
    topics.set(e.topic, i + 1);
    for (const field of ['name', 'unit'] as const) {
      const bad = xmlTextProblem(e[field]);
      if (bad) fail(field, bad);
    }
    if (taken.has(e.symbol)) fail('symbol', `${e.symbol} is already an instrument of the desk`);
    if (seen.has(e.symbol)) fail('symbol', `${e.symbol} is listed twice`);
    seen.add(e.symbol);
    for (const field of ['min', 'max'] as const) {
      if (fractionDigits(e[field]) > e.decimals) fail(field, `${e[field]} has more than ${e.decimals} fraction digits`);
    }
    if (!new Decimal(e.min).lessThan(e.max)) fail('min', `${e.min} must be less than max ${e.max}`);
  });
  return value as SensorMap;
}

function entrySymbol(entry: unknown): string {
  const s = (entry as { symbol?: unknown } | null)?.symbol;
  return typeof s === 'string' ? ` (${s.slice(0, 32)})` : '';
}

/** The instruments a sensor map defines, in file order. */
export function sensorInstruments(map: SensorMap): SensorInstrument[] {
  return map.sensors.map(({ symbol, name, unit, decimals, min, max }) => ({
    kind: 'sensor',
    symbol,
    name,
    unit,
    decimals,
    min,
    max,
  }));
}
