/**
 * The viewer page's small helpers: elements by id, the status line, searches in time stamps, the
 * projections' computation on the server.
 *
 * Like every module under `client/`, {@linkcode commonModule} runs in the browser from its
 * source text (see `../client.ts`): it refers to nothing outside its own body and parameter.
 *
 * @module
 */

import type { Common, TimePlot } from "./types.ts";

/**
 * The helpers.
 *
 * @returns `element`, `status`, `nearestAtOrBefore`, `nearest`, `timestamps`,
 *   `computeProjections`, `timePlot` and `storedValues`.
 */
export function commonModule(): Common {
  /** The page's element `#id`. */
  const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
    const found = document.getElementById(id);
    if (!found) throw new Error(`The page has no element #${id}`);
    return found as T;
  };

  /** Shows a problem in the status line (and the console); "" clears it. */
  const status = (message: string): void => {
    element("status").textContent = message;
    if (message) console.error(message);
  };

  /** The index of the last time at or before `t` (0 before the first). */
  function nearestAtOrBefore(values: Float64Array, t: number): number {
    let lo = 0, hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (values[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The index of the time nearest to `t`. */
  function nearest(values: Float64Array, t: number): number {
    const k = nearestAtOrBefore(values, t);
    const next = Math.min(values.length - 1, k + 1);
    return Math.abs(values[next]! - t) < Math.abs(values[k]! - t) ? next : k;
  }

  /** The time stamps of a device, in seconds. */
  async function timestamps(device: number): Promise<Float64Array> {
    const body = await (await fetch(`api/timestamps?device=${device}`)).json();
    return Float64Array.from(body.timestamps);
  }

  /**
   * Has the server compute the projections of a device, showing its progress; resolves
   * when they are ready.
   */
  async function computeProjections(device: number): Promise<void> {
    const progress = element<HTMLProgressElement>("projection-progress");
    progress.hidden = false;
    // The server wants this page's Origin on a POST; under the page's no-referrer policy the
    // Fetch standard has browsers send "null" instead.
    let s = await (await fetch(`api/projections?device=${device}`, {
      method: "POST",
      referrerPolicy: "same-origin",
    })).json();
    while (s.state === "running") {
      progress.max = s.total;
      progress.value = s.done;
      await new Promise((resolve) => setTimeout(resolve, 250));
      s = await (await fetch(`api/projections?device=${device}`)).json();
    }
    progress.hidden = true;
    if (s.state !== "done") throw new Error(`Projections failed: ${s.error}`);
  }

  // The stored values of one frame are kept: the readout and ΔF/F ask for the frame shown.
  const arrays: Record<string, new (buffer: ArrayBuffer) => ArrayLike<number | bigint>> = {
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
  };
  let kept: { key: string; values: Promise<ArrayLike<number | bigint>> } | null = null;

  /** The stored values of frame `index` of a device (`/api/values`), as their data type. */
  function storedValues(
    device: number,
    index: number,
    dtype: string,
  ): Promise<ArrayLike<number | bigint>> {
    const key = `${device},${index}`;
    if (kept?.key !== key) {
      const values = fetch(`api/values/${index}?device=${device}`).then(async (response) => {
        if (!response.ok) throw new Error(`The values of frame ${index}: ${response.status}`);
        return new arrays[dtype]!(await response.arrayBuffer());
      });
      values.catch(() => {
        if (kept?.key === key) kept = null;
      });
      kept = { key, values };
    }
    return kept.values;
  }

  /** A plot over the frames: its canvas sized to its box and cleared. */
  function timePlot(id: string, box: string, height: number, samples: number): TimePlot {
    const canvas = element<HTMLCanvasElement>(id);
    const width = Math.max(200, element(box).clientWidth);
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d")!;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    const x = (sample: number) => (sample / Math.max(1, samples - 1)) * (width - 1);
    return { canvas, context, width, x };
  }

  return {
    element,
    status,
    nearestAtOrBefore,
    nearest,
    timestamps,
    computeProjections,
    timePlot,
    storedValues,
  };
}
