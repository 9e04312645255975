/**
 * The command line's NWB export: `miniscope export <device or session folder> --out file.nwb`
 * with the options of {@linkcode NwbOptions}, a progress bar on a terminal.
 *
 * @module
 */

import { join } from "node:path";
import { MiniscopeImagingExtractor, MiniscopeSession } from "../../mod.ts";
import { Progress } from "./progress.ts";
import { hasVideoFiles } from "../open/discovery.ts";
import { isLegacyFolder } from "../open/legacy.ts";
import { writeNwb } from "../nwb/mod.ts";
import { checkOptions, type NwbOptions, type NwbResult } from "../nwb/options.ts";

/** The NWB options of the command line that take one value: the API's fields in kebab case. */
const VALUE_FLAGS = [
  "session-description",
  "identifier",
  "subject-id",
  "species",
  "sex",
  "age",
  "date-of-birth",
  "strain",
  "genotype",
  "subject-description",
  "weight",
  "session-id",
  "institution",
  "lab",
  "experiment-description",
  "indicator",
  "location",
  "excitation-lambda",
  "emission-lambda",
  "timezone",
  "session-start-time",
  "compression",
  "level",
  "behavior-videos",
] as const;

/** The export options that apply to NWB only, for `parseArgs`. */
export const NWB_ARGS = {
  ...(Object.fromEntries(VALUE_FLAGS.map((name) => [name, { type: "string" }])) as Record<
    typeof VALUE_FLAGS[number],
    { type: "string" }
  >),
  experimenter: { type: "string", multiple: true },
  keyword: { type: "string", multiple: true },
  overwrite: { type: "boolean" },
} as const;

/** The help text of the NWB options. */
export const NWB_HELP =
  `NWB export (--out ending in .nwb, or --format nwb), of a device or a session folder:
  --session-description TEXT   what the session was (default: from the names in metaData.json)
  --identifier ID              the file's unique identifier (default: a new UUID)
  --subject-id ID              the animal (default: animalName from metaData.json)
  --species NAME               such as "Mus musculus"
  --sex M|F|U|O
  --age DURATION               ISO 8601, such as P90D
  --date-of-birth DATE         ISO 8601, such as 2022-06-21 (DANDI needs --age or this)
  --strain NAME, --genotype TEXT, --subject-description TEXT
  --weight WEIGHT              with its unit, such as "0.025 kg"
  --experimenter NAME          repeatable; "Last, First" (default: researcherName)
  --session-id ID              (default: the local start time, such as 20220919T091841)
  --institution NAME, --lab NAME
  --keyword TERM               repeatable
  --experiment-description TEXT  (default: experimentName from metaData.json)
  --indicator NAME             such as GCaMP6f (default: unknown)
  --location AREA              such as CA1 (default: unknown)
  --excitation-lambda NM       excitation wavelength in nm (default: unknown)
  --emission-lambda NM         emission wavelength in nm (default: unknown)
  --timezone ZONE              IANA name, such as Europe/Berlin, for a metaData.json without
                               msecSinceEpoch
  --session-start-time TIME    ISO 8601 with UTC offset, for a device folder without a session
                               metaData.json above it
  --compression gzip|none      (default: gzip)
  --level N                    gzip level 0 to 9 (default: 4)
  --behavior-videos link|copy  link: point at the recording's camera videos (default); copy:
                               copy them (hard links where possible) into <out stem>/`;

type Values = Record<string, string | boolean | string[] | undefined>;

/** The flag of an option whose name is not the option's in kebab case. */
const FLAGS: Record<string, string> = { keywords: "keyword" };

/** The command line's flag (without `--`) of an option of {@linkcode NwbOptions}. */
export function flagOf(field: string): string {
  return FLAGS[field] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The value of a flag that takes a number, or of `--level`. */
function number(value: string, name: string): number {
  if (name === "level") {
    if (!/^\d$/.test(value)) {
      throw new RangeError(`--level must be a whole number from 0 to 9, got "${value}"`);
    }
  } else if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
    throw new TypeError(`--${name} must be a number, got "${value}"`);
  }
  return Number(value);
}

/** The flags whose value is a number. */
const NUMBERS = new Set(["excitation-lambda", "emission-lambda", "level"]);

/**
 * The API options from the command line's values.
 *
 * @throws {TypeError} Or {@linkcode RangeError} for a bad value, naming the option.
 */
export function nwbOptionsFromArgs(values: Values): NwbOptions {
  const options: NwbOptions = {};
  // The field of a flag is its name in camel case; checkOptions below checks each value.
  const fields = options as Record<string, unknown>;
  for (const flag of VALUE_FLAGS) {
    const value = values[flag];
    if (typeof value !== "string") continue;
    const field = flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    fields[field] = NUMBERS.has(flag) ? number(value, flag) : value;
  }
  for (const field of ["experimenter", "keywords"]) {
    const value = values[FLAGS[field] ?? field];
    if (Array.isArray(value)) fields[field] = value;
  }
  if (values.overwrite === true) options.overwrite = true;
  try {
    checkOptions(options);
  } catch (error) {
    // Name the flag rather than the API field.
    const message = (error as Error).message.replace(/^\w+/, (field) => {
      const flag = flagOf(field);
      return flag in NWB_ARGS ? `--${flag}` : field;
    });
    throw error instanceof RangeError ? new RangeError(message) : new TypeError(message);
  }
  return options;
}

/**
 * Exports a device folder (holding videos), a session folder (holding device folders), or a
 * recording folder of the software before 2020 (its Miniscope and behaviour camera).
 *
 * @param folder The folder.
 * @param out The `.nwb` file.
 * @param options From {@linkcode nwbOptionsFromArgs}, with the range and the signal.
 * @param opening `scopeCamNum` for a folder of the software before 2020 whose cameras the row
 *   counts cannot tell apart.
 * @returns What was written.
 */
export async function exportNwb(
  folder: string,
  out: string,
  options: NwbOptions,
  opening: { scopeCamNum?: number } = {},
): Promise<NwbResult> {
  const source = await isLegacyFolder(folder)
    ? await MiniscopeSession.open(folder, opening)
    : await hasVideoFiles(folder, false)
    ? await MiniscopeImagingExtractor.open({ folderPath: folder })
    : await MiniscopeSession.open(folder).catch((error) => {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `"${folder}" is neither a device folder (no .avi files) nor a session folder ` +
            `(no ${join(folder, "metaData.json")})`,
        );
      }
      throw error;
    });
  let progress: Progress | undefined;
  let last = 0;
  try {
    return await writeNwb(source, out, {
      ...options,
      onProgress(done, total) {
        progress ??= new Progress("Writing NWB", total);
        for (; last < done; last++) progress.tick();
      },
    });
  } finally {
    progress?.end();
  }
}
