// The viewer on NWB files: files written by pynwb in the test and by this module, through the
// HTTP API, the command line under its narrow permissions, and the page in the real Chromium.
import { join } from "node:path";
import { decode } from "fast-png";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { startView } from "../src/view/server.ts";
import {
  assertBytesEqual,
  errorWith,
  ffmpegDecodeAll,
  findPython,
  runDenoScript,
  runPython,
  SAMPLE,
} from "./_helpers.ts";
import { canvasGray, collectProblems, launchBrowser, waitForFrame } from "./_browser.ts";
import { canWritePynwb, type PynwbFiles, writePynwbFiles } from "./_nwb_pynwb.ts";
import { twoScopeSession, withView } from "./_view.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;

/** The pixels of a PNG answer: gray, or RGB. */
async function pngPixels(response: Response, channels: 1 | 3): Promise<Uint8Array> {
  deepStrictEqual(response.status, 200, response.url);
  const image = decode(new Uint8Array(await response.arrayBuffer()));
  deepStrictEqual([image.channels, image.depth], [channels, 8]);
  return image.data as Uint8Array;
}

/** Rounds half to even, as the display does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Values as shown: `low` as 0, `high` as 255, rounded and clamped. */
function shown(values: ArrayLike<number>, low: number, high: number): Uint8Array {
  return Uint8Array.from(
    values,
    (v) => Math.min(255, Math.max(0, roundHalfEven((v - low) * 255 / (high - low)))),
  );
}

/** The raw frames of a series of pynwb's files, as numbers. */
async function rawValues(files: PynwbFiles, file: string, key: string): Promise<number[]> {
  const entry = files.expected[file]![key]!;
  const bytes = await files.bytesOf(entry);
  const arrays: Record<string, new (b: ArrayBuffer) => ArrayLike<number>> = {
    uint8: Uint8Array,
    uint16: Uint16Array,
    int16: Int16Array,
    float32: Float32Array,
  };
  return Array.from(new arrays[entry.dtype]!(bytes.slice().buffer));
}

