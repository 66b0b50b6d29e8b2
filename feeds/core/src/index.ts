export * from './source.js';
export * from './validator.js';
export * from './tick-batcher.js';
export * from './publish-window.js';
export * from './bar-builder.js';
export * from './metrics.js';
export * from './nodes.js';
export * from './feed.js';
