import assert, { deepStrictEqual, throws } from "node:assert/strict";
import { samplingFrequencyFromTimestamps } from "../src/analysis/sampling_frequency.ts";
import { parseTimestampsCsv } from "../src/formats/timestamps_csv.ts";
import { errorWith, findPython, SAMPLE, V1 } from "./_helpers.ts";

// The reference formula, run by numpy exactly as roiextractors writes it.
const REFERENCE = `
import json, sys, numpy as np
for stamps in json.load(sys.stdin):
    t = np.array(stamps, dtype=float)[:10000] / 1000
    d = np.diff(t)
    m, s = np.mean(d), np.std(d)
    print(repr(float(1 / np.mean(d[np.abs(d - m) < 3 * s]))))
`;

const python = await findPython(["numpy"]);

async function numpyReference(series: number[][]): Promise<number[]> {
  const child = new Deno.Command(python!, {
    args: ["-c", REFERENCE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(series)));
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim().split("\n").map(Number);
}

function jittered(count: number, seed: number, withOutliers: boolean): number[] {
  let state = seed;
  const stamps: number[] = [];
  let t = -100;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    t += 33 + (state % 3) - 1 + (withOutliers && i % 97 === 50 ? 34 : 0);
    stamps.push(t);
  }
  return stamps;
}

Deno.test({
  name: "samplingFrequencyFromTimestamps() equals the numpy reference to 1e-9 relative",
  ignore: python === undefined,
  fn: async () => {
    const series = [
      [...parseTimestampsCsv(await Deno.readTextFile(`${SAMPLE}/timeStamps.csv`)).timeStampsMs],
      [...parseTimestampsCsv(await Deno.readTextFile(`${V1}/timeStamps.csv`)).timeStampsMs],
      jittered(500, 1, true),
      jittered(12_000, 7, true), // only the first 10,000 count
      jittered(3, 3, false),
    ];
    const expected = await numpyReference(series);
    series.forEach((stamps, i) => {
      const ours = samplingFrequencyFromTimestamps(stamps);
      const relative = Math.abs(ours - expected[i]!) / expected[i]!;
      assert(relative < 1e-9, `series ${i}: ${ours} vs ${expected[i]}`);
    });
  },
});

Deno.test("samplingFrequencyFromTimestamps() works where the reference fails: two stamps and equal intervals", () => {
  deepStrictEqual(samplingFrequencyFromTimestamps([0, 50]), 20);
  deepStrictEqual(samplingFrequencyFromTimestamps([-100, -50, 0, 50, 100]), 20);
});

Deno.test("samplingFrequencyFromTimestamps() rejects fewer than two stamps and stamps that do not increase", () => {
  throws(
    () => samplingFrequencyFromTimestamps([5]),
    errorWith(RangeError, "at least 2 time stamps"),
  );
  throws(() => samplingFrequencyFromTimestamps([]), errorWith(RangeError, "found 0"));
  throws(
    () => samplingFrequencyFromTimestamps([10, 10, 10]),
    errorWith(RangeError, "do not increase"),
  );
});
