/**
 * `miniscope convert <root> --out <folder>`: a dataset to a DANDI-ready folder, on this
 * machine (`--jobs N`), as a plan (`--plan`), or as a SLURM job array (`--slurm <folder>`).
 * A task of such an array runs `convert --task <plan> --task-index N`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { relative } from "node:path";
import { flagOf, NWB_ARGS, nwbOptionsFromArgs } from "./nwb_export.ts";
import { shortPath } from "../convert/discovery.ts";
import { DATASET_KEYS, type DatasetNwbOptions } from "../convert/nwb_options.ts";
import { planDataset } from "../convert/plan.ts";
import {
  convertDataset,
  type ConvertProgress,
  defaultJobs,
  planReport,
  type SessionReport,
} from "../convert/run.ts";
import { runPlannedTask, writeSlurmJob } from "../convert/slurm.ts";
import type { SubjectLabel } from "../convert/names.ts";
import { withInterrupt } from "./signals.ts";

/** The help text of `convert`. */
export const CONVERT_HELP =
  `Usage: miniscope convert <root> --out <folder> [--subjects <table>] [--jobs N] [--plan]
       [--json] [--slurm <folder> [--slurm-option OPTION]...] [NWB options]

Converts every session under <root> (at any depth: a folder whose metaData.json has a
recording start time and which holds a device folder with videos) into
<folder>/sub-<subject>/sub-<subject>_ses-<YYYYMMDDTHHMMSS>_<modalities>.nwb, named as
dandi organize names it. Each session converts or fails on its own; the exit status is 1
when any failed. The output folder keeps a manifest (.miniscope-convert/): a new run skips
what is done and unchanged, converts again what changed and retries what failed.

  --out FOLDER                 the output folder (required)
  --subjects TABLE             TSV or CSV as BIDS participants.tsv: subject_id (or
                               participant_id), species, sex, age or date_of_birth, and
                               optionally strain, genotype, description, weight; DANDI needs
                               species, sex and age or date_of_birth for every subject
  --jobs N                     sessions at once (default: the cores, ${defaultJobs()} here); with
                               --slurm, array tasks at once (default: no limit)
  --plan                       show what would be converted, skipped or refused; write nothing
  --json                       print the report as JSON
  --slurm FOLDER               write a SLURM job array (convert.sbatch) and its plan there
                               instead of converting; run it with sbatch --wait
  --slurm-option OPTION        an extra #SBATCH line, such as --slurm-option=--mem=4G
                               (repeatable)
  --institution NAME, --lab NAME, --keyword WORD (repeatable), --experiment-description TEXT
  --indicator NAME, --location AREA, --excitation-lambda NM, --emission-lambda NM,
  --timezone ZONE, --compression gzip|none, --level N    as for export
  --help                       show this help

Permissions: --allow-read=<root>,<out>,<table> --allow-write=<out> --allow-run=ffmpeg
(with --slurm, also --allow-write=<slurm folder>)`;

/** The flags of the options of every file, one for each field of `DatasetNwbOptions`. */
const NWB_KEYS = DATASET_KEYS.map((field) => flagOf(field) as keyof typeof NWB_ARGS);

const OPTIONS = {
  out: { type: "string" },
  subjects: { type: "string" },
  jobs: { type: "string" },
  plan: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  slurm: { type: "string" },
  "slurm-option": { type: "string", multiple: true },
  ...Object.fromEntries(NWB_KEYS.map((key) => [key, NWB_ARGS[key]])),
  task: { type: "string" },
  "task-index": { type: "string" },
  help: { type: "boolean", default: false },
} as const;

class UsageError extends Error {}

function text(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError(`--${flag} must not be empty`);
  }
  return value;
}

function wholeNumber(value: string | undefined, flag: string, least: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < least) {
    throw new UsageError(`--${flag} must be a whole number of at least ${least}, got "${value}"`);
  }
  return Number(value);
}

