import { join } from "node:path";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { startView } from "../src/view/server.ts";
import assert, { deepStrictEqual } from "node:assert/strict";
import { assertBytesEqual, ffmpegDecodeAll, SAMPLE, startingWith, TESTDATA } from "./_helpers.ts";
import { writeRecording } from "../src/sample.ts";
import { colourFrame } from "../testdata/make_fixtures.ts";
import {
  canvasGray,
  canvasRgb,
  collectProblems,
  launchBrowser,
  openViewer,
  waitForFrame,
} from "./_browser.ts";
import { CAMERA, cameraSession } from "./_view.ts";

/** The index of the time in `times` nearest to `t`, the earlier one on a tie. */
function nearest(times: Float64Array, t: number): number {
  let best = 0;
  for (let i = 1; i < times.length; i++) {
    if (Math.abs(times[i]! - t) < Math.abs(times[best]! - t)) best = i;
  }
  return best;
}

Deno.test("in Chromium the page shows exact frames, steps with keys, plays, jumps to a drop and shows the camera", async (t) => {
  const session = await cameraSession();
  const scopeFolder = join(session, "Miniscope");
  const scope = await MiniscopeImagingExtractor.open({ folderPath: scopeFolder });
  const camera = await MiniscopeImagingExtractor.open({
    folderPath: join(session, CAMERA.name),
    pixelFormat: "rgb24",
  });
  const [rows, cols] = scope.getImageShape();
  const size = rows * cols;
  const frames = await ffmpegDecodeAll(scope.getFilePaths());
  const cameraFrames = await ffmpegDecodeAll(camera.getFilePaths(), "rgb24");
  const times = scope.getTimestamps();
  const cameraTimes = camera.getTimestamps();
  const frame = (k: number) => frames.subarray(k * size, (k + 1) * size);
  const cameraSize = CAMERA.width * CAMERA.height * 3;

  const server = await startView({ folder: session, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const page = await chromium.browser.newPage();
    const problems = collectProblems(page);
    const text = (id: string) => page.$eval(`#${id}`, (element) => element.textContent ?? "");

    /** Checks that frame `k` is on the canvas with its time and file, and the camera's beside it. */
    const shows = async (k: number) => {
      await waitForFrame(page, k);
      assertBytesEqual(await canvasGray(page, "frame"), frame(k), `frame ${k} on the canvas`);
      deepStrictEqual(await text("frame-time"), `${times[k]!.toFixed(3)} s`);
      const file = k < 24
        ? `0.avi, frame ${k}`
        : k < 48
        ? `1.avi, frame ${k - 24}`
        : `2.avi, frame ${k - 48}`;
      deepStrictEqual(await text("frame-file"), file);
      const c = nearest(cameraTimes, times[k]!);
      await page.waitForFunction(
        (label: string) => document.getElementById("camera-index")?.textContent?.startsWith(label),
        { timeout: 30_000 },
        `frame ${c},`,
      );
      assertBytesEqual(
        await canvasRgb(page, "camera"),
        cameraFrames.subarray(c * cameraSize, (c + 1) * cameraSize),
        `camera frame ${c} beside frame ${k}`,
      );
    };

    await t.step(
      "the page loads with no console error and shows frame 0 and the devices",
      async () => {
        await page.goto(server.url, { waitUntil: "load" });
        await shows(0);
        const devices = await page.$$eval(
          "#devices li",
          (items) => items.map((i) => i.textContent),
        );
        deepStrictEqual(devices.length, 2);
        assert.match(devices[0]!, startingWith("Miniscope (Miniscope_V4_BNO): 58 frames"));
        assert.match(devices[1]!, startingWith(`${CAMERA.name} (BehavCam): 20 frames`));
      },
    );

    await t.step("keys step one frame, ten with shift, to the ends with Home and End", async () => {
      await page.keyboard.press("ArrowRight");
      await shows(1);
      await page.keyboard.down("Shift");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.up("Shift");
      await shows(11);
      await page.keyboard.press("ArrowLeft");
      await shows(10);
      await page.keyboard.press("End");
      await shows(57);
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Home");
      await shows(0);
      await page.keyboard.press("ArrowLeft");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      await shows(2);
    });

    await t.step("a click on the dropped frame in the intervals plot jumps to it", async () => {
      const gap = scope.getDroppedFrames()!.gaps[0]!;
      const mark = await page.$(`.drop[data-sample="${gap.afterSample + 1}"]`);
      assert(mark, "the drop is marked");
      const box = (await mark.boundingBox())!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height * 0.7);
      await shows(gap.afterSample + 1);
    });

    await t.step("space plays at no more than the recorded rate, and stops", async () => {
      await page.keyboard.press("Home");
      await shows(0);
      const started = performance.now();
      await page.keyboard.press(" ");
      await page.waitForFunction(
        () => Number(document.getElementById("frame-index")!.textContent) >= 6,
        { timeout: 30_000, polling: "raf" },
      );
      const shown = Number(await text("frame-index"));
      const elapsed = (performance.now() - started) / 1000;
      assert(
        times[shown]! - times[0]! <= elapsed + 0.1,
        `frame ${shown} (${times[shown]} s) shown ${elapsed.toFixed(3)} s after play`,
      );
      await page.keyboard.press(" ");
      const paused = Number(await text("frame-index"));
      await new Promise((resolve) => setTimeout(resolve, 400));
      const later = Number(await text("frame-index"));
      assert(later - paused <= 1, `still playing: ${paused} then ${later}`);
      deepStrictEqual(await text("play"), "Play");
    });

    await t.step("the mean projection toggle shows the mean of all frames", async () => {
      await page.click("#show-mean");
      await page.waitForFunction(
        () => (document.getElementById("mean") as HTMLCanvasElement).width > 1,
        {
          timeout: 60_000,
        },
      );
      const mean = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        let sum = 0;
        for (let k = 0; k < scope.getNumSamples(); k++) sum += frames[k * size + i]!;
        mean[i] = Math.round(sum / scope.getNumSamples());
      }
      assertBytesEqual(await canvasGray(page, "mean"), mean, "mean projection");
    });

    deepStrictEqual(await text("status"), "");
    deepStrictEqual(problems, []);
    await page.close();
  } finally {
    await chromium.close();
    await server.close();
    await Deno.remove(join(session, ".."), { recursive: true });
  }
});

