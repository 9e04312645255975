/**
 * `deno task bench:nwb`: the NWB export of the benchmark recording (3,000 frames of 608x608 in
 * three files, built by `deno task bench` or here), gzip and none, with peak resident memory,
 * against its floors measured in the same run:
 *
 * - gzip: h5wasm alone writing the same frames from memory, one frame per chunk, same level;
 * - none: bare ffmpeg decoding the three files in parallel, one process per core; `stream()`
 *   alone is measured too, to tell reading from writing.
 *
 * Each measure runs in a process of its own, so that its peak memory is its own (sampled
 * every 50 ms).
 *
 * @module
 */

import { join } from "node:path";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { chunkedUint8, loadH5wasm } from "../src/nwb/hdf5.ts";
import { scopeFrames, writeRecording } from "../src/sample.ts";

const WIDTH = 608;
const HEIGHT = 608;
const FRAMES = 3000;
const CORES = navigator.hardwareConcurrency;
const LEVEL = 4;
/** Rounds of every measure; the best of each is reported. */
const ROUNDS = 2;
const cacheRoot = Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/tmp", ".cache");
const root = join(cacheRoot, "miniscope-reader-bench", `v2-${WIDTH}x${HEIGHT}x${FRAMES}`);
const device = join(root, "Miniscope");
const files = [0, 1, 2].map((i) => join(device, `${i}.avi`));

/** Builds the recording as `deno task bench` does, when that has not run yet. */
async function ensureRecording(): Promise<void> {
  if (await Deno.stat(join(device, "2.avi")).then(() => true, () => false)) return;
  console.log(`Building the benchmark recording in ${device} (once) ...`);
  await writeRecording(device, {
    width: WIDTH,
    height: HEIGHT,
    frames: FRAMES,
    framesPerFile: 1000,
    timestamps: { startMs: -67, droppedAfter: [1500] },
    frame: scopeFrames(WIDTH, HEIGHT),
  });
}

/** Samples the resident memory of this process (the writer's worker included) until stopped. */
function watchMemory(): () => number {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 50);
  return () => {
    clearInterval(timer);
    return Math.max(peak, Deno.memoryUsage().rss) / 2 ** 20;
  };
}

const open = () => MiniscopeImagingExtractor.open({ folderPath: device, onWarning() {} });

/** In a child: one measure, printed as JSON. */
async function child(mode: string, out: string): Promise<void> {
  if (mode === "floor") {
    const series = await open().then((ex) => ex.getSeries());
    const frameSize = WIDTH * HEIGHT;
    const transposed = new Uint8Array(series.data.length);
    for (let f = 0; f < FRAMES; f++) {
      for (let r = 0; r < HEIGHT; r++) {
        for (let c = 0; c < WIDTH; c++) {
          transposed[f * frameSize + c * HEIGHT + r] = series.data[f * frameSize + r * WIDTH + c]!;
        }
      }
    }
    const h5wasm = await loadH5wasm();
    const start = performance.now();
    const file = new h5wasm.File(out, "w", { libver: ["earliest", "v110"] });
    const data = chunkedUint8(file, "data", {
      frames: FRAMES,
      frameShape: [WIDTH, HEIGHT],
      gzipLevel: LEVEL,
    });
    for (let at = 0; at < FRAMES; at += 32) {
      const count = Math.min(32, FRAMES - at);
      data.write_slice(
        [[at, at + count], [0, WIDTH], [0, HEIGHT]],
        transposed.subarray(at * frameSize, (at + count) * frameSize),
      );
    }
    file.close();
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ seconds, peakMb: null }));
    return;
  }
  const extractor = await open();
  if (mode === "stream") {
    const start = performance.now();
    let frames = 0;
    for await (const _ of extractor.stream()) frames++;
    if (frames !== FRAMES) throw new Error(`streamed ${frames} frames`);
    console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, peakMb: null }));
    return;
  }
  const stop = watchMemory();
  const start = performance.now();
  await writeNwb(extractor, out, {
    compression: mode === "gzip" ? "gzip" : "none",
    sessionStartTime: "2022-09-19T09:18:41.007+02:00",
    overwrite: true,
  });
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, peakMb: stop() }));
}

