/**
 * A decoder kept alive between reads: one ffmpeg for one file, given the file's headers once
 * and then, per read, the chunks from a seek point up to the frame wanted, so that a frame
 * costs its decode and no process start.
 *
 * ffmpeg writes a frame for each chunk it is fed, in the order fed; with one thread on each
 * side it writes it as soon as it is decoded, but a decoder may hold frames back until more
 * chunks come (how many is not guaranteed). So every chunk fed is recorded in a first-in
 * first-out list, and each frame that comes out is the frame of the oldest chunk in it. A read
 * feeds the chunks up to the wanted one, and, when the wanted frame has not come after a few
 * milliseconds with all bytes written, one more chunk: the next in the file, or a seek point
 * past its end; a decoder that needed one is fed chunks ahead from then on. Only codecs that
 * never reorder frames are decoded this way; a seek point fed after unrelated chunks then
 * starts a clean decode.
 *
 * Writing stdin runs as its own task, apart from the reads of stdout: a full pipe on one side
 * never blocks the other. Between reads nothing is pending on either pipe (all bytes fed have
 * been taken by ffmpeg and no read waits), and the process does not keep this program alive.
 *
 * @module
 */

import { decodeArgs } from "./decode.ts";
import { readChunk, readHeaders } from "../formats/avi/mod.ts";
import { seekPointAtOrBefore } from "../formats/seek_points.ts";
import { type ByteSource, channelsOf, type PixelFormat, type VideoFile } from "../model.ts";
import { withByteSource } from "../files.ts";
import { FfmpegProcess } from "./process.ts";
import { verifyFfmpeg } from "./verify.ts";
import { decodedFormat, decodedFrameSize, keepOneChannel } from "./channels.ts";

/**
 * How long a read waits for the frame it expects, with all bytes written, before feeding one
 * more chunk; longer before ffmpeg's first frame, while it starts.
 */
const NUDGE_MS = 40;
const FIRST_NUDGE_MS = 250;

/**
 * How many of its recent frame times a read waits, at least, before it takes the frame as held
 * back: on a loaded machine a frame takes longer to decode, and a chunk fed for a frame that
 * was only slow costs the decoding of one more.
 */
const SLOW_FRAMES = 4;

/**
 * The most chunks fed after the wanted one. None at first: ffmpeg 5.1 with one thread writes a
 * frame as soon as it has read its chunk, and a chunk after it would cost a frame nobody may
 * ask for. A decoder that needs a chunk it was not given is fed one more from then on, up to
 * this; one that gives the wanted frame before it has taken the chunks fed after it, one fewer.
 */
const MAX_LEAD = 2;

/** Reads of left-over frames at the end of a read before the decoder is given up as unsettled. */
const MAX_SETTLE_READS = 8;

/** The live decoder failed or lost track of its frames; the read is to be done otherwise. */
export class LiveDecodeFailed extends Error {}

/**
 * Whether frames of `video` can be read from a decoder kept alive: the codec never reorders
 * frames and no chunk is empty (an empty chunk gives no frame, which would break the count).
 */
export function canDecodeLive(video: VideoFile): boolean {
  let answer = liveCapable.get(video);
  if (answer === undefined) {
    const sizes = video.index.frameSizes;
    answer = !video.reorders && video.frameCount > 0;
    for (let k = 0; answer && k < video.frameCount; k++) answer = sizes[k] !== 0;
    liveCapable.set(video, answer);
  }
  return answer;
}

const liveCapable = new WeakMap<VideoFile, boolean>();

/** Decoders alive in this program, killed when it exits. */
const alive = new Set<FfmpegProcess>();
let exitHandler = false;

function track(process: FfmpegProcess): void {
  if (!exitHandler) {
    exitHandler = true;
    globalThis.addEventListener("unload", () => {
      for (const each of alive) each.killNow();
    });
  }
  alive.add(process);
}

/** How a live decoder runs ffmpeg. */
export interface LiveDecoderOptions {
  /** The ffmpeg executable. */
  ffmpegPath: string;
  /** The pixel format of the frames. */
  pixelFormat: PixelFormat;
  /** How long to wait for ffmpeg's output before taking it as stalled. */
  stallTimeoutMs?: number | undefined;
}