Deno.test({
  name:
    "the viewer's API shows pynwb's series: the listing, exact frames (scaled uint16), stored values and time stamps",
  ignore: !canWritePynwb,
  async fn() {
    const files = await writePynwbFiles();
    try {
      const path = join(files.dir, "pynwb.nwb");
      await withView(path, async (_server, get) => {
        const info = await (await get("/api/info")).json();
        deepStrictEqual(info.folder, path);
        deepStrictEqual(info.session, {
          identifier: "pynwb-brief",
          sessionDescription: "reader test",
          startTime: "2024-01-02T03:04:05+00:00",
          notes: [],
          skipped: [],
        });
        // The series of an imaging plane first.
        const [one, images] = info.devices;
        deepStrictEqual(
          [one.id, one.name, one.camera, one.channels, one.samples, one.shape],
          [0, "OnePhotonSeries", false, 1, 12, [6, 10]],
        );
        deepStrictEqual(one.files, [{
          name: "/acquisition/OnePhotonSeries",
          firstSample: 0,
          frames: 12,
        }]);
        deepStrictEqual(one.frameCounts, { video: 12, timestamps: 12, lostInFiles: 0 });
        // One interval of 0.1 s among intervals of 0.05 s: a dropped frame after frame 6.
        deepStrictEqual(one.drops.count, 1);
        deepStrictEqual(one.drops.gaps.map((g: { afterSample: number }) => g.afterSample), [6]);
        deepStrictEqual(one.series, {
          path: "/acquisition/OnePhotonSeries",
          type: "OnePhotonSeries",
          shape: [12, 10, 6],
          dtype: "uint16",
          unit: "n.a.",
          conversion: 1,
          offset: 0,
          description: "no description",
          device: "Miniscope",
          imagingPlane: "ImagingPlane",
          timing: "timestamps",
          chunks: [1, 10, 6],
          filters: ["deflate"],
          // A 12-bit sensor's values: 0-4095 shown as 0-255.
          display: { low: 0, high: 4095 },
        });
        deepStrictEqual(
          [images.id, images.name, images.frequency, images.drops, images.series.display],
          [1, "ImageSeries", 7.5, null, { low: 0, high: 32767 }],
        );

        for (
          const [device, key, high] of [[0, "/acquisition/OnePhotonSeries", 4095], [
            1,
            "/acquisition/ImageSeries",
            32767,
          ]] as const
        ) {
          const entry = files.expected["pynwb.nwb"]![key]!;
          const raw = await files.bytesOf(entry);
          const values = await rawValues(files, "pynwb.nwb", key);
          const size = 6 * 10;
          const times = await (await get(`/api/timestamps?device=${device}`)).json();
          deepStrictEqual(times.timestamps, entry.timestamps);
          for (const k of [0, 1, 11, 5, 6, 7, 3]) {
            const frame = values.slice(k * size, (k + 1) * size);
            assertBytesEqual(
              await pngPixels(await get(`/api/frames/${k}?device=${device}`), 1),
              shown(frame, 0, high),
              `${key} frame ${k} shown`,
            );
            const stored = await get(`/api/values/${k}?device=${device}`);
            deepStrictEqual(stored.status, 200);
            deepStrictEqual(stored.headers.get("x-dtype"), "uint16");
            deepStrictEqual(stored.headers.get("x-shape"), "6,10");
            assertBytesEqual(
              new Uint8Array(await stored.arrayBuffer()),
              raw.subarray(k * size * 2, (k + 1) * size * 2),
              `${key} frame ${k} stored`,
            );
          }
          const past = await get(`/api/values/12?device=${device}`);
          deepStrictEqual(past.status, 404);
          await past.body?.cancel();
        }
      });
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the viewer shows an extension's series, every plane of a 4D series, a colour series in colour and an int16 series, and lists what it leaves out",
  ignore: !canWritePynwb,
  async fn() {
    const files = await writePynwbFiles();
    try {
      await withView(join(files.dir, "kinds.nwb"), async (_server, get) => {
        const info = await (await get("/api/info")).json();
        deepStrictEqual(
          info.devices.map((d: { name: string; camera: boolean; channels: number }) => [
            d.name,
            d.camera,
            d.channels,
          ]),
          [
            ["Custom", false, 1],
            ["TwoPhotonSeries", false, 1],
            ["Volume plane 0", false, 1],
            ["Volume plane 1", false, 1],
            ["Volume plane 2", false, 1],
            ["Signed", false, 1],
            ["Colour", true, 3],
          ],
        );
        deepStrictEqual(info.session.skipped.map((s: { path: string }) => s.path), [
          "/acquisition/External",
        ]);
        const size = 5 * 7;
        // Uint8 frames shown as they are, chunks of 4 frames read in any order.
        const two = await rawValues(files, "kinds.nwb", "/acquisition/TwoPhotonSeries");
        for (const k of [8, 0, 5, 4, 3]) {
          assertBytesEqual(
            await pngPixels(await get(`/api/frames/${k}?device=1`), 1),
            Uint8Array.from(two.slice(k * size, (k + 1) * size)),
            `TwoPhotonSeries frame ${k}`,
          );
        }
        // Float and signed frames: from the smallest to the largest of frames 0, 4 and 8.
        for (
          const [device, key] of [[3, "/acquisition/Volume#1"], [5, "/acquisition/Signed"]] as const
        ) {
          const values = await rawValues(files, "kinds.nwb", key);
          const sampled = [0, 4, 8].flatMap((k) => values.slice(k * size, (k + 1) * size));
          const low = Math.min(...sampled);
          const high = Math.max(...sampled);
          deepStrictEqual(info.devices[device].series.display, { low, high }, key);
          for (const k of [0, 3, 8]) {
            assertBytesEqual(
              await pngPixels(await get(`/api/frames/${k}?device=${device}`), 1),
              shown(values.slice(k * size, (k + 1) * size), low, high),
              `${key} frame ${k}`,
            );
          }
        }
        const colour = await rawValues(files, "kinds.nwb", "/stimulus/presentation/Colour");
        for (const k of [0, 7]) {
          assertBytesEqual(
            await pngPixels(await get(`/api/frames/${k}?device=6`), 3),
            Uint8Array.from(colour.slice(k * size * 3, (k + 1) * size * 3)),
            `Colour frame ${k}`,
          );
        }
      });
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test("the viewer shows an NWB file of this module as the raw recording: each frame equals an ffmpeg decode, and the mean projection", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_view_nwb_" });
  try {
    const raw = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const decoded = await ffmpegDecodeAll(raw.getFilePaths());
    const [rows, cols] = raw.getImageShape();
    const size = rows * cols;
    const n = raw.getNumSamples();
    const path = join(dir, "sample.nwb");
    await writeNwb(raw, path, { sessionStartTime: "2022-09-19T09:18:41Z", onWarning() {} });
    await withView(path, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual(info.devices.length, 1);
      deepStrictEqual([info.devices[0].samples, info.devices[0].shape], [n, [rows, cols]]);
      deepStrictEqual(info.devices[0].series.display, null);
      for (
        const k of [
          0,
          1,
          2,
          57,
          56,
          30,
          24,
          23,
          47,
          48,
          ...Array.from({ length: n }, (_, i) => i),
        ]
      ) {
        assertBytesEqual(
          await pngPixels(await get(`/api/frames/${k}`), 1),
          decoded.subarray(k * size, (k + 1) * size),
          `frame ${k}`,
        );
      }
      const times = await (await get("/api/timestamps")).json();
      deepStrictEqual(times.timestamps, Array.from(raw.getTimestamps()));
      const start = await fetch(`http://127.0.0.1:${_server.port}/api/projections`, {
        method: "POST",
        headers: {
          authorization: `token ${_server.token}`,
          origin: `http://127.0.0.1:${_server.port}`,
        },
      });
      deepStrictEqual(start.status, 202);
      await start.body?.cancel();
      while ((await (await get("/api/projections")).json()).state === "running") {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const mean = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += decoded[k * size + i]!;
        mean[i] = Math.round(sum / n);
      }
      assertBytesEqual(await pngPixels(await get("/api/projections/mean"), 1), mean, "mean");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a corrupt, non-NWB or imaging-less .nwb file gives an error naming the file, from startView and from the view command",
  ignore: !canWritePynwb,
  async fn() {
    const files = await writePynwbFiles();
    try {
      const none = join(files.dir, "no_imaging.nwb");
      await rejects(
        startView({ folder: none }),
        errorWith(
          MalformedRecordingError,
          `Cannot read "${none}": it holds no imaging series (no ImageSeries, OnePhotonSeries or TwoPhotonSeries)`,
        ),
      );
      const text = join(files.dir, "text.nwb");
      await Deno.writeTextFile(text, "hello\n");
      await rejects(
        startView({ folder: text }),
        errorWith(MalformedRecordingError, `Cannot read "${text}": it is not an HDF5 file`),
      );
      const bytes = await Deno.readFile(join(files.dir, "pynwb.nwb"));
      const truncated = join(files.dir, "truncated.nwb");
      await Deno.writeFile(truncated, bytes.subarray(0, 4096));
      await rejects(
        startView({ folder: truncated }),
        errorWith(MalformedRecordingError, `Cannot read "${truncated}": HDF5 cannot open it`),
      );
      const flags = [`--allow-read=${files.dir}`, "--allow-net=127.0.0.1"];
      for (
        const [file, message] of [
          [none, "it holds no imaging series"],
          [text, "it is not an HDF5 file"],
          [truncated, "HDF5 cannot open it (HDF5: truncated file"],
          [join(files.dir, "missing.nwb"), "it does not exist"],
        ]
      ) {
        const run = await runDenoScript(CLI, flags, ["view", file!]);
        deepStrictEqual(run.code, 1, run.stderr);
        const lines = run.stderr.trim().split("\n");
        deepStrictEqual(lines.length, 1, run.stderr);
        assert(
          lines[0]!.startsWith(`Error: Cannot `) && lines[0]!.includes(`"${file}"`),
          run.stderr,
        );
        assert(lines[0]!.includes(message!), run.stderr);
      }
      const wrong = await runDenoScript(CLI, flags, [
        "view",
        join(files.dir, "pynwb.nwb"),
        "--series",
        "/acquisition/Nope",
      ]);
      deepStrictEqual(wrong.code, 1, wrong.stderr);
      assert(
        wrong.stderr.includes(
          `has no imaging series "/acquisition/Nope" to show; it has "/acquisition/OnePhotonSeries", "/acquisition/ImageSeries"`,
        ),
        wrong.stderr,
      );
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

/** How many descriptors of this process have `path` open, by `ls -l /proc/PID/fd` (Linux). */
async function openDescriptors(path: string): Promise<number> {
  const output = await new Deno.Command("ls", {
    args: ["-l", `/proc/${Deno.pid}/fd`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(output.stdout).split("\n");
  return lines.filter((line) => line.endsWith(` -> ${path}`)).length;
}

Deno.test({
  name:
    "the NWB file is closed when the viewer stops, and when it cannot listen because the port is taken",
  ignore: !canWritePynwb || Deno.build.os !== "linux",
  async fn() {
    const files = await writePynwbFiles();
    try {
      const path = join(files.dir, "pynwb.nwb");
      const first = await startView({ folder: path });
      try {
        deepStrictEqual(await openDescriptors(path), 1);
        await rejects(
          startView({ folder: path, port: first.port }),
          errorWith(
            Deno.errors.AddrInUse,
            `Cannot listen on 127.0.0.1:${first.port}: the port is in use`,
          ),
        );
        deepStrictEqual(await openDescriptors(path), 1);
      } finally {
        await first.close();
      }
      deepStrictEqual(await openDescriptors(path), 0);
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "view file.nwb runs with --allow-read of the file's folder and --allow-net=127.0.0.1 only, and --series picks the series shown",
  ignore: !canWritePynwb || Deno.build.os === "windows",
  async fn() {
    const files = await writePynwbFiles();
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--quiet",
          `--allow-read=${files.dir}`,
          "--allow-net=127.0.0.1",
          CLI,
          "view",
          join(files.dir, "pynwb.nwb"),
          "--series",
          "/acquisition/ImageSeries",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!/token=[0-9a-f]{64}&device=\d+\n/.test(out)) {
        const { value, done } = await lines.read();
        if (done) break;
        out += value;
      }
      const urls = out.match(/http:\/\/\S+/g) ?? [];
      deepStrictEqual(urls.length, 1, out);
      const url = new URL(urls[0]!);
      deepStrictEqual(url.searchParams.get("device"), "1");
      const token = url.searchParams.get("token");
      const info = await (await fetch(new URL(`/api/info?token=${token}`, url))).json();
      deepStrictEqual(info.devices[1].series.path, "/acquisition/ImageSeries");
      const entry = files.expected["pynwb.nwb"]!["/acquisition/OnePhotonSeries"]!;
      const stored = await fetch(new URL(`/api/values/3?token=${token}`, url));
      assertBytesEqual(
        new Uint8Array(await stored.arrayBuffer()),
        (await files.bytesOf(entry)).subarray(3 * 120, 4 * 120),
        "frame 3 through the command line's server",
      );
      child.kill("SIGTERM");
      const status = await child.status;
      await lines.cancel();
      deepStrictEqual(status.code, 0, await stderr);
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "in Chromium an NWB file shows exact frames on the canvas, its series as links, and the stored value under the mouse",
  ignore: !canWritePynwb,
  async fn() {
    const files = await writePynwbFiles();
    const raw = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const decoded = await ffmpegDecodeAll(raw.getFilePaths());
    const [rows, cols] = raw.getImageShape();
    const size = rows * cols;
    const times = raw.getTimestamps();
    const ours = join(files.dir, "sample.nwb");
    await writeNwb(raw, ours, { sessionStartTime: "2022-09-19T09:18:41Z", onWarning() {} });
    const server = await startView({ folder: ours, onWarning: () => {} });
    const pynwb = await startView({ folder: join(files.dir, "pynwb.nwb"), onWarning: () => {} });
    const chromium = await launchBrowser();
    try {
      const page = await chromium.browser.newPage();
      const problems = collectProblems(page);
      const text = (id: string) => page.$eval(`#${id}`, (element) => element.textContent ?? "");

      // This module's file: the raw recording's frames, exactly, with their times.
      await page.goto(server.url, { waitUntil: "load" });
      for (
        const [key, k] of [[null, 0], ["ArrowRight", 1], ["End", 57], ["ArrowLeft", 56]] as const
      ) {
        if (key) await page.keyboard.press(key);
        await waitForFrame(page, k);
        assertBytesEqual(
          await canvasGray(page, "frame"),
          decoded.subarray(k * size, (k + 1) * size),
          `frame ${k} on the canvas`,
        );
        deepStrictEqual(await text("frame-time"), `${times[k]!.toFixed(3)} s`);
        deepStrictEqual(await text("frame-file"), `/acquisition/OnePhotonSeries, frame ${k}`);
      }

      // pynwb's file: uint16 frames scaled, the series listed as links, the stored value shown.
      await page.goto(pynwb.url, { waitUntil: "load" });
      await waitForFrame(page, 0);
      const items = await page.$$eval("#devices li", (list) => list.map((i) => i.textContent));
      deepStrictEqual(items, [
        "OnePhotonSeries (OnePhotonSeries of Miniscope): 12 frames, 10x6, 20.00 Hz, 1 dropped, uint16, 0 to 4095 shown as 0 to 255",
        "ImageSeries (ImageSeries): 12 frames, 10x6, 7.50 Hz, 0 dropped, uint16, 0 to 32767 shown as 0 to 255",
      ]);
      const one = await rawValues(files, "pynwb.nwb", "/acquisition/OnePhotonSeries");
      assertBytesEqual(
        await canvasGray(page, "frame"),
        shown(one.slice(0, 60), 0, 4095),
        "frame 0",
      );
      const box = (await (await page.$("#frame"))!.boundingBox())!;
      // Pixel (x 3, y 2): the canvas is at 100 %, one CSS pixel a pixel.
      await page.mouse.move(box.x + 3.5 * box.width / 10, box.y + 2.5 * box.height / 6);
      await page.waitForFunction(
        () => document.getElementById("pixel-value")!.textContent!.includes("stored"),
        { timeout: 10_000 },
      );
      const value = one[2 * 10 + 3]!;
      deepStrictEqual(
        await text("pixel-value"),
        `x 3, y 2: ${shown([value], 0, 4095)[0]} (stored ${value})`,
      );
      await Promise.all([page.waitForNavigation(), page.click("#devices li:nth-child(2) a")]);
      await waitForFrame(page, 0);
      deepStrictEqual(await text("frame-file"), "/acquisition/ImageSeries, frame 0");
      deepStrictEqual(await text("frame-time"), "5.000 s");
      const images = await rawValues(files, "pynwb.nwb", "/acquisition/ImageSeries");
      assertBytesEqual(
        await canvasGray(page, "frame"),
        shown(images.slice(0, 60), 0, 32767),
        "ImageSeries frame 0",
      );
      deepStrictEqual(await text("status"), "");
      deepStrictEqual(problems, []);
      await page.close();
    } finally {
      await chromium.close();
      await server.close();
      await pynwb.close();
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

/** Sets, with h5py, time stamps of a series of an NWB file: `argv[3:]` as `index=value`. */
const SET_TIMES = `
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    times = f[sys.argv[2] + "/timestamps"]
    for pair in sys.argv[3:]:
        k, v = pair.split("=")
        times[int(k)] = float(v)
`;

Deno.test("a series whose time stamps cannot time it is left out and named, and the others are shown; with none left the error names the file and the series", async () => {
  const python = await findPython(["h5py"]);
  assert(python, "h5py is needed: install python3-h5py");
  const dir = await Deno.makeTempDir({ prefix: "miniscope_view_times_" });
  try {
    const out = join(dir, "two.nwb");
    await writeNwb(
      await MiniscopeSession.open(await twoScopeSession(dir), { onWarning() {} }),
      out,
      {
        onWarning() {},
      },
    );
    const bad = "/acquisition/OnePhotonSeries_HPC_miniscope2";
    await runPython(python, SET_TIMES, [out, bad, "7=nan"]);
    await withView(out, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual(info.devices.map((d: { name: string }) => d.name), [
        "OnePhotonSeries_Miniscope",
      ]);
      deepStrictEqual(info.session.skipped, [{
        path: bad,
        type: "OnePhotonSeries",
        reason: `the timestamps of "${bad}" hold NaN at frame 7, not a finite number of seconds`,
      }]);
      const frame = await get("/api/frames/3");
      deepStrictEqual(frame.status, 200);
      await frame.body?.cancel();
    });
    // Time stamps that stand still: no rate can be measured from them.
    const good = "/acquisition/OnePhotonSeries_Miniscope";
    await runPython(python, SET_TIMES, [
      out,
      good,
      ...Array.from({ length: 58 }, (_, k) => `${k}=1`),
    ]);
    await rejects(
      startView({ folder: out, onWarning: () => {} }),
      errorWith(
        MalformedRecordingError,
        `Cannot read "${out}": it holds no imaging series it can show: ${bad} (OnePhotonSeries)`,
      ),
    );
    await rejects(
      startView({ folder: out, onWarning: () => {} }),
      (error: Error) =>
        error.message.includes(`${good} (OnePhotonSeries): the timestamps of "${good}"`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
