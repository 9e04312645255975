/**
 * The viewer page's plot of the intervals between time stamps, with the dropped frames marked.
 * Like the page's script, {@linkcode drawIntervals} runs in the browser from its source text, so
 * it refers to nothing outside its own body.
 *
 * @module
 */

/** What {@linkcode drawIntervals} plots. */
export interface IntervalsPlot {
  /** The time stamps of the device shown, in seconds. */
  times: Float64Array;
  /** Its frames. */
  samples: number;
  /** Its dropped frames, as `/api/info` gives them. */
  drops: { count: number; gaps: { afterSample: number; missing: number }[] } | null;
  /** Shows a frame: a click on a mark or on the plot. */
  go: (index: number) => void;
}

/**
 * Draws the intervals into `#intervals`, a mark per gap into `#drops` and the count into
 * `#drop-count`; a click on a mark shows the first frame after its gap, a click elsewhere the
 * frame at that place.
 *
 * @param plot The time stamps, the drops and what a click does.
 */
export function drawIntervals(plot: IntervalsPlot): void {
  const { times, go } = plot;
  const element = (id: string): HTMLElement => {
    const found = document.getElementById(id);
    if (!found) throw new Error(`The page has no element #${id}`);
    return found;
  };
  const canvas = element("intervals") as HTMLCanvasElement;
  const width = Math.max(200, element("intervals-box").clientWidth);
  const height = 90;
  canvas.width = width;
  canvas.height = height;
  const n = plot.samples;
  const x = (index: number) => (index / Math.max(1, n - 1)) * (width - 1);
  const intervals = new Float64Array(n);
  for (let i = 1; i < n; i++) intervals[i] = (times[i]! - times[i - 1]!) * 1000;
  let top = 1;
  for (const interval of intervals) top = Math.max(top, interval * 1.1);
  const y = (ms: number) => height - 4 - (ms / top) * (height - 14);
  const context = canvas.getContext("2d")!;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.fillStyle = "#666";
  context.font = "10px sans-serif";
  context.fillText(`interval, ms (max ${top.toFixed(0)})`, 4, 10);
  context.strokeStyle = "#1f77b4";
  context.beginPath();
  for (let i = 1; i < n; i++) {
    if (i === 1) context.moveTo(x(i), y(intervals[i]!));
    else context.lineTo(x(i), y(intervals[i]!));
  }
  context.stroke();
  const marks = (plot.drops?.gaps ?? []).map((gap) => {
    const mark = document.createElement("button");
    const at = gap.afterSample + 1;
    mark.className = "drop";
    mark.dataset.sample = String(at);
    mark.title = `${gap.missing} dropped before frame ${at}`;
    mark.style.left = `${(x(at) / width) * 100}%`;
    mark.addEventListener("click", (event) => {
      event.stopPropagation();
      go(at);
    });
    return mark;
  });
  element("drops").replaceChildren(...marks);
  const dropped = plot.drops?.count ?? 0;
  element("drop-count").textContent = `${dropped} dropped frame${dropped === 1 ? "" : "s"}`;
  canvas.addEventListener("click", (event) => {
    const bounds = canvas.getBoundingClientRect();
    go(((event.clientX - bounds.left) / bounds.width) * (n - 1));
  });
}
