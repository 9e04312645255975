/**
 * The plan of a conversion: every session found under the root with its DANDI name, its
 * subject, what it holds, and whether it is to be converted, skipped (done and unchanged) or
 * refused, and why. Planning reads metadata, time stamps and video headers, never a frame.
 *
 * @module
 */

import { join, resolve } from "node:path";
import type { RecordingStartTime } from "../formats/metadata_json.ts";
import { checkOptions } from "../nwb/options.ts";
import { planExport } from "../nwb/plan.ts";
import { startTimeWithOffset } from "../nwb/start_time.ts";
import { discoverSessions, type FoundSession } from "./discovery.ts";
import { checkDatasetPlaces } from "./places.ts";
import { fingerprintSession, type InputFingerprint } from "./fingerprint.ts";
import { canonicalJson, type ManifestEntry, readEntry } from "./manifest.ts";
import {
  dandiPath,
  modalities,
  sessionLabel,
  type SubjectLabel,
  subjectLabel,
  typesOfSeries,
} from "./names.ts";
import {
  type DatasetNwbOptions,
  type PlainNwbOptions,
  type SessionMetadata,
  sessionNwbOptions,
} from "./nwb_options.ts";
import { ageInDays, findSubject, missingSubjectFields, type SubjectsTable } from "./subjects.ts";

/** Options of {@linkcode planDataset}. */
export interface PlanOptions extends DatasetNwbOptions {
  /** The dataset folder, searched at any depth for sessions. */
  root: string;
  /** The output folder. */
  out: string;
  /** A subjects table (TSV or CSV, as BIDS `participants.tsv`). */
  subjects?: string;
  /** Stops the planning. */
  signal?: AbortSignal;
}

/** One session's conversion, as plain JSON: all a run or a job-array task needs. */
export interface SessionTask {
  /** The session folder, absolute. */
  folder: string;
  /** The output folder, absolute. */
  out: string;
  /** The output file, relative to `out`, `/`-separated. */
  output: string;
  /** `sub-<subject>_ses-<session>`: the manifest key. */
  key: string;
  /** The modalities in the file name, which the written file must have. */
  modality: string;
  /** Miniscope frames to write. */
  frames: number;
  /** The recording's duration in seconds. */
  seconds: number;
  /** The options of the file, as passed to `writeNwb`. */
  nwb: PlainNwbOptions;
}

/** What is to happen to a folder: convert it, skip it, or refuse it. */
export type PlanAction = "convert" | "skip" | "refuse";

/** A folder of the dataset in the plan: a session, or a folder passed over. */
export interface PlannedSession {
  /** The folder, as reached from the root. */
  folder: string;
  /** What is to happen to it. */
  action: PlanAction;
  /**
   * Why: for a conversion `"new"`, `"its files changed"`, ...; for a skip `"done and
   * unchanged"` or why the folder is no session; for a refusal the problem.
   */
  reason: string;
  /** The subject label, when known. */
  subject: string | null;
  /** `animalName` as written, when known. */
  animalName: string | null;
  /** The session label `YYYYMMDDTHHMMSS`, when known. */
  session: string | null;
  /** The output file (in the output folder), when known. */
  output: string | null;
  /** Miniscope frames, when known. */
  frames: number | null;
  /** The duration in seconds, when known. */
  seconds: number | null;
  /** Dropped frames found in the time stamps, when known. */
  droppedFrames: number | null;
  /** Warnings about the session's files. */
  problems: string[];
  /** The conversion of a session to convert or skip; null otherwise. */
  task: SessionTask | null;
}

