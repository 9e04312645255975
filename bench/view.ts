/**
 * `deno task bench:view`: the latency of a keyboard step in the viewer, measured in headless
 * Chromium on the benchmark recording (3,000 frames of 608x608, built by `deno task bench`).
 *
 * A step is timed in the page, from the `keydown` event to the moment the new frame is on the
 * canvas and `#frame-index` shows it. Two paces: single steps with pauses, and a key held down
 * (30 presses a second, like keyboard auto-repeat), then single steps backward from the end.
 *
 * @module
 */

import { join } from "node:path";
import { startView } from "../src/view/server.ts";
import { launchBrowser, waitForFrame } from "../tests/_browser.ts";

const cacheRoot = Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/tmp", ".cache");
const device = join(cacheRoot, "miniscope-reader-bench", "v2-608x608x3000", "Miniscope");
if (!(await Deno.stat(join(device, "..", "complete")).then(() => true, () => false))) {
  console.error(`No benchmark recording in ${device}: run "deno task bench" once first`);
  Deno.exit(1);
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${label}: ${values.length} steps, median ${at(0.5).toFixed(1)} ms, 90th percentile ` +
    `${at(0.9).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, ` +
    `${values.filter((v) => v <= 50).length} within 50 ms`;
}

const server = await startView({ folder: device, onWarning: () => {} });
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
  const run = async (
    steps: number,
    pauseMs: number,
    key: "ArrowRight" | "ArrowLeft" = "ArrowRight",
  ) => {
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
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    await waitForFrame(page, first + sign * steps, 60_000);
    const log = await page.evaluate(() =>
      (globalThis as unknown as { stepLog: { key: number[]; shown: [number, number][] } }).stepLog
    );
    // Latency of step i: from its keydown to the first moment frame first + i + 1 or one past it
    // (in the direction of travel) shows.
    return log.key.map((time, i) => {
      const shown = log.shown.find(([k, at]) => sign * (k - first) >= i + 1 && at >= time);
      return shown ? shown[1] - time : NaN;
    });
  };
  await run(10, 150); // warm up
  const paused = await run(100, 150);
  const held = await run(150, 33);
  console.log(summary("single steps, 150 ms apart", paused));
  console.log(summary("key held, 30 steps a second", held));
  await page.keyboard.press("End");
  await waitForFrame(page, 2999, 60_000);
  const back = await run(48, 150, "ArrowLeft");
  console.log(summary("single steps backward from the end, 150 ms apart", back));
  if (Deno.env.get("VIEW_DEBUG")) console.log(back.map((v) => v.toFixed(0)).join(" "));
  await page.close();
} finally {
  await chromium.close();
  await server.close();
}
