import { deepStrictEqual } from "node:assert/strict";
import {
  legacyStartTime,
  parseLegacyDateFolder,
  parseLegacyTimeFolder,
} from "../src/formats/legacy_folder_names.ts";

Deno.test("legacyStartTime() reads <month>_<day>_<year>/H<h>_M<m>_S<s> as local time to the second", () => {
  deepStrictEqual(legacyStartTime("6_29_15", "H15_M45_S12"), {
    year: 2015,
    month: 6,
    day: 29,
    hour: 15,
    minute: 45,
    second: 12,
    msec: 0,
    msecSinceEpoch: null,
    local: "2015-06-29T15:45:12.000",
  });
  deepStrictEqual(legacyStartTime("12_1_2019", "H9_M5_S0")?.local, "2019-12-01T09:05:00.000");
  // Year first, as the later software writes dates.
  deepStrictEqual(legacyStartTime("2019_03_14", "H10_M30_S15")?.local, "2019-03-14T10:30:15.000");
});

Deno.test("legacyStartTime() is null for names of other forms and for dates or times that do not exist", () => {
  for (
    const [date, time] of [
      ["Day7", "H19_M30_S21"], // renamed by a lab
      ["6_29_15", "15_45_12"], // a time folder of the later software
      ["2_30_16", "H10_M00_S00"], // February 30th
      ["13_1_16", "H10_M00_S00"], // month 13
      ["15_06_29", "H10_M00_S00"], // year first with two digits cannot be told
      ["6_29_15", "H24_M00_S00"],
      ["6_29_15", "H10_M60_S00"],
      ["6_29_15", "h10_m00_s00"],
    ]
  ) {
    deepStrictEqual(legacyStartTime(date!, time!), null, `${date}/${time}`);
  }
  deepStrictEqual(parseLegacyDateFolder("2_29_16"), { year: 2016, month: 2, day: 29 });
  deepStrictEqual(parseLegacyDateFolder("2_29_15"), null);
  deepStrictEqual(parseLegacyTimeFolder("H0_M0_S0"), { hour: 0, minute: 0, second: 0 });
});
