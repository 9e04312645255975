// Runs every kind of read of one recording and prints, as JSON, how each ended and every promise
// rejection that no handler took; run by permissions_test.ts under narrow permissions.
// Arguments: a device folder, then "live" or "one-shot", then the concurrency.
import { MiniscopeImagingExtractor } from "../mod.ts";

const unhandled: string[] = [];
globalThis.addEventListener("unhandledrejection", (event) => {
  // Recorded and reported rather than left to end the script, so every read still runs.
  event.preventDefault();
  const reason = event.reason as Error;
  unhandled.push(`${reason?.name}: ${reason?.message}`);
});

/** Lets the event loop turn, which is when a rejection without a handler is reported. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 10));

const [folder, way, concurrency] = Deno.args;
const ex = await MiniscopeImagingExtractor.open({
  folderPath: folder!,
  liveDecoders: way === "live",
  concurrency: Number(concurrency),
  onWarning: () => {},
});
const reads: Record<string, () => Promise<unknown>> = {
  "getSeries()": () => ex.getSeries(),
  "getSeries(0, 5)": () => ex.getSeries(0, 5),
  "getSamples()": () => ex.getSamples([0, 30, 57, 1, 45]),
  "stream()": async () => {
    for await (const _ of ex.stream()) { /* every frame */ }
  },
  "stream() without read-ahead": async () => {
    for await (const _ of ex.stream({ readAheadBytes: 0 })) { /* every frame */ }
  },
  "a short stream()": async () => {
    for await (const _ of ex.stream({ start: 10, end: 20 })) { /* every frame */ }
  },
  "reads at once": () =>
    Promise.all([ex.getSeries(), ex.getSamples([3, 40]), ex.getSeries(20, 50)]),
};
const ends: Record<string, string> = {};
for (const [name, read] of Object.entries(reads)) {
  try {
    await read();
    ends[name] = "ok";
  } catch (error) {
    const e = error as Error;
    ends[name] = `${e.name}: ${e.message}`;
  }
  await turn();
}
await ex.close();
await turn();
console.log(JSON.stringify({ ends, unhandled }));
