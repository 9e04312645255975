/**
 * Region traces: the mean of a region of the frame (a rectangle or an ellipse) in every frame
 * of a recording, computed by streaming each frame once, with memory bounded by the region and
 * the trace.
 *
 * Pixels are counted as the frame holds them: x to the right, y down, the pixel `(x, y)` covering
 * `[x, x + 1) × [y, y + 1)`. A colour frame (`rgb24`) counts each of its three channels alike:
 * the mean is over every channel of every pixel of the region. Frames may hold any numbers (the
 * stored values of an NWB series as well as 8-bit pixels); 64-bit integers are taken as the
 * nearest double.
 *
 * @module
 */

/**
 * A region of the frame, in pixels: `rect` is `[x, y, width, height]` (whole numbers, the pixels
 * `x <= col < x + width`, `y <= row < y + height`); `ellipse` is `[cx, cy, rx, ry]` (the pixels
 * whose centre `(col + 0.5, row + 0.5)` lies in the ellipse, edge included).
 */
export type Region =
  | { rect: [number, number, number, number] }
  | { ellipse: [number, number, number, number] };

/**
 * Checks a region against a frame of `rows × cols` and lists its pixels. It must lie within the
 * frame: a rectangle wholly, an ellipse with its bounding box.
 *
 * @example
 * ```ts
 * import { regionPixels } from "./traces.ts";
 *
 * console.log(regionPixels({ rect: [1, 0, 2, 1] }, [2, 4])); // Uint32Array [1, 2]
 * ```
 *
 * @param region The region.
 * @param shape The frame's `[rows, cols]`.
 * @returns The row-major indices of its pixels, ascending.
 * @throws {TypeError} When the region is not a `rect` or `ellipse` of four finite numbers, or a
 *   rectangle's numbers are not whole.
 * @throws {RangeError} When it is empty or does not lie within the frame.
 */
export function regionPixels(region: Region, shape: readonly [number, number]): Uint32Array {
  const [rows, cols] = shape;
  const isRect = typeof region === "object" && region !== null && "rect" in region;
  if (isRect && "ellipse" in region) {
    throw new TypeError(
      `A region is a rectangle or an ellipse, not both: ${JSON.stringify(region)}`,
    );
  }
  const values: unknown = isRect
    ? (region as { rect: unknown }).rect
    : (region as { ellipse?: unknown } | null)?.ellipse;
  if (
    !Array.isArray(values) || values.length !== 4 ||
    !values.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    throw new TypeError(
      `A region is { "rect": [x, y, width, height] } or { "ellipse": [cx, cy, rx, ry] } ` +
        `of finite numbers, got ${JSON.stringify(region)}`,
    );
  }
  const [a, b, c, d] = values as [number, number, number, number];
  const frame = `the frame of ${cols}x${rows} pixels`;
  const pixels: number[] = [];
  if (isRect) {
    if (![a, b, c, d].every(Number.isInteger)) {
      throw new TypeError(`A rectangle's x, y, width and height are whole numbers, got ${values}`);
    }
    if (c <= 0 || d <= 0) throw new RangeError(`The rectangle ${values} is empty`);
    if (a < 0 || b < 0 || a + c > cols || b + d > rows) {
      throw new RangeError(`The rectangle ${values} does not lie within ${frame}`);
    }
    for (let y = b; y < b + d; y++) for (let x = a; x < a + c; x++) pixels.push(y * cols + x);
  } else {
    if (c <= 0 || d <= 0) throw new RangeError(`The ellipse ${values} is empty`);
    if (a - c < 0 || b - d < 0 || a + c > cols || b + d > rows) {
      throw new RangeError(`The ellipse ${values} does not lie within ${frame}`);
    }
    for (let y = Math.floor(b - d); y < Math.ceil(b + d); y++) {
      for (let x = Math.floor(a - c); x < Math.ceil(a + c); x++) {
        const u = (x + 0.5 - a) / c, v = (y + 0.5 - b) / d;
        if (u * u + v * v <= 1) pixels.push(y * cols + x);
      }
    }
    if (pixels.length === 0) {
      throw new RangeError(`The ellipse ${values} holds no pixel centre`);
    }
  }
  return Uint32Array.from(pixels);
}

