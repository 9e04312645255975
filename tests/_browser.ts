/**
 * A headless Chromium driven by puppeteer-core, for the viewer's browser tests and its latency
 * measurement. The browser is Debian's `chromium` (or `$CHROMIUM`); nothing is downloaded.
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** The Chromium executable: `$CHROMIUM`, else `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
}

/** A browser with a fresh profile; `close()` ends it and removes the profile. */
export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts headless Chromium with a new temporary profile, talking over a pipe. */
export async function launchBrowser(): Promise<TestBrowser> {
  const executable = chromiumPath();
  if (!(await Deno.stat(executable).then((info) => info.isFile, () => false))) {
    throw new Deno.errors.NotFound(
      `Chromium not found at "${executable}": install Debian's chromium or set CHROMIUM`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "miniscope_chromium_" });
  try {
    const browser = await puppeteer.launch({
      executablePath: executable,
      pipe: true,
      userDataDir: profile,
      defaultViewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
      ],
    });
    return {
      browser,
      async close() {
        try {
          await browser.close();
        } finally {
          await Deno.remove(profile, { recursive: true });
        }
      },
    };
  } catch (error) {
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
}

/** Console errors, uncaught exceptions and failed requests of a page, as they happen. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("requestfailed", (request) => {
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return problems;
}

/**
 * Opens the viewer's address in a new page of `browser`, watching for problems from the start,
 * and waits for frame 0.
 *
 * @returns The page and its problems so far (the list grows as they happen).
 */
export async function openViewer(
  browser: TestBrowser,
  url: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.browser.newPage();
  const problems = collectProblems(page);
  await page.goto(url, { waitUntil: "load" });
  await waitForFrame(page, 0);
  return { page, problems };
}

/** Waits until the page shows frame `index` (its `#frame-index` reads it). */
export async function waitForFrame(page: Page, index: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (k: number) => document.getElementById("frame-index")?.textContent === String(k),
    { timeout, polling: "raf" },
    index,
  );
}

/** The RGB bytes (alpha dropped) of a canvas. */
export async function canvasRgb(page: Page, id: string): Promise<Uint8Array> {
  const values = await page.evaluate((canvasId: string) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const rgba = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) rgb.push(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
    return rgb;
  }, id);
  return Uint8Array.from(values);
}

/** The red channel of a canvas of the page, after checking that it is gray (R = G = B). */
export async function canvasGray(page: Page, id: string): Promise<Uint8Array> {
  const values = await page.evaluate((canvasId: string) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const rgba = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const gray: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2] || rgba[i + 3] !== 255) return null;
      gray.push(rgba[i]!);
    }
    return gray;
  }, id);
  if (values === null) throw new Error(`Canvas #${id} is not gray`);
  return Uint8Array.from(values);
}
