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
}

/** A running ffmpeg whose stdout is read in exact amounts. */
export class FfmpegProcess implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pending: Uint8Array | undefined;
  #stderr = new Tail();
  #stderrDone: Promise<void>;
  #options: SpawnOptions;
  #ended = false;

  private constructor(child: Deno.ChildProcess, options: SpawnOptions) {
    this.#child = child;
    this.#options = options;
    this.#reader = child.stdout.getReader();
    this.#stderrDone = (async () => {
      try {
        for await (const chunk of child.stderr) this.#stderr.push(chunk);
      } catch {
        // The stream errors only when the process is torn down; nothing to keep.
      }
    })();
  }

  /**
   * Starts ffmpeg with stdin closed and stdout and stderr piped.
   *
   * @param options Executable, arguments and a description for errors.
   * @returns The running process.
   * @throws {Deno.errors.NotFound} When the executable does not exist, with install advice.
   * @throws {Deno.errors.NotCapable} When the script may not run it, naming the flag to add.
   */
  static spawn(options: SpawnOptions): FfmpegProcess {
    const command = new Deno.Command(options.ffmpegPath, {
      args: options.args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    try {
      return new FfmpegProcess(command.spawn(), options);
    } catch (error) {
      throw explainSpawnError(error, options.ffmpegPath);
    }
  }

  /** The last part of what ffmpeg wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr.text();
  }

  /**
   * Fills `target` from stdout.
   *
   * @param target Where to write.
   * @returns How many bytes were written: `target.length`, or fewer when stdout ended first.
   */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      let chunk = this.#pending;
      this.#pending = undefined;
      if (!chunk) {
        const result = await this.#reader.read();
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
   * Waits for ffmpeg to exit after its output was read.
   *
   * @throws {FfmpegError} When it exited with an error.
   */
  async finish(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    // Whatever is left on stdout is not wanted; reading it to the end lets ffmpeg exit.
    this.#pending = undefined;
    try {
      while (!(await this.#reader.read()).done) { /* discard */ }
    } finally {
      this.#reader.releaseLock();
    }
    const status = await this.#child.status;
    await this.#stderrDone;
    if (!status.success) {
      throw new FfmpegError(this.#options.description, {
        command: this.#options.ffmpegPath,
        args: this.#options.args,
        code: status.signal ? null : status.code,
        stderr: this.#stderr.text(),
      });
    }
  }

  /** Stops ffmpeg at once if it still runs and waits until it is reaped. Never throws. */
  async kill(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#reader.cancel().catch(() => {});
    await this.#child.status.catch(() => {});
    await this.#stderrDone;
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
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new Deno.errors.NotCapable(
      `Cannot run "${ffmpegPath}": this script may not start it; run Deno with ` +
        `--allow-run=${ffmpegPath}`,
      { cause: error },
    );
  }
  return error;
}
