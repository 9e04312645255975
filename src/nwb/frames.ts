/**
 * Frames from a recording's stream, transposed to NWB's `(frames, width, height)` order, to the
 * file's writer in batches, so memory stays bounded however long the recording.
 *
 * @module
 */

import type { MiniscopeImagingExtractor } from "../extractor.ts";
import type { NwbFileWriter } from "./writer.ts";

/** Bytes of frames gathered before one write into the dataset. */
const BATCH_BYTES = 8 * 2 ** 20;

/** Frames in one batch at most, so that progress and aborts are seen often. */
const MAX_BATCH = 32;

/** Side of the square blocks of the transpose, so that both sides stay in cache. */
const BLOCK = 32;

/**
 * Writes `frame` (`rows x cols`, row-major) transposed, as `cols x rows`, into `out` at
 * `offset`: NWB's `(width, height)` order.
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
 * Streams every sample of `extractor` to series `series` of the writer, in batches.
 *
 * @param extractor The samples to write.
 * @param writer The file's writer.
 * @param series The index of the `OnePhotonSeries` in the layout.
 * @param signal Stops the stream and the writing.
 * @param onFrames Called after each batch is handed over, with its frame count.
 * @returns The frames written.
 */
export async function writeSeriesFrames(
  extractor: MiniscopeImagingExtractor,
  writer: NwbFileWriter,
  series: number,
  signal: AbortSignal | undefined,
  onFrames: (count: number) => void,
): Promise<number> {
  const [rows, cols] = extractor.getImageShape();
  const frameSize = rows * cols;
  const total = extractor.getNumSamples();
  const batchFrames = Math.max(1, Math.min(total, MAX_BATCH, Math.floor(BATCH_BYTES / frameSize)));
  let batch = writer.buffer(batchFrames * frameSize);
  let written = 0;
  let filled = 0;
  const flush = async () => {
    if (filled === 0) return;
    const count = filled;
    filled = 0;
    await writer.writeFrames(series, written, count, cols, rows, batch);
    written += count;
    onFrames(count);
    batch = writer.buffer(batchFrames * frameSize);
  };
  for await (const frame of extractor.stream(signal ? { signal } : {})) {
    transposeInto(frame.data, rows, cols, batch, filled * frameSize);
    filled++;
    if (filled === batchFrames) await flush();
  }
  await flush();
  signal?.throwIfAborted();
  return written;
}
