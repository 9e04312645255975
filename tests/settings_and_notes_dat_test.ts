import { join } from "node:path";
import { deepStrictEqual, throws } from "node:assert/strict";
import { parseSettingsAndNotes } from "../src/formats/settings_and_notes_dat.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { errorWith, TESTDATA } from "./_helpers.ts";
import { LEGACY } from "../testdata/make_fixtures.ts";

Deno.test("parseSettingsAndNotes() reads the fixture's settings row and notes", async () => {
  const text = await Deno.readTextFile(join(TESTDATA, LEGACY.folder, "settings_and_notes.dat"));
  const { settings, notes } = parseSettingsAndNotes(text);
  deepStrictEqual(settings, {
    animal: "GC6f_M3",
    excitation: 47,
    msCamExposure: 255,
    recordLength: 600,
    values: { animal: "GC6f_M3", excitation: "47", msCamExposure: "255", recordLength: "600" },
  });
  deepStrictEqual(notes, LEGACY.settings.notes);
});

Deno.test("parseSettingsAndNotes() keeps a note's spaces and tabs after the first tab", () => {
  const { notes } = parseSettingsAndNotes(
    "animal\texcitation\tmsCamExposure\trecordLength\nm1\t50\t100\t0\n\nelapsedTime\tNote\n" +
      "1500\tmouse  groomed\n2750\tshock\tlevel 2\n",
  );
  deepStrictEqual(notes, [
    { elapsedTimeMs: 1500, text: "mouse  groomed" },
    { elapsedTimeMs: 2750, text: "shock\tlevel 2" },
  ]);
});

Deno.test("parseSettingsAndNotes() accepts a file without notes, an empty animal and unknown columns", () => {
  const { settings, notes } = parseSettingsAndNotes(
    "animal\texcitation\tmsCamExposure\trecordLength\tgain\n\t12\thigh\t\t2\r\n",
  );
  deepStrictEqual(notes, []);
  deepStrictEqual(
    [settings.animal, settings.excitation, settings.msCamExposure, settings.recordLength],
    [null, 12, null, null],
  );
  deepStrictEqual(settings.values, {
    animal: "",
    excitation: "12",
    msCamExposure: "high",
    recordLength: "",
    gain: "2",
  });
  // Without the blank line and the notes header, rows are still notes.
  deepStrictEqual(parseSettingsAndNotes("animal\nm2\n300\tstart\n").notes, [
    { elapsedTimeMs: 300, text: "start" },
  ]);
});

Deno.test("parseSettingsAndNotes() names the line that is wrong", () => {
  throws(() => parseSettingsAndNotes(""), errorWith(FormatError, "the file is empty"));
  throws(
    () => parseSettingsAndNotes("animal\texcitation\n"),
    errorWith(FormatError, "no settings row"),
  );
  throws(
    () => parseSettingsAndNotes("animal\texcitation\nm1\t1\t2\n"),
    errorWith(FormatError, "line 2 has 3 settings but the header on line 1 names 2"),
  );
  throws(
    () => parseSettingsAndNotes("animal\nm1\n\nelapsedTime\tNote\n100\tok\nlater\tnot a time\n"),
    errorWith(FormatError, "line 6 is not a note: expected the elapsed time in ms, a tab and"),
  );
});
