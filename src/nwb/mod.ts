/**
 * Writes Miniscope recordings as NWB 2.6.0 files (Neurodata Without Borders) that pynwb,
 * MatNWB and the DANDI archive read: a `OnePhotonSeries` per Miniscope with its device (the
 * `Miniscope` type of the ndx-miniscope extension, as neuroconv writes it, whose specification
 * the file carries), `ImagingPlane` and `OpticalChannel`, head orientation as a `TimeSeries`,
 * the notes as an `AnnotationSeries`, and behaviour cameras as `ImageSeries` of their video
 * files, linked or copied beside the file.
 *
 * It also reads the imaging series of NWB files, whoever wrote them ({@linkcode NwbImagingFile}):
 * their frames exactly, rows by columns as recorded, with their time stamps.
 *
 * HDF5 is written by h5wasm (the HDF5 C library compiled to WebAssembly) straight to disk.
 * Frames stream from the recording into the file, so memory stays bounded. A script needs
 * `--allow-read=<recording>,<output folder> --allow-write=<output folder> --allow-run=ffmpeg`
 * and nothing more.
 *
 * @example Convert the bundled sample session
 * ```ts
 * import { MiniscopeSession } from "@miniscope/reader";
 * import { writeNwb } from "@miniscope/reader/nwb";
 *
 * const session = await MiniscopeSession.open("testdata/sample_session");
 * const folder = await Deno.makeTempDir();
 * const result = await writeNwb(session, `${folder}/session.nwb`, {
 *   subjectId: "mouse1",
 *   species: "Mus musculus",
 *   sex: "F",
 *   age: "P90D",
 *   indicator: "GCaMP6f",
 *   location: "CA1",
 * });
 * console.log(result.sessionStartTime, result.device.type, result.series.map((s) => s.path));
 * await Deno.remove(folder, { recursive: true });
 * ```
 *
 * @module
 */

import { StartTimeUnknownError, warnOnConsole } from "../errors.ts";
import { basename, dirname, extname, join, resolve } from "node:path";
import { exists } from "../files.ts";
import { checkOutputs, outputError, recordingFiles } from "../outputs.ts";
import { writeSeriesFrames } from "./frames.ts";
import {
  checkCopyFolder,
  removeCopies,
  removeStaleCopies,
  writeCopies,
  type WrittenCopies,
} from "./external_files.ts";
import { fileFields } from "./file_fields.ts";
import { layOutFile } from "./layout.ts";
import { MINISCOPE_TYPE } from "./miniscope_device.ts";
import { NwbFileWriter } from "./writer.ts";
import { checkOptions, type NwbOptions, type NwbResult } from "./options.ts";
import { type ExportPlan, type NwbSource, planExport } from "./plan.ts";
import { checkIsoWithOffset, nowUtc, startTimeWithOffset } from "./start_time.ts";

export type { NwbOptions, NwbResult, NwbSeries } from "./options.ts";
export type { NwbSource } from "./plan.ts";
export {
  type NwbDtype,
  type NwbFrame,
  type NwbFrames,
  type NwbHeadOrientation,
  NwbImagingFile,
  NwbImagingSeries,
  type NwbNote,
  type NwbOpenOptions,
  type NwbPixels,
  type NwbSeriesInfo,
  type NwbSeriesOptions,
  type NwbSkippedSeries,
  type NwbStreamOptions,
  type NwbTiming,
} from "./read/reader.ts";

/** Every file an export of the plan reads. */
function planInputs(plan: ExportPlan): string[] {
  return recordingFiles([
    ...plan.scopes.flatMap((scope) => scope.extractor.getFilePaths()),
    ...plan.cameras.flatMap((camera) => camera.files),
  ]);
}

function sessionStart(plan: ExportPlan, options: NwbOptions, warn: (m: string) => void): string {
  if (options.sessionStartTime !== undefined) return checkIsoWithOffset(options.sessionStartTime);
  if (plan.startTime === null) {
    throw new StartTimeUnknownError(
      `Cannot tell when the session started: ${plan.startTimeProblem}; pass sessionStartTime ` +
        `(--session-start-time)`,
    );
  }
  return startTimeWithOffset(plan.startTime.time, options.timezone, plan.startTime.where, warn);
}

