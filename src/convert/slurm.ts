/**
 * Past one machine: a SLURM job array that converts a dataset, one array task per session.
 * The plan is written beside the script; each task runs this module's own `convert` on its
 * session of the plan, the same conversion a local run does, and records it in the output
 * folder's manifest (one file per session, so the tasks never write the same file).
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { explainFsError } from "../files.ts";
import { checkWriteFolder } from "./places.ts";
import { lockOutput } from "./lock.ts";
import { writeAtomically } from "./manifest.ts";
import { type DatasetPlan, planDataset, type PlanOptions, type SessionTask } from "./plan.ts";
import { runTask, type TaskContext, type TaskOutcome } from "./task.ts";

/** What the plan file of a job array holds. */
interface PlanFile {
  format: "miniscope-convert-plan";
  version: 1;
  out: string;
  tasks: SessionTask[];
}

/** Options of {@linkcode writeSlurmJob}. */
export interface SlurmOptions extends PlanOptions {
  /** The folder to write the script, the plan and the tasks' logs in. */
  folder: string;
  /** Array tasks running at once, at most. Default: no limit but the cluster's. */
  jobs?: number;
  /**
   * Extra `sbatch` options, one `#SBATCH` line each, such as `--partition=short` or
   * `--mem=4G`.
   */
  sbatchOptions?: string[];
  /** The Deno executable the tasks run. Default: the one running now. */
  denoPath?: string;
}

/** What {@linkcode writeSlurmJob} wrote. */
export interface SlurmJob {
  /** The job script, to submit with `sbatch` (`sbatch --wait` to wait for every task). */
  script: string;
  /** The plan the tasks read. */
  planFile: string;
  /** Array tasks: one per session to convert or already done. */
  tasks: number;
  /** The plan, as `planDataset` gives it. */
  plan: DatasetPlan;
}

