export { createSilenceStore, SILENCE_KEPT_AFTER_END_MS, type SilenceStore } from './silence-store.js';
export { createSilenceHold, silenceOfHold, type SilenceHold } from './silence-hold.js';
