/**
 * One session's conversion, the same whether it runs in a local run or as a task of a job
 * array: take the session's lock, compare with the manifest, write the file, record it.
 *
 * @module
 */

import { basename, dirname, join, relative } from "node:path";
import { MiniscopeSession } from "../session.ts";
import { writeNwb } from "../nwb/mod.ts";
import { fingerprintSession, sha256File } from "./fingerprint.ts";
import { lockSession } from "./lock.ts";
import { type ManifestEntry, readEntry, writeEntry } from "./manifest.ts";
import { modalities, typesOfSeries } from "./names.ts";
import { decide, type SessionTask } from "./plan.ts";

/** How a session's conversion ended, in a task's outcome and in a run's report. */
export interface ConversionResult {
  /**
   * `"converted"`, `"skipped"` (done and unchanged; in a run's report, also a folder that is no
   * session) or `"failed"`.
   */
  status: "converted" | "skipped" | "failed";
  /** Why it was converted or skipped. */
  reason: string;
  /**
   * What failed, naming the file and the problem; in a run's report, why a skipped folder is no
   * session.
   */
  error: string | null;
  /** Miniscope frames in the file. */
  frames: number | null;
  /** The recording's duration in seconds. */
  seconds: number | null;
}

/** How a session's conversion ended. */
export interface TaskOutcome extends ConversionResult {
  /** Warnings while writing. */
  warnings: string[];
}

/** What a session's conversion is given. */
export interface TaskContext {
  /** Stops the conversion; the partial file is removed. */
  signal?: AbortSignal;
  /** Called with the frames written since the last call. */
  onFrames?: (frames: number) => void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Removes files an earlier run left when it was killed before it could: `.<name>.partial-*`. */
async function removeLeftovers(output: string): Promise<void> {
  const prefix = `.${basename(output)}.partial-`;
  try {
    for await (const entry of Deno.readDir(dirname(output))) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        await Deno.remove(join(dirname(output), entry.name)).catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Removes the output an entry records, when it is still the file that was written. */
async function removeRecorded(out: string, entry: ManifestEntry): Promise<void> {
  const path = join(out, entry.output);
  const info = await Deno.stat(path).catch(() => null);
  if (info === null || info.size !== entry.size) return;
  await Deno.remove(path).catch(() => {});
  for (const file of entry.externalFiles) await Deno.remove(join(out, file)).catch(() => {});
}

/**
 * Converts one session: skips it when its manifest entry says it is done and nothing changed,
 * else writes its file (under a temporary name, renamed when complete) and records it. A
 * failure is recorded and returned, not thrown; a stop is recorded and thrown.
 *
 * @param task The session's conversion.
 * @param context The signal, and a callback for the frames written.
 * @returns How it ended.
 * @throws The signal's reason when stopped.
 */
export async function runTask(task: SessionTask, context: TaskContext = {}): Promise<TaskOutcome> {
  const { signal } = context;
  const warnings: string[] = [];
  const outcome = (
    status: TaskOutcome["status"],
    reason: string,
    error: string | null,
  ): TaskOutcome => ({
    status,
    reason,
    error,
    frames: status === "failed" ? null : task.frames,
    seconds: status === "failed" ? null : task.seconds,
    warnings,
  });
  const lock = await lockSession(task.out, task.key);
  if ("heldBy" in lock) {
    return outcome("failed", "", `${task.key} is being converted by ${lock.heldBy}`);
  }
  using _lock = lock;
  const output = join(task.out, task.output);
  let previous: ManifestEntry | null;
  let entry: ManifestEntry;
  let reason: string;
  try {
    previous = await readEntry(task.out, task.key);
    const inputs = await fingerprintSession(task.folder);
    const decision = await decide(task, previous, inputs);
    if (!decision.convert) return outcome("skipped", decision.reason, null);
    reason = decision.reason;
    entry = {
      key: task.key,
      status: "running",
      source: task.folder,
      output: task.output,
      inputs,
      options: { ...task.nwb },
      size: null,
      sha256: null,
      mtimeMs: null,
      externalFiles: [],
      frames: task.frames,
      seconds: task.seconds,
      error: null,
    };
    await Deno.mkdir(dirname(output), { recursive: true });
    await removeLeftovers(output);
    await writeEntry(task.out, entry);
  } catch (error) {
    return outcome("failed", "", message(error));
  }
  try {
    signal?.throwIfAborted();
    const session = await MiniscopeSession.open(task.folder, {
      onWarning: (m) => warnings.push(m),
    });
    const ours = previous?.output === task.output;
    const result = await writeNwb(session, output, {
      ...task.nwb,
      overwrite: ours,
      ...(signal ? { signal } : {}),
      onWarning: (m) => warnings.push(m),
      onProgress: (() => {
        let last = 0;
        return (done: number) => {
          context.onFrames?.(done - last);
          last = done;
        };
      })(),
    });
    const written = modalities(typesOfSeries(result.series.map((s) => s.type)));
    if (written !== task.modality) {
      await Deno.remove(output).catch(() => {});
      throw new Error(
        `The file holds ${written || "no modality"} where the plan had ${task.modality}: the ` +
          `session changed while it was converted; convert again`,
      );
    }
    const info = await Deno.stat(output);
    entry = {
      ...entry,
      status: "done",
      // The behaviour videos copied into <stem>/ beside the file.
      externalFiles: result.externalFiles.map((file) => relative(task.out, file)),
      size: info.size,
      sha256: await sha256File(output, signal),
      mtimeMs: info.mtime?.getTime() ?? null,
      frames: result.series.filter((s) => s.type === "OnePhotonSeries")
        .reduce((n, s) => n + s.samples, 0),
    };
    await writeEntry(task.out, entry);
    if (previous && previous.output !== task.output) await removeRecorded(task.out, previous);
    return { ...outcome("converted", reason, null), frames: entry.frames };
  } catch (error) {
    const stopped = signal?.aborted === true;
    // The subject's folder made for this file goes with it when nothing else is in it.
    await Deno.remove(dirname(output)).catch(() => {});
    await writeEntry(task.out, {
      ...entry,
      status: stopped ? "running" : "failed",
      error: stopped ? "stopped" : message(error),
    }).catch(() => {});
    if (stopped) throw signal!.reason;
    return outcome("failed", reason, message(error));
  }
}
