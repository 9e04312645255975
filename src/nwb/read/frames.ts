/**
 * Frames of an NWB imaging series from one HDF5 hyperslab: the frames asked for (one plane of
 * a 4D series), transposed from the file's `(x, y)` order to rows by columns. h5wasm gives
 * values little-endian whatever the file stores.
 *
 * @module
 */

import type { Dataset, File as H5File } from "h5wasm/node";
import type { NwbDtype, NwbSeriesInfo } from "./series.ts";

/** Values of frames, in a typed array of their data type. */
export type NwbPixels =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  uint64: BigUint64Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * A new typed array of `length` values of a data type.
 *
 * @param dtype The data type.
 * @param length Values.
 * @returns The array, zeroed.
 */
export function framePixels(dtype: NwbDtype, length: number): NwbPixels {
  return new ARRAYS[dtype](length);
}

/** Side of the square blocks of the transpose, so that both sides stay in cache. */
const BLOCK = 32;

/**
 * Writes `count` frames stored `(x, y, c)` as `(y, x, c)`: NWB's `(width, height)` order to
 * rows by columns.
 */
function transpose(
  input: NwbPixels,
  output: NwbPixels,
  shape: { count: number; x: number; y: number; channels: number },
): void {
  const { count, x: width, y: height, channels } = shape;
  const from = input as unknown as { [i: number]: number };
  const to = output as unknown as { [i: number]: number };
  const frame = width * height * channels;
  for (let f = 0; f < count; f++) {
    const base = f * frame;
    for (let x0 = 0; x0 < width; x0 += BLOCK) {
      const x1 = Math.min(width, x0 + BLOCK);
      for (let y0 = 0; y0 < height; y0 += BLOCK) {
        const y1 = Math.min(height, y0 + BLOCK);
        for (let x = x0; x < x1; x++) {
          for (let y = y0; y < y1; y++) {
            const source = base + (x * height + y) * channels;
            const target = base + (y * width + x) * channels;
            for (let c = 0; c < channels; c++) to[target + c] = from[source + c]!;
          }
        }
      }
    }
  }
}

/**
 * Reads frames `[start, end)` of a series (plane `plane` of a 4D one) in one hyperslab.
 *
 * @param root The open file.
 * @param info The series.
 * @param range The frames and the plane.
 * @returns The frames, rows by columns (by channels), back to back.
 * @throws {Error} When h5wasm cannot read them (the caller names the file).
 */
export function readFrameBlock(
  root: H5File,
  info: NwbSeriesInfo,
  range: { start: number; end: number; plane: number },
): NwbPixels {
  const data = root.get(`${info.path}/data`) as Dataset;
  const { start, end, plane } = range;
  const ranges: [number, number][] = [[start, end], [0, info.cols], [0, info.rows]];
  if (info.shape.length === 4) ranges.push(info.channels === 3 ? [0, 3] : [plane, plane + 1]);
  const values = data.slice(ranges) as NwbPixels | null;
  const count = end - start;
  const length = count * info.rows * info.cols * info.channels;
  if (values === null || !ArrayBuffer.isView(values) || values.length !== length) {
    throw new Error(`h5wasm gave ${values?.length ?? "no"} values, expected ${length}`);
  }
  const output = framePixels(info.dtype, length);
  transpose(values, output, { count, x: info.cols, y: info.rows, channels: info.channels });
  return output;
}
