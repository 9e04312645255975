/**
 * `preview`: pictures of a recording: the mean and max projections as PNG (contrast stretched)
 * and the frame intervals over time as SVG, with dropped frames marked.
 *
 * @module
 */

import { join } from "node:path";
import { encode } from "fast-png";
import type { MiniscopeImagingExtractor } from "../extractor.ts";
import type { DroppedFrames } from "../analysis/dropped_frames.ts";
import { projectRecording } from "../analysis/projections.ts";
import { outputError } from "../outputs.ts";
import { Progress } from "./progress.ts";

/** What `preview` computed and wrote. */
export interface PreviewResult {
  /** Paths of the files written. */
  files: string[];
  /** Share of all pixels of all frames at 255. */
  saturatedShare: number;
  /** Mean intensity over all pixels of all frames. */
  meanIntensity: number;
}

/** Maps values between the 0.5th and 99.5th percentiles (of all channels) onto 0 to 255. */
function stretch(values: Float64Array | Uint8Array): Uint8Array {
  const sorted = Float64Array.from(values).sort();
  const low = sorted[Math.floor(sorted.length * 0.005)] ?? 0;
  const high = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.995))] ?? 255;
  const span = high > low ? high - low : 1;
  return Uint8Array.from(
    values,
    (v) => Math.max(0, Math.min(255, Math.round(((v - low) / span) * 255))),
  );
}

/** The frame intervals over time as an SVG line chart, dropped frames marked in red. */
export function intervalsSvg(times: Float64Array, dropped: DroppedFrames | null): string {
  const W = 900, H = 320, left = 60, right = 20, top = 30, bottom = 45;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 1; i < times.length; i++) {
    xs.push(times[i]!);
    ys.push((times[i]! - times[i - 1]!) * 1000);
  }
  const x0 = times[0] ?? 0, x1 = times.at(-1) ?? 1;
  const yMax = Math.max(1, ...ys) * 1.1;
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (W - left - right);
  const py = (y: number) => H - bottom - (y / yMax) * (H - top - bottom);
  const points = xs.map((x, i) => `${px(x).toFixed(1)},${py(ys[i]!).toFixed(1)}`).join(" ");
  const marks = (dropped?.gaps ?? []).map((gap) => {
    const x = px(times[gap.afterSample + 1]!);
    const y = py(gap.intervalMs!);
    return `<circle cx="${x.toFixed(1)}" cy="${
      y.toFixed(1)
    }" r="5" fill="none" stroke="#d62728" stroke-width="2"><title>${gap.missing} dropped after sample ${gap.afterSample}</title></circle>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = yMax * f;
    return `<line x1="${left}" x2="${W - right}" y1="${py(y).toFixed(1)}" y2="${
      py(y).toFixed(1)
    }" stroke="#eee"/><text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${
      y.toFixed(0)
    }</text>`;
  });
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = x0 + (x1 - x0) * f;
    return `<text x="${px(x).toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle">${
      x.toFixed(1)
    }</text>`;
  });
  const title = `Frame intervals (${dropped?.count ?? 0} dropped frames marked)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>
${ticks.join("\n")}
${xTicks.join("\n")}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">time (s)</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${
    H / 2
  })">interval (ms)</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="${points}"/>
${marks.join("\n")}
</svg>
`;
}

/**
 * Streams every frame once and writes `mean.png`, `max.png` and `intervals.svg` into `outDir`.
 * A recording opened as `rgb24` (a behaviour camera) gives RGB pictures, each channel
 * stretched by the same limits, taken over all three.
 *
 * @param extractor The recording.
 * @param outDir Existing or new folder for the pictures.
 * @param signal Stops the work.
 * @returns The files and the pixel statistics.
 */
export async function writePreview(
  extractor: MiniscopeImagingExtractor,
  outDir: string,
  signal?: AbortSignal,
): Promise<PreviewResult> {
  const existing = await Deno.stat(outDir).catch(() => null);
  if (existing && !existing.isDirectory) {
    throw new Deno.errors.NotADirectory(
      `Cannot write into "${outDir}": it is a file, not a folder`,
    );
  }
  await Deno.mkdir(outDir, { recursive: true }).catch((error) => {
    throw outputError(error, outDir);
  });
  const [rows, cols] = extractor.getImageShape();
  const progress = new Progress("Previewing", extractor.getNumSamples());
  let projections;
  try {
    projections = await projectRecording(extractor, { signal, onFrame: () => progress.tick() });
  } finally {
    progress.end();
  }
  const { frames, channels, mean, max } = projections;
  const files = [join(outDir, "mean.png"), join(outDir, "max.png"), join(outDir, "intervals.svg")];
  const png = (path: string, data: Uint8Array) =>
    Deno.writeFile(path, encode({ width: cols, height: rows, data, channels, depth: 8 }));
  await png(files[0]!, stretch(mean));
  await png(files[1]!, stretch(max));
  await Deno.writeTextFile(
    files[2]!,
    intervalsSvg(extractor.getTimestamps(), extractor.getDroppedFrames()),
  );
  const values = frames * mean.length;
  return {
    files,
    saturatedShare: values ? projections.saturated / values : 0,
    meanIntensity: values ? projections.total / values : 0,
  };
}
