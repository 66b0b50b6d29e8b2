/**
 * The Redis Cluster slot of a key (Redis Cluster specification, "Key distribution
 * model" and "Hash tags"): CRC16-XMODEM of the key, or of the text between the first
 * `{` and the next `}` when that is not empty, modulo 16384.
 */
export function keySlot(key: string): number {
  let text = Buffer.from(key);
  const open = text.indexOf(0x7b);
  if (open >= 0) {
    const close = text.indexOf(0x7d, open + 1);
    if (close > open + 1) text = text.subarray(open + 1, close);
  }
  return crc16(text) % 16_384;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
