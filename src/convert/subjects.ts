/**
 * The subjects table: a TSV or CSV in the style of BIDS `participants.tsv`, one row per
 * animal, read into each file's `Subject`, and the fields DANDI requires of a subject.
 *
 * @module
 */

import { extname } from "node:path";
import { explainFsError } from "../files.ts";
import { subjectLabel } from "./names.ts";
import { csvLines } from "../formats/table.ts";
import type { SubjectFields } from "../nwb/content.ts";
import { checkOptions } from "../nwb/options.ts";

/** What the subjects table says of one animal. Fields the table leaves empty are null. */
export interface SubjectRecord extends SubjectFields {
  /** `subject_id` (or BIDS `participant_id`) as written, without a leading `sub-`. */
  subjectId: string;
  /** The line of the table the row is on (1 is the header). */
  line: number;
}

/** A subjects table, read and checked. */
export interface SubjectsTable {
  /** The file it was read from. */
  path: string;
  /** Its rows. */
  rows: SubjectRecord[];
}

const ID_COLUMNS = ["subject_id", "participant_id"];
const FIELD_COLUMNS = {
  species: "species",
  sex: "sex",
  age: "age",
  date_of_birth: "dateOfBirth",
  strain: "strain",
  genotype: "genotype",
  description: "description",
  weight: "weight",
} as const;

const SEXES: Record<string, "M" | "F" | "U" | "O"> = {
  m: "M",
  male: "M",
  f: "F",
  female: "F",
  u: "U",
  unknown: "U",
  o: "O",
  other: "O",
};
/** The forms nwbinspector (and so DANDI) accepts for a species. */
const SPECIES = /^([A-Z][a-z]* [a-z]+|http:\/\/purl\.obolibrary\.org\/obo\/NCBITaxon_\d+)$/;
const DATE_OF_BIRTH = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?([+-]\d\d:\d\d|Z))?$/;

/** Splits one CSV line at commas, honouring double quotes (`"a, b"`, `""` for a quote). */
function splitCsv(line: string, where: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else {
      cell += c;
    }
  }
  if (quoted) throw new Error(`${where}: a quoted cell is not closed`);
  cells.push(cell);
  return cells;
}

/** A cell as a value: empty and BIDS's `n/a` are no value. */
function value(cell: string | undefined): string | null {
  const text = (cell ?? "").trim();
  return text === "" || text.toLowerCase() === "n/a" ? null : text;
}

/**
 * Parses a subjects table. Tab-separated when the file name ends in `.tsv` or the header holds
 * a tab, else comma-separated (with double quotes around cells that hold commas). The header
 * names the columns: `subject_id` (or BIDS's `participant_id`, whose `sub-` prefix is dropped),
 * and any of `species`, `sex`, `age`, `date_of_birth`, `strain`, `genotype`, `description`,
 * `weight`; other columns are ignored. Empty cells and `n/a` are no value. `sex` may be
 * written `M`, `F`, `U`, `O` or `male`, `female`, `unknown`, `other`.
 *
 * @param text The file's text.
 * @param path The file, for messages.
 * @returns The table.
 * @throws {Error} Naming the file and line: no id column, a row with more cells than the
 *   header, an empty or repeated subject id, a sex, age, date of birth or species in a form
 *   DANDI does not accept.
 */
export function parseSubjectsTable(text: string, path: string): SubjectsTable {
  const { lines } = csvLines(text);
  if (lines.length === 0) throw new Error(`Subjects table "${path}" is empty`);
  const tabs = extname(path).toLowerCase() === ".tsv" || lines[0]!.includes("\t");
  const split = (line: string, number: number) =>
    tabs ? line.split("\t") : splitCsv(line, `Subjects table "${path}", line ${number}`);
  const header = split(lines[0]!, 1).map((name) => name.trim().toLowerCase());
  const idColumn = header.findIndex((name) => ID_COLUMNS.includes(name));
  if (idColumn < 0) {
    throw new Error(
      `Subjects table "${path}" has no subject_id column (or participant_id); its header is ` +
        `${header.map((name) => `"${name}"`).join(", ")}`,
    );
  }
  const rows: SubjectRecord[] = [];
  const seen = new Map<string, number>();
  const labels = new Map<string, { id: string; line: number }>();
  lines.forEach((line, index) => {
    const number = index + 1;
    if (index === 0 || line.trim() === "") return;
    const where = `Subjects table "${path}", line ${number}`;
    const cells = split(line, number);
    if (cells.length > header.length) {
      throw new Error(`${where}: ${cells.length} cells, but the header names ${header.length}`);
    }
    const id = value(cells[idColumn])?.replace(/^sub-/, "") ?? null;
    if (id === null || id === "") throw new Error(`${where}: the subject id is empty`);
    if (seen.has(id)) {
      throw new Error(`${where}: subject "${id}" is already on line ${seen.get(id)}`);
    }
    seen.set(id, number);
    // Two ids that name one subject label would give one file two subjects.
    const label = subjectLabel(id);
    const other = label === null ? undefined : labels.get(label.toLowerCase());
    if (other !== undefined) {
      throw new Error(
        `${where}: subject "${id}" has the subject label "${label}", as "${other.id}" on ` +
          `line ${other.line} does (labels are told apart without case)`,
      );
    }
    if (label !== null) labels.set(label.toLowerCase(), { id, line: number });
    const record: SubjectRecord = {
      subjectId: id,
      species: null,
      sex: null,
      age: null,
      dateOfBirth: null,
      strain: null,
      genotype: null,
      description: null,
      weight: null,
      line: number,
    };
    header.forEach((name, column) => {
      if (!(name in FIELD_COLUMNS)) return;
      const cell = value(cells[column]);
      if (cell === null) return;
      const field = FIELD_COLUMNS[name as keyof typeof FIELD_COLUMNS];
      if (field === "sex") {
        const sex = SEXES[cell.toLowerCase()];
        if (!sex) {
          throw new Error(`${where}: sex "${cell}" is none of M, F, U, O (male, female, ...)`);
        }
        record.sex = sex;
      } else {
        record[field] = cell;
      }
    });
    checkRecord(record, where);
    rows.push(record);
  });
  return { path, rows };
}

