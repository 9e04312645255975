import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { type Region, regionPixels, traceRecording } from "../src/analysis/traces.ts";
import { writeRecording } from "../src/sample.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import {
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  findPython,
  runPython,
  SAMPLE,
} from "./_helpers.ts";
import { CAMERA, cameraSession, rawExchange, withView } from "./_view.ts";
import { canWritePynwb, writePynwbFiles } from "./_nwb_pynwb.ts";

/** The mean of a region in each frame, from an ffmpeg decode and a pixel test of its own. */
function independentTrace(
  frames: ArrayLike<number>,
  shape: [number, number],
  channels: number,
  inside: (x: number, y: number) => boolean,
): number[] {
  const [rows, cols] = shape;
  const size = rows * cols * channels;
  const out: number[] = [];
  for (let at = 0; at < frames.length; at += size) {
    let sum = 0, n = 0;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        if (!inside(x, y)) continue;
        for (let c = 0; c < channels; c++) sum += frames[at + (y * cols + x) * channels + c]!;
        n += channels;
      }
    }
    out.push(sum / n);
  }
  return out;
}

function assertClose(actual: readonly number[], expected: readonly number[], what: string): void {
  deepStrictEqual(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, k) => {
    assert(
      Math.abs(v - expected[k]!) <= 1e-9,
      `${what}: frame ${k} is ${v}, expected ${expected[k]}`,
    );
  });
}

async function postTrace(
  call: (path: string, init?: RequestInit) => Promise<Response>,
  region: unknown,
  device = 0,
): Promise<Response> {
  return await call(`/api/traces?device=${device}`, {
    method: "POST",
    body: JSON.stringify(region),
  });
}

