import assert, { deepStrictEqual } from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { join } from "node:path";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { startView } from "../src/view/server.ts";
import { ffmpegDecodeAll, findPython, runPython, SAMPLE } from "./_helpers.ts";
import { canvasRgb, launchBrowser, openViewer, waitForFrame } from "./_browser.ts";

/** How many pixels of a canvas are exactly the colour `rgb`, and in which columns. */
async function pixelsOf(page: Page, id: string, rgb: number[]): Promise<Set<number>> {
  const width = await page.$eval(`#${id}`, (canvas) => (canvas as HTMLCanvasElement).width);
  const data = await canvasRgb(page, id);
  const columns = new Set<number>();
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) {
      columns.add((i / 3) % width);
    }
  }
  return columns;
}

/** Drags on the frame canvas from the centre of pixel `from` to the centre of pixel `to`. */
async function drag(page: Page, from: [number, number], to: [number, number], shift = false) {
  const box = (await (await page.$("#frame"))!.boundingBox())!;
  const [rows, cols] = await page.$eval("#frame", (c) => {
    const canvas = c as HTMLCanvasElement;
    return [canvas.height, canvas.width];
  });
  const at = ([x, y]: [number, number]) =>
    [box.x + ((x + 0.5) / cols!) * box.width, box.y + ((y + 0.5) / rows!) * box.height] as const;
  if (shift) await page.keyboard.down("Shift");
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at(to), { steps: 4 });
  await page.mouse.up();
  if (shift) await page.keyboard.up("Shift");
}