/** The contrast limits `Auto` picks from these values: the 0.5th and 99.5th percentiles. */
function autoLimits(values: Uint8Array): [number, number] {
  const histogram = new Uint32Array(256);
  for (const v of values) histogram[v]!++;
  const at = (share: number) => {
    let sum = 0;
    for (let v = 0; v < 256; v++) if ((sum += histogram[v]!) > share * values.length) return v;
    return 255;
  };
  const low = at(0.005);
  return [low, Math.max(at(0.995), low + 1)];
}

/** Each value stretched from `[low, high]` onto `[0, 255]`. */
function stretched(values: Uint8Array, low: number, high: number): Uint8Array {
  return values.map((v) => Math.round(Math.min(1, Math.max(0, (v - low) / (high - low))) * 255));
}

for (const codec of ["MJPG", "XVID"]) {
  Deno.test(`in Chromium a colour camera (${codec}) shows its frame, mean and max in colour, exactly, and Auto contrast uses every channel`, async () => {
    const folder = join(TESTDATA, "codecs", `colour_${codec}`);
    const extractor = await MiniscopeImagingExtractor.open({
      folderPath: folder,
      pixelFormat: "rgb24",
    });
    const [rows, cols] = extractor.getImageShape();
    const size = rows * cols * 3;
    const frames = await ffmpegDecodeAll(extractor.getFilePaths(), "rgb24");
    const n = frames.length / size;
    const mean = new Uint8Array(size);
    const max = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += frames[k * size + i]!;
        max[i] = Math.max(max[i]!, frames[k * size + i]!);
      }
      mean[i] = Math.round(sum / n);
    }
    const server = await startView({ folder, onWarning: () => {} });
    const chromium = await launchBrowser();
    try {
      const { page, problems } = await openViewer(chromium, server.url);
      assertBytesEqual(await canvasRgb(page, "frame"), frames.subarray(0, size), "frame 0");
      // A camera shown alone is not shown a second time beside itself.
      deepStrictEqual(await page.$eval("#camera-panel", (e) => (e as HTMLElement).hidden), true);
      deepStrictEqual(
        await page.$eval("#colormap", (e) => (e as HTMLSelectElement).disabled),
        true,
      );
      for (const kind of ["mean", "max"]) {
        await page.click(`#show-${kind}`);
        await page.waitForFunction(
          (id: string) => (document.getElementById(id) as HTMLCanvasElement).width > 1,
          { timeout: 60_000 },
          kind,
        );
      }
      assertBytesEqual(await canvasRgb(page, "mean"), mean, "mean projection");
      assertBytesEqual(await canvasRgb(page, "max"), max, "max projection");

      await page.click("#contrast-auto");
      const [low, high] = autoLimits(frames.subarray(0, size));
      const limits = await page.$$eval(
        "#contrast-min, #contrast-max",
        (inputs) => inputs.map((i) => Number((i as HTMLInputElement).value)),
      );
      deepStrictEqual(limits, [low, high]);
      assertBytesEqual(
        await canvasRgb(page, "frame"),
        stretched(frames.subarray(0, size), low, high),
        "frame 0 after Auto",
      );
      assertBytesEqual(
        await canvasRgb(page, "mean"),
        stretched(mean, low, high),
        "mean after Auto",
      );
      await page.click("#contrast-full");
      assertBytesEqual(await canvasRgb(page, "frame"), frames.subarray(0, size), "frame 0, 0-255");

      deepStrictEqual(await page.$eval("#status", (e) => e.textContent), "");
      deepStrictEqual(problems, []);
      await page.close();
    } finally {
      await chromium.close();
      await server.close();
    }
  });
}

