/**
 * Runs ffmpeg as a child process with the hygiene a long-lived library needs: explicit stdio,
 * stderr drained concurrently into a bounded tail, exact reads from stdout, and a child that is
 * always reaped, whether it finishes, fails, or is stopped early.
 *
 * @module
 */

import { FfmpegError } from "../errors.ts";

/** How much of stderr is kept for error messages. */
const STDERR_TAIL_BYTES = 8 * 1024;

/** Keeps the last bytes written to a stream. */
class Tail {
  #chunks: Uint8Array[] = [];
  #size = 0;

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0]!.length >= STDERR_TAIL_BYTES) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  text(): string {
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return new TextDecoder().decode(all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)));
  }
}

/** How to start ffmpeg. */
export interface SpawnOptions {
  /** The ffmpeg executable: a name looked up on PATH or a path. */
  ffmpegPath: string;
  /** The arguments. */
  args: string[];
  /** Describes the job for error messages, e.g. `Cannot decode "0.avi"`. */
  description: string;
  /**
   * Writes ffmpeg's stdin (for `-i pipe:0`); stdin is closed when it returns. Without it,
   * stdin is closed from the start. A write fails once ffmpeg has stopped reading: that ends
   * the feed quietly.
   */
  feed?: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>;
  /**
   * How long a read may wait for output before ffmpeg is taken as stalled (a hung disk or
   * network share, a program that never answers) and stopped. Default: 120 s
   * ({@linkcode DEFAULT_STALL_TIMEOUT_MS}).
   */
  stallTimeoutMs?: number;
  /**
   * Leaves stderr unread (sent to /dev/null) and lets this program exit while ffmpeg runs: for
   * a process kept alive between reads, which must hold no pending read of its own while idle.
   */
  background?: boolean;
}

/**
 * How long a read waits for ffmpeg's output by default before giving up on it: long enough for
 * a machine busy with hundreds of decoders, short enough that a hung share ends the read.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/** How long kill() waits for the stdin feed to notice that ffmpeg is gone. */
const FEED_GRACE_MS = 2_000;

/** Raised when ffmpeg neither writes nor exits within the stall time-out. */
class StallError extends Error {}

