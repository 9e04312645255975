// The offline NWB checks of ../shared/tools/nwb (pynwb 2.3.0's validator, a read-back with
// pynwb, nwbinspector) run through tools/nwb_check.py, for the NWB tests. Where the validator set
// is not installed, `canCheck` is false and `checkNwb` returns null.
import { join } from "node:path";
import assert from "node:assert/strict";

const HOME = Deno.env.get("HOME") ?? "/root";
const VALIDATOR = join(HOME, ".cache/nwb-validator");
const SCRIPT = new URL("./tools/nwb_check.py", import.meta.url).pathname;

/** Whether the validator set is installed. */
export const canCheck: boolean = await Promise.all(
  ["bin/nwb-validate", "src/pynwb", "inspector/src/nwbinspector"].map((p) =>
    Deno.stat(join(VALIDATOR, p)).then(() => true, () => false)
  ),
).then((found) => found.every(Boolean));

/** One nwbinspector finding. */
export interface InspectorMessage {
  importance: string;
  check: string;
  location: string;
  message: string;
}

/** What tools/nwb_check.py reports. */
export interface NwbCheck {
  /**
   * pynwb's validation errors against the most specific namespaces the file caches (core
   * types from pynwb's own core namespace), or against core when it caches none.
   */
  validation: string[];
  /** The namespaces of `validation`. */
  validated_namespaces: string[];
  /**
   * pynwb's validator in its cached-namespace mode (`nwb-validate`, `dandi validate`): its
   * errors and status, or the exception it stopped with.
   */
  cached_validation: { errors: string[]; status: number } | { exception: string };
  // deno-lint-ignore no-explicit-any
  objects: Record<string, any>;
  inspector: InspectorMessage[];
}

/**
 * Validates a file, reads it back and inspects it; fails on a validation error and on an
 * inspector finding of importance ERROR or CRITICAL, and, with `dandi`, on one of
 * BEST_PRACTICE_VIOLATION under nwbinspector's "dandi" configuration.
 */
export async function checkNwb(
  path: string,
  options: { dandi?: boolean } = {},
): Promise<NwbCheck | null> {
  if (!canCheck) return null;
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT, path, ...(options.dandi ? ["--dandi"] : [])],
    env: { PYTHONPATH: `${VALIDATOR}/src:${VALIDATOR}/inspector/src` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert(output.success, `the NWB check of ${path} failed:\n${stderr}`);
  const report = JSON.parse(new TextDecoder().decode(output.stdout)) as NwbCheck;
  assert.deepStrictEqual(report.validation, [], `pynwb's validator on ${path}`);
  const failing = options.dandi
    ? ["ERROR", "PYNWB_VALIDATION", "CRITICAL", "BEST_PRACTICE_VIOLATION"]
    : ["ERROR", "PYNWB_VALIDATION", "CRITICAL"];
  const bad = report.inspector.filter((m) => failing.includes(m.importance));
  assert.deepStrictEqual(bad, [], `nwbinspector on ${path}`);
  return report;
}