/** One ffmpeg kept alive for one file. Reads must not overlap: the caller serializes them. */
export class LiveDecoder {
  /** The file decoded. */
  readonly video: VideoFile;
  /** Bytes of one frame. */
  readonly frameSize: number;
  /** Bytes ffmpeg writes per frame: more than `frameSize` when one channel of three is kept. */
  readonly #decodedSize: number;
  readonly #process: FfmpegProcess;
  readonly #verified: Promise<unknown>;
  /** Ends this decoder's wait for the check that the program is ffmpeg. */
  readonly #verifyWait = new AbortController();
  /** Bytes waiting to be written to stdin, in order. */
  readonly #writes: Uint8Array[] = [];
  /** Writes queued or under way. */
  #unwritten = 0;
  #feedFailed = false;
  #wakeFeed: (() => void) | undefined;
  #closed = false;
  #started = false;
  /** The frame of each chunk fed whose output has not been read yet, oldest first. */
  readonly #fed: number[] = [];
  /** Chunks fed after the wanted one. */
  #lead = 0;
  /** Reads and closes waiting for the process. */
  #holds = 0;
  /** Whether a frame came out yet. */
  #answered = false;
  /** How long a frame took to come out, on average over the recent ones, in milliseconds. */
  #frameMs = 0;
  /** The chunk that continues the decode; -1 before the first chunk. */
  #next = -1;
  /** Set when a read ended with bytes still to be written: the decoder is to be closed. */
  unsettled = false;

