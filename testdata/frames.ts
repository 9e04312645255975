/**
 * The frames every fixture holds, computed from their index so a test knows the exact bytes
 * each decoded frame must have.
 *
 * @module
 */

/**
 * The pixels of frame `index` of a recording: bytes 0 and 1 hold the index (little-endian),
 * bytes 2 and 3 a marker, then a moving gradient with a patch of noise that keeps the encoder
 * working.
 *
 * @param index Frame index within the whole recording.
 * @param width Frame width.
 * @param height Frame height.
 * @param seed Varies the content between recordings.
 * @returns `width * height` bytes, row-major.
 */
export function makeFrame(index: number, width: number, height: number, seed = 0): Uint8Array {
  const frame = new Uint8Array(width * height);
  let state = (index * 2654435761 + seed * 97 + 1) >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = (x * 3 + y * 2 + index * 5 + seed) & 0xff;
      if (x < width / 4 && y >= height / 2) {
        state = (state * 1103515245 + 12345) >>> 0;
        value = state >>> 24;
      }
      frame[y * width + x] = value;
    }
  }
  frame[0] = index & 0xff;
  frame[1] = (index >> 8) & 0xff;
  frame[2] = 0xa5;
  frame[3] = 0x5a;
  return frame;
}

/** Reads back the index that {@linkcode makeFrame} stored in a frame. */
export function frameIndexOf(frame: Uint8Array): number {
  return frame[0]! | (frame[1]! << 8);
}
