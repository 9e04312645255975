/**
 * PNG encoding of frames for the viewer.
 *
 * @module
 */

import { encode } from "fast-png";

/**
 * Encodes 8-bit pixels as PNG without loss: gray for one channel, RGB for three. Stored
 * (uncompressed) deflate blocks keep encoding to a few milliseconds per frame; the server only
 * talks to the local machine.
 *
 * @param width Columns.
 * @param height Rows.
 * @param channels 1 (gray) or 3 (RGB).
 * @param data Row-major pixels, `width * height * channels` bytes.
 * @returns The PNG file.
 */
export function encodePng(
  width: number,
  height: number,
  channels: 1 | 3,
  data: Uint8Array,
): Uint8Array {
  return encode({ width, height, data, channels, depth: 8 }, { zlib: { level: 0 } });
}