  /**
   * Starts ffmpeg for `video`; nothing is fed before the first read.
   *
   * @param video The file, of a codec {@linkcode canDecodeLive} accepts.
   * @param options ffmpeg, pixel format, stall time-out.
   */
  constructor(video: VideoFile, options: LiveDecoderOptions) {
    this.video = video;
    this.frameSize = video.width * video.height * channelsOf(options.pixelFormat);
    this.#decodedSize = decodedFrameSize(video, options.pixelFormat);
    this.#process = FfmpegProcess.spawn({
      ffmpegPath: options.ffmpegPath,
      args: decodeArgs(null, decodedFormat(video, options.pixelFormat), video.path),
      description: `Cannot decode "${video.path}"`,
      feed: (write) => this.#feed(write),
      background: true,
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    });
    track(this.#process);
    // Joined only once the decoder runs: a decoder that could not start would never end its
    // wait, and the check would outlive every read that needs it.
    this.#verified = verifyFfmpeg(
      options.ffmpegPath,
      video.codec,
      video.path,
      this.#verifyWait.signal,
    );
    this.#verified.catch(() => {});
  }

  async #feed(write: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    for (;;) {
      const bytes = this.#writes.shift();
      if (!bytes) {
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wakeFeed = resolve));
        continue;
      }
      try {
        await write(bytes);
        this.#unwritten--;
      } catch (error) {
        this.#feedFailed = true;
        throw error;
      }
    }
  }

  #wake(): void {
    const wake = this.#wakeFeed;
    this.#wakeFeed = undefined;
    wake?.();
  }

  #enqueue(bytes: Uint8Array): void {
    this.#writes.push(bytes);
    this.#unwritten++;
    this.#wake();
  }

  async #feedChunk(source: ByteSource, k: number): Promise<void> {
    const chunk = await readChunk(source, this.video, k, k === this.#next);
    this.#enqueue(chunk);
    this.#fed.push(k);
    this.#next = k + 1;
  }

  /** Feeds the chunk that continues the decode, or a seek point past the file's last frame. */
  async #feedNext(source: ByteSource): Promise<void> {
    const { frameCount } = this.video;
    if (this.#next >= 0 && this.#next < frameCount) {
      await this.#feedChunk(source, this.#next);
    } else {
      await this.#feedChunk(source, seekPointAtOrBefore(this.video, frameCount - 1));
    }
  }

  /** Reads the next frame that comes out, feeding more when it does not come. */
  async #readOutput(source: ByteSource): Promise<[number, Uint8Array]> {
    let data = new Uint8Array(this.#decodedSize);
    let done = false;
    const reading = this.#process.readInto(data).finally(() => (done = true));
    const started = performance.now();
    const timed = this.#answered;
    while (!done) {
      const wait = this.#answered
        ? Math.max(NUDGE_MS, SLOW_FRAMES * this.#frameMs)
        : FIRST_NUDGE_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        reading,
        new Promise((resolve) => (timer = setTimeout(resolve, wait))),
      ]);
      clearTimeout(timer);
      if (!done && this.#unwritten === 0 && !this.#closed) {
        if (this.#answered) this.#lead = Math.min(MAX_LEAD, this.#lead + 1);
        await this.#feedNext(source);
      }
    }
    const got = await reading;
    if (this.#closed) throw new LiveDecodeFailed(`${this.video.path}: decoder closed`);
    if (got < this.#decodedSize || this.#feedFailed) {
      throw new LiveDecodeFailed(`${this.video.path}: ffmpeg ended`);
    }
    this.#answered = true;
    if (timed) {
      const took = Math.min(1_000, performance.now() - started);
      this.#frameMs = this.#frameMs === 0 ? took : 0.8 * this.#frameMs + 0.2 * took;
    }
    const frame = this.#fed.shift();
    if (frame === undefined) {
      throw new LiveDecodeFailed(`${this.video.path}: a frame came for no chunk`);
    }
    if (this.#decodedSize !== this.frameSize) {
      const gray = new Uint8Array(this.frameSize);
      try {
        keepOneChannel(data, gray, this.video, frame);
      } catch (error) {
        // The read is done again by a process of its own, which reports the frame.
        throw new LiveDecodeFailed((error as Error).message);
      }
      data = gray;
    }
    return [frame, data];
  }

  /**
   * Decodes frame `k`. Every frame that comes out on the way, `k` included, is passed to
   * `onFrame` in order (frames decoded before it from the seek point, or left from earlier).
   *
   * @param k The frame, 0-based within the file.
   * @param onFrame Receives each frame decoded, with its index.
   * @returns Frame `k`.
   * @throws {LiveDecodeFailed} When ffmpeg failed or a frame cannot be told apart; the decoder
   *   is then to be closed and the frame decoded otherwise.
   */
  async read(k: number, onFrame: (frame: number, data: Uint8Array) => void): Promise<Uint8Array> {
    this.#hold(1);
    try {
      return await this.#read(k, onFrame);
    } finally {
      this.#hold(-1);
    }
  }

  /**
   * Counts what waits for the process: while anything does (a read, the close), it keeps the
   * program alive, or the program could end with the wait pending; otherwise it is let go.
   */
  #hold(change: 1 | -1): void {
    this.#holds += change;
    this.#process.hold(this.#holds > 0);
  }

  #read(k: number, onFrame: (frame: number, data: Uint8Array) => void): Promise<Uint8Array> {
    return withByteSource(this.video.path, async (source) => {
      if (!this.#started) {
        this.#started = true;
        const headers = await readHeaders(source, this.video);
        this.#enqueue(headers);
      }
      if (!this.#fed.includes(k)) {
        const seek = seekPointAtOrBefore(this.video, k);
        // Continue the decode when it is at or past the seek point and not past k.
        const from = this.#next >= seek && this.#next <= k ? this.#next : seek;
        for (let i = from; i <= k; i++) await this.#feedChunk(source, i);
      }
      // A decoder that holds frames back is given the chunks that push k out.
      while (this.#fed.length - 1 - this.#fed.indexOf(k) < this.#lead) await this.#feedNext(source);
      const outputs: [number, Uint8Array][] = [];
      let result: Uint8Array | undefined;
      while (!result) {
        const output = await this.#readOutput(source);
        outputs.push(output);
        if (output[0] === k) {
          result = output[1];
          // It came before ffmpeg took every chunk fed after it: fewer chunks ahead are enough.
          if (this.#unwritten > 0) this.#lead = Math.max(0, this.#lead - 1);
        }
      }
      // Leave nothing pending between reads: frames come out until ffmpeg took every byte.
      for (let i = 0; this.#unwritten > 0 && !this.#feedFailed; i++) {
        if (i === MAX_SETTLE_READS) {
          this.unsettled = true;
          break;
        }
        outputs.push(await this.#readOutput(source));
      }
      // No byte is taken as a frame before the program is known to be ffmpeg.
      await this.#verified;
      for (const [frame, data] of outputs) onFrame(frame, data);
      return result;
    }, this.video);
  }

  /** Kills ffmpeg and reaps it; never throws. */
  async close(): Promise<void> {
    // Held for good: the wait for it to be reaped keeps the program alive.
    if (!this.#closed) this.#hold(1);
    this.#closed = true;
    this.#wake();
    this.#verifyWait.abort(new Error("The decoder was closed"));
    await Promise.all([this.#process.kill(), this.#verified.catch(() => {})]);
    alive.delete(this.#process);
  }
}
