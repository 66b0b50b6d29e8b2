import { fileURLToPath } from 'node:url';

/**
 * The real Binance futures trades shipped with this package (data/README.md gives
 * provenance and terms): the replay feed's default file and the tests' real data.
 * `../data` from both src/ and dist/, so source and build agree.
 */
export const SAMPLE_FILE = fileURLToPath(new URL('../data/binance-futures-btcusdt-trades.csv', import.meta.url));
