/**
 * Converts a lab's dataset (animals × days × sessions, in the folders the Miniscope DAQ
 * software wrote) into a folder DANDI takes: every session under a root, found at any depth,
 * becomes `<out>/sub-<subject>/sub-<subject>_ses-<session>_<modalities>.nwb`, named as
 * `dandi organize` names it, with its subject from a subjects table (as BIDS
 * `participants.tsv`). Sessions are converted several at once, each on its own; the output
 * folder keeps a manifest, so that a new run converts only what is new, changed or failed.
 * {@linkcode writeSlurmJob} writes the same conversion as a SLURM job array.
 *
 * A local run needs `--allow-read=<root>,<out> --allow-write=<out> --allow-run=ffmpeg` (and
 * read access to the subjects table).
 *
 * @example Convert the bundled sample session
 * ```ts
 * import { convertDataset, readManifest } from "@miniscope/reader/convert";
 *
 * const subjects = await Deno.makeTempFile({ suffix: ".tsv" });
 * await Deno.writeTextFile(
 *   subjects,
 *   "subject_id\tspecies\tsex\tage\nmouse1\tMus musculus\tF\tP90D\n",
 * );
 * const out = await Deno.makeTempDir();
 * const report = await convertDataset({
 *   root: "testdata/sample_session",
 *   out,
 *   subjects,
 *   indicator: "GCaMP6f",
 *   jobs: 2,
 * });
 * for (const s of report.sessions) console.log(s.status, s.output, s.error);
 * console.log((await readManifest(out)).map((e) => [e.output, e.sha256]));
 * await Deno.remove(out, { recursive: true });
 * await Deno.remove(subjects);
 * ```
 *
 * @module
 */

export {
  convertDataset,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertReport,
  type SessionReport,
} from "./run.ts";
export {
  type DatasetPlan,
  type PlanAction,
  planDataset,
  type PlannedSession,
  type PlanOptions,
  type SessionTask,
} from "./plan.ts";
export type { DatasetNwbOptions, PlainNwbOptions } from "./nwb_options.ts";
export type { NwbOptions } from "../nwb/options.ts";
export { type ManifestEntry, readManifest } from "./manifest.ts";
export type { InputFingerprint } from "./fingerprint.ts";
export type { SubjectLabel } from "./names.ts";
export { runPlannedTask, type SlurmJob, type SlurmOptions, writeSlurmJob } from "./slurm.ts";
export type { ConversionResult, TaskContext, TaskOutcome } from "./task.ts";
