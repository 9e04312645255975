/**
 * Frames for the viewer: one adapter that reads pixels from an extractor, and a store that keeps
 * recent frames as PNG, decodes a window around each frame asked for and reads ahead in the
 * direction the viewer moves.
 *
 * @module
 */

import { ByteLru } from "../lru.ts";
import { encodePng } from "./png.ts";
import type { ViewRecording } from "./source.ts";

/** A decoded frame: `channels` is 1 for gray, 3 for RGB; `data` is row-major. */
export interface ViewFrame {
  /** Sample index. */
  index: number;
  /** The pixels, `rows * cols * channels` bytes. */
  data: Uint8Array;
  /** Bytes per pixel. */
  channels: 1 | 3;
}

/**
 * The one place the viewer reads pixels: frames `[start, end)` of a recording, in order.
 * Gray devices give one byte a pixel, colour cameras (opened as `rgb24`) three.
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
  const channels = extractor.getPixelFormat() === "rgb24" ? 3 : 1;
  for await (const frame of extractor.stream({ start, end, signal })) {
    yield { index: frame.index, data: frame.data, channels };
  }
}

/** Options of {@linkcode FrameStore}. */
export interface FrameStoreOptions {
  /** Ends every decode of the store. */
  signal: AbortSignal;
  /** Bytes of PNG kept. Default: 128 MiB. */
  cacheBytes?: number;
  /** Frames decoded together around a frame asked for. Default: 48. */
  window?: number;
}

interface Waiter {
  resolve: (png: Uint8Array) => void;
  reject: (error: unknown) => void;
}

interface Decode {
  start: number;
  end: number;
  controller: AbortController;
  /** Frames at and after this index are still to come. */
  next: number;
}

/** Most decodes reading ahead at once. */
const MAX_DECODES = 2;

/**
 * Recent frames of one recording as PNG. A frame asked for is served from the cache (while its
 * file is unchanged), or from a decode already under way, or by decoding a window around it;
 * then the store reads ahead in the direction of travel so the next steps are already there.
 * Decodes nobody waits for any more give way to new requests, so scrubbing does not queue stale
 * work.
 */
export class FrameStore {
  readonly #extractor: ViewRecording;
  readonly #signal: AbortSignal;
  readonly #window: number;
  /** Backward windows are shorter: their last frame, the one asked for, comes last. */
  readonly #back: number;
  readonly #rows: number;
  readonly #cols: number;
  readonly #pngs: ByteLru<number>;
  readonly #waiters = new Map<number, Waiter[]>();
  readonly #decodes = new Set<Decode>();
  readonly #running = new Set<Promise<void>>();
  #last = -1;

  /**
   * Makes a store for a recording.
   *
   * @param extractor The recording.
   * @param options Signal, cache size and window.
   */
  constructor(extractor: ViewRecording, options: FrameStoreOptions) {
    this.#extractor = extractor;
    this.#signal = options.signal;
    this.#pngs = new ByteLru(options.cacheBytes ?? 128 * 2 ** 20);
    this.#window = options.window ?? 48;
    this.#back = Math.max(1, Math.ceil(this.#window / 2));
    [this.#rows, this.#cols] = extractor.getImageShape();
  }

  /**
   * The PNG of frame `index`.
   *
   * @param index A sample index, checked by the caller.
   * @param ahead The direction to read ahead in: 1 forward, -1 backward. Default: guessed from
   *   the previous frame asked for.
   * @returns The PNG bytes.
   */
  png(index: number, ahead?: 1 | -1): Promise<Uint8Array> {
    this.#signal.throwIfAborted();
    const direction = ahead ?? (index >= this.#last ? 1 : -1);
    this.#last = index;
    const cached = this.#pngs.get(index);
    let result: Promise<Uint8Array>;
    if (cached) {
      // A kept picture is the file as it was: served only while the file still is (decodes
      // check by themselves).
      result = this.#extractor.checkUnchanged(index).then(() => cached, (error) => {
        this.#pngs.delete(index);
        throw error;
      });
    } else {
      result = new Promise<Uint8Array>((resolve, reject) => {
        const list = this.#waiters.get(index);
        if (list) list.push({ resolve, reject });
        else this.#waiters.set(index, [{ resolve, reject }]);
      });
      if (!this.#coming(index)) {
        this.#dropStale(index);
        // Backward, the frame asked for alone, so it does not wait for the frames before it;
        // reading ahead decodes those beside it.
        const end = direction > 0 ? index + this.#window : index + 1;
        this.#decode(index, Math.min(this.#extractor.getNumSamples(), end));
      }
    }
    this.#readAhead(index, direction);
    return result;
  }

  /** Waits for every decode of the store to end (after its signal aborts them). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Whether a running decode will still deliver `index`. */
  #coming(index: number): boolean {
    for (const d of this.#decodes) if (index >= d.next && index < d.end) return true;
    return false;
  }

  /**
   * Ends the decodes nobody waits for that lie away from `index`: after a jump they are stale
   * work, and reading ahead starts again from here.
   */
  #dropStale(index: number): void {
    const reach = 2 * this.#window;
    for (const decode of [...this.#decodes]) {
      const waited = [...this.#waiters.keys()].some((k) => k >= decode.next && k < decode.end);
      const near = decode.end > index - reach && decode.start < index + reach;
      if (!waited && !near) {
        decode.controller.abort();
        this.#decodes.delete(decode);
      }
    }
  }

  /** Keeps up to two windows decoded or decoding ahead in the direction of travel. */
  #readAhead(index: number, direction: 1 | -1): void {
    const samples = this.#extractor.getNumSamples();
    const horizon = 2 * (direction > 0 ? this.#window : this.#back);
    for (let step = 1; step <= horizon; step++) {
      const k = index + direction * step;
      if (k < 0 || k >= samples) return;
      if (this.#pngs.has(k) || this.#coming(k)) continue;
      if (this.#decodes.size >= MAX_DECODES) return;
      const start = direction > 0 ? k : Math.max(0, k - this.#back + 1);
      this.#decode(start, Math.min(samples, direction > 0 ? k + this.#window : k + 1));
      return;
    }
  }

  #decode(start: number, end: number): void {
    const controller = new AbortController();
    const signal = AbortSignal.any([this.#signal, controller.signal]);
    const decode: Decode = { start, end, controller, next: start };
    this.#decodes.add(decode);
    const run = (async () => {
      try {
        for await (const frame of readFrames(this.#extractor, start, end, signal)) {
          decode.next = frame.index + 1;
          const png = encodePng(this.#cols, this.#rows, frame.channels, frame.data);
          this.#pngs.set(frame.index, png);
          const list = this.#waiters.get(frame.index);
          this.#waiters.delete(frame.index);
          for (const waiter of list ?? []) waiter.resolve(png);
        }
      } catch (error) {
        for (let k = decode.next; k < end; k++) {
          if (!this.#isOnly(decode, k)) continue;
          const list = this.#waiters.get(k);
          this.#waiters.delete(k);
          for (const waiter of list ?? []) waiter.reject(error);
        }
      } finally {
        decode.next = end;
        this.#decodes.delete(decode);
      }
    })();
    this.#running.add(run);
    run.finally(() => this.#running.delete(run));
  }

  /** Whether `decode` is the only running decode that would deliver `index`. */
  #isOnly(decode: Decode, index: number): boolean {
    for (const d of this.#decodes) {
      if (d !== decode && index >= d.next && index < d.end) return false;
    }
    return true;
  }
}