/** A word for bash, in single quotes. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The command line module, as `deno run` takes it. */
function cliModule(): string {
  const url = new URL("../cli.ts", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : url.href;
}

/**
 * Plans a conversion and writes a SLURM job array for it: `convert.sbatch` (one array task per
 * session, at most `jobs` at once, the extra `#SBATCH` lines, logs in `logs/`) and the
 * `plan.json` it reads. `sbatch --wait <script>` then gives the files and manifest a local run
 * gives; a failing task leaves the others running, and submitting again converts what is left.
 *
 * @example
 * ```ts
 * import { writeSlurmJob } from "@miniscope/reader/convert";
 *
 * const subjects = await Deno.makeTempFile({ suffix: ".tsv" });
 * await Deno.writeTextFile(subjects, "subject_id\tspecies\tsex\tage\nmouse1\tMus musculus\tF\tP90D\n");
 * const out = await Deno.makeTempDir();
 * const folder = await Deno.makeTempDir();
 * const job = await writeSlurmJob({
 *   root: "testdata/sample_session",
 *   out,
 *   subjects,
 *   folder,
 *   jobs: 4,
 *   sbatchOptions: ["--mem=4G"],
 * });
 * console.log(`sbatch --wait ${job.script}  # ${job.tasks} tasks`);
 * await Deno.remove(folder, { recursive: true });
 * await Deno.remove(out, { recursive: true });
 * await Deno.remove(subjects);
 * ```
 *
 * @param options As for {@linkcode planDataset}, with the folder, the throttle and the extra
 *   `sbatch` options.
 * @returns The script, the plan file and the number of tasks.
 * @throws {Error} When no session can be converted, or a path holds a comma (the permission
 *   lists of the task's command line cannot hold one).
 * @throws {TypeError} For an `sbatch` option that is not one (not starting with `-`, or
 *   holding a line end).
 * @throws {RangeError} When `jobs` is not a whole number of at least 1.
 */
export async function writeSlurmJob(options: SlurmOptions): Promise<SlurmJob> {
  if (options.jobs !== undefined && !(Number.isInteger(options.jobs) && options.jobs >= 1)) {
    throw new RangeError(`jobs must be a whole number of at least 1, got ${options.jobs}`);
  }
  for (const option of options.sbatchOptions ?? []) {
    if (!option.startsWith("-") || /[\r\n]/.test(option)) {
      throw new TypeError(
        `An sbatch option starts with "-" and holds no line end, such as "--mem=4G"; got ` +
          JSON.stringify(option),
      );
    }
  }
  const folder = resolve(options.folder);
  const out = resolve(options.out);
  const root = resolve(options.root);
  for (const path of [folder, out, root]) {
    if (path.includes(",")) {
      throw new Error(`"${path}" holds a comma, which Deno's permission flags cannot take`);
    }
  }
  await checkWriteFolder(root, folder, "The SLURM folder");
  const plan = await planDataset({ ...options, root, out });
  const tasks = plan.sessions.flatMap((s) => (s.task ? [s.task] : []));
  if (tasks.length === 0) {
    throw new Error(`No session under "${root}" can be converted; see --plan for why`);
  }
  const logs = join(folder, "logs");
  await Deno.mkdir(logs, { recursive: true }).catch((error) => {
    throw explainFsError(error, logs, "folder");
  });
  await Deno.mkdir(out, { recursive: true });
  const planFile = join(folder, "plan.json");
  const file: PlanFile = { format: "miniscope-convert-plan", version: 1, out, tasks };
  await writeAtomically(planFile, JSON.stringify(file, null, 2) + "\n");
  const throttle = options.jobs === undefined ? "" : `%${options.jobs}`;
  const command = [
    quote(options.denoPath ?? Deno.execPath()),
    "run",
    "--no-prompt",
    quote(`--allow-read=${root},${out},${folder}`),
    quote(`--allow-write=${out}`),
    "--allow-run=ffmpeg",
    quote(cliModule()),
    "convert",
    "--task",
    quote(planFile),
    "--task-index",
    '"$SLURM_ARRAY_TASK_ID"',
  ].join(" ");
  const script = join(folder, "convert.sbatch");
  const lines = [
    "#!/bin/bash",
    "#SBATCH --job-name=miniscope-convert",
    `#SBATCH --array=0-${tasks.length - 1}${throttle}`,
    `#SBATCH --output=${join(logs, "%A_%a.out")}`,
    ...(options.sbatchOptions ?? []).map((option) => `#SBATCH ${option}`),
    "# One task per session of plan.json: miniscope convert on that session, recorded in the",
    "# manifest of the output folder. Submit again to convert what is left.",
    "set -euo pipefail",
    `exec ${command}`,
    "",
  ];
  await writeAtomically(script, lines.join("\n"));
  await Deno.chmod(script, 0o755).catch(() => {});
  return { script, planFile, tasks: tasks.length, plan };
}

/**
 * Runs one task of a job array: the session at `index` of the plan file, converted as a local
 * run converts it. The output folder's lock is taken shared, so that the tasks run together
 * while a local run on the same folder is refused.
 *
 * @param planFile The plan written by {@linkcode writeSlurmJob}.
 * @param index The task's index (`SLURM_ARRAY_TASK_ID`).
 * @param context A signal and a frames callback.
 * @returns The session's task and how it ended.
 * @throws {RangeError} When the index is not one of the plan's tasks.
 * @throws {Error} When the plan file cannot be read, or a local run holds the output folder.
 */
export async function runPlannedTask(
  planFile: string,
  index: number,
  context: TaskContext = {},
): Promise<{ task: SessionTask; outcome: TaskOutcome }> {
  let file: PlanFile;
  try {
    file = JSON.parse(await Deno.readTextFile(planFile));
  } catch (error) {
    throw error instanceof SyntaxError
      ? new Error(`Cannot read plan "${planFile}": ${error.message}`)
      : explainFsError(error, planFile, "plan");
  }
  if (file?.format !== "miniscope-convert-plan" || file.version !== 1) {
    throw new Error(`"${planFile}" is not a plan written by miniscope convert --slurm`);
  }
  const task = file.tasks[index];
  if (!Number.isInteger(index) || task === undefined) {
    throw new RangeError(
      `Task ${index} is not in "${planFile}": it has tasks 0 to ${file.tasks.length - 1}`,
    );
  }
  using _lock = await lockOutput(task.out, "shared");
  return { task, outcome: await runTask(task, context) };
}
