import type { Instrument } from './instrument.js';

/** The demo desk's instruments. Tick and lot sizes follow each venue's conventions. */
export const DEFAULT_INSTRUMENTS: readonly Instrument[] = [
  { symbol: 'BTCUSDT', name: 'Bitcoin / Tether perpetual', assetClass: 'crypto', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', referencePrice: '65000' },
  { symbol: 'ETHUSDT', name: 'Ether / Tether perpetual', assetClass: 'crypto', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', referencePrice: '3400' },
  { symbol: 'SOLUSDT', name: 'Solana / Tether perpetual', assetClass: 'crypto', base: 'SOL', quote: 'USDT', tickSize: '0.001', lotSize: '0.1', referencePrice: '150' },
  { symbol: 'EURUSD', name: 'Euro / US dollar', assetClass: 'fx', base: 'EUR', quote: 'USD', tickSize: '0.00001', lotSize: '1000', referencePrice: '1.08' },
  { symbol: 'USDJPY', name: 'US dollar / Japanese yen', assetClass: 'fx', base: 'USD', quote: 'JPY', tickSize: '0.001', lotSize: '1000', referencePrice: '151.2' },
  { symbol: 'AAPL', name: 'Apple Inc.', assetClass: 'equity', base: 'AAPL', quote: 'USD', tickSize: '0.01', lotSize: '1', referencePrice: '228.5' },
  { symbol: 'MSFT', name: 'Microsoft Corp.', assetClass: 'equity', base: 'MSFT', quote: 'USD', tickSize: '0.01', lotSize: '1', referencePrice: '415.3' },
  { symbol: 'ESZ6', name: 'E-mini S&P 500 Dec 2026', assetClass: 'future', base: 'ES', quote: 'USD', tickSize: '0.25', lotSize: '1', referencePrice: '5900' },
];
