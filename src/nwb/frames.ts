/**
 * Frames from a recording's stream to the file's writer in batches, so memory stays bounded
 * however long the recording.
 *
 * @module
 */

import type { MiniscopeImagingExtractor } from "../../mod.ts";
import type { NwbFileWriter } from "./writer.ts";

/** Bytes of frames gathered before one write into the dataset. */
const BATCH_BYTES = 8 * 2 ** 20;

/** Frames in one batch at most, so that progress and aborts are seen often. */
const MAX_BATCH = 32;

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
export async function streamFrames(
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
    await writer.writeFrames(series, written, count, rows, cols, batch);
    written += count;
    onFrames(count);
    batch = writer.buffer(batchFrames * frameSize);
  };
  for await (const frame of extractor.stream(signal ? { signal } : {})) {
    batch.set(frame.data, filled * frameSize);
    filled++;
    if (filled === batchFrames) await flush();
  }
  await flush();
  signal?.throwIfAborted();
  return written;
}