/**
 * The mean of a region in one frame: over its pixels, and over the channels of each.
 *
 * @example
 * ```ts
 * import { regionMean } from "./traces.ts";
 *
 * console.log(regionMean(new Uint8Array([0, 10, 20, 30]), new Uint32Array([1, 3]), 1)); // 20
 * ```
 *
 * @param data The frame, row-major, `channels` values per pixel.
 * @param pixels The region's pixels, from {@linkcode regionPixels}.
 * @param channels 1 for gray, 3 for RGB.
 * @returns The mean.
 */
export function regionMean(
  data: ArrayLike<number> | ArrayLike<bigint>,
  pixels: Uint32Array,
  channels: 1 | 3,
): number {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    data = Float64Array.from(data, Number);
  }
  const values = data as ArrayLike<number>;
  let sum = 0;
  if (channels === 1) {
    for (let i = 0; i < pixels.length; i++) sum += values[pixels[i]!]!;
  } else {
    for (let i = 0; i < pixels.length; i++) {
      const at = pixels[i]! * 3;
      sum += values[at]! + values[at + 1]! + values[at + 2]!;
    }
  }
  return sum / (pixels.length * channels);
}

/**
 * What a trace is computed from: a recording's frame shape, its channels and its frames in
 * order. A `MiniscopeImagingExtractor` is one.
 */
export interface TraceInput {
  /** The frame's `[rows, cols]`. */
  getImageShape(): readonly [number, number];
  /** `rgb24` for three values per pixel; anything else for one. */
  getPixelFormat(): string;
  /** The number of frames. */
  getNumSamples(): number;
  /** Every frame in order, once. */
  stream(
    options?: { signal?: AbortSignal },
  ): AsyncIterable<{ data: ArrayLike<number> | ArrayLike<bigint> }>;
}

/** Options of {@linkcode traceRecording}. */
export interface TraceOptions {
  /** Stops the computation; ffmpeg is killed. */
  signal?: AbortSignal | undefined;
  /** Called after each frame with the frames done. */
  onFrame?: ((done: number) => void) | undefined;
}

/**
 * Streams every frame of a recording once and takes the mean of a region in each.
 *
 * @example
 * ```ts
 * import { MiniscopeImagingExtractor } from "../extractor.ts";
 * import { traceRecording } from "./traces.ts";
 *
 * const extractor = await MiniscopeImagingExtractor.open({
 *   folderPath: "testdata/sample_session/Miniscope",
 * });
 * const trace = await traceRecording(extractor, { ellipse: [10, 10, 4, 3] });
 * console.log(trace.length === extractor.getNumSamples());
 * await extractor.close();
 * ```
 *
 * @param extractor The recording, gray or RGB as it was opened, or any other
 *   {@linkcode TraceInput}.
 * @param region The region, within the frame.
 * @param options A signal and a progress callback.
 * @returns The mean of the region in each frame.
 * @throws {TypeError} {RangeError} When the region is malformed or not within the frame.
 * @throws The reader's errors when a frame cannot be decoded; the signal's reason on abort.
 */
export async function traceRecording(
  extractor: TraceInput,
  region: Region,
  options: TraceOptions = {},
): Promise<Float64Array> {
  const pixels = regionPixels(region, extractor.getImageShape());
  const channels = extractor.getPixelFormat() === "rgb24" ? 3 : 1;
  const values = new Float64Array(extractor.getNumSamples());
  let done = 0;
  const signal = options.signal;
  for await (const frame of extractor.stream(signal ? { signal } : {})) {
    values[done++] = regionMean(frame.data, pixels, channels);
    options.onFrame?.(done);
  }
  return values;
}
