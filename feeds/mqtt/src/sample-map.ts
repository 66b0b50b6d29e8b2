import { fileURLToPath } from 'node:url';

/** The sensor map shipped with this package: TICKDESK_MQTT_MAP_FILE's default. `../` from both src/ and dist/. */
export const SAMPLE_MAP_FILE = fileURLToPath(new URL('../sensors.sample.json', import.meta.url));