/**
 * Writes a recording, several recordings of a device, or a whole session as an NWB file.
 *
 * The file appears under `path` only when complete: it is written under a temporary name in
 * the same folder and renamed at the end; an error or an abort removes it, and the video
 * copies of `behaviorVideos: "copy"` with it. It may not be, even with `overwrite`, a file the
 * export reads (or one a later read would take for the recording's own, such as a new `.avi`
 * beside its videos), by any path, and neither may its copies. A side file that cannot be read
 * (`headOrientation.csv`, `notes.csv`, a device `metaData.json`) is left out with a warning
 * naming it.
 *
 * - Each Miniscope becomes a `Miniscope` device of the ndx-miniscope extension (its settings
 *   from `metaData.json` as the extension's attributes and `ROI`, all of them in the
 *   description), an `ImagingPlane` with an `OpticalChannel`, and a `OnePhotonSeries` in
 *   `/acquisition`:
 *   `uint8` frames in NWB's `(frames, width, height)` order, one frame per chunk, gzip level 4
 *   by default, with the time stamps of `timeStamps.csv` in seconds (or `starting_time` and
 *   `rate` for a recording without them) and the dropped frames in its `comments`. With one
 *   Miniscope the names are `OnePhotonSeries` and `ImagingPlane`; with several, the device
 *   folder name is added (`OnePhotonSeries_HPC_miniscope1`).
 * - `headOrientation.csv` becomes a `TimeSeries` (`HeadOrientation`) of quaternions
 *   `(qw, qx, qy, qz)`, `notes.csv` an `AnnotationSeries` (`notes`), and each behaviour camera
 *   of a session an `ImageSeries` named after its folder, with a core `Device`, that points at
 *   its videos (paths relative to the NWB file, which must stay beside them, or, with
 *   `behaviorVideos: "copy"`, at copies in `<stem>/` beside it) with their time stamps.
 * - The session start time carries its UTC offset, from `recordingStartTime` in the session
 *   `metaData.json` (local calendar fields against `msecSinceEpoch`), else from `timezone`.
 * - `session_id` is the local start time (`20220919T091841`) unless given, `experimenter`
 *   and `experiment_description` come from `researcherName` and `experimentName`, the subject
 *   from the options (`subject_id` defaults to `animalName`); what is unknown is left out.
 *   With species, sex, age or date of birth, and a subject id, nwbinspector's `dandi`
 *   configuration finds nothing critical.
 * - The ndx-miniscope specification is cached under `/specifications`, not the NWB core
 *   schema it builds on: pynwb reads the device as `Miniscope` (`load_namespaces=True`) with
 *   its own core. pynwb 2's validator in its cached-namespace mode, which `dandi validate`
 *   runs, needs core in the file and stops with `Could not load namespace 'core'`.
 *
 * @param source A recording (slices included), several recordings of a device, or a session.
 * @param path The `.nwb` file to write.
 * @param options Metadata, compression, range and signal.
 * @returns The file, its identifier and start time, the series in it, the files written beside
 *   it and the device type.
 * @throws {TypeError} For wrong options or source, or a `path` that is a file of the
 *   recording (naming both), or whose video copies would be read as the recording's.
 * @throws {RangeError} For options out of range, such as `end` past the samples.
 * @throws {Deno.errors.AlreadyExists} When `path` exists and `overwrite` is not set.
 * @throws {Deno.errors.NotFound} When the folder of `path` does not exist;
 *   {@linkcode Deno.errors.NotADirectory} or {@linkcode Deno.errors.IsADirectory} when it is a
 *   file or `path` is a folder (`NotADirectory` too when the copies' folder `<stem>` is a
 *   file); `Cannot write "<path>": <cause>` when the file cannot be
 *   created or written (HDF5's report is not printed); `Cannot copy "<video>" to "<copy>":
 *   <cause>`, with the file system's error class, when a video cannot be copied.
 * @throws {StartTimeUnknownError} When the session start time or its UTC offset cannot be
 *   told, naming what to pass.
 * @throws {Error} The reader's errors when a recording is malformed; the signal's reason on
 *   abort.
 */