function datasetOptions(values: Record<string, unknown>): DatasetNwbOptions {
  try {
    return nwbOptionsFromArgs(
      Object.fromEntries(
        NWB_KEYS.map((key) => [key, values[key] as string | string[] | undefined]),
      ),
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function seconds(value: number | null): string {
  return value === null ? "" : `${value.toFixed(1)} s`;
}

/** The report as JSON, with exactly the keys the command line documents. */
export function reportJson(sessions: SessionReport[]): string {
  return JSON.stringify(
    {
      sessions: sessions.map((s) => ({
        folder: s.folder,
        subject: s.subject,
        session: s.session,
        output: s.output,
        status: s.status,
        error: s.error,
        frames: s.frames,
        seconds: s.seconds,
      })),
    },
    null,
    2,
  );
}

function describe(s: SessionReport, root: string, out: string, planning: boolean): string[] {
  const word = planning
    ? { converted: "convert", skipped: "skip", failed: "refuse" }[s.status]
    : s.status;
  const where = shortPath(root, s.folder);
  const lines: string[] = [];
  if (s.output !== null && s.status !== "failed") {
    const facts = [
      s.frames === null ? "" : `${s.frames} frames`,
      seconds(s.seconds),
      s.droppedFrames ? `${s.droppedFrames} dropped` : "",
    ].filter(Boolean).join(", ");
    lines.push(
      `${word.padEnd(9)} ${relative(out, s.output)}${facts ? ` (${facts})` : ""}: ${s.reason}, ` +
        `from ${where}`,
    );
  } else {
    lines.push(`${word.padEnd(9)} ${where}: ${s.error ?? s.reason}`);
  }
  for (const problem of s.problems) lines.push(`          warning: ${problem}`);
  return lines;
}

function labelLine(labels: SubjectLabel[]): string[] {
  return labels.length === 0 ? [] : [
    "Subject labels (letters, digits and hyphens): " +
    labels.map((l) => `"${l.animalName}" -> "${l.label}"`).join(", "),
  ];
}

function summary(
  sessions: SessionReport[],
  labels: SubjectLabel[],
  root: string,
  out: string,
  planning: boolean,
): string {
  const lines = sessions.flatMap((s) => describe(s, root, out, planning));
  lines.push(...labelLine(labels));
  const count = (status: SessionReport["status"]) =>
    sessions.filter((s) => s.status === status).length;
  const frames = sessions.filter((s) => s.status === "converted")
    .reduce((n, s) => n + (s.frames ?? 0), 0);
  lines.push(
    planning
      ? `Would convert ${count("converted")} (${frames} frames), skip ${count("skipped")}, ` +
        `refuse ${count("failed")} of ${sessions.length} folders`
      : `${count("converted")} converted (${frames} frames), ${count("skipped")} skipped, ` +
        `${count("failed")} failed of ${sessions.length} folders`,
  );
  return lines.join("\n");
}

/** A progress line on stderr: sessions, frames and time left; drawn on a terminal only. */
function progressLine(): { update: (p: ConvertProgress) => void; end: () => void } {
  if (!Deno.stderr.isTerminal()) return { update() {}, end() {} };
  const started = performance.now();
  let last = 0;
  let drawn = false;
  const encoder = new TextEncoder();
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 200 && p.sessionsDone < p.sessionsTotal) return;
      last = now;
      drawn = true;
      const elapsed = (now - started) / 1000;
      const rate = elapsed > 0 ? p.framesDone / elapsed : 0;
      const left = rate > 0 ? `, ${((p.framesTotal - p.framesDone) / rate).toFixed(0)} s left` : "";
      Deno.stderr.writeSync(encoder.encode(
        `\rConverting: ${p.sessionsDone}/${p.sessionsTotal} sessions, ` +
          `${p.framesDone}/${p.framesTotal} frames${left}   `,
      ));
    },
    end() {
      if (drawn) Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
}

async function runTaskCommand(values: Record<string, unknown>): Promise<number> {
  const index = wholeNumber(values["task-index"] as string | undefined, "task-index", 0);
  if (index === undefined) throw new UsageError("--task needs --task-index");
  const { task, outcome } = await withInterrupt((signal) =>
    runPlannedTask(values.task as string, index, { signal })
  );
  const output = `${task.out}/${task.output}`;
  if (outcome.status === "failed") {
    console.error(`Error: ${task.folder}: ${outcome.error}`);
    return 1;
  }
  console.log(`${outcome.status} ${output} (${outcome.reason}) from ${task.folder}`);
  for (const warning of outcome.warnings) console.error(`Warning: ${warning}`);
  return 0;
}

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (values.help) {
    console.log(CONVERT_HELP);
    return 0;
  }
  if (values.task !== undefined) {
    if (positionals.length > 0) throw new UsageError("--task takes no folder");
    return await runTaskCommand(values);
  }
  if (values["task-index"] !== undefined) throw new UsageError("--task-index needs --task");
  if (positionals.length !== 1) {
    throw new UsageError(`convert takes one dataset folder, got ${positionals.length} arguments`);
  }
  const root = positionals[0]!;
  const out = text(values.out, "out");
  if (out === undefined) throw new UsageError("convert needs --out");
  const jobs = wholeNumber(values.jobs, "jobs", 1);
  if (values.plan && values.slurm !== undefined) {
    throw new UsageError("--plan and --slurm do not go together: --slurm writes a plan");
  }
  if (values["slurm-option"] && values.slurm === undefined) {
    throw new UsageError("--slurm-option needs --slurm");
  }
  const subjects = text(values.subjects, "subjects");
  const base = { root, out, ...datasetOptions(values), ...(subjects ? { subjects } : {}) };
  const failed = (sessions: SessionReport[]) => sessions.some((s) => s.status === "failed");

  if (values.plan || values.slurm !== undefined) {
    const result = await withInterrupt(async (signal) => {
      if (values.slurm === undefined) return { plan: await planDataset({ ...base, signal }) };
      return await writeSlurmJob({
        ...base,
        signal,
        folder: values.slurm,
        ...(jobs ? { jobs } : {}),
        sbatchOptions: values["slurm-option"] ?? [],
      });
    });
    const sessions = planReport(result.plan);
    if (values.json) {
      console.log(reportJson(sessions));
      for (const line of labelLine(result.plan.subjectLabels)) console.error(line);
    } else console.log(summary(sessions, result.plan.subjectLabels, root, out, true));
    if ("script" in result) {
      (values.json ? console.error : console.log)(
        `Wrote ${result.script} (${result.tasks} array tasks) and ${result.planFile}; run it ` +
          `with: sbatch --wait ${result.script}`,
      );
    } else if (!values.json) {
      console.log("Nothing was written (--plan)");
    }
    return failed(sessions) ? 1 : 0;
  }

  const progress = progressLine();
  let report;
  try {
    report = await withInterrupt((signal) =>
      convertDataset({
        ...base,
        signal,
        ...(jobs ? { jobs } : {}),
        onProgress: progress.update,
      })
    );
  } finally {
    progress.end();
  }
  const memory = `peak memory ${(report.peakRssBytes / 2 ** 20).toFixed(0)} MB (this process; ` +
    `ffmpeg's own not counted), ${report.elapsedSeconds.toFixed(1)} s`;
  if (values.json) {
    console.log(reportJson(report.sessions));
    for (const line of labelLine(report.subjectLabels)) console.error(line);
    console.error(memory);
  } else {
    console.log(summary(report.sessions, report.subjectLabels, root, out, false) + `; ${memory}`);
  }
  return failed(report.sessions) ? 1 : 0;
}

/**
 * Runs `convert` with its arguments.
 *
 * @param args The arguments after `convert`.
 * @returns The exit code: 0 success, 1 a session failed or the run could not be done, 2 bad
 *   usage.
 */
export async function runConvert(args: string[]): Promise<number> {
  try {
    return await runCommand(args);
  } catch (error) {
    if (
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`${(error as Error).message}\n\n${CONVERT_HELP}`);
      return 2;
    }
    throw error;
  }
}
