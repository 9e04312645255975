/**
 * A progress line on stderr for long jobs: frames done, rate and time left. Drawn only when
 * stderr is a terminal; silent otherwise.
 *
 * @module
 */

/** Reports progress of a job over a known number of frames. */
export class Progress {
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = performance.now();
  #lastDraw = 0;
  #done = 0;

  /**
   * @param label What is being done, such as `"Exporting"`.
   * @param total Frames in all.
   * @param enabled Whether to draw; default: when stderr is a terminal.
   */
  constructor(label: string, total: number, enabled = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#total = total;
    this.#enabled = enabled;
  }

  /** Counts one more frame done, redrawing at most ten times a second. */
  tick(): void {
    this.#done++;
    const now = performance.now();
    if (this.#enabled && (now - this.#lastDraw > 100 || this.#done === this.#total)) {
      this.#lastDraw = now;
      this.#draw(now);
    }
  }

  /** Ends the progress line. */
  end(): void {
    if (this.#enabled) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }

  #draw(now: number): void {
    const seconds = (now - this.#started) / 1000;
    const rate = seconds > 0 ? this.#done / seconds : 0;
    const left = rate > 0 ? (this.#total - this.#done) / rate : 0;
    const width = 30;
    const filled = this.#total ? Math.round((this.#done / this.#total) * width) : width;
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    const line = `\r${this.#label} [${bar}] ${this.#done}/${this.#total} frames, ` +
      `${rate.toFixed(0)} frames/s, ${left.toFixed(0)} s left `;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  }
}
