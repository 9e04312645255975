/**
 * `deno task bench:view`: how fast the viewer shows frames, against bare ffmpeg on the same
 * files, in one run, on a recording of 3,000 frames of 608x608 (1,000 per file, gray FFV1, a
 * keyframe every 12 frames) built in a temporary folder with `src/sample.ts`.
 *
 * - Through the viewer's HTTP API (`GET /api/frames/{k}`, the PNG read to its end): a jump to a
 *   frame of a file read before, then the steps back after it, and another jump, then the steps
 *   forward after it, at a person's pace (a step every 150 ms, as a key pressed again and
 *   again); each against one bare `ffmpeg -ss` decode of the jump's frame, taken in the same
 *   run.
 * - In Chromium: from `keydown` to the new frame on the canvas with `#frame-index` showing it,
 *   for single steps (forward, and back after jumps), and with a key held (30 presses a second).
 * - Through the API: random frames of a file read before (`getSamples([k])`).
 *
 * Jumps and random frames are also given each against the bare decode of the same frame: a frame
 * late in its group of pictures costs both sides more decoding.
 *
 * `VIEW_BENCH_DEVICE=<folder>` reads that device folder instead of building one (a copy of this
 * recording kept from an earlier run).
 *
 * @module
 */

import { join } from "node:path";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { scopeFrames, writeRecording } from "../src/sample.ts";
import { startView, type ViewServer } from "../src/view/server.ts";
import { launchBrowser, waitForFrame } from "../tests/_browser.ts";

const WIDTH = 608;
const HEIGHT = 608;
const FRAMES = 3000;
const PER_FILE = 1000;
const RATE = 60;
/** The pause between two steps, as a person pressing a key again and again. */
const PACE_MS = 150;
/** How long the viewer takes at most to read the frames around the last one asked for. */
const QUIET_MS = 1000;
/** Steps after each jump: two groups of pictures and more. */
const STEPS = 30;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One bare `ffmpeg -ss` decode of frame `local` of `file` (60 fps in the container). */
async function bareDecode(file: string, local: number): Promise<void> {
  const { success, stderr } = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "error",
      "-ss",
      (local / RATE).toFixed(6),
      "-i",
      file,
      "-frames:v",
      "1",
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

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const median = (values: number[]) => quantile(values, 0.5);

const rows: [string, string, string, string, boolean][] = [];

/**
 * A row comparing times of ours (median, 90th percentile, max) to the median of bare ffmpeg,
 * judged by the median or, for a bound on each step, by the 90th percentile (the max on a
 * shared machine is whatever else ran at that moment).
 */
function ratioRow(
  what: string,
  ours: number[],
  bare: number[],
  target: { at: "median" | "90th percentile"; most: number },
): void {
  const base = median(bare);
  const [mid, p90, max] = [median(ours), quantile(ours, 0.9), Math.max(...ours)];
  const r = (v: number) => (v / base).toFixed(2);
  const judged = (target.at === "median" ? mid : p90) / base;
  rows.push([
    `${what} (${ours.length})`,
    `${mid.toFixed(1)} / ${p90.toFixed(1)} / ${max.toFixed(1)} ms`,
    `${base.toFixed(1)} ms`,
    `${r(mid)} / ${r(p90)} / ${r(max)}x (${target.at} <= ${target.most}x)`,
    judged <= target.most,
  ]);
}

/**
 * A row of ratios each of ours to the bare decode of the same frame (a frame late in its group
 * of pictures costs both more), judged by their median; shown with their 90th percentile and max.
 */
function pairedRow(what: string, ours: number[], bare: number[], most: number): void {
  const ratios = ours.map((t, i) => t / bare[i]!);
  const [mid, p90, max] = [median(ratios), quantile(ratios, 0.9), Math.max(...ratios)];
  rows.push([
    `${what} (${ours.length})`,
    "",
    "same frame",
    `${mid.toFixed(2)} / ${p90.toFixed(2)} / ${max.toFixed(2)}x (median <= ${most}x)`,
    mid <= most,
  ]);
}

/** A row of key-press-to-canvas latencies against a bound on their 90th percentile. */
function latencyRow(what: string, values: number[], bound: number | null): void {
  const p90 = quantile(values, 0.9);
  rows.push([
    `${what} (${values.length})`,
    `${median(values).toFixed(1)} / ${p90.toFixed(1)} / ${Math.max(...values).toFixed(1)} ms`,
    "",
    bound === null ? "" : `90th percentile ${p90.toFixed(1)} ms (target < ${bound} ms)`,
    bound === null || p90 < bound,
  ]);
}

/** The time to get frame `k`'s PNG through the viewer's API, read to its end. */
async function getFrame(server: ViewServer, k: number, ahead: 1 | -1): Promise<number> {
  return await time(async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/frames/${k}?ahead=${ahead}`, {
      headers: { authorization: `token ${server.token}` },
    });
    if (!response.ok) throw new Error(`frame ${k}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });
}

