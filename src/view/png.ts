/**
 * PNG encoding of frames for the viewer.
 *
 * @module
 */

import { crc32, deflateSync } from "node:zlib";

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Encodes 8-bit pixels as PNG without loss: gray for one channel, RGB for three. Stored
 * (uncompressed) deflate blocks, written by the runtime's zlib, keep encoding to about a
 * millisecond for a 608x608 frame; the server only talks to the local machine.
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
  const stride = width * channels;
  // Every row starts with its filter type, 0: the bytes as they are.
  const rows = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    rows.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const idat = deflateSync(rows, { level: 0 });
  const png = new Uint8Array(SIGNATURE.length + 25 + 12 + idat.length + 12);
  const view = new DataView(png.buffer);
  png.set(SIGNATURE);
  let at = SIGNATURE.length;
  const chunk = (type: string, body: Uint8Array) => {
    view.setUint32(at, body.length);
    for (let i = 0; i < 4; i++) png[at + 4 + i] = type.charCodeAt(i);
    png.set(body, at + 8);
    view.setUint32(at + 8 + body.length, crc32(png.subarray(at + 4, at + 8 + body.length)));
    at += 12 + body.length;
  };
  const header = new Uint8Array(13);
  const fields = new DataView(header.buffer);
  fields.setUint32(0, width);
  fields.setUint32(4, height);
  header[8] = 8; // bits per sample
  header[9] = channels === 1 ? 0 : 2; // gray, or RGB
  chunk("IHDR", header);
  chunk("IDAT", idat);
  chunk("IEND", new Uint8Array(0));
  return png;
}
