/**
 * `export`: frames to a NumPy `.npy` or a multi-page TIFF, with the time stamps and metadata
 * beside them. Frames are streamed to disk; every file is written under a temporary name and
 * renamed at the end, so an error or Ctrl-C never leaves a half file under the final name.
 * No output may be a file of the recording, and existing files are kept unless `overwrite`.
 *
 * @module
 */

import { basename, dirname, extname, join } from "node:path";
import type { MiniscopeImagingExtractor } from "../extractor.ts";
import { exists } from "../files.ts";
import { checkOutputs, outputError, recordingFiles } from "../outputs.ts";
import { npyFloat64, npyHeader } from "./npy.ts";
import { TiffPlan } from "./tiff.ts";
import { Progress } from "./progress.ts";
import type { InfoReport } from "./info.ts";

/** What to export. */
export interface ExportOptions {
  /** The output path of the frames. */
  out: string;
  /** `npy` or `tiff`. */
  format: "npy" | "tiff";
  /** First sample. */
  start: number;
  /** End sample, exclusive. */
  end: number;
  /** Replace files that exist. */
  overwrite: boolean;
  /** Stops the export (Ctrl-C). */
  signal: AbortSignal;
}

/** The files an export writes. */
export interface ExportedFiles {
  frames: string;
  timestamps: string;
  metadata: string;
}

/** The names of the files beside the frames: `<out without extension>.timestamps.npy` etc. */
export function exportedFiles(out: string, format: "npy" | "tiff"): ExportedFiles {
  const base = join(dirname(out), basename(out, extname(out)));
  return {
    frames: out,
    timestamps: `${base}.timestamps.${format === "npy" ? "npy" : "csv"}`,
    metadata: `${base}.metadata.json`,
  };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array, path: string): Promise<void> {
  let written = 0;
  try {
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } catch (error) {
    throw outputError(error, path);
  }
}

/**
 * Exports samples `[start, end)`.
 *
 * @param extractor The opened recording.
 * @param info Its facts, stored in the metadata file.
 * @param options Output, format, range and signal.
 * @returns The files written.
 */
export async function exportRecording(
  extractor: MiniscopeImagingExtractor,
  info: InfoReport,
  options: ExportOptions,
): Promise<ExportedFiles> {
  const { start, end, format } = options;
  const [rows, cols] = extractor.getImageShape();
  const count = end - start;
  const files = exportedFiles(options.out, format);
  const outputs = [files.frames, files.timestamps, files.metadata];
  await checkOutputs(outputs, {
    inputs: recordingFiles(extractor.getFilePaths()),
    overwrite: options.overwrite,
  });
  const suffix = `.partial-${crypto.randomUUID().slice(0, 8)}`;
  const temporary = {
    frames: files.frames + suffix,
    timestamps: files.timestamps + suffix,
    metadata: files.metadata + suffix,
  };
  const progress = new Progress("Exporting", count);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temporary.frames, { write: true, createNew: true }).catch((error) => {
      throw outputError(error, files.frames);
    });
    const tiff = format === "tiff"
      ? new TiffPlan({ width: cols, height: rows, pages: count })
      : undefined;
    await writeAll(
      file,
      tiff ? tiff.header() : npyHeader("|u1", [count, rows, cols]),
      files.frames,
    );
    let page = 0;
    for await (const frame of extractor.stream({ start, end, signal: options.signal })) {
      if (tiff) await writeAll(file, tiff.directory(page), files.frames);
      await writeAll(file, frame.data, files.frames);
      if (tiff) await writeAll(file, tiff.padding(), files.frames);
      page++;
      progress.tick();
    }
    file.close();
    file = undefined;
    const times = extractor.getTimestamps(start, end);
    await Deno.writeFile(
      temporary.timestamps,
      format === "npy" ? npyFloat64(times) : new TextEncoder().encode(
        "sample,time_s\n" + Array.from(times, (t, i) => `${start + i},${t}`).join("\n") + "\n",
      ),
    ).catch((error) => {
      throw outputError(error, files.timestamps);
    });
    await Deno.writeTextFile(
      temporary.metadata,
      JSON.stringify(
        { ...info, export: { start, end, format, shape: [count, rows, cols] } },
        null,
        2,
      ) +
        "\n",
    ).catch((error) => {
      throw outputError(error, files.metadata);
    });
    for (const key of ["frames", "timestamps", "metadata"] as const) {
      if (!options.overwrite && await exists(files[key])) {
        throw new Deno.errors.AlreadyExists(
          `"${files[key]}" appeared while the export was running; pass --overwrite to ` +
            `replace it`,
        );
      }
    }
    for (const key of ["frames", "timestamps", "metadata"] as const) {
      await Deno.rename(temporary[key], files[key]).catch((error) => {
        throw outputError(error, files[key]);
      });
    }
    return files;
  } finally {
    progress.end();
    file?.close();
    for (const path of Object.values(temporary)) await Deno.remove(path).catch(() => {});
  }
}