async function waitDone(
  call: (path: string, init?: RequestInit) => Promise<Response>,
  id: string,
): Promise<{ state: string; done: number; total: number; values: number[] }> {
  for (;;) {
    const status = await (await call(`/api/traces/${id}`)).json();
    if (status.state !== "running") return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const RECT: [number, number, number, number] = [3, 2, 7, 5];
const ELLIPSE: [number, number, number, number] = [12.5, 9, 6, 4.5];
const inRect = ([x0, y0, w, h]: number[]) => (x: number, y: number) =>
  x >= x0! && x < x0! + w! && y >= y0! && y < y0! + h!;
const inEllipse = ([cx, cy, rx, ry]: number[]) => (x: number, y: number) =>
  ((x + 0.5 - cx!) / rx!) ** 2 + ((y + 0.5 - cy!) / ry!) ** 2 <= 1;

Deno.test("traceRecording() gives the mean of a rectangle and of an ellipse equal to an ffmpeg decode's", async () => {
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
  try {
    const shape = extractor.getImageShape();
    const frames = await ffmpegDecodeAll(extractor.getFilePaths());
    for (const [region, inside] of bothShapes(RECT, ELLIPSE)) {
      const trace = await traceRecording(extractor, region);
      assertClose(
        Array.from(trace),
        independentTrace(frames, shape, 1, inside),
        JSON.stringify(region),
      );
    }
  } finally {
    await extractor.close();
  }
});

Deno.test("regionPixels() refuses regions outside the frame, empty or malformed, naming them", () => {
  const shape: [number, number] = [10, 20];
  for (
    const [region, part] of [
      [{ rect: [15, 0, 6, 2] }, "does not lie within the frame of 20x10 pixels"],
      [{ rect: [-1, 0, 2, 2] }, "does not lie within"],
      [{ rect: [0, 0, 0, 3] }, "is empty"],
      [{ rect: [0, 0, 1.5, 3] }, "whole numbers"],
      [{ ellipse: [5, 5, 6, 2] }, "does not lie within"],
      [{ ellipse: [5, 5, 0, 2] }, "is empty"],
      [{ ellipse: [5, 5, 0.2, 0.2] }, "holds no pixel centre"],
      [{ circle: [1, 2, 3] }, "A region is"],
      [{ rect: [1, 2, 3] }, "A region is"],
      [{ rect: [1, 2, 3, Infinity] }, "A region is"],
    ] as [Region, string][]
  ) {
    assert.throws(() => regionPixels(region, shape), (error: Error) => {
      assert(error.message.includes(part), `${JSON.stringify(region)}: ${error.message}`);
      return true;
    });
  }
  deepStrictEqual(Array.from(regionPixels({ rect: [0, 0, 20, 10] }, shape)).length, 200);
});

/** A rectangle and an ellipse, each with its pixel test of this file. */
function bothShapes(
  rect: [number, number, number, number],
  ellipse: [number, number, number, number],
): [Region, (x: number, y: number) => boolean][] {
  return [[{ rect }, inRect(rect)], [{ ellipse }, inEllipse(ellipse)]];
}

Deno.test("POST /api/traces computes a rectangle's and an ellipse's mean over the recording, and its CSV has the time stamps", async () => {
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
  const shape = extractor.getImageShape();
  const frames = await ffmpegDecodeAll(extractor.getFilePaths());
  const times = extractor.getTimestamps();
  await extractor.close();
  await withView(SAMPLE, async (_server, call) => {
    for (const [region, inside] of bothShapes(RECT, ELLIPSE)) {
      const answer = await postTrace(call, region);
      deepStrictEqual(answer.status, 201);
      const { id } = await answer.json();
      assert(typeof id === "string");
      const status = await waitDone(call, id);
      deepStrictEqual(status.state, "done");
      deepStrictEqual([status.done, status.total], [frames.length / (shape[0] * shape[1]), 58]);
      const expected = independentTrace(frames, shape, 1, inside);
      assertClose(status.values, expected, JSON.stringify(region));
      const csv = await call(`/api/traces/${id}.csv`);
      deepStrictEqual(csv.status, 200);
      assert(csv.headers.get("content-type")!.startsWith("text/csv"));
      const lines = (await csv.text()).trimEnd().split("\n");
      deepStrictEqual(lines[0], "sample,timestamp_s,mean");
      deepStrictEqual(lines.length, 59);
      lines.slice(1).forEach((line, k) => {
        const [sample, time, mean] = line.split(",").map(Number);
        deepStrictEqual(sample, k);
        deepStrictEqual(time, times[k]);
        assert(Math.abs(mean! - expected[k]!) <= 1e-9, line);
      });
    }
  });
});

Deno.test("a colour camera's trace is the mean over the region's pixels and their three channels", async () => {
  const session = await cameraSession();
  try {
    const folder = join(session, CAMERA.name);
    const camera = await MiniscopeImagingExtractor.open({
      folderPath: folder,
      pixelFormat: "rgb24",
    });
    const frames = await ffmpegDecodeAll(camera.getFilePaths(), "rgb24");
    const shape = camera.getImageShape();
    await camera.close();
    await withView(session, async (_server, call) => {
      const region: [number, number, number, number] = [4, 3, 10, 8];
      const { id } = await (await postTrace(call, { rect: region }, 1)).json();
      const status = await waitDone(call, id);
      deepStrictEqual(status.state, "done");
      assertClose(status.values, independentTrace(frames, shape, 3, inRect(region)), "camera");
    });
  } finally {
    await Deno.remove(join(session, ".."), { recursive: true });
  }
});

Deno.test("POST /api/traces answers 400 with the reason for a region outside the frame, empty or not JSON", async () => {
  await withView(SAMPLE, async (_server, call) => {
    for (
      const [body, part] of [
        [JSON.stringify({ rect: [0, 0, 100, 5] }), "does not lie within the frame"],
        [JSON.stringify({ ellipse: [-3, 4, 2, 2] }), "does not lie within the frame"],
        [JSON.stringify({ rect: [1, 1, 0, 0] }), "is empty"],
        ["{", "is not JSON"],
        ["[]", "A region is"],
        [JSON.stringify({ rect: [0, 0, 2, 2], ellipse: [5, 5, 2, 2] }), "not both"],
      ] as [string, string][]
    ) {
      const answer = await call("/api/traces", { method: "POST", body });
      deepStrictEqual(answer.status, 400, body);
      const { error } = await answer.json();
      assert(error.includes(part), `${body}: ${error}`);
    }
    const big = await call("/api/traces", { method: "POST", body: " ".repeat(5000) });
    deepStrictEqual(big.status, 413);
    await big.body?.cancel();
    deepStrictEqual((await call("/api/traces/9")).status, 404);
    deepStrictEqual((await call("/api/traces/9", { method: "DELETE" })).status, 404);
    const { id } = await (await postTrace(call, { rect: RECT })).json();
    const withBody = await call(`/api/traces/${id}`, { method: "DELETE", body: "x" });
    deepStrictEqual([withBody.status, (await withBody.json()).error], [
      413,
      `DELETE /api/traces/${id} takes no body`,
    ]);
    deepStrictEqual((await call(`/api/traces/${id}`)).status, 200);
  });
});

Deno.test("the trace endpoints keep the Origin and token rules: a POST or DELETE from another origin or without one is 403, no token is 401", async () => {
  await withView(SAMPLE, async (server, call) => {
    const port = server.port;
    const cookie = `miniscope_view_${port}=${server.token}`;
    const { id } = await (await postTrace(call, { rect: RECT })).json();
    const body = new TextEncoder().encode(JSON.stringify({ rect: RECT }));
    for (const method of ["POST", "DELETE"]) {
      const path = method === "POST" ? "/api/traces" : `/api/traces/${id}`;
      for (
        const origin of [`http://127.0.0.1:${port + 1}`, "null", `http://localhost:${port}`, null]
      ) {
        const answer = await rawExchange(port, {
          method,
          path,
          headers: {
            cookie,
            "content-length": String(method === "POST" ? body.length : 0),
            ...(origin === null ? {} : { origin }),
          },
          ...(method === "POST" ? { body } : {}),
        });
        deepStrictEqual(answer.status, 403, `${method} from ${origin}: ${answer.body}`);
      }
      const foreignHost = await rawExchange(port, {
        method,
        path,
        headers: { cookie, host: `localhost:${port}`, origin: `http://127.0.0.1:${port}` },
      });
      deepStrictEqual(foreignHost.status, 403);
      const noToken = await rawExchange(port, {
        method,
        path,
        headers: { origin: `http://127.0.0.1:${port}`, "content-length": "0" },
      });
      deepStrictEqual(noToken.status, 401);
    }
    const read = await rawExchange(port, {
      path: `/api/traces/${id}`,
      headers: { cookie, origin: `http://127.0.0.1:${port + 1}` },
    });
    deepStrictEqual(read.status, 403);
    // Nothing refused was done: the one trace is still there.
    deepStrictEqual((await call(`/api/traces/${id}`)).status, 200);
    deepStrictEqual((await call("/api/traces/2")).status, 404);
  });
});

/** A recording of `frames` flat 64x64 frames in one file, long enough to catch ffmpeg at work. */
async function writeFlatRecording(folder: string, frames: number): Promise<void> {
  await writeRecording(folder, {
    width: 64,
    height: 64,
    frames,
    framesPerFile: frames,
    timestamps: { startMs: 0, intervalMs: 33 },
    frame: (i) => new Uint8Array(64 * 64).fill(i % 256),
  });
}

Deno.test("DELETE /api/traces/{id} stops the computation: no ffmpeg is left and the trace is gone", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_traces_" });
  const folder = join(root, "trace_cancel_marker");
  try {
    await writeFlatRecording(folder, 1200);
    await withView(folder, async (_server, call) => {
      const { id } = await (await postTrace(call, { rect: [0, 0, 8, 8] })).json();
      const deadline = performance.now() + 20_000;
      while (await ffmpegProcessesMentioning("trace_cancel_marker") === 0) {
        assert(performance.now() < deadline, "no decoder started");
      }
      const running = await (await call(`/api/traces/${id}`)).json();
      deepStrictEqual(running.state, "running");
      assert(running.done < running.total);
      const removed = await call(`/api/traces/${id}`, { method: "DELETE" });
      deepStrictEqual(removed.status, 200);
      await removed.body?.cancel();
      deepStrictEqual(await ffmpegProcessesMentioning("trace_cancel_marker"), 0);
      const gone = await call(`/api/traces/${id}`);
      deepStrictEqual(gone.status, 404);
      await gone.body?.cancel();
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("on an NWB file of this module, a trace equals the mean of an ffmpeg decode of the recording", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_traces_nwb_" });
  try {
    const raw = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const frames = await ffmpegDecodeAll(raw.getFilePaths());
    const shape = raw.getImageShape();
    const path = join(dir, "sample.nwb");
    await writeNwb(raw, path, { sessionStartTime: "2022-09-19T09:18:41Z", onWarning() {} });
    await raw.close();
    await withView(path, async (_server, call) => {
      for (const [region, inside] of bothShapes(RECT, ELLIPSE)) {
        const answer = await postTrace(call, region);
        deepStrictEqual(answer.status, 201);
        const status = await waitDone(call, (await answer.json()).id);
        deepStrictEqual([status.state, status.done, status.total], ["done", 58, 58]);
        assertClose(status.values, independentTrace(frames, shape, 1, inside), "NWB trace");
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "on pynwb's uint16 series, a trace is the mean of the stored values, not of the 8-bit values shown",
  ignore: !canWritePynwb,
  async fn() {
    const files = await writePynwbFiles();
    try {
      const key = "/acquisition/OnePhotonSeries";
      const entry = files.expected["pynwb.nwb"]![key]!;
      deepStrictEqual([entry.dtype, entry.shape], ["uint16", [12, 6, 10]]);
      const bytes = await files.bytesOf(entry);
      const stored = new Uint16Array(bytes.slice().buffer);
      await withView(join(files.dir, "pynwb.nwb"), async (_server, call) => {
        for (const [region, inside] of bothShapes([2, 1, 5, 4], [5, 3, 3.5, 2.5])) {
          const status = await waitDone(call, (await (await postTrace(call, region)).json()).id);
          deepStrictEqual([status.state, status.total], ["done", 12]);
          const expected = independentTrace(stored, [6, 10], 1, inside);
          assertClose(status.values, expected, `stored ${JSON.stringify(region)}`);
          // Values beyond 8 bits: the stored ones, not the 0-255 shown.
          assert(expected.some((v) => v > 255), "the series holds values beyond 255");
        }
      });
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test("traces are computed one at a time: the others wait with nothing done, and no more ffmpeg runs than for one", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_traces_" });
  const folder = join(root, "trace_queue_marker");
  try {
    await writeFlatRecording(folder, 900);
    await withView(folder, async (_server, call) => {
      const ids: string[] = [];
      for (const x of [0, 8, 16]) {
        ids.push((await (await postTrace(call, { rect: [x, 0, 8, 8] })).json()).id);
      }
      let most = 0;
      for (;;) {
        most = Math.max(most, await ffmpegProcessesMentioning("trace_queue_marker"));
        const states = await Promise.all(
          ids.map(async (id) => (await call(`/api/traces/${id}`)).json()),
        );
        const running = states.findIndex((t) => t.state === "running" && t.done > 0);
        if (running >= 0) {
          // Those after it have not started.
          for (const later of states.slice(running + 1)) deepStrictEqual(later.done, 0);
        }
        if (states.every((t) => t.state !== "running")) {
          deepStrictEqual(states.map((t) => t.state), ["done", "done", "done"]);
          break;
        }
      }
      assert(
        most <= navigator.hardwareConcurrency,
        `${most} ffmpeg ran at once, more than one trace's ${navigator.hardwareConcurrency}`,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Makes, with h5py, the frames of an NWB export float32, and pixel (0, 0) NaN, Inf, -Inf in frames 0-2. */
const NON_FINITE = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    series = f["/acquisition/OnePhotonSeries"]
    old = series["data"]
    values, attrs = old[()].astype(np.float32), dict(old.attrs)
    values[0, 0, 0], values[1, 0, 0], values[2, 0, 0] = np.nan, np.inf, -np.inf
    del series["data"]
    data = series.create_dataset("data", data=values)
    for key, value in attrs.items():
        data.attrs[key] = value
`;

Deno.test('a trace mean that is not finite comes as "NaN", "Infinity" or "-Infinity" in JSON, and so in the CSV', async () => {
  const python = await findPython(["h5py", "numpy"]);
  assert(python, "h5py and numpy are needed");
  const dir = await Deno.makeTempDir({ prefix: "miniscope_traces_nan_" });
  try {
    const raw = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const frames = await ffmpegDecodeAll(raw.getFilePaths());
    const shape = raw.getImageShape();
    const path = join(dir, "nan.nwb");
    await writeNwb(raw, path, { sessionStartTime: "2022-09-19T09:18:41Z", onWarning() {} });
    await raw.close();
    await runPython(python, NON_FINITE, [path]);
    await withView(path, async (_server, call) => {
      const { id } = await (await postTrace(call, { rect: [0, 0, 2, 2] })).json();
      const status = await waitDone(call, id);
      deepStrictEqual(status.state, "done");
      deepStrictEqual(status.values.slice(0, 3), ["NaN", "Infinity", "-Infinity"]);
      const rest = independentTrace(frames, shape, 1, inRect([0, 0, 2, 2])).slice(3);
      assertClose(status.values.slice(3) as unknown as number[], rest, "finite means");
      const csv = (await (await call(`/api/traces/${id}.csv`)).text()).split("\n");
      deepStrictEqual(csv.slice(1, 4).map((line) => line.split(",")[2]), [
        "NaN",
        "Infinity",
        "-Infinity",
      ]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