/**
 * Jumps and steps through the HTTP API: from each place, a jump to a frame of a file read
 * before, then {@linkcode STEPS} steps in `direction` at a person's pace, and a bare decode of
 * the frame jumped to.
 */
async function jumpsAndSteps(
  server: ViewServer,
  files: string[],
  targets: number[],
  direction: 1 | -1,
): Promise<{ jumps: number[]; steps: number[]; bare: number[] }> {
  const jumps: number[] = [];
  const steps: number[] = [];
  const bare: number[] = [];
  let last = 0;
  for (const k of targets) {
    jumps.push(await getFrame(server, k, k >= last ? 1 : -1));
    for (let step = 1; step <= STEPS; step++) {
      await pause(PACE_MS);
      steps.push(await getFrame(server, k + direction * step, direction));
    }
    last = k + direction * STEPS;
    // The viewer's reading around the last step is over: bare ffmpeg has the machine alone.
    await pause(QUIET_MS);
    const file = Math.floor(k / PER_FILE);
    bare.push(await time(() => bareDecode(files[file]!, k % PER_FILE)));
    await pause(PACE_MS);
  }
  return { jumps, steps, bare };
}

/** Key-press-to-canvas latencies in Chromium. */
async function keyPresses(server: ViewServer): Promise<Record<string, number[]>> {
  const chromium = await launchBrowser();
  try {
    const page = await chromium.browser.newPage();
    await page.goto(server.url, { waitUntil: "load" });
    await waitForFrame(page, 0, 60_000);
    // In the page: the time of each keydown and of each new frame index.
    await page.evaluate(() => {
      const log: { key: number[]; shown: [number, number][] } = { key: [], shown: [] };
      (globalThis as unknown as { stepLog: typeof log }).stepLog = log;
      document.addEventListener("keydown", () => log.key.push(performance.now()), true);
      const index = document.getElementById("frame-index")!;
      new MutationObserver(() => log.shown.push([Number(index.textContent), performance.now()]))
        .observe(index, { childList: true, characterData: true, subtree: true });
    });
    const run = async (steps: number, pauseMs: number, key: "ArrowRight" | "ArrowLeft") => {
      const sign = key === "ArrowRight" ? 1 : -1;
      await page.evaluate(() => {
        const log =
          (globalThis as unknown as { stepLog: { key: number[]; shown: [number, number][] } })
            .stepLog;
        log.key.length = 0;
        log.shown.length = 0;
      });
      const first = Number(await page.$eval("#frame-index", (e) => e.textContent));
      for (let i = 0; i < steps; i++) {
        await page.keyboard.press(key);
        await pause(pauseMs);
      }
      await waitForFrame(page, first + sign * steps, 60_000);
      const log = await page.evaluate(() =>
        (globalThis as unknown as { stepLog: { key: number[]; shown: [number, number][] } })
          .stepLog
      );
      // Latency of step i: from its keydown to the first moment frame first + i + 1 or one
      // past it (in the direction of travel) shows.
      return log.key.map((time, i) => {
        const shown = log.shown.find(([k, at]) => sign * (k - first) >= i + 1 && at >= time);
        return shown ? shown[1] - time : NaN;
      });
    };
    /** Jumps with the scrubber, as a drag that ends on `k`. */
    const jump = async (k: number) => {
      await page.$eval("#scrubber", (element, value) => {
        const scrubber = element as HTMLInputElement;
        scrubber.value = String(value);
        scrubber.dispatchEvent(new Event("input"));
      }, k);
      await waitForFrame(page, k, 60_000);
      await pause(PACE_MS);
    };
    await run(10, PACE_MS, "ArrowRight"); // warm up
    const forward = await run(100, PACE_MS, "ArrowRight");
    const held = await run(150, 33, "ArrowRight");
    const back: number[] = [];
    for (const k of [2999, 1533, 2606, 1250]) {
      if (k === 2999) {
        await page.keyboard.press("End");
        await waitForFrame(page, k, 60_000);
        await pause(PACE_MS);
      } else {
        await jump(k);
      }
      back.push(...await run(STEPS, PACE_MS, "ArrowLeft"));
    }
    const afterJump: number[] = [];
    for (const k of [1707, 2118]) {
      await jump(k);
      afterJump.push(...await run(STEPS, PACE_MS, "ArrowRight"));
    }
    await page.close();
    return { forward, back, afterJump, held };
  } finally {
    await chromium.close();
  }
}

