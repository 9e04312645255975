/**
 * Frames for the viewer: one adapter that reads pixels from an extractor, and a store that keeps
 * recent frames as PNG, reads each frame asked for through the decoders the extractor keeps
 * alive, and reads the frames around it in the background so that the next steps, either way,
 * are already there.
 *
 * @module
 */

import { ByteLru } from "../lru.ts";
import { encodePng } from "./png.ts";
import type { ViewRecording } from "./model.ts";

/** A decoded frame: `channels` is 1 for gray, 3 for RGB; `data` is row-major. */
export interface ViewFrame {
  /** Sample index. */
  index: number;
  /** The pixels, `rows * cols * channels` bytes. */
  data: Uint8Array;
  /** Bytes per pixel. */
  channels: 1 | 3;
}

/** Bytes per pixel of the frames of `extractor`. */
function channelsOf(extractor: ViewRecording): 1 | 3 {
  return extractor.getPixelFormat() === "rgb24" ? 3 : 1;
}

/**
 * One of the two places the viewer reads pixels: frame `index` of a recording, from the
 * extractor's cache of decoded frames or the decoder it keeps alive for the file (which goes on
 * from where it is when it can).
 *
 * @param extractor The recording.
 * @param index The sample.
 * @param signal Stops the read.
 * @returns The frame.
 */
export async function readFrame(
  extractor: ViewRecording,
  index: number,
  signal: AbortSignal,
): Promise<ViewFrame> {
  const { data } = await extractor.getSamples([index], { signal });
  return { index, data, channels: channelsOf(extractor) };
}

/**
 * The other place the viewer reads pixels: frames `[start, end)` of a recording, in order, each
 * read as it is consumed (a short range of a file whose decoder is kept alive goes frame after
 * frame through it; others decode in a process of their own).
 *
 * @param extractor The recording.
 * @param start First sample.
 * @param end End sample, exclusive.
 * @param signal Stops decoding; ffmpeg is killed.
 * @returns The frames in order.
 */
export async function* readFrames(
  extractor: ViewRecording,
  start: number,
  end: number,
  signal: AbortSignal,
): AsyncGenerator<ViewFrame, void, undefined> {
  const channels = channelsOf(extractor);
  for await (const frame of extractor.stream({ start, end, signal })) {
    yield { index: frame.index, data: frame.data, channels };
  }
}

/** Options of {@linkcode FrameStore}. */
export interface FrameStoreOptions {
  /** Ends every read of the store. */
  signal: AbortSignal;
  /** Bytes of PNG kept. Default: 128 MiB. */
  cacheBytes?: number;
}

/**
 * Frames read together in the background behind the frame shown: a group of pictures of the
 * acquisition software (a keyframe every 12 frames), counted from the start of each file.
 */
const BLOCK = 12;
/** Frames kept ready before the frame shown, and after it (the first few of them first). */
const BEHIND = 36;
const AHEAD = 24;
const NEAR = 4;

/** Frames `[start, end)` to have ready. */
interface Span {
  start: number;
  end: number;
}

/**
 * Recent frames of one recording as PNG. A frame asked for is served from the cache (while its
 * file is unchanged), or read at once through the extractor's decoders; then the store reads
 * the frames around it in the background, a span at a time, one frame after another, nearest
 * first: blocks behind it from their start, so that each is one decode from a keyframe, and the
 * frames ahead of it. A move elsewhere ends the span under way between two frames (the
 * decoder is not interrupted) and the store starts again around the new frame.
 */
