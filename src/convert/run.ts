/**
 * A conversion of a dataset on this machine: the plan, then its sessions, several at once, each
 * converted or failed on its own, with the progress and a report.
 *
 * @module
 */

import { type DatasetPlan, planDataset, type PlanOptions } from "./plan.ts";
import { checkDatasetPlaces } from "./places.ts";
import { lockOutput } from "./lock.ts";
import type { SubjectLabel } from "./names.ts";
import { type ConversionResult, runTask } from "./task.ts";

/** Progress of a conversion. */
export interface ConvertProgress {
  /** Sessions ended (converted, skipped or failed). */
  sessionsDone: number;
  /** Sessions in all. */
  sessionsTotal: number;
  /** Frames written. */
  framesDone: number;
  /** Frames of the sessions to convert. */
  framesTotal: number;
}

/** Options of {@linkcode convertDataset}. */
export interface ConvertOptions extends PlanOptions {
  /**
   * Sessions converted at once. Default: the number of cores (each session's file is
   * compressed by one thread while ffmpeg decodes beside it).
   */
  jobs?: number;
  /** Called as sessions end and frames are written. */
  onProgress?: (progress: ConvertProgress) => void;
}

/** How a folder of the dataset fared. */
export interface SessionReport extends ConversionResult {
  /** The folder. */
  folder: string;
  /** The subject label, when known. */
  subject: string | null;
  /** The session label `YYYYMMDDTHHMMSS`, when known. */
  session: string | null;
  /** The output file, when known. */
  output: string | null;
  /** Dropped frames found in the Miniscope time stamps. */
  droppedFrames: number | null;
  /** Warnings about the session's files. */
  problems: string[];
}

/** What a conversion did. */
export interface ConvertReport {
  /** Every session and every folder passed over, in path order. */
  sessions: SessionReport[];
  /** The animal names whose subject label differs from the name. */
  subjectLabels: SubjectLabel[];
  /** Peak resident memory of this process during the conversion, in bytes (ffmpeg not counted). */
  peakRssBytes: number;
  /** How long it took, in seconds. */
  elapsedSeconds: number;
}

/** The default of `jobs`. */
export function defaultJobs(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** Samples this process's resident memory until stopped; returns the peak. */
export function watchMemory(): () => number {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 100);
  Deno.unrefTimer(timer);
  return () => {
    clearInterval(timer);
    return Math.max(peak, Deno.memoryUsage().rss);
  };
}

/**
 * The report of a plan: what would happen to each folder, as a conversion reports it
 * (`"converted"` for a session that would be converted, `"failed"` for one refused).
 *
 * @param plan The plan.
 * @returns One report per folder.
 */
export function planReport(plan: DatasetPlan): SessionReport[] {
  return plan.sessions.map((s) => ({
    folder: s.folder,
    subject: s.subject,
    session: s.session,
    output: s.output,
    status: s.action === "convert" ? "converted" : s.action === "skip" ? "skipped" : "failed",
    reason: s.action === "refuse" ? "" : s.reason,
    error: s.action === "convert" || (s.action === "skip" && s.task) ? null : s.reason,
    frames: s.frames,
    seconds: s.seconds,
    droppedFrames: s.droppedFrames,
    problems: s.problems,
  }));
}

function checkJobs(jobs: number | undefined): number {
  if (jobs === undefined) return defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new RangeError(`jobs must be a whole number of at least 1, got ${jobs}`);
  }
  return jobs;
}

