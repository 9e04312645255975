/**
 * The viewer page's readout of the frame shown: its index, its time stamp, its file and the
 * frame within that file.
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
  return ({ main, times, onShow }) => {
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
  };
}