Deno.test("in Chromium a colour camera's frame that happens to be gray is shown as it is, not through a colour map", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_view_" });
  const folder = join(root, "BehavCam 0");
  const [width, height] = [32, 24];
  // Even frames gray (R = G = B), odd frames in colour.
  const frame = (i: number) => {
    const rgb = colourFrame(i, width, height);
    if (i % 2 === 0) { for (let p = 0; p < rgb.length; p += 3) rgb[p + 1] = rgb[p + 2] = rgb[p]!; }
    return rgb;
  };
  await writeRecording(folder, {
    width,
    height,
    frames: 4,
    framesPerFile: 4,
    deviceType: "BehavCam",
    codec: "MJPG",
    input: "rgb24",
    frame,
  });
  const extractor = await MiniscopeImagingExtractor.open({
    folderPath: folder,
    pixelFormat: "rgb24",
  });
  const frames = await ffmpegDecodeAll(extractor.getFilePaths(), "rgb24");
  const size = width * height * 3;
  const gray = frames.subarray(0, size);
  for (let p = 0; p < size; p += 3) {
    assert(gray[p] === gray[p + 1] && gray[p] === gray[p + 2], "frame 0 decodes to gray");
  }
  const server = await startView({ folder, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const { page, problems } = await openViewer(chromium, server.url);
    // The colour map as it was left, even by a page that let it be chosen.
    await page.$eval("#colormap", (element) => {
      const select = element as HTMLSelectElement;
      select.value = "hot";
      select.dispatchEvent(new Event("input"));
    });
    assertBytesEqual(await canvasRgb(page, "frame"), gray, "gray frame 0 of a colour camera");
    await page.keyboard.press("ArrowRight");
    await waitForFrame(page, 1);
    await page.keyboard.press("ArrowRight");
    await waitForFrame(page, 2);
    assertBytesEqual(
      await canvasRgb(page, "frame"),
      frames.subarray(2 * size, 3 * size),
      "gray frame 2",
    );
    await page.keyboard.press("ArrowLeft");
    await waitForFrame(page, 1);
    assertBytesEqual(await canvasRgb(page, "frame"), frames.subarray(size, 2 * size), "frame 1");
    deepStrictEqual(problems, []);
    await page.close();
  } finally {
    await chromium.close();
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("in Chromium a page of another 127.0.0.1 port cannot start work or read frames with the viewer's cookie", async () => {
  const server = await startView({ folder: SAMPLE, onWarning: () => {} });
  const viewer = `http://127.0.0.1:${server.port}`;
  // The other page reports what it saw to its own server.
  const report = Promise.withResolvers<string>();
  const attackerPage = `<!doctype html><body>
<iframe name="sink"></iframe>
<form id="form" method="post" action="${viewer}/api/projections" target="sink"></form>
<script>
  const done = [];
  // The image is made here, after its handlers: a refusal can come before a later script runs.
  const img = document.createElement("img");
  done.push(new Promise((resolve) => {
    img.onload = () => resolve("image loaded");
    img.onerror = () => resolve("image refused");
  }));
  img.src = "${viewer}/api/frames/0";
  document.body.append(img);
  done.push(fetch("${viewer}/api/projections", {
    method: "POST", mode: "no-cors", credentials: "include",
  }).then(() => "fetch answered", () => "fetch answered"));
  navigator.sendBeacon("${viewer}/api/projections");
  document.getElementById("form").submit();
  Promise.all(done).then((results) => fetch("/report?" + encodeURIComponent(results.join(", "))));
</script>`;
  // Another local server, the same site as the viewer for SameSite cookies.
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (r) => {
    const url = new URL(r.url);
    if (url.pathname === "/report") {
      // From the address alone: the page may go before a body would arrive.
      report.resolve(decodeURIComponent(url.search.slice(1)));
      return new Response(null, { status: 204 });
    }
    return new Response(attackerPage, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const chromium = await launchBrowser();
  try {
    const page = await chromium.browser.newPage();
    const problems = collectProblems(page);
    // The viewer, opened as printed: the page sets its cookie.
    await page.goto(server.url, { waitUntil: "load" });
    await waitForFrame(page, 0);
    deepStrictEqual(problems, []);
    const attacker = await chromium.browser.newPage();
    await attacker.goto(`http://127.0.0.1:${other.addr.port}/`, { waitUntil: "load" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = await Promise.race([
      report.promise,
      new Promise<string>((_, reject) => {
        timer = setTimeout(() => reject(new Error("The other page did not report")), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    // Give the beacon and the form time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await fetch(`${viewer}/api/projections`, {
      headers: { authorization: `token ${server.token}` },
    });
    deepStrictEqual(await status.json(), { state: "idle", done: 0, total: 58 });
    deepStrictEqual(seen, "image refused, fetch answered");
    // The viewer's own page still computes them.
    await page.bringToFront();
    await page.click("#show-max");
    await page.waitForFunction(
      () => (document.getElementById("max") as HTMLCanvasElement).width > 1,
      { timeout: 60_000 },
    );
    deepStrictEqual(await page.$eval("#status", (e) => e.textContent), "");
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await other.shutdown();
    await server.close();
  }
});