function checkRecord(record: SubjectRecord, where: string): void {
  if (record.species !== null && !SPECIES.test(record.species)) {
    throw new Error(
      `${where}: species "${record.species}" is not a Latin binomial such as "Mus musculus" ` +
        `(or an NCBI taxonomy link such as http://purl.obolibrary.org/obo/NCBITaxon_10090)`,
    );
  }
  if (record.age !== null) {
    try {
      checkOptions({ age: record.age });
    } catch {
      throw new Error(
        `${where}: age "${record.age}" is not an ISO 8601 duration such as "P90D" or "P12W"`,
      );
    }
  }
  if (
    record.dateOfBirth !== null &&
    (!DATE_OF_BIRTH.test(record.dateOfBirth) || Number.isNaN(Date.parse(record.dateOfBirth)))
  ) {
    throw new Error(
      `${where}: date_of_birth "${record.dateOfBirth}" is not an ISO 8601 date such as ` +
        `"2022-06-21"`,
    );
  }
  // The rules the NWB writer holds them to, told here with the table's line.
  for (const [field, column] of [["dateOfBirth", "date_of_birth"], ["weight", "weight"]] as const) {
    const given = record[field];
    if (given === null) continue;
    try {
      checkOptions({ [field]: given });
    } catch (error) {
      throw new Error(`${where}: ${column} "${given}": ${(error as Error).message}`);
    }
  }
}

/**
 * Reads a subjects table.
 *
 * @param path The file.
 * @returns The table.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {Error} As {@linkcode parseSubjectsTable}.
 */
export async function readSubjectsTable(path: string): Promise<SubjectsTable> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw explainFsError(error, path, "subjects table");
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new Error(`Subjects table "${path}" is UTF-16: save it as UTF-8 text`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // The line of the first byte that is not UTF-8.
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let good = 0;
    try {
      for (; good < bytes.length; good++) {
        decoder.decode(bytes.subarray(good, good + 1), { stream: true });
      }
    } catch {
      // `good` ends an invalid sequence: it starts at its lead byte, if one is just before.
      for (let j = good; j >= Math.max(0, good - 3); j--) {
        if (bytes[j]! >= 0xc0) {
          good = j;
          break;
        }
      }
    }
    const line = bytes.subarray(0, good).filter((b) => b === 0x0a).length + 1;
    throw new Error(
      `Subjects table "${path}" is not UTF-8 text (line ${line}, byte ${good + 1}): save it ` +
        "as UTF-8",
    );
  }
  return parseSubjectsTable(text, path);
}

/**
 * The row of an animal: the one whose id is the animal name as written, else the one whose id
 * is its subject label.
 *
 * @param table The table.
 * @param animalName `animalName` of the session.
 * @param label Its subject label.
 * @returns The row, or undefined.
 */
export function findSubject(
  table: SubjectsTable,
  animalName: string,
  label: string,
): SubjectRecord | undefined {
  // Ids are kept without a leading `sub-`; so is the animal name here.
  const name = animalName.replace(/^sub-/, "");
  return table.rows.find((row) => row.subjectId === name) ??
    table.rows.find((row) => row.subjectId === label.replace(/^sub-/, ""));
}

/**
 * The fields DANDI requires of a subject that a row lacks: `species`, `sex`, and `age` or
 * `date_of_birth`.
 *
 * @param record The row, or undefined when the animal has none.
 * @returns The missing fields by their column names, in table order.
 */
export function missingSubjectFields(record: SubjectRecord | undefined): string[] {
  const missing: string[] = [];
  if (!record?.species) missing.push("species");
  if (!record?.sex) missing.push("sex");
  if (!record?.age && !record?.dateOfBirth) missing.push("age or date_of_birth");
  return missing;
}

/**
 * The age at a date from a date of birth, as an ISO 8601 duration in days (`P92D`), for a
 * subject with a date of birth and no age.
 *
 * @param dateOfBirth ISO 8601 date or date-time; its calendar date is used.
 * @param year The session's local year, and below its month and day.
 * @param month The month, 1 to 12.
 * @param day The day of the month.
 * @returns The duration, or null when the session is before the birth date.
 */
export function ageInDays(
  dateOfBirth: string,
  year: number,
  month: number,
  day: number,
): string | null {
  const [y, m, d] = dateOfBirth.slice(0, 10).split("-").map(Number) as [number, number, number];
  const days = (Date.UTC(year, month - 1, day) - Date.UTC(y, m - 1, d)) / 86_400_000;
  return days >= 0 ? `P${days}D` : null;
}