async function measure(mode: string, out: string): Promise<{ seconds: number; peakMb: number }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      import.meta.filename!,
      mode,
      out,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`the ${mode} measure failed`);
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  await Deno.remove(out).catch(() => {});
  return result;
}

async function bareParallel(): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CORES }, async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const { success, stderr } = await new Deno.Command("ffmpeg", {
        args: [
          "-nostdin",
          "-loglevel",
          "error",
          "-i",
          file,
          "-f",
          "rawvideo",
          "-pix_fmt",
          "gray",
          "-y",
          "/dev/null",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!success) throw new Error(new TextDecoder().decode(stderr));
    }
  }));
  return (performance.now() - start) / 1000;
}

if (Deno.args.length === 2) {
  await child(Deno.args[0]!, Deno.args[1]!);
} else {
  await ensureRecording();
  for (const file of files) await Deno.readFile(file); // into the page cache
  const dir = await Deno.makeTempDir({ prefix: "miniscope_bench_nwb_" });
  try {
    // The machine may be shared: each measure is taken in rounds that alternate them, and the
    // best of each is kept (the peak memory is that run's).
    const rounds: Record<string, { seconds: number; peakMb: number }[]> = {};
    const take = async (name: string, run: () => Promise<{ seconds: number; peakMb: number }>) =>
      (rounds[name] ??= []).push(await run());
    for (let round = 0; round < ROUNDS; round++) {
      await take("bare", async () => ({ seconds: await bareParallel(), peakMb: 0 }));
      await take("stream", () => measure("stream", join(dir, "unused")));
      await take("none", () => measure("none", join(dir, "none.nwb")));
      await take("floor", () => measure("floor", join(dir, "floor.h5")));
      await take("gzip", () => measure("gzip", join(dir, "gzip.nwb")));
    }
    const best = (name: string) => rounds[name]!.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const bare = best("bare").seconds;
    const [streamed, none, floor, gzip] = ["stream", "none", "floor", "gzip"].map(best) as [
      { seconds: number; peakMb: number },
      { seconds: number; peakMb: number },
      { seconds: number; peakMb: number },
      { seconds: number; peakMb: number },
    ];
    const rows: [string, string, string, string, boolean][] = [
      [
        `NWB export, gzip ${LEVEL}, vs h5wasm alone from memory`,
        `${gzip.seconds.toFixed(1)} s`,
        `${floor.seconds.toFixed(1)} s`,
        `${(gzip.seconds / floor.seconds).toFixed(2)}x (target <= 1.15x)`,
        gzip.seconds / floor.seconds <= 1.15,
      ],
      [
        `NWB export, no compression, vs ffmpeg ${CORES} at a time`,
        `${none.seconds.toFixed(1)} s`,
        `${bare.toFixed(1)} s`,
        `${(none.seconds / bare).toFixed(2)}x (target <= 1.3x)`,
        none.seconds / bare <= 1.3,
      ],
      [
        "  of which reading: stream() alone, vs the same",
        `${streamed.seconds.toFixed(1)} s`,
        `${bare.toFixed(1)} s`,
        `${(streamed.seconds / bare).toFixed(2)}x (export / stream() ${
          (none.seconds / streamed.seconds).toFixed(2)
        }x)`,
        true,
      ],
      [
        "NWB export, gzip, peak RSS",
        `${gzip.peakMb.toFixed(0)} MB`,
        "",
        "target < 400 MB",
        gzip.peakMb < 400,
      ],
      [
        "NWB export, no compression, peak RSS",
        `${none.peakMb.toFixed(0)} MB`,
        "",
        "target < 400 MB",
        none.peakMb < 400,
      ],
    ];
    const header = ["measure", "ours", "floor", "ratio", "ok"];
    const table = [header, ...rows.map((r) => [r[0], r[1], r[2], r[3], r[4] ? "yes" : "NO"])];
    const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    console.log(`\n${FRAMES} frames of ${WIDTH}x${HEIGHT}, 1000 per file, ${CORES} cores\n`);
    for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));
    if (rows.some((r) => !r[4])) {
      console.log("\nSome targets were missed (timings on a shared machine are noisy).");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
