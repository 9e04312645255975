// Opens a recording and reads it whole, printing a JSON summary; run by permissions_test.ts
// under narrow permissions. Arguments: a device folder, or video paths then a .csv path.
import { MiniscopeImagingExtractor } from "../mod.ts";

try {
  const args = Deno.args;
  const ex = args.length === 1
    ? await MiniscopeImagingExtractor.open({ folderPath: args[0]!, onWarning: () => {} })
    : await MiniscopeImagingExtractor.open({
      filePaths: args.slice(0, -1),
      timestampsPath: args.at(-1)!,
      onWarning: () => {},
    });
  const series = await ex.getSeries();
  let sum = 0;
  for (const value of series.data) sum += value;
  console.log(JSON.stringify({ ok: true, samples: ex.getNumSamples(), sum }));
} catch (error) {
  const e = error as Error;
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
}
