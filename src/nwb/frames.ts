/**
 * Frames from a recording's stream into a chunked HDF5 dataset, transposed to NWB's
 * `(frames, width, height)` order and written in batches, so memory stays bounded however long
 * the recording.
 *
 * @module
 */

import type { Dataset } from "h5wasm/node";
import type { MiniscopeImagingExtractor } from "../../mod.ts";
import { writeFrames } from "./hdf5.ts";

/** Bytes of frames gathered before one write into the dataset. */
const BATCH_BYTES = 8 * 2 ** 20;

/** Side of the square blocks of the transpose, so both sides stay in cache. */
const BLOCK = 32;

/**
 * Writes `frame` (`rows x cols`, row-major) transposed, as `cols x rows`, into `out` at
 * `offset`.
 */
export function transposeInto(
  frame: Uint8Array,
  rows: number,
  cols: number,
  out: Uint8Array,
  offset: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let c = c0; c < c1; c++) {
        const base = offset + c * rows;
        for (let r = r0; r < r1; r++) out[base + r] = frame[r * cols + c]!;
      }
    }
  }
}

/**
 * Streams every sample of `extractor` into `dataset` (already sized to the samples).
 *
 * @param extractor The samples to write.
 * @param dataset A `uint8` dataset of shape `[samples, cols, rows]`.
 * @param signal Stops the stream and the writing.
 * @param onFrame Called after each frame is written.
 * @returns The frames written.
 */
export async function streamFrames(
  extractor: MiniscopeImagingExtractor,
  dataset: Dataset,
  signal: AbortSignal | undefined,
  onFrame: () => void,
): Promise<number> {
  const [rows, cols] = extractor.getImageShape();
  const frameSize = rows * cols;
  const total = extractor.getNumSamples();
  const batchFrames = Math.max(1, Math.min(total, Math.floor(BATCH_BYTES / frameSize)));
  const batch = new Uint8Array(batchFrames * frameSize);
  let written = 0;
  let filled = 0;
  const flush = () => {
    if (filled === 0) return;
    writeFrames(dataset, written, filled, [cols, rows], batch.subarray(0, filled * frameSize));
    written += filled;
    for (let i = 0; i < filled; i++) onFrame();
    filled = 0;
  };
  for await (const frame of extractor.stream(signal ? { signal } : {})) {
    transposeInto(frame.data, rows, cols, batch, filled * frameSize);
    filled++;
    if (filled === batchFrames) flush();
  }
  flush();
  signal?.throwIfAborted();
  return written;
}
