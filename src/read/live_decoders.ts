/**
 * The decoders an extractor keeps alive between reads of its recording, and its cache of
 * decoded frames.
 *
 * At most `concurrency` decoders live at once, one per file in use; a read of a file waits for
 * the read before it on the same decoder, and a read that finds every decoder busy with other
 * files is decoded by a process of its own instead. A decoder unused for a few seconds is
 * closed. Whenever a live decoder fails or is interrupted it is killed, and the frames not yet
 * read are left to the caller's one-shot decode, which is exact and names any damage.
 *
 * @module
 */

import { untilAborted } from "../async.ts";
import { checkUnchanged } from "../files.ts";
import type { PixelFormat, Recording, VideoFile } from "../model.ts";
import { canDecodeLive, LiveDecoder } from "../ffmpeg/live.ts";
import { ByteLru } from "../lru.ts";

/** The key of a frame of a file in the cache of decoded frames. */
function frameKey(video: VideoFile, frame: number): string {
  return `${frame}:${video.path}`;
}

/** A live decoder with the reads waiting for it. */
interface Slot {
  video: VideoFile;
  decoder: LiveDecoder | undefined;
  /** Settles when the last read queued on the slot is done. */
  tail: Promise<void>;
  /** Reads running or waiting. */
  users: number;
  lastUsed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** How an opened recording decodes. */
export interface LiveDecodersOptions {
  /** The ffmpeg executable. */
  ffmpegPath: string;
  /** The pixel format of the frames. */
  pixelFormat: PixelFormat;
  /** How long to wait for ffmpeg's output before taking it as stalled. */
  stallTimeoutMs: number | undefined;
  /** The most decoders alive at once. */
  concurrency: number;
  /** The bound of the frame cache in bytes; 0 turns it off. */
  frameCacheBytes: number;
  /** Whether decoders are kept alive at all. */
  enabled: boolean;
  /** How long a decoder may stay unused before it is closed; `Infinity` for never. */
  idleMs: number;
}

/**
 * The live decoders and the frame cache of one opened recording, owned by the extractor that
 * opened it and shared by its slices.
 */
export class LiveDecoders {
  readonly #options: LiveDecodersOptions;
  readonly #slots = new Map<VideoFile, Slot>();
  readonly #cache: ByteLru<string>;
  #closed = false;

  /** @param options ffmpeg, pixel format, bounds. */
  constructor(options: LiveDecodersOptions) {
    this.#options = options;
    this.#cache = new ByteLru(options.frameCacheBytes);
  }

  /** Whether reads of `video` can use a live decoder. */
  canServe(video: VideoFile): boolean {
    return this.#options.enabled && !this.#closed && canDecodeLive(video);
  }

