/**
 * The viewer page's plot under the scrubber: the interval between consecutive time stamps
 * across the recording, a mark per dropped-frame gap, the drop count, and a cursor at the frame
 * shown. A click on a mark shows the first frame after its gap, a click elsewhere the frame at
 * that place.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The intervals panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function intervalsPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ main, times, go, onShow }) => {
    const height = 90;
    const n = main.samples;
    const { canvas, context, width, x } = common.timePlot("intervals", "intervals-box", height, n);
    const intervals = new Float64Array(n);
    for (let i = 1; i < n; i++) intervals[i] = (times[i]! - times[i - 1]!) * 1000;
    let top = 1;
    for (const interval of intervals) top = Math.max(top, interval * 1.1);
    const y = (ms: number) => height - 4 - (ms / top) * (height - 14);
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
    const marks = (main.drops?.gaps ?? []).map((gap) => {
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
    common.element("drops").replaceChildren(...marks);
    const dropped = main.drops?.count ?? 0;
    common.element("drop-count").textContent = `${dropped} dropped frame${
      dropped === 1 ? "" : "s"
    }`;
    canvas.addEventListener("click", (event) => {
      const bounds = canvas.getBoundingClientRect();
      go(((event.clientX - bounds.left) / bounds.width) * (n - 1));
    });
    const cursor = common.element("cursor");
    onShow((index) => {
      cursor.style.left = `${(index / Math.max(1, n - 1)) * 100}%`;
    });
  };
}
