/**
 * The command line: inspect, check and convert a Miniscope recording.
 *
 * ```sh
 * deno run --allow-read=<folder> --allow-run=ffmpeg jsr:@miniscope/reader/cli info <folder>
 * ```
 *
 * Commands: `info`, `export`, `preview`, `view`, `convert`, `demo`. Exit codes: 0 on success,
 * 1 when the recording cannot be read or written (one line on stderr), 2 on bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { formatInfo, gatherInfo } from "./cli/info.ts";
import { exportRecording } from "./cli/export.ts";
import { CONVERT_HELP, runConvert } from "./cli/convert.ts";
import { writePreview } from "./cli/preview.ts";
import { withInterrupt } from "./cli/signals.ts";
import { exportNwb, NWB_ARGS, NWB_HELP, nwbOptionsFromArgs } from "./cli/nwb_export.ts";
import { openBrowser, startView } from "./view/server.ts";
import { writeSampleSession } from "./sample.ts";

const USAGE = `miniscope ${denoJson.version}: inspect, check and convert Miniscope recordings

Usage:
  miniscope info <device-folder> [--json]
  miniscope export <device-folder> --out <path> [--format npy|tiff] [--start N] [--end N]
  miniscope export <device-or-session-folder> --out <file.nwb> [NWB options]
  miniscope preview <device-folder> --out <dir>
  miniscope view <device-or-session-folder | file.nwb> [--port N] [--open]
  miniscope convert <root> --out <folder> [--subjects <table>] [--jobs N] [--plan] [--json]
                    [--slurm <folder>]
  miniscope demo

Run "miniscope <command> --help" for a command's options.`;

const HELP: Record<string, string> = {
  info: `Usage: miniscope info <device-folder> [--json]

Files, frame counts (videos and timeStamps.csv, frames lost from a file cut short), frame
shape, sampling frequency, duration, first and last time stamp, dropped frames, where the clock
steps back, device settings, the session start time and warnings.

  --json               print one JSON object with stable keys
  --scope-cam-num N    the camNum of the Miniscope in timestamp.dat (software before 2020),
                       when the row counts cannot tell the cameras apart
  --help               show this help

Permissions: --allow-read=<session folder> (the device folder alone is enough; the session
start time is then left out with a note)`,
  export:
    `Usage: miniscope export <folder> --out <path> [--format npy|tiff|nwb] [--start N] [--end N]

Writes the frames as a NumPy .npy (uint8, shape [t, rows, cols]) or a multi-page 8-bit TIFF
(BigTIFF past 4 GiB), the time stamps beside it (<name>.timestamps.npy, or .csv for TIFF) and
the metadata (<name>.metadata.json). Files appear under their names only when complete;
existing files are kept unless --overwrite is given.

  --out PATH      the frames file (required)
  --format F      npy, tiff or nwb (default: from the extension of --out, else npy)
  --start N       first sample (default 0)
  --end N         end sample, exclusive (default: all)
  --overwrite     replace files that exist (never a file of the recording)
  --scope-cam-num N
                  the camNum of the Miniscope in timestamp.dat (software before 2020), when
                  the row counts cannot tell the cameras apart
  --help          show this help

${NWB_HELP}

Permissions: --allow-read=<session folder>,<output folder> --allow-run=ffmpeg
--allow-write=<output folder> (reading the output folder lets the finished files be renamed
into place)`,
  preview: `Usage: miniscope preview <device-folder> --out <dir>

Writes mean.png and max.png (projections, contrast stretched) and intervals.svg (frame
intervals over time, dropped frames marked), and prints the saturated-pixel share.

  --out DIR   folder for the pictures (required)
  --scope-cam-num N
              the camNum of the Miniscope in timestamp.dat (software before 2020), when the
              row counts cannot tell the cameras apart
  --help      show this help

Permissions: --allow-read=<session folder> --allow-run=ffmpeg --allow-write=<dir>`,
  view: `Usage: miniscope view <device-or-session-folder | file.nwb> [--port N] [--open]

Serves a page to scrub, play and inspect the recording on 127.0.0.1 and prints its address
with an access token. For a session folder, every device is listed and a behaviour camera is
shown beside the Miniscope. For an NWB file, every imaging series it stores is listed (each
plane of a 4D one) and the first is shown. Ctrl-C stops the server and every decoder.

  --port N   the port (default 0: a free one)
  --open     open the page in the default browser
  --series PATH
             the series of an NWB file to show first, such as /acquisition/TwoPhotonSeries
  --scope-cam-num N
             the camNum of the Miniscope in timestamp.dat (software before 2020), when the
             row counts cannot tell the cameras apart
  --help     show this help

Permissions: --allow-read=<folder> --allow-run=ffmpeg --allow-net=127.0.0.1 (with --open, also
--allow-run for xdg-open, open or cmd); an NWB file needs only --allow-read=<its folder>
--allow-net=127.0.0.1`,
  convert: CONVERT_HELP,
  demo: `Usage: miniscope demo

Writes a small sample session with ffmpeg into a new temporary folder, then runs info and
preview on it.

Permissions: --allow-read --allow-write --allow-run=ffmpeg`,
};

class UsageError extends Error {}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  }
  return Number(value);
}

function parse(command: string, args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      out: { type: "string" },
      format: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      ...NWB_ARGS,
      port: { type: "string" },
      open: { type: "boolean", default: false },
      series: { type: "string" },
      "scope-cam-num": { type: "string" },
    },
  });
  const allowed: Record<string, string[]> = {
    info: ["json", "help", "scope-cam-num"],
    export: ["out", "format", "start", "end", "help", "scope-cam-num", ...Object.keys(NWB_ARGS)],
    preview: ["out", "help", "scope-cam-num"],
    view: ["port", "open", "series", "help", "scope-cam-num"],
    demo: ["help"],
  };
  for (const key of Object.keys(values)) {
    const value = values[key as keyof typeof values];
    if (value !== undefined && value !== false && !allowed[command]!.includes(key)) {
      throw new UsageError(`${command} has no option --${key}`);
    }
  }
  return { values, positionals };
}

async function run(command: string, args: string[]): Promise<number> {
  if (command === "convert") return await runConvert(args);
  const { values, positionals } = parse(command, args);
  if (values.help) {
    console.log(HELP[command]);
    return 0;
  }
  if (command === "demo") {
    if (positionals.length > 0) throw new UsageError("demo takes no arguments");
    const root = await Deno.makeTempDir({ prefix: "miniscope_demo_" });
    console.log(`Writing a sample session with ffmpeg to ${root}\n`);
    const device = await writeSampleSession(join(root, "2022_09_19", "09_18_41"));
    const { info, extractor } = await gatherInfo(device);
    console.log(formatInfo(info));
    const preview = await withInterrupt((signal) =>
      writePreview(extractor, join(root, "preview"), signal)
    );
    console.log(`Saturated    ${(preview.saturatedShare * 100).toFixed(3)} % of pixels`);
    console.log(`\nPreview files:\n${preview.files.map((f) => `  ${f}`).join("\n")}`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`${command} takes one device folder, got ${positionals.length} arguments`);
  }
  const folder = positionals[0]!;
  const scopeCamNum = integer(values["scope-cam-num"], "scope-cam-num");
  const opening = scopeCamNum === undefined ? {} : { scopeCamNum };
  if (command === "info") {
    const { info } = await gatherInfo(folder, { ...opening, colour: true });
    console.log(values.json ? JSON.stringify(info, null, 2) : formatInfo(info));
    return 0;
  }
  if (command === "view") {
    const port = integer(values.port, "port") ?? 0;
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
    await withInterrupt(async (signal) => {
      const server = await startView({ folder, port, signal, ...opening });
      let url = server.url;
      if (values.series !== undefined) {
        const devices = server.source.devices;
        const chosen = devices.findIndex((d) => d.series?.path === values.series);
        if (chosen < 0) {
          await server.close();
          const paths = [...new Set(devices.map((d) => d.series?.path).filter((p) => p))];
          throw paths.length === 0
            ? new UsageError("--series applies to NWB files only")
            : new Error(
              `"${folder}" has no imaging series "${values.series}" to show; it has ` +
                paths.map((p) => `"${p}"`).join(", "),
            );
        }
        // The page shows the device its address names.
        url += `&device=${chosen}`;
      }
      console.log(`Viewing ${folder}\nOpen ${url}\nPress Ctrl-C to stop`);
      if (values.open) await openBrowser(url);
      await server.finished;
    });
    return 0;
  }
  if (values.out === undefined) throw new UsageError(`${command} needs --out`);
  if (command === "preview") {
    const { extractor } = await gatherInfo(folder, { ...opening, colour: true });
    const preview = await withInterrupt((signal) => writePreview(extractor, values.out!, signal));
    console.log(
      `Mean intensity ${preview.meanIntensity.toFixed(2)}; saturated ` +
        `${(preview.saturatedShare * 100).toFixed(3)} % of pixels`,
    );
    for (const file of preview.files) console.log(`Wrote ${file}`);
    return 0;
  }
  // export
  const format = values.format ??
    (/\.tiff?$/i.test(values.out) ? "tiff" : /\.nwb$/i.test(values.out) ? "nwb" : "npy");
  if (format !== "npy" && format !== "tiff" && format !== "nwb") {
    throw new UsageError(`--format must be npy, tiff or nwb, got "${format}"`);
  }
  if (format === "nwb") {
    let options;
    try {
      options = nwbOptionsFromArgs(values);
      const start = integer(values.start, "start");
      const end = integer(values.end, "end");
      if (start !== undefined) options.start = start;
      if (end !== undefined) options.end = end;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const result = await withInterrupt((signal) =>
      exportNwb(folder, values.out!, { ...options, signal }, opening)
    );
    for (const series of result.series) {
      console.log(`Wrote ${series.path} (${series.type}, ${series.samples} samples)`);
    }
    for (const file of result.externalFiles) console.log(`Wrote ${file}`);
    console.log(`Wrote ${result.path}`);
    return 0;
  }
  const nwbOnly = Object.keys(NWB_ARGS).find((key) =>
    key !== "overwrite" && values[key as keyof typeof values]
  );
  if (nwbOnly) throw new UsageError(`--${nwbOnly} applies to NWB export only`);
  const { info, extractor } = await gatherInfo(folder, opening);
  const start = integer(values.start, "start") ?? 0;
  const end = integer(values.end, "end") ?? extractor.getNumSamples();
  if (start > end || end > extractor.getNumSamples()) {
    throw new UsageError(
      `--start ${start} --end ${end} is not a range of the ${extractor.getNumSamples()} samples`,
    );
  }
  const files = await withInterrupt((signal) =>
    exportRecording(extractor, info, {
      out: values.out!,
      format,
      start,
      end,
      overwrite: values.overwrite === true,
      signal,
    })
  );
  console.log(`Wrote ${end - start} frames to ${files.frames}`);
  console.log(`Wrote ${files.timestamps}\nWrote ${files.metadata}`);
  return 0;
}

/**
 * Runs the command line with the given arguments.
 *
 * @param args The arguments, without the program name.
 * @returns The exit code: 0 success, 1 error, 2 bad usage.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--version" || command === "-V") {
    console.log(denoJson.version);
    return 0;
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(command in HELP)) {
    console.error(`Unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(command, rest);
  } catch (error) {
    if (
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`${(error as Error).message}\n\n${HELP[command]}`);
      return 2;
    }
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