  /**
   * Delivers frames of one file from the cache or a live decoder.
   *
   * @param video The file.
   * @param frames The frames wanted, 0-based within the file, in increasing order.
   * @param deliver Receives each wanted frame (shared with the cache: copy, do not change).
   * @param signal Stops the read; a live decoder in the middle of it is killed.
   * @returns Whether every frame was delivered; when not, the caller decodes them otherwise
   *   (some may have been delivered already).
   * @throws The abort reason when `signal` aborts.
   * @throws {MalformedRecordingError} When frames of the file are kept but the file changed.
   * @throws {Deno.errors.NotFound} When frames of the file are kept but it no longer exists.
   */
  async read(
    video: VideoFile,
    frames: readonly number[],
    deliver: (frame: number, data: Uint8Array) => void,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const cached = frames.map((frame) => this.#cache.get(frameKey(video, frame)));
    // Kept frames are the file as it was: served only while it still is (a decoder checks
    // the file whenever it reads it).
    if (cached.some((data) => data)) await checkUnchanged(video.path, video);
    const missing = frames.filter((frame, i) => {
      const data = cached[i];
      if (data) deliver(frame, data);
      return !data;
    });
    if (missing.length === 0) return true;
    if (!this.canServe(video)) return false;
    const slot = await this.#slotFor(video);
    if (!slot) return false;
    slot.users++;
    clearTimeout(slot.timer);
    const previous = slot.tail;
    let release = () => {};
    slot.tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await untilAborted(previous, signal);
      for (const frame of missing) {
        signal?.throwIfAborted();
        if (this.#closed) return false;
        const cached = this.#cache.get(frameKey(video, frame));
        if (cached) {
          deliver(frame, cached);
          continue;
        }
        slot.decoder ??= new LiveDecoder(video, this.#options);
        const decoder = slot.decoder;
        const reading = decoder.read(
          frame,
          (k, bytes) => this.#cache.set(frameKey(video, k), bytes),
        );
        let data: Uint8Array;
        try {
          data = await untilAborted(reading, signal);
        } catch {
          // Interrupted or failed: its frame bookkeeping is no longer trusted.
          if (slot.decoder === decoder) slot.decoder = undefined;
          await decoder.close();
          await reading.catch(() => {});
          if (signal?.aborted) throw signal.reason;
          return false;
        }
        deliver(frame, data);
        if (decoder.unsettled) {
          slot.decoder = undefined;
          await decoder.close();
        }
      }
      return true;
    } finally {
      // The next read may run once the previous one is done, even when this one was aborted.
      void previous.then(release);
      slot.users--;
      slot.lastUsed = performance.now();
      this.#scheduleIdle(slot);
    }
  }

  /** The slot of `video`, made when a decoder may be added; undefined when all are busy. */
  async #slotFor(video: VideoFile): Promise<Slot | undefined> {
    const existing = this.#slots.get(video);
    if (existing) return existing;
    if (this.#slots.size >= this.#options.concurrency) {
      // Make room by closing the decoder unused for longest, if one is idle.
      let oldest: Slot | undefined;
      for (const slot of this.#slots.values()) {
        if (slot.users === 0 && (!oldest || slot.lastUsed < oldest.lastUsed)) oldest = slot;
      }
      if (!oldest) return undefined;
      this.#slots.delete(oldest.video);
      clearTimeout(oldest.timer);
      await oldest.decoder?.close();
      // Another read may have taken the room while this one waited.
      if (this.#slots.size >= this.#options.concurrency) return this.#slots.get(video);
    }
    const made = this.#slots.get(video);
    if (made) return made;
    const slot: Slot = {
      video,
      decoder: undefined,
      tail: Promise.resolve(),
      users: 0,
      lastUsed: performance.now(),
      timer: undefined,
    };
    this.#slots.set(video, slot);
    return slot;
  }

  #scheduleIdle(slot: Slot): void {
    clearTimeout(slot.timer);
    if (slot.users > 0) return;
    if (!slot.decoder || this.#closed) {
      if (this.#slots.get(slot.video) === slot && slot.users === 0) this.#slots.delete(slot.video);
      return;
    }
    // Beyond the longest delay a timer takes, it would fire at once.
    if (this.#options.idleMs >= 2 ** 31) return;
    const timer = setTimeout(() => {
      if (slot.users > 0 || this.#slots.get(slot.video) !== slot) return;
      this.#slots.delete(slot.video);
      void slot.decoder?.close();
    }, this.#options.idleMs);
    // A decoder waiting to be closed never keeps the program alive.
    Deno.unrefTimer(timer);
    slot.timer = timer;
  }

  /**
   * Forgets a file that is no longer what it was: drops its frames from the cache and closes
   * its decoder once the reads on it are done. Never throws.
   *
   * @param video The file.
   */
  async forget(video: VideoFile): Promise<void> {
    this.#cache.deleteWhere((key) => key.slice(key.indexOf(":") + 1) === video.path);
    const slot = this.#slots.get(video);
    if (!slot) return;
    await slot.tail;
    if (this.#slots.get(video) !== slot || slot.users > 0) return;
    this.#slots.delete(video);
    clearTimeout(slot.timer);
    const decoder = slot.decoder;
    slot.decoder = undefined;
    await decoder?.close();
  }

  /**
   * Closes every live decoder and empties the cache; reads after it decode with a process of
   * their own. Never throws.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    this.#cache.clear();
    await Promise.all(slots.map(async (slot) => {
      clearTimeout(slot.timer);
      const decoder = slot.decoder;
      slot.decoder = undefined;
      await decoder?.close();
    }));
  }
}

/** What a read decodes from: an opened recording and the decoders kept alive for it. */
export interface ReadSource {
  /** The recording. */
  recording: Recording;
  /** The decoders kept alive between reads and the cache of decoded frames. */
  live: LiveDecoders;
}

/**
 * An opened recording with live decoders of its own, set as it was opened.
 *
 * @param recording The recording.
 * @param settings The frame cache bound in bytes, whether decoders are kept alive and how long
 *   one may stay unused.
 * @returns The recording and its decoders.
 */
export function readSourceOf(
  recording: Recording,
  settings: { frameCacheBytes: number; liveDecoders: boolean; decoderIdleMs: number },
): ReadSource {
  const { ffmpegPath, pixelFormat, stallTimeoutMs, concurrency } = recording;
  const live = new LiveDecoders({
    ffmpegPath,
    pixelFormat,
    stallTimeoutMs,
    concurrency,
    frameCacheBytes: settings.frameCacheBytes,
    enabled: settings.liveDecoders,
    idleMs: settings.decoderIdleMs,
  });
  return { recording, live };
}
