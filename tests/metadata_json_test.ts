import { deepStrictEqual, throws } from "node:assert/strict";
import { parseMetadataJson } from "../src/formats/metadata_json.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { errorWith, SAMPLE } from "./_helpers.ts";

Deno.test("parseMetadataJson() reads a device metaData.json with string and number values", async () => {
  const meta = parseMetadataJson(await Deno.readTextFile(`${SAMPLE}/metaData.json`));
  deepStrictEqual(meta.deviceType, "Miniscope_V4_BNO");
  deepStrictEqual(meta.frameRate, "30FPS");
  deepStrictEqual(meta.gain, 3.5);
  deepStrictEqual(meta.ROI, { height: 40, leftEdge: 0, topEdge: 0, width: 48 });
});

Deno.test("parseMetadataJson() gives the position of invalid JSON", () => {
  throws(
    () => parseMetadataJson('{\n    "gain": 3.5,\n    "led0": }'),
    errorWith(FormatError, "not valid JSON at line 3, column 13"),
  );
  throws(
    () => parseMetadataJson('{"a": 1'),
    errorWith(FormatError, "not valid JSON at line 1, column 8"),
  );
});

Deno.test("parseMetadataJson() rejects a top level that is not an object", () => {
  throws(() => parseMetadataJson("[1, 2]"), errorWith(FormatError, "top level is an array"));
  throws(() => parseMetadataJson("null"), errorWith(FormatError, "top level is null"));
  throws(() => parseMetadataJson("42"), errorWith(FormatError, "top level is number"));
});
