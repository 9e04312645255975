// Writes an NWB file through the API; run by nwb_test.ts under narrow permissions.
// Arguments: a session folder, the output path. Prints a JSON summary.
import { MiniscopeSession } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";

try {
  const session = await MiniscopeSession.open(Deno.args[0]!);
  const result = await writeNwb(session, Deno.args[1]!, { indicator: "GCaMP6f", onWarning() {} });
  console.log(JSON.stringify({ ok: true, series: result.series.map((s) => s.path) }));
} catch (error) {
  const e = error as Error;
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
}
