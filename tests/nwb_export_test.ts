import { deepStrictEqual, throws } from "node:assert/strict";
import { nwbOptionsFromArgs } from "../src/cli/nwb_export.ts";
import { errorWith } from "./_helpers.ts";

Deno.test("nwbOptionsFromArgs() gives each flag's value to its option, numbers as numbers", () => {
  deepStrictEqual(
    nwbOptionsFromArgs({
      "session-description": "baseline",
      "subject-id": "m1",
      "date-of-birth": "2022-06-21",
      sex: "F",
      "session-start-time": "2022-09-19T09:18:41+02:00",
      "excitation-lambda": "470",
      "emission-lambda": " 5.25e2",
      level: "0",
      compression: "gzip",
      "behavior-videos": "copy",
      experimenter: ["Doe, Jane", "Roe, Rick"],
      keyword: ["CA1"],
      overwrite: true,
      json: false,
    }),
    {
      sessionDescription: "baseline",
      subjectId: "m1",
      dateOfBirth: "2022-06-21",
      sex: "F",
      sessionStartTime: "2022-09-19T09:18:41+02:00",
      excitationLambda: 470,
      emissionLambda: 525,
      level: 0,
      compression: "gzip",
      behaviorVideos: "copy",
      experimenter: ["Doe, Jane", "Roe, Rick"],
      keywords: ["CA1"],
      overwrite: true,
    },
  );
  deepStrictEqual(nwbOptionsFromArgs({ overwrite: false, level: undefined }), {});
});

Deno.test("nwbOptionsFromArgs() names the flag of a bad value", () => {
  throws(
    () => nwbOptionsFromArgs({ "excitation-lambda": "blue" }),
    errorWith(TypeError, `--excitation-lambda must be a number, got "blue"`),
  );
  throws(
    () => nwbOptionsFromArgs({ "emission-lambda": "5x" }),
    errorWith(TypeError, `--emission-lambda must be a number, got "5x"`),
  );
  for (const level of ["10", "-1", "4.5", ""]) {
    throws(
      () => nwbOptionsFromArgs({ level }),
      errorWith(RangeError, `--level must be a whole number from 0 to 9, got "${level}"`),
    );
  }
  // A value checkOptions refuses is named by its flag, not the API field.
  throws(
    () => nwbOptionsFromArgs({ sex: "X" }),
    errorWith(RangeError, `--sex must be one of M, F, U, O, got "X"`),
  );
  throws(() => nwbOptionsFromArgs({ keyword: [""] }), (error) => {
    const message = (error as Error).message;
    return message.startsWith("--keyword") && !message.includes("keywords");
  });
});
