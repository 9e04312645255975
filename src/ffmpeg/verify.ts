/**
 * Makes sure the program given as ffmpeg is ffmpeg and has a decoder for the codec, before any
 * bytes it writes are taken as frames. A wrapper or a wrong path that prints something and exits
 * 0 would otherwise have its output returned as pixels.
 *
 * The check runs once per executable path (`ffmpeg -decoders`: the banner on stderr names the
 * program, stdout lists the decoders), shared by every read that needs it, and ends within a
 * time limit even when the program never answers; sooner when no read waits for it any more.
 *
 * @module
 */

import { codecOf } from "../codecs.ts";
import { FfmpegError, FfmpegUnavailableError } from "../errors.ts";
import { FfmpegProcess } from "./process.ts";

/** What the check learned about one ffmpeg executable. */
export interface FfmpegIdentity {
  /** The version from its banner, such as `5.1.6-0+deb12u1`. */
  version: string;
  /** The names of its decoders, such as `ffv1` and `h264`. */
  decoders: Set<string>;
}

/** How long the program may take to answer before it is taken as not ffmpeg. */
const CHECK_TIMEOUT_MS = 20_000;

/** A check in progress or passed, with the callers waiting for it. */
interface Check {
  identity: Promise<FfmpegIdentity>;
  waiting: number;
  settled: boolean;
  /** Ends the program being checked. */
  stop: AbortController;
}

/** Checks in progress or passed, by executable path; a failed check is tried again next time. */
const checks = new Map<string, Check>();

async function identify(ffmpegPath: string, stop: AbortSignal): Promise<FfmpegIdentity> {
  const args = ["-nostdin", "-decoders"];
  const process = FfmpegProcess.spawn({
    ffmpegPath,
    args,
    description: `Cannot use "${ffmpegPath}" as ffmpeg`,
    stallTimeoutMs: CHECK_TIMEOUT_MS,
  });
  const onStop = () => void process.kill();
  stop.addEventListener("abort", onStop, { once: true });
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const chunk = new Uint8Array(64 * 1024);
      const got = await process.readInto(chunk);
      chunks.push(chunk.subarray(0, got));
      if (got < chunk.length) break;
    }
    await process.finish();
  } catch (error) {
    if (error instanceof FfmpegError && error.code === null) {
      throw new FfmpegError(
        `Cannot use "${ffmpegPath}" as ffmpeg: it did not answer "ffmpeg -decoders" within ` +
          `${CHECK_TIMEOUT_MS / 1000} s`,
        error,
      );
    }
    throw error;
  } finally {
    stop.removeEventListener("abort", onStop);
    await process.kill();
  }
  stop.throwIfAborted();
  const banner = /ffmpeg version (\S+)/.exec(process.stderr);
  const listing = new TextDecoder().decode(concat(chunks));
  const decoders = new Set<string>();
  let inList = false;
  for (const line of listing.split("\n")) {
    if (/^\s*-{3,}\s*$/.test(line)) inList = true;
    else if (inList) {
      const match = /^\s*[VAS.][A-Z.]{5}\s+(\S+)/.exec(line);
      if (match) decoders.add(match[1]!);
    }
  }
  if (!banner || decoders.size === 0) {
    throw new FfmpegUnavailableError(
      ffmpegPath,
      `Cannot use "${ffmpegPath}" as ffmpeg: it does not answer as ffmpeg does (no ` +
        `"ffmpeg version" banner or decoder list for "ffmpeg -decoders"); pass the path of ` +
        `a real ffmpeg as ffmpegPath`,
    );
  }
  return { version: banner[1]!, decoders };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/**
 * Checks once per path that `ffmpegPath` is ffmpeg and, when the codec is known, that it can
 * decode `fourcc`. Callers share the check; when the last one still waiting stops (its signal
 * aborts), the program is ended at once and the next call checks it anew.
 *
 * @param ffmpegPath The executable.
 * @param fourcc The codec of the file about to be decoded.
 * @param file The file, for the message.
 * @param signal Ends this caller's wait, with its reason; the check goes on while others wait.
 * @returns What ffmpeg said of itself.
 * @throws {FfmpegUnavailableError} When the program is not ffmpeg or lacks the decoder.
 * @throws {FfmpegError} When it does not answer in time.
 */
export async function verifyFfmpeg(
  ffmpegPath: string,
  fourcc: string,
  file: string,
  signal?: AbortSignal,
): Promise<FfmpegIdentity> {
  signal?.throwIfAborted();
  let check = checks.get(ffmpegPath);
  if (!check) {
    const stop = new AbortController();
    const made: Check = {
      identity: identify(ffmpegPath, stop.signal),
      waiting: 0,
      settled: false,
      stop,
    };
    made.identity.then(() => (made.settled = true), () => {
      made.settled = true;
      if (checks.get(ffmpegPath) === made) checks.delete(ffmpegPath);
    });
    checks.set(ffmpegPath, made);
    check = made;
  }
  check.waiting++;
  let identity: FfmpegIdentity;
  let onAbort = () => {};
  try {
    identity = await Promise.race([
      check.identity,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    check.waiting--;
    if (check.waiting === 0 && !check.settled) {
      // No one waits for the answer: end the program now rather than at the time limit, and
      // let this caller go only once it has been reaped.
      if (checks.get(ffmpegPath) === check) checks.delete(ffmpegPath);
      check.stop.abort();
      await check.identity.catch(() => {});
    }
  }
  // A codec not in the table is left to ffmpeg to say whether it can decode it.
  const decoder = codecOf(fourcc)?.decoder;
  if (decoder !== undefined && !identity.decoders.has(decoder)) {
    throw new FfmpegUnavailableError(
      ffmpegPath,
      `Cannot decode "${file}": its codec is ${fourcc.trim()} but "${ffmpegPath}" ` +
        `(ffmpeg ${identity.version}) has no ${decoder} decoder; install an ffmpeg build ` +
        `that has it`,
    );
  }
  return identity;
}
