/**
 * Streaming a range of frames with bounded memory: lanes of decoders working ahead of the
 * consumer, each handing its frames through a bounded queue.
 *
 * @module
 */

import { decodeFrames } from "../ffmpeg/decode.ts";
import { canDecodeLive } from "../ffmpeg/live.ts";
import type { FrameRange, Piece, Recording } from "../model.ts";
import { decodeOptionsOf, frameSizeOf, LIVE_SPAN } from "./decode.ts";
import type { ReadSource } from "./live_decoders.ts";
import { piecesOf, split } from "./plan.ts";
import { BoundedQueue } from "../async.ts";
import { readSamples } from "./samples.ts";

/** Default read-ahead of a stream: 64 MiB. */
const DEFAULT_READ_AHEAD = 64 * 2 ** 20;

/** Options of {@linkcode streamFrames}. */
export interface StreamReadOptions {
  /** Stops the stream; ffmpeg is killed at once. */
  signal?: AbortSignal | undefined;
  /** How far decoding may run ahead of the consumer, in bytes of frames. Default: 64 MiB. */
  readAheadBytes?: number | undefined;
}

/**
 * Decodes frames `range` of the whole recording one at a time, as they are consumed. A short
 * range is read frame after frame from the live decoders. A longer one, with read-ahead, is cut
 * into keyframe-aligned pieces of about `readAheadBytes / concurrency` decoded by up to
 * `concurrency` lanes, each lane holding at most one decoded piece ahead of the consumer, so
 * that memory stays about the read-ahead (a piece runs longer to reach a keyframe; its queue
 * holds twice the aim so a lane never waits inside a piece); without read-ahead, one process
 * decodes each file as frames are consumed. Stopping the iteration stops ffmpeg.
 *
 * @param source The recording and its live decoders.
 * @param range The frames, counted over the whole recording.
 * @param options Read-ahead and abort signal.
 * @returns The frames in order, each a fresh array.
 * @throws {RangeError} When `readAheadBytes` is negative.
 */
export async function* streamFrames(
  source: ReadSource,
  range: FrameRange,
  options: StreamReadOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { recording, live } = source;
  const frameSize = frameSizeOf(recording);
  const readAhead = options.readAheadBytes ?? DEFAULT_READ_AHEAD;
  if (!(readAhead >= 0)) throw new RangeError(`readAheadBytes ${readAhead} is negative`);
  if (
    range.count <= LIVE_SPAN && piecesOf(recording, range).every((p) => live.canServe(p.video))
  ) {
    // A short range: frame after frame from the live decoders, each continuing the last.
    for (let i = 0; i < range.count; i++) {
      yield await readSamples(source, [range.start + i], options.signal);
    }
    return;
  }
  const decoders = readAhead > 0 ? recording.concurrency : 1;
  const chunk = Math.max(1, Math.floor(readAhead / frameSize / decoders));
  const pieces = readAhead > 0 && decoders > 1
    ? split(piecesOf(recording, range), chunk)
    : piecesOf(recording, range);
  const capacity = readAhead > 0 && decoders > 1 ? chunk * 2 : 1;
  yield* runLanes(recording, range, pieces, decoders, capacity, options.signal);
}

/**
 * Decodes `pieces` in `decoders` lanes: piece j in lane j % decoders once piece j - decoders,
 * the lane's last, has been consumed. Where the codec never reorders frames, the pieces of one
 * file in a lane are one run, fed to one ffmpeg: a long read starts a process per file and
 * lane, not per piece (a start costs as much as decoding tens of frames).
 */
async function* runLanes(
  recording: Recording,
  range: FrameRange,
  pieces: readonly Piece[],
  decoders: number,
  capacity: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  const runOf = pieces.map((_, j) => j);
  const lastOfRun = pieces.map(() => true);
  for (let j = decoders; j < pieces.length; j++) {
    const video = pieces[j]!.video;
    if (pieces[j - decoders]!.video === video && canDecodeLive(video)) {
      runOf[j] = runOf[j - decoders]!;
      lastOfRun[j - decoders] = false;
    }
  }
  const runs = new Map<number, AsyncGenerator<Uint8Array, void, undefined>>();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const running: { piece: Piece; queue: BoundedQueue<Uint8Array>; done: Promise<void> }[] = [];
  let next = 0;
  const runFrames = (j: number) => {
    const run = runOf[j]!;
    let frames = runs.get(run);
    if (!frames) {
      const ranges = pieces.filter((_, i) => runOf[i] === run)
        .map(({ start, count }) => ({ start, count }));
      frames = decodeFrames(
        pieces[j]!.video,
        ranges,
        decodeOptionsOf(recording, controller.signal),
      );
      runs.set(run, frames);
    }
    return frames;
  };
  const launch = () => {
    const j = next++;
    const piece = pieces[j]!;
    const queue = new BoundedQueue<Uint8Array>(capacity);
    const done = (async () => {
      try {
        const frames = runFrames(j);
        for (let i = 0; i < piece.count; i++) {
          const frame = await frames.next();
          if (frame.done) {
            throw new Error(`The decoder of frame ${range.start + piece.at + i} ended`);
          }
          await queue.push(frame.value);
        }
        // The run's last frames are out: let ffmpeg exit, and report it if it failed.
        if (lastOfRun[j]) await frames.next();
        queue.end();
      } catch (error) {
        queue.fail(error);
      }
    })();
    running.push({ piece, queue, done });
  };
  try {
    while (running.length > 0 || next < pieces.length) {
      while (running.length < decoders && next < pieces.length) launch();
      const { queue } = running[0]!;
      for (let data = await queue.next(); data; data = await queue.next()) {
        signal?.throwIfAborted();
        yield data;
      }
      running.shift();
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    controller.abort(new Error("The stream was closed"));
    for (const { queue } of running) queue.end();
    await Promise.all(running.map((r) => r.done));
    await Promise.all([...runs.values()].map((frames) => frames.return()));
  }
}
