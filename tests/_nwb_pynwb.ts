// NWB files written by pynwb (and h5py) for the NWB reader and viewer tests: _nwb_pynwb.py run
// with the validator set's pynwb (../shared/tools/nwb), and what each series must read as.
import { join } from "node:path";

const HOME = Deno.env.get("HOME") ?? "/root";
const PYNWB = join(HOME, ".cache/nwb-validator/src");
const SCRIPT = new URL("./_nwb_pynwb.py", import.meta.url).pathname;

/** Whether pynwb is installed where the validator set puts it. */
export const canWritePynwb: boolean = await Deno.stat(join(PYNWB, "pynwb")).then(
  () => true,
  () => false,
);

/** What one series (one plane) of a file must read as. */
export interface ExpectedSeries {
  /** NumPy's name of the data type. */
  dtype: string;
  /** The raw frames' shape: `[frames, rows, cols]` or `[frames, rows, cols, 3]`. */
  shape: number[];
  /** Seconds. */
  timestamps: number[];
  /** The file, beside the NWB files, holding the raw frames as little-endian bytes. */
  bytes: string;
}

/** The files written, and per file and series path (`path#plane` for a plane) what it holds. */
export interface PynwbFiles {
  dir: string;
  expected: Record<string, Record<string, ExpectedSeries>>;
  /** The raw frames of a series as bytes. */
  bytesOf(entry: ExpectedSeries): Promise<Uint8Array>;
}

/**
 * Writes `pynwb.nwb`, `kinds.nwb`, `hard_links.nwb` and `no_imaging.nwb` into a new temporary
 * folder; remove `dir` when done.
 */
export async function writePynwbFiles(): Promise<PynwbFiles> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_pynwb_" });
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT, dir],
    env: { PYTHONPATH: PYNWB },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(`_nwb_pynwb.py failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const expected = JSON.parse(await Deno.readTextFile(join(dir, "expected.json")));
  return { dir, expected, bytesOf: (entry) => Deno.readFile(join(dir, entry.bytes)) };
}

/** The bytes of a typed array. */
export function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