export class FrameStore {
  readonly #extractor: ViewRecording;
  readonly #signal: AbortSignal;
  readonly #rows: number;
  readonly #cols: number;
  readonly #samples: number;
  /** The first sample of each file: blocks are counted from them. */
  readonly #fileStarts: number[] = [];
  readonly #pngs: ByteLru<number>;
  /** Frames being read because they were asked for. */
  readonly #reading = new Map<number, Promise<Uint8Array>>();
  readonly #running = new Set<Promise<unknown>>();
  /** The frame last asked for, and the direction of travel. */
  #center = 0;
  #direction: 1 | -1 = 1;
  #last = -1;
  /**
   * Blocks whose reading failed or whose pictures were not kept, by start: left out until the
   * frame asked for leaves its block.
   */
  readonly #failed = new Set<number>();
  #centerBlock = -1;
  #wake: (() => void) | undefined;
  /** Whether the background reading waits for a move, with nothing left to read. */
  #waiting = false;
  readonly #onIdle: (() => void)[] = [];
  #background: Promise<void> | undefined;
  /** Frames kept ready behind and ahead: fewer when the cache would not hold them twice. */
  readonly #behind: number;
  readonly #ahead: number;

  /**
   * Makes a store for a recording.
   *
   * @param extractor The recording.
   * @param options Signal and cache size.
   */
  constructor(extractor: ViewRecording, options: FrameStoreOptions) {
    this.#extractor = extractor;
    this.#signal = options.signal;
    const cacheBytes = options.cacheBytes ?? 128 * 2 ** 20;
    this.#pngs = new ByteLru(cacheBytes);
    [this.#rows, this.#cols] = extractor.getImageShape();
    const pngBytes = this.#rows * (this.#cols * channelsOf(extractor) + 1) + 128;
    const fit = Math.floor(cacheBytes / pngBytes / 2);
    this.#ahead = Math.min(AHEAD, Math.floor(fit * AHEAD / (AHEAD + BEHIND)));
    this.#behind = Math.min(BEHIND, fit - this.#ahead);
    this.#samples = extractor.getNumSamples();
    let first = 0;
    for (const count of extractor.getFileFrameCounts()) {
      if (first >= this.#samples) break;
      this.#fileStarts.push(first);
      first += count;
    }
    this.#signal.addEventListener("abort", () => {
      this.#wake?.();
      for (const resolve of this.#onIdle.splice(0)) resolve();
    }, { once: true });
  }

  /**
   * The PNG of frame `index`.
   *
   * @param index A sample index, checked by the caller.
   * @param ahead The direction of travel: 1 forward, -1 backward. Default: guessed from the
   *   previous frame asked for.
   * @returns The PNG bytes.
   */
  png(index: number, ahead?: 1 | -1): Promise<Uint8Array> {
    this.#signal.throwIfAborted();
    const direction = ahead ?? (index >= this.#last ? 1 : -1);
    this.#last = index;
    const result = this.#get(index);
    this.#moveTo(index, direction);
    return result;
  }

  /** Waits for every read of the store to end (after its signal aborts them). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /**
   * Whether the PNG of frame `index` is kept.
   *
   * @param index A sample index.
   * @returns Whether it is.
   */
  has(index: number): boolean {
    return this.#pngs.has(index);
  }

  /** Resolves once the background reading has nothing left to read, or the store stopped. */
  async idle(): Promise<void> {
    while (this.#background && !this.#waiting && !this.#signal.aborted) {
      await new Promise<void>((resolve) => this.#onIdle.push(resolve));
    }
  }

  #get(index: number): Promise<Uint8Array> {
    const cached = this.#pngs.get(index);
    if (cached) {
      // A kept picture is the file as it was: served only while the file still is (reads
      // check by themselves).
      return this.#extractor.checkUnchanged(index).then(() => cached, (error) => {
        this.#pngs.delete(index);
        throw error;
      });
    }
    let reading = this.#reading.get(index);
    if (!reading) {
      reading = readFrame(this.#extractor, index, this.#signal).then((frame) => this.#keep(frame));
      this.#reading.set(index, reading);
      const done = reading.then(() => {}, () => {}).finally(() => {
        this.#reading.delete(index);
        this.#running.delete(done);
      });
      this.#running.add(done);
    }
    return reading;
  }

  #keep(frame: ViewFrame): Uint8Array {
    const png = encodePng(this.#cols, this.#rows, frame.channels, frame.data);
    this.#pngs.set(frame.index, png);
    return png;
  }

  #moveTo(index: number, direction: 1 | -1): void {
    this.#center = index;
    this.#direction = direction;
    const block = this.#blockOf(index).start;
    if (block !== this.#centerBlock) {
      this.#centerBlock = block;
      this.#failed.clear();
    }
    if (!this.#background) {
      const run = this.#readAround().finally(() => {
        this.#background = undefined;
        this.#running.delete(run);
      });
      this.#background = run;
      this.#running.add(run);
    }
    this.#waiting = false;
    this.#wake?.();
  }

  /** The block holding sample `index`: up to {@linkcode BLOCK} frames of one file. */
  #blockOf(index: number): Span {
    const starts = this.#fileStarts;
    let file = starts.length - 1;
    while (file > 0 && starts[file]! > index) file--;
    const fileEnd = starts[file + 1] ?? this.#samples;
    const start = starts[file]! + Math.floor((index - starts[file]!) / BLOCK) * BLOCK;
    return { start, end: Math.min(fileEnd, start + BLOCK) };
  }

  /**
   * What to have ready around the frame asked for, in order: the next frame (one decode on from
   * the frame shown), the blocks behind it, whole and from their start, nearest first, and the
   * frames ahead of it. A frame behind the decoder costs a decode from its keyframe when it is
   * not ready, one ahead of it a single decode: the block behind comes early whichever the
   * direction of travel, for the first steps back after a jump. Forward, a few frames ahead
   * come before it when the frame shown lies far enough into its block that the first steps
   * back came with it, and the blocks further behind wait until the travel turns back (a
   * decoder moved back there would decode its way forward again).
   */
  #plan(): Span[] {
    const center = this.#center;
    const here = this.#blockOf(center);
    const behind: Span[] = [{ start: here.start, end: center }];
    for (let start = here.start; start > 0 && start > center - this.#behind;) {
      const block = this.#blockOf(start - 1);
      behind.push(block);
      start = block.start;
    }
    const after = (from: number, to: number): Span => ({
      start: Math.min(this.#samples, center + 1 + from),
      end: Math.min(this.#samples, center + 1 + to),
    });
    const near = Math.min(NEAR, this.#ahead);
    const [b0, b1, b2, b3, ...rest] = behind;
    const next = after(0, 1);
    const plan = this.#direction < 0
      ? [next, b0, b1, b2, after(1, near), b3, after(near, this.#ahead), ...rest]
      : center - here.start >= near
      ? [after(0, near), b0, b1, after(near, this.#ahead)]
      : [next, b0, b1, after(1, this.#ahead)];
    return plan.filter((span): span is Span => span !== undefined && span.end > span.start);
  }

  /** The first span of the plan with a frame not kept yet, from that frame. */
  #next(): Span | undefined {
    for (const span of this.#plan()) {
      if (this.#failed.has(this.#blockOf(span.start).start)) continue;
      for (let k = span.start; k < span.end; k++) {
        if (!this.#pngs.has(k)) return { start: k, end: span.end };
      }
    }
    return undefined;
  }

  /** Whether the plan still holds the span from `start`. */
  #planned(start: number, end: number): boolean {
    return this.#plan().some((span) => span.start <= start && start < span.end && span.end >= end);
  }

  /** Reads the frames around the frame asked for, until the store's signal aborts. */
  async #readAround(): Promise<void> {
    while (!this.#signal.aborted) {
      const span = this.#next();
      if (!span) {
        this.#waiting = true;
        for (const resolve of this.#onIdle.splice(0)) resolve();
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      try {
        for await (const frame of readFrames(this.#extractor, span.start, span.end, this.#signal)) {
          if (!this.#pngs.has(frame.index)) this.#keep(frame);
          // Moved elsewhere: the rest of this span is no longer wanted.
          if (frame.index + 1 < span.end && !this.#planned(frame.index + 1, span.end)) break;
        }
        // A picture larger than the cache is never kept: not read again and again.
        if (!this.#pngs.has(span.start)) this.#failed.add(this.#blockOf(span.start).start);
      } catch {
        if (this.#signal.aborted) return;
        // A frame that cannot be read is reported when it is asked for.
        this.#failed.add(this.#blockOf(span.start).start);
      }
    }
  }
}
