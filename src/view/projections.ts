/**
 * Mean and max projections for the viewer, computed once on request, with progress.
 *
 * @module
 */

import { projectRecording, projectValues } from "../analysis/projections.ts";
import { encodePng } from "./png.ts";
import type { StoredFrames, ViewRecording } from "./model.ts";

/** Where the computation is, as `GET /api/projections` reports it. */
export interface ProjectionStatus {
  /** `idle` before the first request, then `running`, `done` or `failed`. */
  state: "idle" | "running" | "done" | "failed";
  /** Frames read so far. */
  done: number;
  /** Frames in all. */
  total: number;
  /** Why it failed, when it did. */
  error?: string;
}

/**
 * The mean (rounded to the nearest integer) and max of every pixel over all frames, of each
 * channel: gray for a Miniscope, RGB for a colour camera, as its frames are shown. For a device
 * whose stored values are not the 8-bit values shown (an NWB series), both are of the stored
 * values, shown through the device's scale, and the exact mean is of the stored values.
 */
export class Projections {
  readonly #extractor: ViewRecording;
  readonly #stored: StoredFrames | undefined;
  readonly #signal: AbortSignal;
  #status: ProjectionStatus;
  #pngs: { mean: Uint8Array; max: Uint8Array } | null = null;
  #mean: Float64Array | null = null;
  #run: Promise<void> | null = null;

  /**
   * Prepares the projections of a recording; nothing is read before {@linkcode start}.
   *
   * @param extractor The recording.
   * @param signal Stops the computation.
   * @param stored Its stored frames, where they are not the values shown.
   */
  constructor(extractor: ViewRecording, signal: AbortSignal, stored?: StoredFrames) {
    this.#extractor = extractor;
    this.#stored = stored;
    this.#signal = signal;
    this.#status = { state: "idle", done: 0, total: extractor.getNumSamples() };
  }

  /** The current status. */
  status(): ProjectionStatus {
    return { ...this.#status };
  }

  /** Starts the computation unless it ran or runs already. */
  start(): void {
    if (this.#run) return;
    this.#status.state = "running";
    this.#run = this.#compute().then(
      () => {
        this.#status.state = "done";
      },
      (error: unknown) => {
        this.#status.state = "failed";
        this.#status.error = error instanceof Error ? error.message : String(error);
      },
    );
  }

  /**
   * A projection as 8-bit PNG (gray, or RGB for a colour camera), once computed.
   *
   * @param kind `mean` or `max`.
   * @returns The PNG, or null while not computed.
   */
  png(kind: "mean" | "max"): Uint8Array | null {
    return this.#pngs?.[kind] ?? null;
  }

  /**
   * The mean of each pixel and channel as computed (not rounded), once computed: the F0 of the
   * page's ΔF/F.
   *
   * @returns The mean, row-major, or null while not computed.
   */
  mean(): Float64Array | null {
    return this.#mean;
  }

  /** Waits for the computation to end, if it started. */
  async settled(): Promise<void> {
    await this.#run;
  }

  async #compute(): Promise<void> {
    const [rows, cols] = this.#extractor.getImageShape();
    const stored = this.#stored;
    if (stored) {
      const channels = stored.getPixelFormat() === "rgb24" ? 3 : 1;
      const { mean, max } = await projectValues(stored, {
        signal: this.#signal,
        onFrame: () => this.#status.done++,
      });
      this.#mean = mean;
      this.#pngs = {
        mean: encodePng(cols, rows, channels, stored.shown(mean)),
        max: encodePng(cols, rows, channels, stored.shown(max)),
      };
      return;
    }
    const { channels, mean, max } = await projectRecording(this.#extractor, {
      signal: this.#signal,
      onFrame: () => this.#status.done++,
    });
    this.#mean = mean;
    // Shown as 8-bit pictures: the mean to the nearest integer.
    const rounded = Uint8Array.from(mean, Math.round);
    this.#pngs = {
      mean: encodePng(cols, rows, channels, rounded),
      max: encodePng(cols, rows, channels, max),
    };
  }
}