/**
 * Converts every session of a dataset into a DANDI-ready folder:
 * `<out>/sub-<subject>/sub-<subject>_ses-<session>_<modalities>.nwb`, the subject of each
 * file from the subjects table. Sessions are converted `jobs` at once; each converts or fails
 * on its own. The output folder keeps a manifest: a new run skips what is done and unchanged,
 * converts again what changed, retries what failed and touches nothing else. A second run on
 * the same output folder while one runs is refused.
 *
 * @example Convert the bundled sample session
 * ```ts
 * import { convertDataset } from "@miniscope/reader/convert";
 *
 * const subjects = await Deno.makeTempFile({ suffix: ".tsv" });
 * await Deno.writeTextFile(subjects, "subject_id\tspecies\tsex\tage\nmouse1\tMus musculus\tF\tP90D\n");
 * const out = await Deno.makeTempDir();
 * const report = await convertDataset({ root: "testdata/sample_session", out, subjects, jobs: 1 });
 * for (const s of report.sessions) console.log(s.status, s.output, s.frames, s.error);
 * await Deno.remove(out, { recursive: true });
 * await Deno.remove(subjects);
 * ```
 *
 * @param options The dataset folder, the output folder, the subjects table, the options of
 *   every file, `jobs`, a signal and a progress callback.
 * @returns What happened to each folder, the subject labels that differ from the animal
 *   names, the peak memory and the time taken.
 * @throws {Error} When another conversion is writing the output folder, or the subjects table
 *   cannot be read; the signal's reason when stopped (files being written are removed).
 * @throws {RangeError} When `jobs` is not a whole number of at least 1.
 */
export async function convertDataset(options: ConvertOptions): Promise<ConvertReport> {
  const jobs = checkJobs(options.jobs);
  const started = performance.now();
  const peak = watchMemory();
  try {
    const { sessions, subjectLabels } = await convertLocked(options, jobs);
    return {
      sessions,
      subjectLabels,
      peakRssBytes: peak(),
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    peak();
  }
}

async function convertLocked(
  options: ConvertOptions,
  jobs: number,
): Promise<Pick<ConvertReport, "sessions" | "subjectLabels">> {
  // Nothing is made before what the run is given is checked.
  await checkDatasetPlaces(options);
  await Deno.mkdir(options.out, { recursive: true });
  using _lock = await lockOutput(options.out, "exclusive");
  const plan = await planDataset(options);
  const reports = planReport(plan);
  const progress: ConvertProgress = {
    sessionsDone: 0,
    sessionsTotal: plan.sessions.length,
    framesDone: 0,
    framesTotal: plan.sessions.reduce((n, s) => n + (s.action === "convert" ? s.frames! : 0), 0),
  };
  const tell = () => options.onProgress?.({ ...progress });
  const queue: number[] = [];
  plan.sessions.forEach((s, i) => {
    if (s.task) queue.push(i);
    else progress.sessionsDone++;
  });
  tell();
  const { signal } = options;
  const worker = async () => {
    while (queue.length > 0 && !signal?.aborted) {
      const index = queue.shift()!;
      const planned = plan.sessions[index]!;
      let written = 0;
      const outcome = await runTask(planned.task!, {
        ...(signal ? { signal } : {}),
        onFrames(frames) {
          written += frames;
          progress.framesDone += frames;
          tell();
        },
      });
      if (planned.action === "convert" && outcome.status !== "converted") {
        // Frames that will not be written leave the total, and those of a failed file the
        // count, so that the time left stays true.
        progress.framesTotal -= planned.frames ?? 0;
        progress.framesDone -= written;
      }
      reports[index] = {
        ...reports[index]!,
        status: outcome.status,
        reason: outcome.reason,
        error: outcome.error,
        frames: outcome.frames ?? reports[index]!.frames,
        seconds: outcome.seconds ?? reports[index]!.seconds,
        // The task opens the session again, by its absolute path: what the plan was told
        // already is told once.
        problems: [
          ...new Set([
            ...planned.problems,
            ...outcome.warnings.map((w) => w.replaceAll(planned.task!.folder, planned.folder)),
          ]),
        ],
      };
      progress.sessionsDone++;
      tell();
    }
  };
  const results = await Promise.allSettled(Array.from({ length: jobs }, worker));
  signal?.throwIfAborted();
  for (const result of results) if (result.status === "rejected") throw result.reason;
  return { sessions: reports, subjectLabels: plan.subjectLabels };
}