/** A running ffmpeg whose stdout is read in exact amounts. */
export class FfmpegProcess implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pending: Uint8Array | undefined;
  #stderr = new Tail();
  #stderrDone: Promise<void>;
  #feedDone: Promise<void>;
  #feedError: { error: unknown } | undefined;
  #options: SpawnOptions;
  /** Set once the child has exited, whoever noticed. */
  #exited = false;
  /** Set by kill(): no more reads, the child is (being) stopped. */
  #killed = false;

  private constructor(child: Deno.ChildProcess, options: SpawnOptions) {
    this.#child = child;
    this.#options = options;
    this.#reader = child.stdout.getReader();
    child.status.then(() => (this.#exited = true), () => (this.#exited = true));
    this.#stderrDone = options.background ? Promise.resolve() : (async () => {
      try {
        for await (const chunk of child.stderr) this.#stderr.push(chunk);
      } catch {
        // The stream errors only when the process is torn down; nothing to keep.
      }
    })();
    if (options.background) child.unref();
    this.#feedDone = options.feed ? this.#runFeed(options.feed) : Promise.resolve();
  }

  /**
   * Starts ffmpeg with stdout and stderr piped, and stdin piped to `feed` or closed.
   *
   * @param options Executable, arguments and a description for errors.
   * @returns The running process.
   * @throws {Deno.errors.NotFound} When the executable does not exist, with install advice.
   * @throws {Deno.errors.NotCapable} When the script may not run it, naming the flag to add.
   * @throws {Deno.errors.PermissionDenied} When the path is not an executable program.
   */
  static spawn(options: SpawnOptions): FfmpegProcess {
    const command = new Deno.Command(options.ffmpegPath, {
      args: options.args,
      stdin: options.feed ? "piped" : "null",
      stdout: "piped",
      stderr: options.background ? "null" : "piped",
      // Not `detached`: a process of its own group is started by a fork of this one, and every
      // page of this process's memory then faults once on its next write, which made a full
      // read a quarter slower. Ctrl-C in a terminal therefore reaches ffmpeg too; the command
      // line tells that failure from a real one (see `cli/signals.ts`).
    });
    try {
      return new FfmpegProcess(command.spawn(), options);
    } catch (error) {
      throw explainSpawnError(error, options.ffmpegPath);
    }
  }

  async #runFeed(feed: NonNullable<SpawnOptions["feed"]>): Promise<void> {
    const writer = this.#child.stdin.getWriter();
    try {
      await feed((bytes) => {
        if (this.#killed) return Promise.reject(new Error("ffmpeg was stopped"));
        return writer.write(bytes);
      });
      await writer.close();
    } catch (error) {
      // A closed pipe means ffmpeg stopped reading (it had all the frames it was asked
      // for, or it failed and will say why); anything else is a failure of the feed itself.
      if (!this.#killed && !this.#exited && !(error instanceof Deno.errors.BrokenPipe)) {
        this.#feedError = { error };
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }
      await writer.abort().catch(() => {});
    } finally {
      writer.releaseLock();
    }
  }

  /** The last part of what ffmpeg wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr.text();
  }

  /** One read from stdout, given up (and ffmpeg stopped) after the stall time-out. */
  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const limit = this.#options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StallError()), limit);
    });
    try {
      return await Promise.race([this.#reader.read(), stalled]);
    } catch (error) {
      if (error instanceof StallError) {
        await this.kill();
        throw new FfmpegError(
          `${this.#options.description}: ffmpeg wrote nothing for ${limit / 1000} s and was ` +
            `stopped (a stalled disk or network share, or a program that is not ffmpeg)`,
          this.#failure(null),
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(code: number | null) {
    return {
      command: this.#options.ffmpegPath,
      args: this.#options.args,
      code,
      stderr: this.#stderr.text(),
    };
  }

  /**
   * Fills `target` from stdout.
   *
   * @param target Where to write.
   * @returns How many bytes were written: `target.length`, or fewer when stdout ended first.
   * @throws {FfmpegError} When ffmpeg wrote nothing for the stall time-out.
   */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      let chunk = this.#pending;
      this.#pending = undefined;
      if (!chunk) {
        if (this.#killed) break;
        const result = await this.#read();
        if (result.done) break;
        chunk = result.value;
      }
      const wanted = target.length - filled;
      if (chunk.length > wanted) {
        target.set(chunk.subarray(0, wanted), filled);
        this.#pending = chunk.subarray(wanted);
        filled += wanted;
      } else {
        target.set(chunk, filled);
        filled += chunk.length;
      }
    }
    return filled;
  }

  /**
   * Waits for ffmpeg to exit after its output was read. {@linkcode kill} still stops it while
   * this waits.
   *
   * @throws {FfmpegError} When it exited with an error or stalled.
   * @throws The feed's error, when writing stdin failed.
   */
  async finish(): Promise<void> {
    // Whatever is left on stdout is not wanted; reading it to the end lets ffmpeg exit.
    this.#pending = undefined;
    while (!this.#killed && !(await this.#read()).done) { /* discard */ }
    const status = await this.#child.status;
    await this.#stderrDone;
    await this.#feedDone;
    if (this.#feedError) throw this.#feedError.error;
    if (!status.success && !this.#killed) {
      throw new FfmpegError(
        this.#options.description,
        this.#failure(status.signal ? null : status.code),
      );
    }
  }

  /**
   * Stops ffmpeg at once if it still runs and waits until it is reaped; works at any time,
   * also while {@linkcode finish} waits. Never throws.
   */
  async kill(): Promise<void> {
    if (!this.#killed) {
      this.#killed = true;
      if (!this.#exited) {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }
      // Ends a pending read even when another process (a wrapper's child) holds stdout open.
      await this.#reader.cancel().catch(() => {});
    }
    await this.#child.status.catch(() => {});
    await this.#stderrDone;
    // A feed blocked on a pipe that another process still holds (a wrapper's child) cannot be
    // cancelled: give it a moment to end, never more.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#feedDone,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FEED_GRACE_MS))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Whether the process keeps this program alive. A background process is let go between
   * uses; while something waits for it, it must hold the program, or the program would end
   * with the wait pending.
   */
  hold(held: boolean): void {
    if (held) this.#child.ref();
    else this.#child.unref();
  }

  /** Sends SIGKILL at once without waiting, for a process exit; never throws. */
  killNow(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }

  /** Kills and reaps the process if it was not finished; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

function explainSpawnError(error: unknown, ffmpegPath: string): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new Deno.errors.NotFound(
      `Cannot run "${ffmpegPath}": ffmpeg was not found. Install it (Debian or Ubuntu: ` +
        `apt-get install -y ffmpeg) or pass ffmpegPath`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new Deno.errors.NotCapable(
      `Cannot run "${ffmpegPath}": this script may not start it; run Deno with ` +
        `--allow-run=${ffmpegPath}`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    // The system refused: the path is a folder or a file without the execute permission.
    return new Deno.errors.PermissionDenied(
      `Cannot run "${ffmpegPath}": it is not an executable program (a folder, or a file ` +
        `without execute permission); pass the path of the ffmpeg executable as ffmpegPath`,
      { cause: error },
    );
  }
  return error;
}
