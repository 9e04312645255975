/**
 * Writes an NWB file in two steps: the main thread lays out everything but the frames and
 * closes the file; a worker reopens it and writes the frame batches it is sent, whose buffers
 * are transferred (not copied), at most a few batches ahead.
 *
 * @module
 */

import { type NwbLayout, writeLayout } from "./content.ts";
import { loadH5wasm, quietHdf5 } from "./hdf5.ts";
import {
  quietly,
  type Reply,
  type Request,
  withoutEnvironment,
  workerMain,
} from "./writer_worker.ts";

/** Frame batches sent but not yet written, at most. */
const IN_FLIGHT = 3;

/** Writes an NWB file: its layout here, its frames in a worker. */
export class NwbFileWriter {
  #worker: Worker | undefined;
  readonly #pending: { resolve: (reply: Reply) => void }[] = [];
  readonly #inFlight: Promise<void>[] = [];
  readonly #spare: ArrayBuffer[] = [];
  #failure: Error | undefined;

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#pending.splice(0)) {
      waiter.resolve({ kind: "failed", message: this.#failure.message });
    }
  }

  async #call(request: Request, transfer: Transferable[] = []): Promise<ArrayBuffer | undefined> {
    if (this.#failure) throw this.#failure;
    if (!this.#worker) throw new Error("The NWB writer is not open");
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending.push({ resolve });
      this.#worker!.postMessage(request, transfer);
    });
    if (reply.kind === "failed") {
      this.#failure ??= new Error(reply.message);
      throw this.#failure;
    }
    return reply.buffer;
  }

  /**
   * Creates the file at `path` with everything but the frames, then hands it to the worker.
   *
   * @param path The file to write (a temporary name).
   * @param layout What it holds.
   * @param displayPath The path errors name: the file the temporary one will become.
   * @throws {Error} `Cannot write "<displayPath>": HDF5: <cause>` when the file cannot be
   *   created or written; HDF5's own report is not printed.
   */
  async open(path: string, layout: NwbLayout, displayPath: string = path): Promise<void> {
    // The worker compiles its HDF5 library while this thread writes the layout.
    const source = [withoutEnvironment, quietly, workerMain].map(String).join("\n") +
      `\n(${workerMain.name})();`;
    this.#worker = new Worker(`data:application/javascript,${encodeURIComponent(source)}`, {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<Reply>) => {
      this.#pending.shift()?.resolve(event.data);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new Error(`The NWB writer failed: ${event.message}`));
    };
    const loaded = this.#call({ kind: "load" });
    loaded.catch(() => {});
    const h5wasm = await loadH5wasm();
    const write = <T>(run: () => T): T => {
      try {
        return quietHdf5(run);
      } catch (error) {
        throw new Error(`Cannot write "${displayPath}": ${(error as Error).message}`, {
          cause: error,
        });
      }
    };
    const file = write(() => new h5wasm.File(path, "w", { libver: ["earliest", "v110"] }));
    if (file.file_id < 0) {
      throw new Error(`Cannot write "${displayPath}": HDF5 could not create it`);
    }
    let datasets: string[];
    try {
      datasets = write(() => writeLayout(file, layout));
    } catch (error) {
      try {
        quietHdf5(() => file.close());
      } catch {
        // The failure of the layout is the one to report.
      }
      throw error;
    }
    if (write(() => file.close()) < 0) {
      throw new Error(`Cannot write "${displayPath}": HDF5 could not close it`);
    }
    await loaded;
    await this.#call({ kind: "open", path, displayPath, datasets });
  }

  /**
   * A buffer of `bytes` bytes to fill with frames and pass to {@linkcode writeFrames}: one
   * given back by the worker when there is one.
   */
  buffer(bytes: number): Uint8Array {
    const reused = this.#spare.pop();
    return reused && reused.byteLength >= bytes
      ? new Uint8Array(reused, 0, bytes)
      : new Uint8Array(bytes);
  }

  /**
   * Sends `count` frames, already in the dataset's `(width, height)` order and back to back
   * from the start of the buffer of `frames`, to be written at frame `at` of series `series`;
   * the buffer is handed over. Waits while too many batches are on their way.
   */
  async writeFrames(
    series: number,
    at: number,
    count: number,
    width: number,
    height: number,
    frames: Uint8Array,
  ): Promise<void> {
    const data = frames.buffer as ArrayBuffer;
    const written = this.#call({ kind: "frames", series, at, count, width, height, data }, [data])
      .then((buffer) => {
        if (buffer) this.#spare.push(buffer);
      });
    // A failure is reported by whichever await sees it first; keep it from going unhandled.
    written.catch(() => {});
    this.#inFlight.push(written);
    while (this.#inFlight.length >= IN_FLIGHT) await this.#inFlight.shift();
  }

  /** Waits for every batch, then closes the file. */
  async close(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#inFlight.shift();
    await this.#call({ kind: "close" });
  }

  /** Ends the worker; a file still open is closed by the end of its thread. */
  terminate(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#fail(new Error("The NWB writer was stopped"));
  }
}
