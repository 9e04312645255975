// Property tests of the parsers of the software before 2020's files: random and mutated inputs
// only ever end in their documented error (FormatError) or a value; written files read back
// as written; the cameras are told apart whatever their camNums.
import fc from "fast-check";
import assert, { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { FormatError } from "../src/formats/format_error.ts";
import {
  assignCameras,
  camerasOf,
  parseTimestampDat,
  replaceFirstStamp,
} from "../src/formats/timestamp_dat.ts";
import { parseSettingsAndNotes } from "../src/formats/settings_and_notes_dat.ts";
import { legacyStartTime } from "../src/formats/legacy_folder_names.ts";
import { TESTDATA } from "./_helpers.ts";
import { LEGACY } from "../testdata/make_fixtures.ts";

const RUNS = 400;
const FOLDER = join(TESTDATA, LEGACY.folder);

function documented(error: unknown): void {
  if (!(error instanceof FormatError)) {
    throw new Error(`undocumented error: ${error instanceof Error ? error.stack : String(error)}`);
  }
}

/**
 * What `parse` returns, or undefined when it throws the documented error; the checks of the
 * value stay outside, so that their failures are reported as such.
 */
function parsedOrDocumented<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    documented(error);
    return undefined;
  }
}

/** Text edits: at a place, cut some characters and insert pieces. */
function edited(original: string, pieces: fc.Arbitrary<string>) {
  return fc.array(fc.tuple(fc.nat(), fc.nat(12), fc.array(pieces, { maxLength: 4 })), {
    maxLength: 8,
  }).map((edits) => {
    let text = original;
    for (const [at, cut, inserted] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + inserted.join("") + text.slice(i + cut);
    }
    return text;
  });
}

const PIECES = fc.constantFrom("\t", "\n", "\r\n", "\r", "-", "1", "e", ".", " ", "x", "");

