/**
 * The worker that compresses and writes the frames while the main thread keeps ffmpeg's output
 * flowing and transposes the frames, so decoding, transposition and compression overlap. It
 * reopens the file the main thread laid out and writes each batch into its dataset.
 *
 * The worker is started from a `data:` URL holding {@linkcode workerMain}'s source, because a
 * worker loaded from the module's own files would need read permission on them.
 *
 * @module
 */

/** A request to the worker. */
export type Request =
  | { kind: "load" }
  | {
    kind: "open";
    path: string;
    /** The path errors name: the file being written, not its temporary name. */
    displayPath: string;
    datasets: string[];
  }
  | {
    kind: "frames";
    series: number;
    at: number;
    count: number;
    /** Frame width: the second axis of the dataset. */
    width: number;
    /** Frame height: the third axis. */
    height: number;
    /** The frames already in the dataset's order, back to back from the start. */
    data: ArrayBuffer;
  }
  | { kind: "close" };

/** The worker's answer to a request, in order. */
export type Reply =
  | { kind: "done"; buffer?: ArrayBuffer }
  | { kind: "failed"; message: string };

/**
 * Runs `start` (the start of h5wasm) with an empty environment when this program may not read
 * the real one. h5wasm's C library reads the environment as it starts (libc's `environ`),
 * which in Deno needs `--allow-env`; given an empty one, writing needs no permission beyond the
 * files. It refers to nothing outside itself: its source also runs in the worker.
 *
 * @param start What to run.
 * @returns What `start` gives.
 */
export async function withoutEnvironment<T>(start: () => Promise<T>): Promise<T> {
  const { default: process } = await import("node:process");
  const granted = Deno.permissions.querySync({ name: "env" }).state === "granted";
  const saved = Object.getOwnPropertyDescriptor(process, "env");
  if (!granted) {
    Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
  }
  try {
    return await start();
  } finally {
    if (!granted && saved) Object.defineProperty(process, "env", saved);
  }
}

/** The part of `node:fs` that {@linkcode quietly} needs. */
export interface WriteSync {
  writeSync(fd: number, buffer: unknown, ...rest: unknown[]): number;
}

/**
 * Runs h5wasm calls with HDF5's own error report kept from the user, and fails when HDF5
 * reported an error. The HDF5 library prints its report (tens of lines per failed call) to
 * the process's standard output and error through `node:fs` (`writeSync` on descriptors 1 and
 * 2), and h5wasm ignores the status of most calls, so a failed write would otherwise pass as
 * done; HDF5 reports only failures. The calls are synchronous: nothing else writes while they
 * run. It refers to nothing outside itself: its source also runs in the worker.
 *
 * @param fs `node:fs`, whose `writeSync` h5wasm calls.
 * @param run The h5wasm calls.
 * @returns What `run` gives.
 * @throws {Error} `HDF5: <the most precise line of its report>` when HDF5 reported an error;
 *   what `run` throws otherwise.
 */
export function quietly<T>(fs: WriteSync, run: () => T): T {
  const original = fs.writeSync;
  let report = "";
  fs.writeSync = function (fd: number, buffer: unknown, ...rest: unknown[]): number {
    if (fd !== 1 && fd !== 2) return original.call(fs, fd, buffer, ...rest);
    if (typeof buffer === "string") {
      if (report.length < 1 << 16) report += buffer;
      return new TextEncoder().encode(buffer).length;
    }
    const view = buffer as ArrayBufferView;
    const offset = typeof rest[0] === "number" ? rest[0] : 0;
    const length = typeof rest[1] === "number" ? rest[1] : view.byteLength - offset;
    if (report.length < 1 << 16) {
      report += new TextDecoder().decode(
        new Uint8Array(view.buffer, view.byteOffset + offset, length),
      );
    }
    return length;
  };
  let value: T;
  try {
    value = run();
  } catch (error) {
    if (report === "") throw error;
  } finally {
    fs.writeSync = original;
  }
  if (report !== "") {
    // The last entry of the report is the innermost failure; the system's own words, where
    // given, say most.
    const system = [...report.matchAll(/error message = '([^']*)'/g)].at(-1)?.[1];
    const entries = [...report.matchAll(/#\d+: .* in \w+\(\): (.*)/g)];
    const last = entries.at(-1)?.[1]?.trim();
    throw new Error(`HDF5: ${system ?? last ?? report.trim().split("\n")[0]}`);
  }
  return value!;
}

/**
 * The worker's whole program. It must not refer to anything outside itself but
 * {@linkcode withoutEnvironment} and {@linkcode quietly}: their source text is what runs in
 * the worker.
 *
 * It imports h5wasm's Node.js build by its full npm specifier (the version of `deno.json`),
 * since a worker started from a `data:` URL has no import map.
 */
export function workerMain(): void {
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer?: Transferable[]): void;
    onmessage: ((event: MessageEvent) => void) | null;
  };
  type H5wasm = typeof import("h5wasm/node");
  type H5File = InstanceType<H5wasm["File"]>;
  type H5Dataset = InstanceType<H5wasm["Dataset"]>;
  let h5wasm: H5wasm | undefined;
  let fs: WriteSync | undefined;
  let file: H5File | undefined;
  let datasets: H5Dataset[] = [];
  let displayPath = "";

  const load = () =>
    withoutEnvironment(async () => {
      const module = await import("npm:h5wasm@^0.10.3/node") as H5wasm;
      await module.ready;
      fs = (await import("node:fs")).default as unknown as WriteSync;
      return module;
    });

  /** Runs h5wasm calls quietly; a failure names the file being written. */
  const write = <T>(run: () => T): T => {
    try {
      return quietly(fs!, run);
    } catch (error) {
      throw new Error(`Cannot write "${displayPath}": ${(error as Error).message}`);
    }
  };

  const handle = async (request: Request): Promise<Reply> => {
    switch (request.kind) {
      case "load": {
        h5wasm ??= await load();
        return { kind: "done" };
      }
      case "open": {
        h5wasm ??= await load();
        displayPath = request.displayPath;
        file = write(() => new h5wasm!.File(request.path, "a", { libver: ["earliest", "v110"] }));
        datasets = write(() => request.datasets.map((path) => file!.get(path) as H5Dataset));
        return { kind: "done" };
      }
      case "frames": {
        const { series, at, count, width, height } = request;
        write(() =>
          datasets[series]!.write_slice(
            [[at, at + count], [0, width], [0, height]],
            new Uint8Array(request.data, 0, count * width * height),
          )
        );
        return { kind: "done", buffer: request.data };
      }
      case "close": {
        const closing = file;
        file = undefined;
        datasets = [];
        const status = closing ? write(() => closing.close()) : 0;
        if (status < 0) throw new Error(`Cannot write "${displayPath}": HDF5 could not close it`);
        return { kind: "done" };
      }
    }
  };

  // Requests are handled one after another, in the order they come.
  let queue = Promise.resolve();
  scope.onmessage = (event: MessageEvent) => {
    const request = event.data as Request;
    queue = queue.then(async () => {
      try {
        const reply = await handle(request);
        scope.postMessage(reply, reply.kind === "done" && reply.buffer ? [reply.buffer] : []);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        scope.postMessage({ kind: "failed", message } satisfies Reply);
      }
    });
  };
}