export async function writeNwb(
  source: NwbSource,
  path: string,
  options: NwbOptions = {},
): Promise<NwbResult> {
  checkOptions(options);
  if (options.behaviorVideos === "copy" && extname(path) === "") {
    // The copies' folder is the file's name without its extension: it needs one.
    throw new TypeError(
      `behaviorVideos "copy" needs an output path with an extension, such as ` +
        `"${path}.nwb", got "${path}"`,
    );
  }
  const warn = options.onWarning ?? warnOnConsole;
  options.signal?.throwIfAborted();
  const overwrite = options.overwrite ?? false;
  await checkOutputs([path], { inputs: [], overwrite });
  const plan = await planExport(source, options.start, options.end, warn);
  await checkOutputs([path], { inputs: planInputs(plan), overwrite });
  const startTime = sessionStart(plan, options, warn);
  const identifier = options.identifier ?? crypto.randomUUID();
  const fields = fileFields(plan, options, {
    identifier,
    sessionStartTime: startTime,
    fileCreateDate: nowUtc(),
  });
  const total = plan.scopes.reduce((n, s) => n + s.extractor.getNumSamples(), 0);
  const outFolder = dirname(path);

  const { layout, series, copies } = await layOutFile(plan, { fields, path, options });
  if (copies.length > 0) {
    await checkCopyFolder(path, [
      ...plan.scopes.flatMap((scope) => scope.extractor.getFilePaths()),
      ...plan.cameras.flatMap((camera) => camera.files),
    ]);
  }
  options.signal?.throwIfAborted();
  const temporary = join(
    outFolder,
    `.${basename(path)}.partial-${crypto.randomUUID().slice(0, 8)}`,
  );
  const writer = new NwbFileWriter();
  const stop = () => writer.terminate();
  options.signal?.addEventListener("abort", stop, { once: true });
  let renamed = false;
  let created = false;
  let written: WrittenCopies = { files: [], madeFolder: null };
  try {
    // Created here first, so that a folder that cannot be written is told in Deno's words,
    // before HDF5 opens it.
    await Deno.open(temporary, { write: true, createNew: true }).then(
      (file) => file.close(),
      (error) => {
        throw outputError(error, path);
      },
    );
    created = true;
    await writer.open(temporary, layout, path);
    let done = 0;
    for (const [index, scope] of plan.scopes.entries()) {
      const written = await writeSeriesFrames(
        scope.extractor,
        writer,
        index,
        options.signal,
        (n) => {
          done += n;
          options.onProgress?.(done, total);
        },
      );
      const samples = scope.extractor.getNumSamples();
      if (written !== samples) {
        throw new Error(`Wrote ${written} frames of "${scope.device}" instead of ${samples}`);
      }
    }
    await writer.close();
    options.signal?.throwIfAborted();
    written = await writeCopies(copies, options.signal);
    options.signal?.throwIfAborted();
    if (!options.overwrite && await exists(path)) {
      throw new Deno.errors.AlreadyExists(
        `"${path}" appeared while it was being written; pass overwrite (--overwrite) to replace it`,
      );
    }
    await Deno.rename(temporary, path).catch((error) => {
      throw outputError(error, path);
    });
    renamed = true;
    if (options.overwrite) {
      await removeStaleCopies(path, written.files).catch((error) =>
        warn(`an earlier export's video copies beside "${path}" were not all removed: ${error}`)
      );
    }
    return {
      path,
      identifier,
      sessionStartTime: startTime,
      series,
      externalFiles: written.files.map((file) => resolve(file)),
      device: { type: plan.scopes.length > 0 ? MINISCOPE_TYPE : "Device" },
    };
  } catch (error) {
    // Stopping the writer on abort fails what waits on it: report the abort instead.
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", stop);
    writer.terminate();
    if (created && !renamed) await Deno.remove(temporary).catch(() => {});
    if (!renamed) await removeCopies(written);
  }
}
