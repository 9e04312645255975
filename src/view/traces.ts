/**
 * The viewer's region traces: each computed in the background on request, with progress,
 * cancelled when removed, kept while the server runs (a bounded number of them). One is
 * computed at a time (each read uses the recording's decoders at full speed); the others wait
 * their turn, `running` with nothing done yet.
 *
 * @module
 */

import type { ViewRecording } from "./model.ts";
import { Slots } from "../async.ts";
import { type Region, regionPixels, type TraceInput, traceRecording } from "../analysis/traces.ts";

/** Traces kept at once: each holds a number per frame. */
export const MAX_TRACES = 32;

/** A trace, as `GET /api/traces/{id}` reports it. */
export interface TraceStatus {
  /** Its id. */
  id: string;
  /** The device it is of. */
  device: number;
  /** The region, as asked for. */
  region: Region;
  /** `running`, then `done` or `failed`. */
  state: "running" | "done" | "failed";
  /** Frames read so far. */
  done: number;
  /** Frames in all. */
  total: number;
  /**
   * The region's mean in each frame, once done; a mean that is not finite (a NaN or infinite
   * stored value in the region) as the string `"NaN"`, `"Infinity"` or `"-Infinity"`, which JSON
   * has no number for.
   */
  values?: (number | string)[];
  /** Why it failed, when it did. */
  error?: string;
}

interface Job {
  status: TraceStatus;
  values: Float64Array | null;
  extractor: ViewRecording;
  stop: AbortController;
  run: Promise<void>;
}

/** Region traces of the devices of one viewer. */
export class TraceStore {
  readonly #signal: AbortSignal;
  readonly #jobs = new Map<string, Job>();
  readonly #slots = new Slots(1);
  #next = 1;

  /**
   * Prepares an empty store.
   *
   * @param signal Stops every computation.
   */
  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /**
   * Starts the trace of a region.
   *
   * @param extractor The device's recording: its time stamps go with the trace.
   * @param device The device's id.
   * @param region The region, within the frame.
   * @param input The frames averaged: the recording's own, unless the device's stored values
   *   are not the values it shows (an NWB series of 16-bit values).
   * @returns The new trace's id.
   * @throws {TypeError} {RangeError} When the region is malformed or not within the frame.
   * @throws {RangeError} When {@linkcode MAX_TRACES} are kept already.
   */
  add(
    extractor: ViewRecording,
    device: number,
    region: Region,
    input: TraceInput = extractor,
  ): string {
    regionPixels(region, input.getImageShape());
    if (this.#jobs.size >= MAX_TRACES) {
      throw new RangeError(`At most ${MAX_TRACES} traces are kept: remove one first`);
    }
    const id = String(this.#next++);
    const stop = new AbortController();
    const signal = AbortSignal.any([this.#signal, stop.signal]);
    const status: TraceStatus = {
      id,
      device,
      region,
      state: "running",
      done: 0,
      total: extractor.getNumSamples(),
    };
    const job: Job = { status, values: null, extractor, stop, run: Promise.resolve() };
    job.run = this.#slots.use(signal, () =>
      traceRecording(input, region, {
        signal,
        onFrame: (done) => void (status.done = done),
      })).then(
        (values) => {
          job.values = values;
          status.state = "done";
        },
        (error: unknown) => {
          status.state = "failed";
          status.error = error instanceof Error ? error.message : String(error);
        },
      );
    this.#jobs.set(id, job);
    return id;
  }

  /**
   * A trace's status, with its values once done.
   *
   * @param id The trace.
   * @returns The status, or null for no such trace.
   */
  status(id: string): TraceStatus | null {
    const job = this.#jobs.get(id);
    if (!job) return null;
    if (!job.values) return { ...job.status };
    const values = Array.from(job.values, (v) => Number.isFinite(v) ? v : String(v));
    return { ...job.status, values };
  }

  /**
   * The traces of a device, without their values.
   *
   * @param device The device's id.
   * @returns Their statuses, oldest first.
   */
  list(device: number): TraceStatus[] {
    return [...this.#jobs.values()]
      .filter((job) => job.status.device === device)
      .map((job) => ({ ...job.status }));
  }

  /**
   * A finished trace as CSV: `sample,timestamp_s,mean`, one row per frame.
   *
   * @param id The trace.
   * @returns The CSV, null for no such trace, or undefined while it is not done.
   */
  csv(id: string): string | null | undefined {
    const job = this.#jobs.get(id);
    if (!job) return null;
    if (!job.values) return undefined;
    const times = job.extractor.getTimestamps();
    const lines = ["sample,timestamp_s,mean"];
    job.values.forEach((v, k) => lines.push(`${k},${times[k]},${v}`));
    return lines.join("\n") + "\n";
  }

  /**
   * Removes a trace, stopping its computation (its ffmpeg is gone when this resolves).
   *
   * @param id The trace.
   * @returns Whether there was such a trace.
   */
  async remove(id: string): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job) return false;
    this.#jobs.delete(id);
    job.stop.abort();
    await job.run;
    return true;
  }

  /** Waits for every computation to end. */
  async settled(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((job) => job.run));
  }
}