const given = Deno.env.get("VIEW_BENCH_DEVICE");
const root = await Deno.makeTempDir({ prefix: "miniscope_bench_view_" });
try {
  const device = given ?? join(root, "Miniscope");
  if (!given) {
    console.log(`Building the recording in ${root} ...`);
    await writeRecording(device, {
      width: WIDTH,
      height: HEIGHT,
      frames: FRAMES,
      framesPerFile: PER_FILE,
      timestamps: { startMs: -67, droppedAfter: [1500] },
      frame: scopeFrames(WIDTH, HEIGHT),
    });
  }
  const files = [0, 1, 2].map((i) => join(device, `${i}.avi`));
  // Warm the page cache so both sides read from memory.
  for (const file of files) await Deno.readFile(file);

  // Frames at every place of a group of pictures, in files 1 and 2, none near another.
  const places = (first: number, count: number, seed: number) =>
    Array.from({ length: count }, (_, i) => first + 60 + ((i * 7 + seed) % 9) * 100 + (i % 12));
  const server = await startView({ folder: device, onWarning: () => {} });
  let api: { back: Awaited<ReturnType<typeof jumpsAndSteps>>; forward: typeof api.back };
  let keys: Record<string, number[]>;
  try {
    // Read the files before: a frame of each, then the viewer settles.
    for (const k of [0, PER_FILE, 2 * PER_FILE]) await getFrame(server, k + 500, 1);
    await pause(1000);
    api = {
      back: await jumpsAndSteps(
        server,
        files,
        [...places(PER_FILE, 4, 0), ...places(2 * PER_FILE, 4, 3)],
        -1,
      ),
      forward: await jumpsAndSteps(
        server,
        files,
        [...places(PER_FILE, 3, 5), ...places(2 * PER_FILE, 3, 1)].map((k) => k + 40),
        1,
      ),
    };
    keys = await keyPresses(server);
  } finally {
    await server.close();
  }
  const bare = [...api.back.bare, ...api.forward.bare];
  ratioRow(
    "jump to a frame of a file read before",
    [...api.back.jumps, ...api.forward.jumps],
    bare,
    { at: "median", most: 0.6 },
  );
  pairedRow(
    "the same jumps, each against the bare decode of its frame",
    [...api.back.jumps, ...api.forward.jumps],
    bare,
    0.6,
  );
  ratioRow(`each step back after a jump, ${PACE_MS} ms apart`, api.back.steps, bare, {
    at: "90th percentile",
    most: 0.3,
  });
  ratioRow(`each step forward after a jump, ${PACE_MS} ms apart`, api.forward.steps, bare, {
    at: "90th percentile",
    most: 0.15,
  });
  latencyRow(`key press to canvas, single steps forward, ${PACE_MS} ms apart`, keys.forward!, 50);
  latencyRow(`key press to canvas, single steps back after jumps`, keys.back!, 50);
  latencyRow(`key press to canvas, single steps forward after jumps`, keys.afterJump!, 50);
  latencyRow("key press to canvas, key held (30 presses a second)", keys.held!, null);

  // Random frames of a file read before, through the API, against one bare decode each.
  {
    await using extractor = await MiniscopeImagingExtractor.open({
      folderPath: device,
      onWarning: () => {},
    });
    await extractor.getSamples([PER_FILE]); // the file's decoder starts
    const locals = Array.from({ length: 15 }, (_, i) => 30 + ((i * 397) % 61) * 15 + (i % 12));
    const ours: number[] = [];
    const bareRandom: number[] = [];
    for (const local of locals) {
      ours.push(await time(() => extractor.getSamples([PER_FILE + local])));
      bareRandom.push(await time(() => bareDecode(files[1]!, local)));
    }
    ratioRow("random frame of a file read before (getSamples)", ours, bareRandom, {
      at: "median",
      most: 0.55,
    });
    pairedRow("the same frames, each against the bare decode of its frame", ours, bareRandom, 0.55);
  }
} finally {
  await Deno.remove(root, { recursive: true });
}

const header = ["measure", "ours: median / 90th pct / max", "bare ffmpeg -ss", "ratio", "ok"];
const table = [header, ...rows.map((r) => [r[0], r[1], r[2], r[3], r[4] ? "yes" : "NO"])];
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
console.log(
  `\n${FRAMES} frames of ${WIDTH}x${HEIGHT}, ${PER_FILE} per file, ` +
    `${navigator.hardwareConcurrency} cores, ffmpeg from PATH\n`,
);
for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));
if (rows.some((r) => !r[4])) {
  console.log("\nSome targets were missed (timings on a shared machine are noisy).");
}