/** The plan of a conversion. */
export interface DatasetPlan {
  /** The dataset folder. */
  root: string;
  /** The output folder. */
  out: string;
  /** Every session and every folder passed over, in path order. */
  sessions: PlannedSession[];
  /** The animal names whose subject label differs from the name. */
  subjectLabels: SubjectLabel[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The duration of a series: first stamp to the end of the last frame. */
function duration(times: Float64Array, rate: number): number {
  if (times.length === 0) return 0;
  return times.at(-1)! - times[0]! + (rate > 0 ? 1 / rate : 0);
}

/**
 * Whether a session must be converted, and why, from its manifest entry.
 *
 * @param task The session's conversion.
 * @param entry Its manifest entry, or null.
 * @param inputs Its inputs' fingerprint now.
 * @returns Whether to convert, and why (or why not).
 */
export async function decide(
  task: SessionTask,
  entry: ManifestEntry | null,
  inputs: InputFingerprint,
): Promise<{ convert: boolean; reason: string }> {
  const output = join(task.out, task.output);
  if (entry?.output !== task.output && await Deno.lstat(output).then(() => true, () => false)) {
    throw new Error(
      `"${output}" exists and this folder's manifest has no record of it; move it away to ` +
        `convert this session`,
    );
  }
  if (entry === null) return { convert: true, reason: "new" };
  if (entry.status === "failed") return { convert: true, reason: "failed before; retried" };
  if (entry.status === "running") {
    return { convert: true, reason: "stopped before it finished; converted again" };
  }
  if (entry.inputs.sha256 !== inputs.sha256) return { convert: true, reason: "its files changed" };
  if (canonicalJson(entry.options) !== canonicalJson(task.nwb)) {
    return { convert: true, reason: "its options changed" };
  }
  if (entry.output !== task.output) {
    return { convert: true, reason: `its name changed (was ${entry.output})` };
  }
  const info = await Deno.stat(output).catch(() => null);
  if (info === null) return { convert: true, reason: "its output is missing" };
  if (info.size !== entry.size || (info.mtime?.getTime() ?? null) !== entry.mtimeMs) {
    return { convert: true, reason: "its output was changed" };
  }
  return { convert: false, reason: "done and unchanged" };
}

interface Context {
  options: PlanOptions;
  table: SubjectsTable | null;
}

/** The metadata of a session's file, or the fields its subject lacks. */
function sessionMetadata(
  found: FoundSession,
  start: RecordingStartTime,
  label: string,
  table: SubjectsTable | null,
): SessionMetadata | string {
  const { session } = found;
  const animal = session.animalName!;
  const row = table ? findSubject(table, animal, label) : undefined;
  const missing = missingSubjectFields(row);
  if (missing.length > 0) {
    const where = table === null
      ? "no subjects table was given (--subjects)"
      : row === undefined
      ? `subject "${label}"${
        animal === label ? "" : ` (animalName "${animal}")`
      } is not in the subjects table "${table.path}"`
      : `subject "${label}" (subjects table "${table.path}", line ${row.line}) has none`;
    return `DANDI requires the subject's ${missing.join(", ")}: ${where}`;
  }
  const age = row!.age ??
    (row!.dateOfBirth ? ageInDays(row!.dateOfBirth, start.year, start.month, start.day) : null);
  if (age === null) {
    return `subject "${label}" was born on ${row!.dateOfBirth}, after the session (` +
      `${start.local.slice(0, 10)})`;
  }
  const researcher = session.researcherName?.trim();
  const { line: _, ...subject } = row!;
  return {
    ...subject,
    subjectId: label,
    age,
    experimenter: researcher ? [researcher] : null,
    sessionId: sessionLabel(start),
  };
}

async function planSession(found: FoundSession, context: Context): Promise<PlannedSession> {
  const { session } = found;
  const { options, table } = context;
  const planned: PlannedSession = {
    folder: found.folder,
    action: "refuse",
    reason: "",
    subject: null,
    animalName: session.animalName,
    session: session.startTime && sessionLabel(session.startTime),
    output: null,
    frames: null,
    seconds: null,
    droppedFrames: null,
    problems: [...found.warnings],
    task: null,
  };
  const refuse = (reason: string) => ({ ...planned, action: "refuse" as const, reason });
  const label = session.animalName === null ? null : subjectLabel(session.animalName);
  if (label === null) {
    return refuse(
      `Its metaData.json gives no animalName to name the subject by` +
        (session.animalName === null ? "" : ` (it is "${session.animalName}")`),
    );
  }
  planned.subject = label;
  const start = session.startTime;
  if (start === null) {
    // The file's name and session_id are its start time: one given by hand would be the
    // dataset's for every session, so such a session is exported on its own.
    return refuse(
      `Cannot tell when the session in "${found.folder}" started, which its file is named by; ` +
        `export it on its own with "miniscope export ${found.folder} --session-start-time ` +
        `<ISO 8601 time with UTC offset>"`,
    );
  }
  // Before anything of the recordings is read: the subject, then the clock.
  const metadata = sessionMetadata(found, start, label, table);
  if (typeof metadata === "string") return refuse(metadata);
  try {
    startTimeWithOffset(
      start,
      options.timezone,
      join(found.folder, "metaData.json"),
      () => {},
    );
  } catch (error) {
    return refuse(message(error));
  }
  const nwb = sessionNwbOptions(metadata, options);
  try {
    checkOptions(nwb);
  } catch (error) {
    return refuse(message(error));
  }
  const warnings: string[] = [];
  let seriesTypes: string[];
  try {
    const content = await planExport(session, undefined, undefined, (m) => warnings.push(m));
    seriesTypes = [
      ...content.scopes.flatMap((s) =>
        s.head ? ["OnePhotonSeries", "TimeSeries"] : ["OnePhotonSeries"]
      ),
      ...content.cameras.map(() => "ImageSeries"),
      ...(content.notes.length > 0 ? ["AnnotationSeries"] : []),
    ];
    planned.frames = content.scopes.reduce((n, s) => n + s.extractor.getNumSamples(), 0);
    const timed = content.scopes.length > 0
      ? content.scopes.map((s) =>
        duration(s.extractor.getTimestamps(), s.extractor.getSamplingFrequency())
      )
      : content.cameras.map((c) => duration(c.timestamps, 0));
    planned.seconds = Math.max(0, ...timed);
    planned.droppedFrames = content.scopes.reduce(
      (n, s) => n + (s.extractor.getDroppedFrames()?.count ?? 0),
      0,
    );
  } catch (error) {
    planned.problems.push(...warnings);
    return refuse(message(error));
  }
  planned.problems.push(...warnings);
  const modality = modalities(typesOfSeries(seriesTypes));
  const output = dandiPath(label, metadata.sessionId, modality);
  planned.output = join(options.out, output);
  planned.task = {
    folder: resolve(found.folder),
    out: resolve(options.out),
    output,
    key: `sub-${label}_ses-${metadata.sessionId}`,
    modality,
    frames: planned.frames!,
    seconds: planned.seconds!,
    nwb,
  };
  return { ...planned, action: "convert", reason: "new" };
}

/** Refuses the sessions that would share a name, and animals that would share a label. */
function refuseCollisions(sessions: PlannedSession[]): void {
  const byKey = new Map<string, PlannedSession[]>();
  const namesOfLabel = new Map<string, Set<string>>();
  for (const planned of sessions) {
    // Every animal with a label counts, refused or not: once its refusal is mended, its files
    // would join the other animal's.
    // Labels are told apart without case: `sub-A/` and `sub-a/` are one folder on the file
    // systems of macOS and Windows.
    if (planned.subject !== null && planned.animalName !== null) {
      const label = planned.subject.toLowerCase();
      const names = namesOfLabel.get(label) ?? new Set();
      names.add(planned.animalName);
      namesOfLabel.set(label, names);
    }
    if (!planned.task) continue;
    const key = planned.task.key.toLowerCase();
    byKey.set(key, [...(byKey.get(key) ?? []), planned]);
  }
  for (const planned of sessions) {
    if (!planned.task) continue;
    const names = [...namesOfLabel.get(planned.subject!.toLowerCase())!].sort();
    if (names.length > 1) {
      planned.action = "refuse";
      planned.reason = `Animal names ${names.map((n) => `"${n}"`).join(" and ")} all become ` +
        `subject label "${planned.subject}": their files would be taken for one animal's; ` +
        `make the names differ in more than case and the characters a label cannot hold ` +
        `(ASCII letters, digits and hyphens are kept)`;
      planned.task = null;
      continue;
    }
    const same = byKey.get(planned.task.key.toLowerCase())!;
    if (same.length > 1) {
      const others = same.filter((s) => s !== planned).map((s) => `"${s.folder}"`);
      planned.action = "refuse";
      planned.reason = `Sessions of subject "${planned.subject}" starting at the same second ` +
        `would share the name ${planned.task.key}: this one and ${others.join(", ")} (a copy ` +
        `of one session, or an animal name given twice); keep one of them under the root`;
      planned.task = null;
    }
  }
}

/**
 * Plans the conversion of a dataset: finds every session under the root, names it as
 * `dandi organize` would, checks its subject against the subjects table, and compares it with
 * the output folder's manifest. Nothing is written.
 *
 * @example Plan the bundled sample session
 * ```ts
 * import { planDataset } from "@miniscope/reader/convert";
 *
 * const subjects = await Deno.makeTempFile({ suffix: ".tsv" });
 * await Deno.writeTextFile(subjects, "subject_id\tspecies\tsex\tage\nmouse1\tMus musculus\tF\tP90D\n");
 * const out = await Deno.makeTempDir();
 * const plan = await planDataset({ root: "testdata/sample_session", out, subjects });
 * for (const s of plan.sessions) console.log(s.action, s.output, s.frames, s.reason);
 * await Deno.remove(out);
 * await Deno.remove(subjects);
 * ```
 *
 * @param options The dataset folder, the output folder, the subjects table and the options
 *   of every file.
 * @returns The plan.
 * @throws {Deno.errors.NotFound} When the root or the subjects table does not exist.
 * @throws {Error} When the subjects table cannot be read, naming its line.
 * @throws {TypeError} Or {@linkcode RangeError} for an option of the wrong kind or out of range,
 *   naming it.
 */
export async function planDataset(options: PlanOptions): Promise<DatasetPlan> {
  const table = await checkDatasetPlaces(options);
  const outExists = await Deno.stat(options.out).then(() => true, () => false);
  const found = await discoverSessions(options.root, {
    ...(outExists ? { exclude: options.out } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const sessions: PlannedSession[] = [];
  for (const one of found.sessions) {
    options.signal?.throwIfAborted();
    sessions.push(await planSession(one, { options, table }));
  }
  refuseCollisions(sessions);
  for (const planned of sessions) {
    if (!planned.task) continue;
    try {
      const entry = await readEntry(options.out, planned.task.key);
      const decision = await decide(planned.task, entry, await fingerprintSession(planned.folder));
      planned.reason = decision.reason;
      if (!decision.convert) planned.action = "skip";
    } catch (error) {
      planned.action = "refuse";
      planned.reason = message(error);
      planned.task = null;
    }
  }
  for (const passed of found.passed) {
    sessions.push({
      folder: passed.folder,
      action: passed.failed ? "refuse" : "skip",
      reason: passed.reason,
      subject: null,
      animalName: null,
      session: null,
      output: null,
      frames: null,
      seconds: null,
      droppedFrames: null,
      problems: [],
      task: null,
    });
  }
  sessions.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
  const labels = new Map<string, string>();
  for (const s of sessions) {
    if (s.animalName !== null && s.subject !== null && s.animalName !== s.subject) {
      labels.set(s.animalName, s.subject);
    }
  }
  return {
    root: options.root,
    out: options.out,
    sessions,
    subjectLabels: [...labels].sort().map(([animalName, label]) => ({ animalName, label })),
  };
}