Deno.test("in Chromium a rectangle and an ellipse drawn on the frame get their traces plotted in their colours, and a click on the plot jumps there", async () => {
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
  const [rows, cols] = extractor.getImageShape();
  const frames = await ffmpegDecodeAll(extractor.getFilePaths());
  const n = extractor.getNumSamples();
  await extractor.close();
  const server = await startView({ folder: SAMPLE, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const { page, problems } = await openViewer(chromium, server.url);
    await page.select("#zoom", "4");

    // A drag from pixel (3, 2) to pixel (9, 6) covers the rectangle [3, 2, 7, 5].
    await drag(page, [3, 2], [9, 6]);
    await page.waitForSelector('#trace-list li[data-state="done"]', { timeout: 30_000 });
    const label = await page.$eval("#trace-list li span", (span) => span.textContent);
    deepStrictEqual(label, "rectangle 3, 2, 7, 5");
    const values: number[] = await page.evaluate(async () => {
      const id = document.querySelector<HTMLElement>("#trace-list li")!.dataset.trace;
      return (await (await fetch(`api/traces/${id}`)).json()).values;
    });
    const expected = Array.from({ length: n }, (_, k) => {
      let sum = 0;
      for (let y = 2; y < 7; y++) {
        for (let x = 3; x < 10; x++) sum += frames[k * rows * cols + y * cols + x]!;
      }
      return sum / 35;
    });
    values.forEach((v, k) => assert(Math.abs(v - expected[k]!) < 1e-9, `frame ${k}: ${v}`));

    const orange = await pixelsOf(page, "trace-plot", [0xff, 0x7f, 0x0e]);
    const width = await page.$eval("#trace-plot", (c) => (c as HTMLCanvasElement).width);
    assert(orange.size > width * 0.9, `the trace covers ${orange.size} of ${width} columns`);
    const outline = await pixelsOf(page, "regions", [0xff, 0x7f, 0x0e]);
    assert(outline.size > 0, "the rectangle is outlined on the frame");

    // A shift-drag draws an ellipse, in the next colour.
    await drag(page, [10, 5], [17, 12], true);
    await page.waitForFunction(
      () => document.querySelectorAll('#trace-list li[data-state="done"]').length === 2,
      { timeout: 30_000 },
    );
    deepStrictEqual(
      await page.$eval("#trace-list li:nth-child(2) span", (span) => span.textContent),
      "ellipse 14, 9, 4, 4",
    );
    const green = await pixelsOf(page, "trace-plot", [0x2c, 0xa0, 0x2c]);
    assert(green.size > width * 0.9, `the ellipse's trace covers ${green.size} columns`);

    // A click on the plot shows the frame at that place, and the plot marks it.
    const k = 40;
    const box = (await (await page.$("#trace-plot"))!.boundingBox())!;
    await page.mouse.click(box.x + (k / (n - 1)) * box.width, box.y + box.height / 2);
    await waitForFrame(page, k);
    const cursor = await pixelsOf(page, "trace-plot", [0xe3, 0x77, 0xc2]);
    deepStrictEqual([...cursor], [Math.round((k / (n - 1)) * (width - 1))]);
    await page.screenshot({ path: "/tmp/view_traces.png" });

    // The CSV link and the remove button of the first region.
    const csv = await page.$eval("#trace-list li a", (a) => (a as HTMLAnchorElement).href);
    assert(csv.endsWith("/api/traces/1.csv"), csv);
    await page.click("#trace-list li:first-child button");
    await page.waitForFunction(() => document.querySelectorAll("#trace-list li").length === 1);
    deepStrictEqual((await pixelsOf(page, "trace-plot", [0xff, 0x7f, 0x0e])).size, 0);
    // The page's DELETE removes it on the server.
    const deadline = performance.now() + 10_000;
    for (;;) {
      const answer = await fetch(`http://127.0.0.1:${server.port}/api/traces/1`, {
        headers: { authorization: `token ${server.token}` },
      });
      await answer.body?.cancel();
      if (answer.status === 404) break;
      assert(performance.now() < deadline, "the trace is still on the server");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
  }
});

/** ΔF/F of a frame through limits `±range` on the diverging map, computed here on its own. */
function expectedDff(frame: ArrayLike<number>, mean: Float64Array, range: number): Uint8Array {
  const stops = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];
  const out = new Uint8Array(frame.length * 3);
  for (let i = 0; i < frame.length; i++) {
    const dff = mean[i] === 0 ? 0 : (frame[i]! - mean[i]!) / mean[i]!;
    const entry = Math.round(Math.min(1, Math.max(0, (dff + range) / (2 * range))) * 255);
    const position = (entry / 255) * 2;
    const segment = position >= 1 ? 1 : 0;
    for (let c = 0; c < 3; c++) {
      const from = stops[segment]![c]!, to = stops[segment + 1]![c]!;
      out[i * 3 + c] = Math.round(from + (to - from) * (position - segment));
    }
  }
  return out;
}

Deno.test("in Chromium the ΔF/F mode shows (F - F0) / F0 of each frame against the exact mean, through its own limits", async () => {
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
  const [rows, cols] = extractor.getImageShape();
  const size = rows * cols;
  const frames = await ffmpegDecodeAll(extractor.getFilePaths());
  const n = extractor.getNumSamples();
  await extractor.close();
  const mean = new Float64Array(size);
  for (let k = 0; k < n; k++) for (let i = 0; i < size; i++) mean[i]! += frames[k * size + i]!;
  for (let i = 0; i < size; i++) mean[i]! /= n;
  const server = await startView({ folder: SAMPLE, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const { page, problems } = await openViewer(chromium, server.url);
    await page.click("#show-dff");
    await page.waitForFunction(() => document.getElementById("frame")!.dataset.mode === "dff", {
      timeout: 30_000,
    });
    const frame = (k: number) => frames.subarray(k * size, (k + 1) * size);
    const check = async (k: number, range: number) => {
      const shown = await canvasRgb(page, "frame");
      const expected = expectedDff(frame(k), mean, range);
      for (let i = 0; i < expected.length; i++) {
        deepStrictEqual(shown[i], expected[i], `frame ${k}, ±${range}: byte ${i}`);
      }
    };
    await check(0, 0.5);
    // Keys typed in a form field do not move the frame.
    await page.$eval("#show-dff", (input) => (input as HTMLInputElement).blur());
    await page.keyboard.press("End");
    await waitForFrame(page, n - 1);
    await check(n - 1, 0.5);
    await page.$eval("#dff-range", (input) => {
      (input as HTMLInputElement).value = "0.2";
      input.dispatchEvent(new Event("input"));
    });
    await check(n - 1, 0.2);
    await page.screenshot({ path: "/tmp/view_dff.png" });
    // Off again: the frame as decoded.
    await page.click("#show-dff");
    const gray = await canvasRgb(page, "frame");
    for (let i = 0; i < size; i++) deepStrictEqual(gray[i * 3], frame(n - 1)[i], `pixel ${i}`);
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
  }
});

Deno.test("in Chromium the session's notes are marked on the scrubber and the interval plot, with their text, and a click jumps there", async () => {
  const session = new URL("../testdata/sample_session", import.meta.url).pathname;
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
  const times = extractor.getTimestamps();
  await extractor.close();
  // notes.csv: "1200,start of baseline"; the frame whose time is nearest 1.2 s.
  let k = 0;
  for (let i = 1; i < times.length; i++) {
    if (Math.abs(times[i]! - 1.2) < Math.abs(times[k]! - 1.2)) k = i;
  }
  const server = await startView({ folder: session, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const { page, problems } = await openViewer(chromium, server.url);
    for (const selector of ["#note-marks .note-mark", "#note-lines .note-line"]) {
      const marks = await page.$$eval(
        selector,
        (list) =>
          list.map((mark) => [(mark as HTMLElement).dataset.sample, (mark as HTMLElement).title]),
      );
      deepStrictEqual(marks, [[String(k), `1200 ms (frame ${k}): start of baseline`]], selector);
    }
    const mark = (await page.$("#note-marks .note-mark"))!;
    const box = (await mark.boundingBox())!;
    const scrubber = (await (await page.$("#scrubber"))!.boundingBox())!;
    // The mark sits above the scrubber where frame k is.
    assert(box.y + box.height <= scrubber.y + 1, `mark at ${box.y}, scrubber at ${scrubber.y}`);
    await page.hover("#note-lines .note-line");
    await page.screenshot({ path: "/tmp/view_notes.png" });
    await page.mouse.click(box.x + box.width / 2, box.y + 2);
    await waitForFrame(page, k);
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
  }
});

/** Replaces, with h5py, the frames of the NWB file's OnePhotonSeries by `4.5 * v + 1000.25`, float32. */
const TO_FLOAT = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    series = f["/acquisition/OnePhotonSeries"]
    old = series["data"]
    values, attrs = old[()], dict(old.attrs)
    del series["data"]
    data = series.create_dataset("data", data=values.astype(np.float32) * np.float32(4.5) + np.float32(1000.25))
    for key, value in attrs.items():
        data.attrs[key] = value
`;

Deno.test("on a float NWB series, the projections and ΔF/F are of the stored values, not of the 8-bit values shown", async () => {
  const python = await findPython(["h5py", "numpy"]);
  assert(python, "h5py and numpy are needed");
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
  const [rows, cols] = extractor.getImageShape();
  const size = rows * cols;
  const n = extractor.getNumSamples();
  const decoded = await ffmpegDecodeAll(extractor.getFilePaths());
  const dir = await Deno.makeTempDir({ prefix: "miniscope_float_dff_" });
  const path = join(dir, "float.nwb");
  await writeNwb(extractor, path, { sessionStartTime: "2022-09-19T09:18:41Z", onWarning() {} });
  await extractor.close();
  await runPython(python, TO_FLOAT, [path]);
  // The stored values, exact in float32; their mean.
  const stored = Float64Array.from(decoded, (v) => v * 4.5 + 1000.25);
  const mean = new Float64Array(size);
  for (let k = 0; k < n; k++) for (let i = 0; i < size; i++) mean[i]! += stored[k * size + i]!;
  for (let i = 0; i < size; i++) mean[i]! /= n;
  const server = await startView({ folder: path, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const call = (route: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${server.port}${route}`, {
        ...init,
        headers: {
          authorization: `token ${server.token}`,
          origin: `http://127.0.0.1:${server.port}`,
        },
      });
    const info = await (await call("/api/info")).json();
    assert(info.devices[0].series.display !== null, "the series is shown scaled");
    const { page, problems } = await openViewer(chromium, server.url);
    await page.click("#show-dff");
    await page.waitForFunction(() => document.getElementById("frame")!.dataset.mode === "dff", {
      timeout: 30_000,
    });
    const f64 = new Float64Array(await (await call("/api/projections/mean.f64")).arrayBuffer());
    f64.forEach((v, i) => assert(Math.abs(v - mean[i]!) <= 1e-9 * mean[i]!, `F0 of pixel ${i}`));
    await page.$eval("#show-dff", (input) => (input as HTMLInputElement).blur());
    for (const k of [0, 40]) {
      if (k !== 0) {
        await page.keyboard.press("End");
        await waitForFrame(page, n - 1);
        for (let i = n - 1; i > k; i--) await page.keyboard.press("ArrowLeft");
        await waitForFrame(page, k);
      }
      const expected = expectedDff(stored.subarray(k * size, (k + 1) * size), mean, 0.5);
      // The stored values of the frame come after the frame: the canvas is painted then.
      await page.waitForFunction(
        (want: number[]) => {
          const canvas = document.getElementById("frame") as HTMLCanvasElement;
          const data =
            canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
          return want.every((v, i) => data[Math.floor(i / 3) * 4 + (i % 3)] === v);
        },
        { timeout: 10_000 },
        Array.from(expected),
      ).catch(() => {});
      const shown = await canvasRgb(page, "frame");
      for (let i = 0; i < expected.length; i++) {
        deepStrictEqual(shown[i], expected[i], `frame ${k}: byte ${i}`);
      }
    }
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in Chromium a page opened again lists the traces the server keeps, with their plots, and can remove them", async () => {
  const server = await startView({ folder: SAMPLE, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const posted = await fetch(`${base}/api/traces`, {
      method: "POST",
      headers: { authorization: `token ${server.token}`, origin: base },
      body: JSON.stringify({ rect: [2, 3, 6, 4] }),
    });
    const { id } = await posted.json();
    const { page, problems } = await openViewer(chromium, server.url);
    await page.waitForFunction(
      (want: string) =>
        document.querySelector(`#trace-list li[data-trace="${want}"]`)?.getAttribute(
          "data-state",
        ) === "done",
      { timeout: 30_000 },
      id,
    );
    deepStrictEqual(
      await page.$eval(`#trace-list li[data-trace="${id}"] span`, (e) => e.textContent),
      "rectangle 2, 3, 6, 4",
    );
    assert(
      (await pixelsOf(page, "trace-plot", [0xff, 0x7f, 0x0e])).size > 0,
      "the trace is plotted",
    );
    await page.click(`#trace-list li[data-trace="${id}"] button`);
    await page.waitForFunction(() => document.querySelectorAll("#trace-list li").length === 0);
    const gone = await fetch(`${base}/api/traces/${id}`, {
      headers: { authorization: `token ${server.token}` },
    });
    deepStrictEqual(gone.status, 404);
    await gone.body?.cancel();
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
  }
});