Deno.test("parseTimestampDat() ends in a table or a FormatError for mutated and random text", async () => {
  const original = await Deno.readTextFile(join(FOLDER, "timestamp.dat"));
  fc.assert(
    fc.property(fc.oneof(edited(original, PIECES), fc.string({ maxLength: 300 })), (text) => {
      const table = parsedOrDocumented(() => parseTimestampDat(text));
      if (!table) return;
      deepStrictEqual(table.camNums.length, table.sysClocksMs.length);
      deepStrictEqual([...table.sysClocksMs].filter((t) => !Number.isFinite(t)), []);
      const cams = camerasOf(table);
      deepStrictEqual(cams.reduce((n, cam) => n + cam.rows.length, 0), table.camNums.length);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseTimestampDat() reads back every row as written, whatever the line ends", () => {
  const row = fc.tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.nat(10_000),
    fc.integer({ min: -5_000, max: 5_000_000 }),
    fc.nat(128),
  );
  fc.assert(
    fc.property(
      fc.array(row, { maxLength: 40 }),
      fc.constantFrom("\n", "\r\n", "\r"),
      (rows, end) => {
        const text = ["camNum\tframeNum\tsysClock\tbuffer", ...rows.map((r) => r.join("\t"))]
          .join(end) + end;
        const table = parseTimestampDat(text);
        deepStrictEqual([...table.camNums], rows.map((r) => r[0]));
        deepStrictEqual([...table.frameNumbers], rows.map((r) => r[1]));
        deepStrictEqual([...table.sysClocksMs], rows.map((r) => r[2]));
        deepStrictEqual([...table.buffers!], rows.map((r) => r[3]));
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("assignCameras() finds each camera's camNum from distinct counts, whatever the camNums", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: -2, max: 9 }), { minLength: 2, maxLength: 2 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 5000 }),
      ([scopeCam, behaviourCam], scope, behaviour) => {
        fc.pre(scope !== behaviour);
        const counts = new Map([[scopeCam!, scope], [behaviourCam!, behaviour]]);
        deepStrictEqual(assignCameras(counts, { scope, behaviour }), {
          kind: "matched",
          scope: scopeCam,
          behaviour: behaviourCam,
          exact: true,
        });
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("assignCameras() answers the same with the camNums swapped, and is ambiguous for equal cameras", () => {
  fc.assert(
    fc.property(
      fc.nat(3000),
      fc.nat(3000),
      fc.nat(3000),
      fc.nat(3000),
      (rowsA, rowsB, scope, behaviour) => {
        const straight = assignCameras(new Map([[0, rowsA], [1, rowsB]]), { scope, behaviour });
        const swapped = assignCameras(new Map([[0, rowsB], [1, rowsA]]), { scope, behaviour });
        const relabel = (cam: number | null) => (cam === null ? null : 1 - cam);
        if (straight.kind === "matched") {
          deepStrictEqual(swapped.kind, "matched");
          deepStrictEqual(
            [swapped.scope, swapped.behaviour, swapped.exact],
            [relabel(straight.scope), relabel(straight.behaviour), straight.exact],
          );
        } else {
          deepStrictEqual(swapped.kind, "ambiguous");
        }
        if (scope === behaviour && rowsA === rowsB) deepStrictEqual(straight.kind, "ambiguous");
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("replaceFirstStamp() puts the first frame of regular stamps one interval before the second", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1e6, max: 1e9 }),
      fc.integer({ min: 0, max: 1e6 }),
      fc.integer({ min: 1, max: 500 }),
      fc.integer({ min: 3, max: 60 }),
      (written, start, interval, count) => {
        const stamps = Float64Array.from({ length: count }, (_, k) => start + k * interval);
        stamps[0] = written;
        const { stampsMs, first } = replaceFirstStamp(stamps);
        deepStrictEqual(stampsMs[0], start);
        deepStrictEqual([...stampsMs.subarray(1)], [...stamps.subarray(1)]);
        deepStrictEqual(first, { written, replacement: start, medianIntervalMs: interval });
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("parseSettingsAndNotes() ends in a value or a FormatError for mutated and random text", async () => {
  const original = await Deno.readTextFile(join(FOLDER, "settings_and_notes.dat"));
  fc.assert(
    fc.property(fc.oneof(edited(original, PIECES), fc.string({ maxLength: 300 })), (text) => {
      const parsed = parsedOrDocumented(() => parseSettingsAndNotes(text));
      if (!parsed) return;
      deepStrictEqual(parsed.notes.filter((note) => !Number.isFinite(note.elapsedTimeMs)), []);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseSettingsAndNotes() reads back the settings and notes as written", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_ ,.-]{0,12}$/).map((s) => s.trim());
  fc.assert(
    fc.property(
      word,
      fc.array(fc.nat(100_000), { minLength: 3, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(10_000_000), word), { maxLength: 6 }),
      (animal, [excitation, exposure, length], notes) => {
        const text = [
          "animal\texcitation\tmsCamExposure\trecordLength",
          [animal, excitation, exposure, length].join("\t"),
          "",
          "elapsedTime\tNote",
          ...notes.map(([ms, note]) => `${ms}\t${note}`),
        ].join("\r\n") + "\r\n";
        const read = parseSettingsAndNotes(text);
        deepStrictEqual(
          [read.settings.animal, read.settings.excitation, read.settings.msCamExposure],
          [animal === "" ? null : animal, excitation, exposure],
        );
        deepStrictEqual(read.settings.recordLength, length);
        deepStrictEqual(
          read.notes,
          notes.map(([ms, note]) => ({ elapsedTimeMs: ms, text: note })),
        );
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("legacyStartTime() reads back every date and time the software names folders with", () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2099, 11, 31)) }),
      fc.boolean(),
      (date, twoDigitYear) => {
        fc.pre(!Number.isNaN(date.getTime()));
        const year = date.getUTCFullYear();
        const day = `${date.getUTCMonth() + 1}_${date.getUTCDate()}_${
          twoDigitYear ? String(year % 100).padStart(2, "0") : year
        }`;
        const time = `H${date.getUTCHours()}_M${date.getUTCMinutes()}_S${date.getUTCSeconds()}`;
        const start = legacyStartTime(day, time);
        deepStrictEqual(
          start?.local,
          new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace("Z", ""),
        );
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
      const start = legacyStartTime(a, b);
      if (start !== null) assert(!Number.isNaN(Date.parse(start.local)), start.local);
    }),
    { numRuns: RUNS },
  );
});
