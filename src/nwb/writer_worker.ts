/**
 * The worker that compresses and writes the frames while the main thread keeps ffmpeg's output
 * flowing, so decoding and compression overlap. It reopens the file the main thread laid out,
 * transposes each batch of frames to NWB's order and writes it into its dataset.
 *
 * The worker is started from a `data:` URL holding {@linkcode workerMain}'s source, because a
 * worker loaded from the module's own files would need read permission on them.
 *
 * @module
 */

/** A request to the worker. */
export type Request =
  | { kind: "open"; path: string; datasets: string[] }
  | {
    kind: "frames";
    series: number;
    at: number;
    count: number;
    rows: number;
    cols: number;
    data: ArrayBuffer;
  }
  | { kind: "close" };

/** The worker's answer to a request, in order. */
export type Reply =
  | { kind: "done"; buffer?: ArrayBuffer }
  | { kind: "failed"; message: string };

/**
 * The worker's whole program. It must not refer to anything outside itself: its source text
 * is what runs in the worker.
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
  let scratch = new Uint8Array(0);

  // The HDF5 library reads the environment as it starts; without --allow-env it gets an empty
  // one instead of a permission error.
  const load = async (): Promise<H5wasm> => {
    const { default: process } = await import("node:process");
    const granted = Deno.permissions.querySync({ name: "env" }).state === "granted";
    const saved = Object.getOwnPropertyDescriptor(process, "env");
    if (!granted) {
      Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
    }
    try {
      const module = await import("npm:h5wasm@^0.10.3/node") as H5wasm;
      await module.ready;
      return module;
    } finally {
      if (!granted && saved) Object.defineProperty(process, "env", saved);
    }
  };

  const transpose = (
    frame: Uint8Array,
    rows: number,
    cols: number,
    out: Uint8Array,
    at: number,
  ) => {
    const block = 32;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(rows, r0 + block);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(cols, c0 + block);
        for (let c = c0; c < c1; c++) {
          const base = at + c * rows;
          for (let r = r0; r < r1; r++) out[base + r] = frame[r * cols + c]!;
        }
      }
    }
  };

  const handle = async (request: Request): Promise<Reply> => {
    switch (request.kind) {
      case "open": {
        h5wasm ??= await load();
        file = new h5wasm.File(request.path, "a", { libver: ["earliest", "v110"] });
        datasets = request.datasets.map((path) => file!.get(path) as H5Dataset);
        return { kind: "done" };
      }
      case "frames": {
        const { series, at, count, rows, cols } = request;
        const frames = new Uint8Array(request.data);
        const size = rows * cols;
        if (scratch.length < count * size) scratch = new Uint8Array(count * size);
        for (let i = 0; i < count; i++) {
          transpose(frames.subarray(i * size, (i + 1) * size), rows, cols, scratch, i * size);
        }
        datasets[series]!.write_slice(
          [[at, at + count], [0, cols], [0, rows]],
          scratch.subarray(0, count * size),
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
