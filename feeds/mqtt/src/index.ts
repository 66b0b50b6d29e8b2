export { createMqttFeed, MQTT_CLIENT_ID, type MqttFeedOptions } from './mqtt-feed.js';
export { createMqttMetrics, type MqttMetrics } from './mqtt-metrics.js';
export {
  readSensorValue,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type RefusalReason,
  type SensorReading,
} from './sensor-payload.js';
export { topicMatches, createTopicMap, type SensorEntry } from './topic-filter.js';
export { MqttFeedError, type MqttFeedErrorCode } from './errors.js';
export { SAMPLE_MAP_FILE } from './sample-map.js';
