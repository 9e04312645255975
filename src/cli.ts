/**
 * The command line: `info` summarises a Miniscope device folder and, with `--read`, decodes
 * every frame to check that the recording reads end to end.
 *
 * ```sh
 * deno run --allow-read=<folder> --allow-run=ffmpeg jsr:@miniscope/reader/cli info <folder>
 * ```
 *
 * Exit codes: 0 on success, 1 when the recording cannot be read (one line on stderr), 2 on
 * bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { MiniscopeImagingExtractor } from "../mod.ts";
import denoJson from "../deno.json" with { type: "json" };

const USAGE = `Usage: miniscope info [--read] [--json] <device-folder>

Summarises a Miniscope recording: files, frame count, frame shape, sampling frequency,
duration and first and last time stamps.

Options:
  --read      decode every frame and report intensity and decode speed
  --json      print one JSON object instead of text
  --help      show this help
  --version   show the version`;

/** A summary of a recording, as printed by `info`. */
interface Summary {
  folder: string;
  files: string[];
  samples: number;
  shape: [number, number];
  samplingFrequencyHz: number;
  durationSeconds: number | null;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  warnings: string[];
  meanIntensity?: number;
  maxIntensity?: number;
  decodeFramesPerSecond?: number;
}

async function info(folder: string, read: boolean): Promise<Summary> {
  const warnings: string[] = [];
  const ex = await MiniscopeImagingExtractor.open({
    folderPath: folder,
    onWarning: (message) => warnings.push(message),
  });
  const stamps = ex.getNativeTimestamps();
  const n = ex.getNumSamples();
  const summary: Summary = {
    folder,
    files: ex.getFilePaths().map((path) => path.split("/").pop()!),
    samples: n,
    shape: ex.getImageShape(),
    samplingFrequencyHz: ex.getSamplingFrequency(),
    durationSeconds: stamps && n > 1 ? stamps[n - 1]! - stamps[0]! : null,
    firstTimestamp: stamps && n > 0 ? stamps[0]! : null,
    lastTimestamp: stamps && n > 0 ? stamps[n - 1]! : null,
    warnings,
  };
  if (read) {
    const started = performance.now();
    let sum = 0;
    let max = 0;
    let frames = 0;
    for await (const frame of ex.stream()) {
      for (const value of frame.data) {
        sum += value;
        if (value > max) max = value;
      }
      frames++;
    }
    const seconds = (performance.now() - started) / 1000;
    summary.meanIntensity = frames ? sum / (frames * frameSize(summary.shape)) : 0;
    summary.maxIntensity = max;
    summary.decodeFramesPerSecond = frames / seconds;
  }
  return summary;
}

function frameSize([rows, cols]: [number, number]): number {
  return rows * cols;
}

function printText(s: Summary): void {
  const lines = [
    `Recording   ${s.folder}`,
    `Files       ${s.files.length} (${s.files.join(", ")})`,
    `Frames      ${s.samples} of ${s.shape[0]} x ${s.shape[1]} pixels (rows x cols), uint8`,
    `Frequency   ${s.samplingFrequencyHz.toFixed(3)} Hz (from timeStamps.csv)`,
  ];
  if (s.durationSeconds !== null) {
    lines.push(
      `Duration    ${s.durationSeconds.toFixed(3)} s, from ${s.firstTimestamp!.toFixed(3)} s ` +
        `to ${s.lastTimestamp!.toFixed(3)} s`,
    );
  }
  if (s.meanIntensity !== undefined) {
    lines.push(
      `Pixels      mean ${s.meanIntensity.toFixed(2)}, max ${s.maxIntensity}; all ${s.samples} ` +
        `frames decoded at ${s.decodeFramesPerSecond!.toFixed(0)} frames/s`,
    );
  }
  for (const warning of s.warnings) lines.push(`Warning     ${warning}`);
  console.log(lines.join("\n"));
}

/**
 * Runs the command line with the given arguments.
 *
 * @param args The arguments, without the program name.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        read: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(denoJson.version);
    return 0;
  }
  const [command, folder, ...rest] = positionals;
  if (command !== "info" || folder === undefined || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const summary = await info(folder, values.read);
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else printText(summary);
    return 0;
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
