import { readFileSync } from 'node:fs';
import { parseSensorMap, type SensorMapEntry } from '@tickdesk/schemas';
import { ConfigError } from './config.js';

/** What decides a desk's sensor instruments: its feed sources and, with `mqtt`, the sensor map file. */
export interface SensorSettings {
  /** TICKDESK_FEED as a list. */
  feeds: readonly string[];
  /** TICKDESK_MQTT_MAP_FILE. */
  mapFile: string;
  /** TICKDESK_MQTT_SENSORS_MAX. */
  maxSensors: number;
}

/**
 * The topology's sensors: the checked entries of the sensor map when the desk runs the
 * mqtt feed, else none (a map file of a desk without that feed is not read). A bad file
 * stops `up` with the variable, the file, the entry and the field named.
 */
export function sensorsOf({ feeds, mapFile, maxSensors }: SensorSettings): { sensors?: SensorMapEntry[] } {
  if (!feeds.includes('mqtt')) return {};
  const source = `TICKDESK_MQTT_MAP_FILE=${JSON.stringify(mapFile)}`;
  let text: string;
  try {
    text = readFileSync(mapFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source} is not readable: ${(err as Error).message}`);
  }
  try {
    return { sensors: parseSensorMap(text, { source, maxSensors }).sensors };
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
