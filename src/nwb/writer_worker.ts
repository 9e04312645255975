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
  | { kind: "open"; path: string; datasets: string[] }
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

/**
 * The worker's whole program. It must not refer to anything outside itself but
 * {@linkcode withoutEnvironment}: their source text is what runs in the worker.
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
  let file: H5File | undefined;
  let datasets: H5Dataset[] = [];

  const load = () =>
    withoutEnvironment(async () => {
      const module = await import("npm:h5wasm@^0.10.3/node") as H5wasm;
      await module.ready;
      return module;
    });

  const handle = async (request: Request): Promise<Reply> => {
    switch (request.kind) {
      case "load": {
        h5wasm ??= await load();
        return { kind: "done" };
      }
      case "open": {
        h5wasm ??= await load();
        file = new h5wasm.File(request.path, "a", { libver: ["earliest", "v110"] });
        datasets = request.datasets.map((path) => file!.get(path) as H5Dataset);
        return { kind: "done" };
      }
      case "frames": {
        const { series, at, count, width, height } = request;
        datasets[series]!.write_slice(
          [[at, at + count], [0, width], [0, height]],
          new Uint8Array(request.data, 0, count * width * height),
        );
        return { kind: "done", buffer: request.data };
      }
      case "close": {
        const closing = file;
        file = undefined;
        datasets = [];
        closing?.close();
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
