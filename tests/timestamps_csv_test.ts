import assert, { deepStrictEqual, throws } from "node:assert/strict";
import { parseTimestampsCsv } from "../src/formats/timestamps_csv.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { errorWith, SAMPLE, startingWith, V1 } from "./_helpers.ts";
import { timestampsMs } from "../testdata/make_fixtures.ts";
import { FIXTURES } from "../testdata/make_fixtures.ts";

Deno.test("parseTimestampsCsv() reads the v2 four-column file with negative first stamps", async () => {
  const table = parseTimestampsCsv(await Deno.readTextFile(`${SAMPLE}/timeStamps.csv`));
  const expected = timestampsMs({ frames: 58, ...FIXTURES.sample.timestamps });
  deepStrictEqual([...table.timeStampsMs], expected);
  assert(table.timeStampsMs[0]! < 0, `first stamp ${table.timeStampsMs[0]} ms`);
  deepStrictEqual([...table.frameNumbers], Array.from({ length: 58 }, (_, i) => i));
  deepStrictEqual(table.daqFrameNumbers?.[30], 31);
  deepStrictEqual(table.daqFrameNumbers?.[31], 33);
  deepStrictEqual(table.bufferIndices?.length, 58);
});

Deno.test("parseTimestampsCsv() reads the v1 three-column file without a DAQ column", async () => {
  const table = parseTimestampsCsv(await Deno.readTextFile(`${V1}/timeStamps.csv`));
  deepStrictEqual(table.timeStampsMs.length, 19);
  deepStrictEqual(table.daqFrameNumbers, undefined);
  deepStrictEqual(table.timeStampsMs[0], -35);
});

Deno.test("parseTimestampsCsv() accepts CRLF, a byte-order mark, spaces and trailing blank lines", () => {
  const text = "\ufeffFrame Number, Time Stamp (ms) ,Buffer Index\r\n0, -5 ,0\r\n1,28,1\r\n\r\n\n";
  const table = parseTimestampsCsv(text);
  deepStrictEqual([...table.timeStampsMs], [-5, 28]);
  deepStrictEqual([...table.frameNumbers], [0, 1]);
});

Deno.test("parseTimestampsCsv() returns no rows for a header-only file", () => {
  deepStrictEqual(
    parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\n").timeStampsMs.length,
    0,
  );
});

Deno.test("parseTimestampsCsv() rejects an empty file", () => {
  throws(() => parseTimestampsCsv(""), errorWith(FormatError, "empty"));
  throws(() => parseTimestampsCsv("\n\r\n  \n"), errorWith(FormatError, "empty"));
});

Deno.test("parseTimestampsCsv() rejects an unknown header and quotes it", () => {
  throws(
    () => parseTimestampsCsv("frame,time\n0,1\n"),
    errorWith(
      FormatError,
      'line 1 is not a Miniscope timestamps header: expected "Frame Number,Time Stamp (ms),Buffer Index", found "frame,time"',
    ),
  );
});

Deno.test("parseTimestampsCsv() names the line and column of a non-numeric cell", () => {
  throws(
    () => parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,3x3,0\n"),
    errorWith(FormatError, 'line 3, column 2 ("Time Stamp (ms)") is not a number: "3x3"'),
  );
  throws(
    () => parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\n0,,0\n"),
    errorWith(FormatError, "line 2, column 2"),
  );
});

Deno.test("parseTimestampsCsv() rejects a row with the wrong number of cells", () => {
  throws(
    () => parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,33\n"),
    errorWith(FormatError, "line 3 has 2 cells, expected 3"),
  );
});

Deno.test("parseTimestampsCsv() accepts CR-only line ends (old Mac and Excel output)", () => {
  const table = parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\r0,-5,0\r1,28,1\r");
  deepStrictEqual([...table.timeStampsMs], [-5, 28]);
});

Deno.test("parseTimestampsCsv() calls a stamp of 1e400 not a finite number, naming line and column", () => {
  throws(
    () => parseTimestampsCsv("Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,1e400,0\n"),
    errorWith(FormatError, 'line 3, column 2 ("Time Stamp (ms)") is not a finite number: "1e400"'),
  );
});

Deno.test("parseTimestampsCsv() leaves out a last row cut while writing, with a warning, but not a complete one", () => {
  const header = "Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,33,0\n";
  for (const partial of ["2,6", "2,66,", "2"]) {
    const told: string[] = [];
    const table = parseTimestampsCsv(header + partial, (m) => told.push(m));
    deepStrictEqual([...table.timeStampsMs], [0, 33], partial);
    deepStrictEqual(told.length, 1);
    assert.match(told[0]!, startingWith("its last row is incomplete and has no line end (line 4"));
  }
  // With its line end, the same row is an error; a complete last row without one is kept.
  throws(() => parseTimestampsCsv(header + "2,6\n"), errorWith(FormatError, "line 4 has 2 cells"));
  const told: string[] = [];
  deepStrictEqual(
    parseTimestampsCsv(header + "2,66,0", (m) => told.push(m)).timeStampsMs.length,
    3,
  );
  deepStrictEqual(told, []);
});
