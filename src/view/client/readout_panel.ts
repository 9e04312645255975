/**
 * The viewer page's readout of the frame shown: its index, its time stamp, its file and the
 * frame within that file; for an NWB series scaled to be shown, the stored value under the
 * mouse beside the value shown.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The readout panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function readoutPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ main, times, onShow, view, current }) => {
    onShow((index) => {
      common.element("frame-index").textContent = String(index);
      common.element("frame-time").textContent = `${(times[index] ?? NaN).toFixed(3)} s`;
      const file = main.files.find((f) =>
        index >= f.firstSample && index < f.firstSample + f.frames
      );
      common.element("frame-file").textContent = file
        ? `${file.name}, frame ${index - file.firstSample}`
        : "";
    });
    const series = main.series;
    if (!series?.display) return;
    // Values are shown scaled to 8 bits: the stored ones come from /api/values.
    const readout = common.element("pixel-value");
    let hovered = "";
    view.canvas.addEventListener("mouseleave", () => (hovered = ""));
    view.canvas.addEventListener("mousemove", (event) => {
      const p = view.picture;
      if (!p) return;
      const box = view.canvas.getBoundingClientRect();
      const x = Math.floor(((event.clientX - box.left) / box.width) * p.width);
      const y = Math.floor(((event.clientY - box.top) / box.height) * p.height);
      if (x < 0 || y < 0 || x >= p.width || y >= p.height) return;
      const index = current();
      const shown = readout.textContent ?? "";
      hovered = `${index},${x},${y}`;
      const key = hovered;
      const channels = p.rgba ? 3 : 1;
      common.storedValues(main.id, index, series.dtype).then((values) => {
        if (hovered !== key) return;
        const at = (y * p.width + x) * channels;
        const stored = Array.from({ length: channels }, (_, c) => String(values[at + c]));
        readout.textContent = `${shown} (stored ${stored.join(", ")}${
          series.unit && series.unit !== "n.a." ? ` ${series.unit}` : ""
        })`;
      }, () => {});
    });
  };
}
